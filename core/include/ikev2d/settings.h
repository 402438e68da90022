/*
 * settings.h - read access to the running configuration, for plugins.
 *
 * Paths are dotted libconfig paths from the top of ikev2.config, e.g.
 * "plugins.nettle.selftest" or "daemon.fragmentation_mtu" (the rules list
 * is not kept: rules are read through config.h).  A missing
 * setting, or one of another type, yields the default.  Values are those of
 * the configuration current at the time of the call; a string is valid until
 * the next reload, so copy it if you keep it.
 *
 * A plugin declares the settings it understands (plugin_settings_register)
 * so that `in.ikev2d -c` can reject unknown or mistyped keys under
 * plugins.<name>.
 */
#ifndef IKEV2D_SETTINGS_H
#define IKEV2D_SETTINGS_H

#include <stdbool.h>

bool settings_get_bool(const char *path, bool def);
long long settings_get_int(const char *path, long long def);
const char *settings_get_str(const char *path, const char *def);

typedef enum {
	SETTING_BOOL,
	SETTING_INT,
	SETTING_STRING,
} setting_type_t;

typedef struct {
	const char *key;        /* relative to plugins.<plugin> */
	setting_type_t type;
	long long min, max;     /* SETTING_INT: inclusive range */
	const char *help;       /* one line, for messages */
} plugin_setting_t;

/* Declare the settings a plugin accepts (a static array of n entries). */
void plugin_settings_register(const char *plugin, const plugin_setting_t *s,
                              int n);

#endif
