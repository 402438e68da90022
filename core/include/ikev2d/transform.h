/*
 * transform.h - IANA IKEv2 transform numbers (RFC 7296 §3.3.2 and the IANA
 * "IKEv2 Parameters" registry) and their names as used in ikev2.config and
 * in log lines.
 */
#ifndef IKEV2D_TRANSFORM_H
#define IKEV2D_TRANSFORM_H

#include <stdint.h>

typedef enum {
	TRANS_ENCR  = 1,
	TRANS_PRF   = 2,
	TRANS_INTEG = 3,
	TRANS_KE    = 4,  /* "D-H" in RFC 7296 */
	TRANS_ESN   = 5,
} transform_type_t;

typedef enum {
	ENCR_3DES              = 3,
	ENCR_NULL              = 11,
	ENCR_AES_CBC           = 12,
	ENCR_AES_CTR           = 13,
	ENCR_AES_CCM_8         = 14,
	ENCR_AES_CCM_12        = 15,
	ENCR_AES_CCM_16        = 16,
	ENCR_AES_GCM_8         = 18,
	ENCR_AES_GCM_12        = 19,
	ENCR_AES_GCM_16        = 20,
	ENCR_NULL_AUTH_AES_GMAC = 21,
	ENCR_CHACHA20_POLY1305 = 28,
} encr_id_t;

typedef enum {
	PRF_HMAC_MD5      = 1,
	PRF_HMAC_SHA1     = 2,
	PRF_AES128_XCBC   = 4,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
	PRF_AES128_CMAC   = 8,
} prf_id_t;

typedef enum {
	INTEG_NONE              = 0,
	INTEG_HMAC_MD5_96       = 1,
	INTEG_HMAC_SHA1_96      = 2,
	INTEG_AES_XCBC_96       = 5,
	INTEG_HMAC_SHA1_160     = 7,
	INTEG_AES_CMAC_96       = 8,
	INTEG_HMAC_SHA2_256_128 = 12,
	INTEG_HMAC_SHA2_384_192 = 13,
	INTEG_HMAC_SHA2_512_256 = 14,
} integ_id_t;

typedef enum {
	KE_NONE        = 0,
	KE_MODP_768    = 1,
	KE_MODP_1024   = 2,
	KE_MODP_1536   = 5,
	KE_MODP_2048   = 14,
	KE_MODP_3072   = 15,
	KE_MODP_4096   = 16,
	KE_MODP_6144   = 17,
	KE_MODP_8192   = 18,
	KE_ECP_256     = 19,
	KE_ECP_384     = 20,
	KE_ECP_521     = 21,
	KE_MODP_1024_160 = 22,
	KE_MODP_2048_224 = 23,
	KE_MODP_2048_256 = 24,
	KE_ECP_192     = 25,
	KE_ECP_224     = 26,
	KE_CURVE25519  = 31,
	KE_CURVE448    = 32,
} ke_id_t;

typedef enum {
	ESN_NO  = 0,
	ESN_YES = 1,
} esn_id_t;

/* Transform attribute type for key length (RFC 7296 §3.3.5). */
#define TRANSFORM_ATTR_KEY_LENGTH 14

/* Names used in ikev2.config, logs and feature names ("aes-cbc",
 * "hmac-sha256", "ecp256", ...); NULL for an unknown number. */
const char *transform_name(transform_type_t type, uint16_t id);
/* Reverse lookup; returns -1 for an unknown name. */
int transform_from_name(transform_type_t type, const char *name);

#endif
