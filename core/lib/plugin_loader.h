/*
 * plugin_loader.h - loads plugins (libtool modules) by name and resolves
 * their features (see <ikev2d/plugin.h> for what a plugin is).
 *
 * The daemon calls plugin_loader_load() once at start-up with the
 * plugins.load and plugins.critical lists, then plugin_loader_require() with
 * the features the core cannot run without, and plugin_loader_unload() at
 * shutdown.  Loading and unloading happen on one thread; the queries
 * (plugin_feature_loaded, the listings) are safe from any thread.
 *
 * Search path: the colon-separated directories in $IKEV2D_PLUGIN_PATH if
 * set, else those given to plugin_loader_set_path() (plugins.path), else the
 * plugin directory chosen at configure time.  A plugin "name" is the module
 * name.la or name.so in the first directory holding it.
 */
#ifndef IKEV2D_PLUGIN_LOADER_H
#define IKEV2D_PLUGIN_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <ikev2d/plugin.h>

/* Directories to search when $IKEV2D_PLUGIN_PATH is not set (NULL: the
 * built-in plugin directory). */
void plugin_loader_set_path(const char *path);

/*
 * Load the named plugins in order and resolve their features.  Names that
 * are not found or not loadable are logged and skipped.  Returns false if a
 * plugin named in critical is not loaded afterwards (not found, refused, or
 * left with no feature); the caller should then unload and stop.  May be
 * called more than once: later calls add plugins.
 */
bool plugin_loader_load(const char *const *names, int n_names,
                        const char *const *critical, int n_critical);

/*
 * Check that each feature the caller cannot run without is loaded
 * (wildcards "kind:*" allowed).  Logs one error per missing feature and
 * returns false if any is missing.
 */
bool plugin_loader_require(const char *const *features, int n);

/* Deactivate every loaded feature in reverse load order, then destroy and
 * close the plugins in reverse list order. */
void plugin_loader_unload(void);

/* Whether the plugin is loaded (it has at least one loaded feature). */
bool plugin_loader_plugin_loaded(const char *name);

/* The plugin providing a loaded feature (exact name), or NULL.  The string
 * stays valid until plugin_loader_unload(). */
const char *plugin_feature_provider(const char *feature);

/* Number of loaded plugins. */
int plugin_loader_count(void);

/* Call cb for every loaded feature, grouped by plugin in list order. */
typedef void (*plugin_list_cb_t)(const char *plugin, const char *feature,
                                 void *ctx);
void plugin_loader_foreach(plugin_list_cb_t cb, void *ctx);

/* "nettle: encr:aes-cbc prf:hmac-sha256 ...; psk: auth:psk" (caller frees);
 * "" when nothing is loaded. */
char *plugin_loader_summary(void);

/* Log one line per loaded plugin with its features (DBG_PLUGIN, op level). */
void plugin_loader_log_loaded(void);

#endif
