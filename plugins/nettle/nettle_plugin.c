/*
 * nettle_plugin.c - the `nettle` plugin: ciphers, AEADs, MACs, PRFs,
 * hashers, every MODP/ECP/Curve key-exchange group and the RNG, on Nettle,
 * hogweed and GMP.
 *
 * Each algorithm is a feature of its own ("aead:aes-gcm-16", "ke:ecp256"),
 * so the loader can say which one is missing.  Loading a feature first runs
 * its known-answer self-test (unless plugins.nettle.selftest = false) and
 * registers the algorithm only if the test passes.
 */
#include "nettle_plugin.h"
#include "nettle_modp.h"

#include <stdlib.h>

#include <gmp.h>

#include <ikev2d/bus.h>
#include <ikev2d/settings.h>

#define SELFTEST_SETTING "plugins." NETTLE_PLUGIN_NAME ".selftest"

static const plugin_setting_t nettle_settings[] = {
	{ "selftest", SETTING_BOOL, 0, 0,
	  "run a known-answer test of each algorithm before registering it" },
};

static bool register_alg(const nettle_alg_t *alg)
{
	const char *me = NETTLE_PLUGIN_NAME;

	switch (alg->kind) {
	case NETTLE_CRYPTER:
		return crypto_register_crypter(alg->id, me, nettle_crypter_create);
	case NETTLE_AEAD:
		return crypto_register_aead(alg->id, me, nettle_aead_create);
	case NETTLE_SIGNER:
		return crypto_register_signer(alg->id, me, nettle_signer_create);
	case NETTLE_PRF:
		return crypto_register_prf(alg->id, me, nettle_prf_create);
	case NETTLE_HASHER:
		return crypto_register_hasher(alg->id, me, nettle_hasher_create);
	case NETTLE_KE:
		switch (alg->id) {
		case KE_CURVE25519:
		case KE_CURVE448:
			return crypto_register_ke(alg->id, me, nettle_curve_create);
		case KE_ECP_192:
		case KE_ECP_224:
		case KE_ECP_256:
		case KE_ECP_384:
		case KE_ECP_521:
			return crypto_register_ke(alg->id, me, nettle_ecp_create);
		default:
			return crypto_register_ke(alg->id, me, nettle_modp_create);
		}
	case NETTLE_RNG:
		return crypto_register_rng(me, nettle_rng_create);
	}
	return false;
}

static void unregister_alg(const nettle_alg_t *alg)
{
	switch (alg->kind) {
	case NETTLE_CRYPTER: crypto_unregister_crypter(alg->id); break;
	case NETTLE_AEAD:    crypto_unregister_aead(alg->id); break;
	case NETTLE_SIGNER:  crypto_unregister_signer(alg->id); break;
	case NETTLE_PRF:     crypto_unregister_prf(alg->id); break;
	case NETTLE_HASHER:  crypto_unregister_hasher(alg->id); break;
	case NETTLE_KE:      crypto_unregister_ke(alg->id); break;
	case NETTLE_RNG:     crypto_unregister_rng(); break;
	}
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	const nettle_alg_t *alg = f->arg;

	if (!load) {
		unregister_alg(alg);
		return true;
	}
	if (settings_get_bool(SELFTEST_SETTING, true) &&
	    !nettle_selftest(f->name, alg)) {
		log_error(DBG_CRYPTO, "nettle: %s not registered: self-test failed",
		          f->name);
		return false;
	}
	if (!register_alg(alg)) {
		log_error(DBG_CRYPTO, "nettle: %s not registered: another plugin "
		          "provides it", f->name);
		return false;
	}
	return true;
}

#define ALG(kind, id) (&(const nettle_alg_t){ (kind), (id) })
#define PROVIDE(name, kind, id) PLUGIN_PROVIDE(name, feature_cb, ALG(kind, id))

static const plugin_feature_t nettle_features[] = {
	PROVIDE("rng", NETTLE_RNG, 0),

	PROVIDE("encr:aes-cbc", NETTLE_CRYPTER, ENCR_AES_CBC),
	PROVIDE("encr:aes-ctr", NETTLE_CRYPTER, ENCR_AES_CTR),
	PROVIDE("encr:3des", NETTLE_CRYPTER, ENCR_3DES),

	PROVIDE("aead:aes-gcm-8", NETTLE_AEAD, ENCR_AES_GCM_8),
	PROVIDE("aead:aes-gcm-12", NETTLE_AEAD, ENCR_AES_GCM_12),
	PROVIDE("aead:aes-gcm-16", NETTLE_AEAD, ENCR_AES_GCM_16),
	PROVIDE("aead:aes-ccm-8", NETTLE_AEAD, ENCR_AES_CCM_8),
	PROVIDE("aead:aes-ccm-12", NETTLE_AEAD, ENCR_AES_CCM_12),
	PROVIDE("aead:aes-ccm-16", NETTLE_AEAD, ENCR_AES_CCM_16),
	PROVIDE("aead:chacha20-poly1305", NETTLE_AEAD, ENCR_CHACHA20_POLY1305),

	PROVIDE("integ:hmac-sha1-96", NETTLE_SIGNER, INTEG_HMAC_SHA1_96),
	PROVIDE("integ:hmac-sha1-160", NETTLE_SIGNER, INTEG_HMAC_SHA1_160),
	PROVIDE("integ:hmac-sha256-128", NETTLE_SIGNER, INTEG_HMAC_SHA2_256_128),
	PROVIDE("integ:hmac-sha384-192", NETTLE_SIGNER, INTEG_HMAC_SHA2_384_192),
	PROVIDE("integ:hmac-sha512-256", NETTLE_SIGNER, INTEG_HMAC_SHA2_512_256),
	PROVIDE("integ:aes-xcbc-96", NETTLE_SIGNER, INTEG_AES_XCBC_96),
	PROVIDE("integ:aes-cmac-96", NETTLE_SIGNER, INTEG_AES_CMAC_96),

	PROVIDE("prf:hmac-sha1", NETTLE_PRF, PRF_HMAC_SHA1),
	PROVIDE("prf:hmac-sha256", NETTLE_PRF, PRF_HMAC_SHA2_256),
	PROVIDE("prf:hmac-sha384", NETTLE_PRF, PRF_HMAC_SHA2_384),
	PROVIDE("prf:hmac-sha512", NETTLE_PRF, PRF_HMAC_SHA2_512),
	PROVIDE("prf:aes128-xcbc", NETTLE_PRF, PRF_AES128_XCBC),
	PROVIDE("prf:aes128-cmac", NETTLE_PRF, PRF_AES128_CMAC),

	PROVIDE("hash:sha1", NETTLE_HASHER, HASH_SHA1),
	PROVIDE("hash:sha256", NETTLE_HASHER, HASH_SHA2_256),
	PROVIDE("hash:sha384", NETTLE_HASHER, HASH_SHA2_384),
	PROVIDE("hash:sha512", NETTLE_HASHER, HASH_SHA2_512),

	/* Key exchange needs random private values. */
	PROVIDE("ke:modp1024", NETTLE_KE, KE_MODP_1024),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp1536", NETTLE_KE, KE_MODP_1536),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp2048", NETTLE_KE, KE_MODP_2048),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp3072", NETTLE_KE, KE_MODP_3072),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp4096", NETTLE_KE, KE_MODP_4096),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp6144", NETTLE_KE, KE_MODP_6144),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp8192", NETTLE_KE, KE_MODP_8192),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp1024s160", NETTLE_KE, KE_MODP_1024_160),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp2048s224", NETTLE_KE, KE_MODP_2048_224),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:modp2048s256", NETTLE_KE, KE_MODP_2048_256),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:ecp256", NETTLE_KE, KE_ECP_256),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:ecp384", NETTLE_KE, KE_ECP_384),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:ecp521", NETTLE_KE, KE_ECP_521),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:ecp192", NETTLE_KE, KE_ECP_192),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:ecp224", NETTLE_KE, KE_ECP_224),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:curve25519", NETTLE_KE, KE_CURVE25519),
		PLUGIN_DEPENDS("rng"),
	PROVIDE("ke:curve448", NETTLE_KE, KE_CURVE448),
		PLUGIN_DEPENDS("rng"),
};

static size_t get_features(ikev2d_plugin_t *plugin,
                           const plugin_feature_t **features)
{
	*features = nettle_features;
	return sizeof(nettle_features) / sizeof(nettle_features[0]);
}

/*
 * GMP keeps private exponents, scalars and shared secrets in memory it
 * allocates and frees on its own.  While the plugin is loaded, GMP's
 * allocator wipes every block it frees or moves, and between
 * nettle_gmp_secure_begin/end (the KE code, around what touches a private
 * value) it allocates from secure memory (<ikev2d/chunk.h>: locked, out
 * of core dumps); a secure block stays secure when GMP moves it.  Other
 * blocks are plain malloc/free underneath, so blocks allocated before or
 * after (by the defaults) mix safely; the KE objects, the only holders
 * of secure blocks, are gone before the plugin is unloaded.
 */
static _Thread_local unsigned secure_depth;

void nettle_gmp_secure_begin(void)
{
	secure_depth++;
}

void nettle_gmp_secure_end(void)
{
	secure_depth--;
}

static void *gmp_alloc(size_t n)
{
	return secure_depth ? xzalloc_secure(n) : xmalloc(n);
}

static void gmp_free(void *p, size_t n)
{
	if (memory_is_secure(p)) {
		xfree_secure(p);   /* wiped there */
		return;
	}
	memwipe(p, n);
	free(p);
}

static void *gmp_realloc(void *p, size_t old, size_t n)
{
	void *q = secure_depth || memory_is_secure(p) ? xzalloc_secure(n) : xmalloc(n);

	memcpy(q, p, old < n ? old : n);
	gmp_free(p, old);
	return q;
}

static void destroy(ikev2d_plugin_t *plugin)
{
	nettle_modp_cleanup();
	nettle_rng_cleanup();
	/* Our functions go away with the module: give GMP its own back. */
	mp_set_memory_functions(NULL, NULL, NULL);
	free(plugin);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);

ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *plugin = xzalloc(sizeof(*plugin));

	*plugin = (ikev2d_plugin_t){
		.name = NETTLE_PLUGIN_NAME,
		.get_features = get_features,
		.destroy = destroy,
	};
	plugin_settings_register(NETTLE_PLUGIN_NAME, nettle_settings,
	                         sizeof(nettle_settings) / sizeof(nettle_settings[0]));
	mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
	return plugin;
}
