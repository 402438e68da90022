/*
 * gnutls_plugin.c - the gnutls plugin: X.509 certificates and CRLs,
 * private and public keys in every IKEv2 signature form, PKCS#11 tokens,
 * and (through crypto.h) hashes and random numbers.
 *
 * Each key type is self-tested (gnutls_selftest.c) before it is registered,
 * unless plugins.gnutls.selftest = false; a type that fails is not
 * registered and its feature reports failure to the loader.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>
#include <ikev2d/fetcher.h>
#include <ikev2d/plugin.h>
#include <ikev2d/settings.h>

#include <stdint.h>
#include <stdlib.h>

#define SELFTEST_SETTING "plugins." GNUTLS_PLUGIN_NAME ".selftest"

static const plugin_setting_t gnutls_settings[] = {
	{ "selftest", SETTING_BOOL, 0, 0,
	  "self-test each key type and hash before registering it" },
};

/* Self-test results per key type: 0 not run, 1 passed, -1 failed (the
 * private and public key features share them). */
static int selftest_result[KEY_TYPE_MAX];
/* What this plugin registered, so unloading touches nothing else's. */
static bool have_privkey[KEY_TYPE_MAX], have_pubkey[KEY_TYPE_MAX];

static bool selftest_enabled(void)
{
	return settings_get_bool(SELFTEST_SETTING, true);
}

static bool selftest(key_type_t type)
{
	if (!selftest_enabled())
		return true;
	if (selftest_result[type] == 0) {
		selftest_result[type] = gt_selftest_keytype(type) ? 1 : -1;
		if (selftest_result[type] < 0)
			log_error(DBG_CRYPTO, "gnutls: %s keys failed their "
			          "self-test, not registered", key_type_name(type));
	}
	return selftest_result[type] > 0;
}

/* feature->arg of key features: the types, ended by KEY_ANY. */
static const key_type_t types_rsa[] = { KEY_RSA, KEY_ANY };
static const key_type_t types_dsa[] = { KEY_DSA, KEY_ANY };
static const key_type_t types_ecdsa[] = {
	KEY_ECDSA_P256, KEY_ECDSA_P384, KEY_ECDSA_P521, KEY_ANY,
};
static const key_type_t types_ed25519[] = { KEY_ED25519, KEY_ANY };
static const key_type_t types_ed448[] = { KEY_ED448, KEY_ANY };

static bool key_feature(const plugin_feature_t *f, bool load, bool private)
{
	bool *have = private ? have_privkey : have_pubkey;
	int registered = 0;

	for (const key_type_t *t = f->arg; *t != KEY_ANY; t++) {
		if (!load) {
			if (!have[*t])
				continue;
			if (private)
				cred_unregister_privkey(*t);
			else
				cred_unregister_pubkey(*t);
			have[*t] = false;
			continue;
		}
		/* A type that fails is left out; the others of the same
		 * feature (the ECDSA curves) still count. */
		if (!selftest(*t))
			continue;
		have[*t] = private ?
			cred_register_privkey(*t, GNUTLS_PLUGIN_NAME, gt_privkey_load) :
			cred_register_pubkey(*t, GNUTLS_PLUGIN_NAME, gt_pubkey_load);
		registered += have[*t];
	}
	return !load || registered > 0;
}

static bool privkey_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	return key_feature(f, load, true);
}

static bool pubkey_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                      bool load)
{
	return key_feature(f, load, false);
}

static bool cert_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                    bool load)
{
	if (!load) {
		cred_unregister_cert();
		return true;
	}
	return cred_register_cert(GNUTLS_PLUGIN_NAME, gt_cert_load,
	                          gt_validator_create);
}

static bool crl_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                   bool load)
{
	if (!load) {
		cred_unregister_crl();
		return true;
	}
	return cred_register_crl(GNUTLS_PLUGIN_NAME, gt_crl_load);
}

static bool pkcs11_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                      bool load)
{
	if (!load) {
		cred_tokens_flush();
		cred_unregister_token();
		cred_unregister_pkcs11();
		gt_pkcs11_deinit();
		return true;
	}
	if (!gt_pkcs11_init())
		return false;
	if (!cred_register_pkcs11(GNUTLS_PLUGIN_NAME, gt_pkcs11_load)) {
		gt_pkcs11_deinit();
		return false;
	}
	gt_token_init();
	if (!cred_register_token(GNUTLS_PLUGIN_NAME, gt_token_open)) {
		cred_unregister_pkcs11();
		gt_pkcs11_deinit();
		return false;
	}
	return true;
}

/* feature->arg of hash features: the hash_id_t, as a pointer. */
#define HASH_ARG(id) ((const void *)(uintptr_t)(id))

static bool hash_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                    bool load)
{
	hash_id_t alg = (hash_id_t)(uintptr_t)f->arg;

	if (!load) {
		crypto_unregister_hasher(alg);
		return true;
	}
	if (selftest_enabled() && !gt_hasher_selftest(alg, f->name)) {
		log_error(DBG_CRYPTO, "gnutls: %s failed its self-test, not "
		          "registered", f->name);
		return false;
	}
	return crypto_register_hasher(alg, GNUTLS_PLUGIN_NAME, gt_hasher_create);
}

static bool rng_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                   bool load)
{
	if (!load) {
		crypto_unregister_rng();
		return true;
	}
	if (selftest_enabled() && !gt_rng_selftest()) {
		log_error(DBG_CRYPTO, "gnutls: rng failed its self-test, not "
		          "registered");
		return false;
	}
	return crypto_register_rng(GNUTLS_PLUGIN_NAME, gt_rng_create);
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("rng", rng_cb, NULL),
	PLUGIN_PROVIDE("hash:sha1", hash_cb, HASH_ARG(HASH_SHA1)),
	PLUGIN_PROVIDE("hash:sha256", hash_cb, HASH_ARG(HASH_SHA2_256)),
	PLUGIN_PROVIDE("hash:sha384", hash_cb, HASH_ARG(HASH_SHA2_384)),
	PLUGIN_PROVIDE("hash:sha512", hash_cb, HASH_ARG(HASH_SHA2_512)),
	PLUGIN_PROVIDE("privkey:rsa", privkey_cb, types_rsa),
	PLUGIN_PROVIDE("privkey:dsa", privkey_cb, types_dsa),
	PLUGIN_PROVIDE("privkey:ecdsa", privkey_cb, types_ecdsa),
	PLUGIN_PROVIDE("privkey:ed25519", privkey_cb, types_ed25519),
	PLUGIN_PROVIDE("privkey:ed448", privkey_cb, types_ed448),
	PLUGIN_PROVIDE("pubkey:rsa", pubkey_cb, types_rsa),
	PLUGIN_PROVIDE("pubkey:dsa", pubkey_cb, types_dsa),
	PLUGIN_PROVIDE("pubkey:ecdsa", pubkey_cb, types_ecdsa),
	PLUGIN_PROVIDE("pubkey:ed25519", pubkey_cb, types_ed25519),
	PLUGIN_PROVIDE("pubkey:ed448", pubkey_cb, types_ed448),
	PLUGIN_PROVIDE("cert:x509", cert_cb, NULL),
		PLUGIN_DEPENDS("pubkey:*"),
	PLUGIN_PROVIDE("crl:x509", crl_cb, NULL),
		PLUGIN_DEPENDS("cert:x509"),
	PLUGIN_PROVIDE("pkcs11", pkcs11_cb, NULL),
		PLUGIN_DEPENDS("privkey:*"),
};

static size_t get_features(ikev2d_plugin_t *self,
                           const plugin_feature_t **out)
{
	*out = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	/* fetches in flight call back into this plugin (gnutls_revoke.c):
	 * they end first, whichever of curl and gnutls unloads first */
	fetcher_async_drain();
	gt_sig_cache_free();
	gt_revoke_flush();
	gnutls_global_deinit();
	free(self);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *this;
	int rc;

	/* Reference-counted in GnuTLS, so harmless if the process uses
	 * GnuTLS elsewhere too. */
	rc = gnutls_global_init();
	if (rc < 0) {
		gt_log_error("initialisation", rc);
		return NULL;
	}
	for (int t = 0; t < KEY_TYPE_MAX; t++)
		selftest_result[t] = 0;
	plugin_settings_register(GNUTLS_PLUGIN_NAME, gnutls_settings,
	                         sizeof(gnutls_settings) / sizeof(gnutls_settings[0]));
	this = xzalloc(sizeof(*this));
	*this = (ikev2d_plugin_t){
		.name = GNUTLS_PLUGIN_NAME,
		.get_features = get_features,
		.destroy = destroy,
	};
	return this;
}
