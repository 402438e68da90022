/*
 * settings_check.h - checking plugins.<name> groups against what plugins
 * declared with plugin_settings_register() (implemented in settings.c).
 */
#ifndef IKEV2D_CONFIG_SETTINGS_CHECK_H
#define IKEV2D_CONFIG_SETTINGS_CHECK_H

#include <stdbool.h>

#include "config/cfg_ctx.h"

/* Check every key under group (plugins.<plugin>).  When the plugin has
 * declared nothing: with all_loaded (plugins are loaded, so it never
 * will) every key is an error; otherwise nothing can be checked yet.
 * Returns the number of errors. */
int settings_check_plugin_group(cfg_ctx_t *ctx, const char *plugin,
                                const config_setting_t *group,
                                bool all_loaded);

/* Drop every registration (tests, daemon exit). */
void plugin_settings_clear(void);

#endif
