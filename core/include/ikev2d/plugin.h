/*
 * plugin.h - what a plugin is, for plugin authors.
 *
 * A plugin is a libtool module (-module -avoid-version) that exports two
 * symbols:
 *
 *     const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;
 *     ikev2d_plugin_t *ikev2d_plugin_create(void);
 *
 * The loader refuses a module whose ikev2d_plugin_abi differs from its own.
 * ikev2d_plugin_create returns the plugin object or NULL on failure (logged
 * by the plugin).  The plugin then lists its features: what it provides, and
 * for each provided feature what it needs (hard) or would like (soft).  The
 * loader resolves all plugins' features in the order of the plugins.load
 * list; a feature whose hard need is missing is not loaded (one log line names
 * the need); a plugin left with no loaded feature is unloaded.  When two
 * plugins provide the same feature, the earlier in the list wins and the
 * later one's feature is never loaded.
 *
 * Feature names are "kind:name" strings, e.g. "ke:ecp256", "aead:aes-gcm-16",
 * "prf:hmac-sha256", "auth:psk", or a bare kind such as "kernel-ipsec", "rng".
 * A need ending in '*' (e.g. "prf:*") is met by any feature with that prefix.
 */
#ifndef IKEV2D_PLUGIN_H
#define IKEV2D_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Bumped whenever an installed header changes incompatibly. */
#define IKEV2D_PLUGIN_ABI "ikev2d-plugin-abi-2"

typedef struct ikev2d_plugin ikev2d_plugin_t;
typedef struct plugin_feature plugin_feature_t;

typedef enum {
	FEATURE_PROVIDE,   /* this plugin provides the named feature */
	FEATURE_DEPENDS,   /* the preceding PROVIDE needs this (hard) */
	FEATURE_SDEPEND,   /* the preceding PROVIDE would like this (soft) */
} plugin_feature_kind_t;

/*
 * Called with load=true when the loader activates a provided feature (after
 * its hard needs are loaded), and with load=false when it deactivates it
 * (at unload, in reverse order).  On load the callback typically registers
 * an implementation (crypto_register_*, kernel_ipsec_register, ...).  It
 * returns false if the feature cannot be provided after all (a failed
 * self-test, say); the loader then treats the feature as missing.
 */
typedef bool (*plugin_feature_cb_t)(ikev2d_plugin_t *plugin,
                                    const plugin_feature_t *feature, bool load);

struct plugin_feature {
	plugin_feature_kind_t kind;
	const char *name;
	plugin_feature_cb_t cb;  /* PROVIDE only; NULL means nothing to do */
	const void *arg;         /* PROVIDE only; for the callback's use */
};

#define PLUGIN_PROVIDE(n, cb, arg) { FEATURE_PROVIDE, (n), (cb), (arg) }
#define PLUGIN_DEPENDS(n)          { FEATURE_DEPENDS, (n), NULL, NULL }
#define PLUGIN_SDEPEND(n)          { FEATURE_SDEPEND, (n), NULL, NULL }

struct ikev2d_plugin {
	/* Short name, equal to the name in the load list ("nettle"). */
	const char *name;
	/* Set *features to a static array and return its length. */
	size_t (*get_features)(ikev2d_plugin_t *self,
	                       const plugin_feature_t **features);
	/* Free the plugin; called after all its features were unloaded. */
	void (*destroy)(ikev2d_plugin_t *self);
};

/* Symbols every plugin module exports. */
#define IKEV2D_PLUGIN_ABI_SYMBOL    "ikev2d_plugin_abi"
#define IKEV2D_PLUGIN_CREATE_SYMBOL "ikev2d_plugin_create"
typedef ikev2d_plugin_t *(*ikev2d_plugin_create_t)(void);

/* Whether a feature is loaded right now (any provider). */
bool plugin_feature_loaded(const char *name);

#endif
