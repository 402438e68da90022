/*
 * settings.c - <ikev2d/settings.h>: plugins read the running
 * configuration's libconfig tree, and declare the keys they accept under
 * plugins.<name> so that configuration checking can reject the others.
 */
#include <ikev2d/settings.h>

#include "config/config.h"
#include "config/lc.h"
#include "config/settings_check.h"
#include "config/suggest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

/* ------------------------------------------------------------- reading */

/* Look a path up in the current configuration; the caller unrefs *cfg. */
static const config_setting_t *lookup(const char *path, config_t **cfg)
{
	*cfg = config_current();
	if (!*cfg || !(*cfg)->tree || !path)
		return NULL;
	return config_lookup((const lc_config_t *)(*cfg)->tree, path);
}

bool settings_get_bool(const char *path, bool def)
{
	config_t *cfg;
	const config_setting_t *s = lookup(path, &cfg);
	bool v = def;

	if (s && config_setting_type(s) == CONFIG_TYPE_BOOL)
		v = config_setting_get_bool(s);
	config_unref(cfg);
	return v;
}

long long settings_get_int(const char *path, long long def)
{
	config_t *cfg;
	const config_setting_t *s = lookup(path, &cfg);
	long long v = def;

	if (s && (config_setting_type(s) == CONFIG_TYPE_INT ||
	          config_setting_type(s) == CONFIG_TYPE_INT64))
		v = config_setting_get_int64(s);
	config_unref(cfg);
	return v;
}

const char *settings_get_str(const char *path, const char *def)
{
	config_t *cfg;
	const config_setting_t *s = lookup(path, &cfg);
	const char *v = def;

	/* The string lives in the tree of the current configuration, which
	 * stays alive at least until the next reload (settings.h). */
	if (s && config_setting_type(s) == CONFIG_TYPE_STRING)
		v = config_setting_get_string(s);
	config_unref(cfg);
	return v;
}

/* ------------------------------------------------------- registrations */

typedef struct {
	char *plugin;
	plugin_setting_t *settings;  /* deep copies: the module may unload */
	int n;
} registration_t;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static registration_t *regs;
static int n_regs;

static void free_registration(registration_t *r)
{
	for (int i = 0; i < r->n; i++) {
		free((char *)r->settings[i].key);
		free((char *)r->settings[i].help);
	}
	free(r->settings);
	free(r->plugin);
}

void plugin_settings_register(const char *plugin, const plugin_setting_t *s,
                              int n)
{
	registration_t r;

	if (!plugin || n < 0 || (n > 0 && !s))
		return;
	r.plugin = xstrdup(plugin);
	r.n = n;
	r.settings = n ? xzalloc(sizeof(*r.settings) * (size_t)n) : NULL;
	for (int i = 0; i < n; i++) {
		r.settings[i] = s[i];
		r.settings[i].key = xstrdup(s[i].key ? s[i].key : "");
		r.settings[i].help = s[i].help ? xstrdup(s[i].help) : NULL;
	}
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < n_regs; i++) {
		if (strcmp(regs[i].plugin, plugin) == 0) {
			/* A reloaded plugin declares again: replace. */
			free_registration(&regs[i]);
			regs[i] = r;
			pthread_mutex_unlock(&reg_lock);
			return;
		}
	}
	regs = xrealloc(regs, sizeof(*regs) * (size_t)(n_regs + 1));
	regs[n_regs++] = r;
	pthread_mutex_unlock(&reg_lock);
}

void plugin_settings_clear(void)
{
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < n_regs; i++)
		free_registration(&regs[i]);
	free(regs);
	regs = NULL;
	n_regs = 0;
	pthread_mutex_unlock(&reg_lock);
}

/* ------------------------------------------------------------ checking */

typedef struct {
	cfg_ctx_t *ctx;
	const registration_t *reg;
	const char *plugin;
	int errors;
} check_t;

static const char *type_word(setting_type_t t)
{
	switch (t) {
	case SETTING_BOOL: return "a boolean";
	case SETTING_INT:  return "an integer";
	default:           return "a string";
	}
}

/* Check a leaf or recurse into a group; prefix is the dotted key so far. */
static void check_setting(check_t *c, const config_setting_t *s,
                          const char *prefix)
{
	char key[256];
	const plugin_setting_t *decl = NULL;
	int type = config_setting_type(s);

	snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
	         config_setting_name(s));
	for (int i = 0; i < c->reg->n; i++) {
		if (strcmp(c->reg->settings[i].key, key) == 0) {
			decl = &c->reg->settings[i];
			break;
		}
	}
	if (!decl && type == CONFIG_TYPE_GROUP) {
		/* A group is fine if some declared key lies below it. */
		size_t l = strlen(key);
		bool below = false;
		for (int i = 0; i < c->reg->n; i++) {
			if (strncmp(c->reg->settings[i].key, key, l) == 0 &&
			    c->reg->settings[i].key[l] == '.')
				below = true;
		}
		if (below) {
			int n = config_setting_length(s);
			for (int i = 0; i < n; i++)
				check_setting(c, config_setting_get_elem(s,
				              (unsigned)i), key);
			return;
		}
	}
	if (!decl) {
		const char *cand[65];
		int nc = 0;
		for (int i = 0; i < c->reg->n && nc < 64; i++)
			cand[nc++] = c->reg->settings[i].key;
		cand[nc] = NULL;
		const char *sug = suggest_closest(key, cand);
		if (sug)
			cfg_error(c->ctx, s, "unknown keyword '%s' in plugins.%s "
			          "(did you mean '%s'?)", key, c->plugin, sug);
		else
			cfg_error(c->ctx, s, "unknown keyword '%s' in plugins.%s",
			          key, c->plugin);
		c->errors++;
		return;
	}
	switch (decl->type) {
	case SETTING_BOOL:
		if (type == CONFIG_TYPE_BOOL)
			return;
		break;
	case SETTING_STRING:
		if (type == CONFIG_TYPE_STRING)
			return;
		break;
	case SETTING_INT:
		if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
			long long v = config_setting_get_int64(s);
			if (v < decl->min || v > decl->max) {
				cfg_error(c->ctx, s, "plugins.%s.%s = %lld is out of "
				          "range (%lld..%lld)", c->plugin, key, v,
				          decl->min, decl->max);
				c->errors++;
			}
			return;
		}
		break;
	}
	cfg_error(c->ctx, s, "plugins.%s.%s must be %s, not %s%s%s", c->plugin,
	          key, type_word(decl->type), cfg_type_name(type),
	          decl->help ? ": " : "", decl->help ? decl->help : "");
	c->errors++;
}

int settings_check_plugin_group(cfg_ctx_t *ctx, const char *plugin,
                                const config_setting_t *group,
                                bool all_loaded)
{
	check_t c = { ctx, NULL, plugin, 0 };
	int n = config_setting_length(group);

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < n_regs; i++) {
		if (strcmp(regs[i].plugin, plugin) == 0)
			c.reg = &regs[i];
	}
	if (!c.reg) {
		pthread_mutex_unlock(&reg_lock);
		if (all_loaded && n > 0) {
			cfg_error(ctx, group, "plugins.%s: this plugin accepts no "
			          "settings (or is not loaded)", plugin);
			return 1;
		}
		return 0;
	}
	for (int i = 0; i < n; i++)
		check_setting(&c, config_setting_get_elem(group, (unsigned)i), "");
	pthread_mutex_unlock(&reg_lock);
	return c.errors;
}
