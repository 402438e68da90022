/*
 * openssl_plugin.c - the `openssl` plugin: the ECP key-exchange groups
 * (ke:ecp256, ke:ecp384, ke:ecp521, ke:ecp192, ke:ecp224) on OpenSSL's
 * libcrypto.  Everything else comes from the nettle plugin; list "openssl"
 * before "nettle" in plugins.load so that these groups come from here (the
 * earlier plugin in the list wins a feature both provide).
 *
 * Each group first passes its known-answer self-test (unless
 * plugins.openssl.selftest = false).  No "rng" need: OpenSSL draws the
 * private values from its own DRBG, seeded by the kernel.
 */
#include "openssl_plugin.h"

#include <stdlib.h>

#include <ikev2d/bus.h>
#include <ikev2d/plugin.h>
#include <ikev2d/settings.h>

#define SELFTEST_SETTING "plugins." OPENSSL_PLUGIN_NAME ".selftest"

static const plugin_setting_t openssl_settings[] = {
	{ "selftest", SETTING_BOOL, 0, 0,
	  "run a known-answer test of each group before registering it" },
};

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	ke_id_t group = (ke_id_t)(uintptr_t)f->arg;

	(void)plugin;
	if (!load) {
		crypto_unregister_ke(group);
		return true;
	}
	if (settings_get_bool(SELFTEST_SETTING, true) &&
	    !openssl_ecp_selftest(group)) {
		log_error(DBG_CRYPTO, "openssl: %s not registered: self-test failed",
		          f->name);
		return false;
	}
	if (!crypto_register_ke(group, OPENSSL_PLUGIN_NAME, openssl_ecp_create)) {
		log_error(DBG_CRYPTO, "openssl: %s not registered: another plugin "
		          "provides it", f->name);
		return false;
	}
	return true;
}

#define PROVIDE(name, group) \
	PLUGIN_PROVIDE(name, feature_cb, (const void *)(uintptr_t)(group))

static const plugin_feature_t openssl_features[] = {
	PROVIDE("ke:ecp256", KE_ECP_256),
	PROVIDE("ke:ecp384", KE_ECP_384),
	PROVIDE("ke:ecp521", KE_ECP_521),
	PROVIDE("ke:ecp192", KE_ECP_192),
	PROVIDE("ke:ecp224", KE_ECP_224),
};

static size_t get_features(ikev2d_plugin_t *plugin,
                           const plugin_feature_t **features)
{
	(void)plugin;
	*features = openssl_features;
	return sizeof(openssl_features) / sizeof(openssl_features[0]);
}

static void destroy(ikev2d_plugin_t *plugin)
{
	free(plugin);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);

ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *plugin = xzalloc(sizeof(*plugin));

	*plugin = (ikev2d_plugin_t){
		.name = OPENSSL_PLUGIN_NAME,
		.get_features = get_features,
		.destroy = destroy,
	};
	plugin_settings_register(OPENSSL_PLUGIN_NAME, openssl_settings,
	                         sizeof(openssl_settings) / sizeof(openssl_settings[0]));
	return plugin;
}
