/*
 * transform.c - names of the IANA IKEv2 transform numbers.
 *
 * These names appear in ikev2.config, in log lines and in plugin feature
 * names ("ke:ecp256", "aead:aes-gcm-16"), so they are part of the plugin
 * API: never rename one.
 */
#include <ikev2d/transform.h>

#include <stddef.h>
#include <strings.h>

typedef struct {
	transform_type_t type;
	uint16_t id;
	const char *name;
} transform_entry_t;

static const transform_entry_t transforms[] = {
	{ TRANS_ENCR, ENCR_AES_CBC,            "aes-cbc" },
	{ TRANS_ENCR, ENCR_AES_CTR,            "aes-ctr" },
	{ TRANS_ENCR, ENCR_AES_CCM_8,          "aes-ccm-8" },
	{ TRANS_ENCR, ENCR_AES_CCM_12,         "aes-ccm-12" },
	{ TRANS_ENCR, ENCR_AES_CCM_16,         "aes-ccm-16" },
	{ TRANS_ENCR, ENCR_AES_GCM_8,          "aes-gcm-8" },
	{ TRANS_ENCR, ENCR_AES_GCM_12,         "aes-gcm-12" },
	{ TRANS_ENCR, ENCR_AES_GCM_16,         "aes-gcm-16" },
	{ TRANS_ENCR, ENCR_NULL_AUTH_AES_GMAC, "aes-gmac" },
	{ TRANS_ENCR, ENCR_CHACHA20_POLY1305,  "chacha20-poly1305" },
	{ TRANS_ENCR, ENCR_3DES,               "3des" },
	{ TRANS_ENCR, ENCR_NULL,               "null" },

	{ TRANS_PRF, PRF_HMAC_MD5,      "hmac-md5" },
	{ TRANS_PRF, PRF_HMAC_SHA1,     "hmac-sha1" },
	{ TRANS_PRF, PRF_AES128_XCBC,   "aes128-xcbc" },
	{ TRANS_PRF, PRF_HMAC_SHA2_256, "hmac-sha256" },
	{ TRANS_PRF, PRF_HMAC_SHA2_384, "hmac-sha384" },
	{ TRANS_PRF, PRF_HMAC_SHA2_512, "hmac-sha512" },
	{ TRANS_PRF, PRF_AES128_CMAC,   "aes128-cmac" },

	{ TRANS_INTEG, INTEG_HMAC_MD5_96,       "hmac-md5-96" },
	{ TRANS_INTEG, INTEG_HMAC_SHA1_96,      "hmac-sha1-96" },
	{ TRANS_INTEG, INTEG_HMAC_SHA1_160,     "hmac-sha1-160" },
	{ TRANS_INTEG, INTEG_AES_XCBC_96,       "aes-xcbc-96" },
	{ TRANS_INTEG, INTEG_AES_CMAC_96,       "aes-cmac-96" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, "hmac-sha256-128" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_384_192, "hmac-sha384-192" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_512_256, "hmac-sha512-256" },
	{ TRANS_INTEG, INTEG_NONE,              "none" },

	{ TRANS_KE, KE_MODP_768,      "modp768" },
	{ TRANS_KE, KE_MODP_1024,     "modp1024" },
	{ TRANS_KE, KE_MODP_1536,     "modp1536" },
	{ TRANS_KE, KE_MODP_2048,     "modp2048" },
	{ TRANS_KE, KE_MODP_3072,     "modp3072" },
	{ TRANS_KE, KE_MODP_4096,     "modp4096" },
	{ TRANS_KE, KE_MODP_6144,     "modp6144" },
	{ TRANS_KE, KE_MODP_8192,     "modp8192" },
	{ TRANS_KE, KE_ECP_256,       "ecp256" },
	{ TRANS_KE, KE_ECP_384,       "ecp384" },
	{ TRANS_KE, KE_ECP_521,       "ecp521" },
	{ TRANS_KE, KE_MODP_1024_160, "modp1024s160" },
	{ TRANS_KE, KE_MODP_2048_224, "modp2048s224" },
	{ TRANS_KE, KE_MODP_2048_256, "modp2048s256" },
	{ TRANS_KE, KE_ECP_192,       "ecp192" },
	{ TRANS_KE, KE_ECP_224,       "ecp224" },
	{ TRANS_KE, KE_CURVE25519,    "curve25519" },
	{ TRANS_KE, KE_CURVE448,      "curve448" },
	{ TRANS_KE, KE_NONE,          "none" },

	{ TRANS_ESN, ESN_NO,  "no-esn" },
	{ TRANS_ESN, ESN_YES, "esn" },
};

#define N_TRANSFORMS (sizeof(transforms) / sizeof(transforms[0]))

const char *transform_name(transform_type_t type, uint16_t id)
{
	for (size_t i = 0; i < N_TRANSFORMS; i++)
		if (transforms[i].type == type && transforms[i].id == id)
			return transforms[i].name;
	return NULL;
}

int transform_from_name(transform_type_t type, const char *name)
{
	if (!name)
		return -1;
	/* Case-insensitive: admins write "AES-GCM-16" as often as not. */
	for (size_t i = 0; i < N_TRANSFORMS; i++)
		if (transforms[i].type == type && strcasecmp(transforms[i].name, name) == 0)
			return transforms[i].id;
	return -1;
}
