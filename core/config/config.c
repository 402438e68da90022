/*
 * config.c - loading ikev2.config (and the preshared file it names) into
 * an immutable, reference-counted config_t; the configuration in force.
 *
 * The parts: cfg_ctx.c (errors, typed access), cfg_addr.c, cfg_ident.c,
 * cfg_xform.c, cfg_rules.c (rules and inheritance), preshared.c,
 * settings.c (plugin settings).  This file reads the daemon and plugins
 * groups and puts it all together.
 */
#include "config/config.h"
#include "config/cfg_ctx.h"
#include "config/cfg_rules.h"
#include "config/cfg_validation.h"
#include "config/config_edits.h"
#include "config/debug_level.h"
#include "config/file_perm.h"
#include "config/preshared.h"
#include "config/settings_check.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pwd.h>
#include <unistd.h>

#include <ikev2d/bus.h>

#ifndef IKEV2D_LOGDIR
#define IKEV2D_LOGDIR "/var/log/ikev2"
#endif
#ifndef IKEV2D_RUNSTATEDIR
#define IKEV2D_RUNSTATEDIR "/var/run"
#endif

#define CFG_MAX_PLUGINS 128

static const char *const top_keys[] = {
	"daemon", "plugins", "rules", "ikesa_xform", "ikesa_lifetime_secs",
	"dpd_interval", "esp_xform", "mode", "childsa_pfs",
	"childsa_lifetime_secs", "childsa_softlife_secs", "childsa_lifetime_kb",
	"childsa_softlife_kb", "replay_window", "mark_in", "mark_out",
	"if_id_in", "if_id_out", "require_kernel_policy", "validation",
	"validation_policy_file", NULL
};

static const char *const daemon_keys[] = {
	"debug_level", "debug_logfile", "ignore_errors", "min_threads",
	"max_threads", "response_wait_time", "fragmentation_enable",
	"fragmentation_mtu", "preshared_file", "pkcs11_token", "pid_file",
	"ike_port", "natt_port", "retry_limit", "retry_timer_init_ms",
	"retry_timer_max_secs", "half_open_max", "half_open_max_per_peer",
	"half_open_timeout_secs", "cookie_threshold", "nat_keepalive_secs",
	"ke_reuse_secs", "ke_reuse_max_uses", "user", "seccomp", "privsep", "keystore",
	"start_retry_max_secs",
	NULL
};

/* ---------------------------------------------------------------- free */

static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void wipe_str(char *s)
{
	if (s) {
		memwipe(s, strlen(s));
		free(s);
	}
}

static void config_free(config_t *cfg)
{
	daemon_cfg_t *d = &cfg->daemon;

	free(cfg->path);
	free(d->debug_level);
	free(d->debug_logfile);
	free(d->preshared_file);
	free(d->keystore);
	free(d->pkcs11_uri);
	wipe_str(d->pkcs11_pin);
	free(d->pid_file);
	free(d->user);
	free(d->run_user);
	free_strv(cfg->plugins, cfg->n_plugins);
	free_strv(cfg->critical, cfg->n_critical);
	free(cfg->plugin_path);
	free(cfg->validation_file);
	for (int i = 0; i < cfg->n_rules; i++)
		rule_free(&cfg->rules[i]);
	free(cfg->rules);
	if (cfg->by_label) {
		label_index_free(cfg->by_label);
		free(cfg->by_label);
	}
	if (cfg->tree) {
		lc_config_t *lc = cfg->tree;
		/* The PIN is in the tree too. */
		cfg_wipe_strings(config_lookup(lc, "daemon.pkcs11_token"));
		config_destroy(lc);
		free(lc);
	}
	free(cfg);
}

config_t *config_ref(config_t *cfg)
{
	if (cfg)
		__atomic_add_fetch(&cfg->refcount, 1, __ATOMIC_RELAXED);
	return cfg;
}

void config_unref(config_t *cfg)
{
	if (cfg && __atomic_sub_fetch(&cfg->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static config_t *current;

config_t *config_current(void)
{
	config_t *cfg;

	pthread_mutex_lock(&current_lock);
	cfg = config_ref(current);
	pthread_mutex_unlock(&current_lock);
	return cfg;
}

void config_set_current(config_t *cfg)
{
	config_t *old;

	config_ref(cfg);
	pthread_mutex_lock(&current_lock);
	old = current;
	current = cfg;
	pthread_mutex_unlock(&current_lock);
	config_unref(old);
}

const rule_t *config_find_rule(const config_t *cfg, const char *label)
{
	int i;

	if (!cfg || !label)
		return NULL;
	if (cfg->by_label) {
		i = label_index_find(cfg->by_label, cfg->rules, label);
		return i < 0 ? NULL : &cfg->rules[i];
	}
	for (i = 0; i < cfg->n_rules; i++) {
		if (cfg->rules[i].label && strcmp(cfg->rules[i].label, label) == 0)
			return &cfg->rules[i];
	}
	return NULL;
}

/* Index the final rules (all labelled and unique by now). */
static void index_rules(config_t *cfg)
{
	label_index_t *ix = xzalloc(sizeof(*ix));

	label_index_init(ix, cfg->n_rules);
	for (int i = 0; i < cfg->n_rules; i++)
		label_index_add(ix, cfg->rules, i);
	cfg->by_label = ix;
}

/* -------------------------------------------------------------- daemon */

/* Directory part of path ("." for none), in fresh memory. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	d = xmalloc((size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

/* path relative to dir unless absolute. */
static char *resolve(const char *dir, const char *path)
{
	char *r;
	size_t len;

	if (path[0] == '/')
		return xstrdup(path);
	len = strlen(dir) + strlen(path) + 2;
	r = xmalloc(len);
	snprintf(r, len, "%s/%s", dir, path);
	return r;
}

static void get_int_into(cfg_ctx_t *ctx, const config_setting_t *g,
                         const char *name, long long min, long long max,
                         int *out)
{
	long long v;

	if (cfg_get_int(ctx, g, name, min, max, &v) > 0)
		*out = (int)v;
}

/* A path member: a relative one is taken relative to the configuration
 * file's directory (as preshared_file is), never to the working directory,
 * which changes when the daemon detaches.  Fresh memory in *out. */
static bool get_path(cfg_ctx_t *ctx, const config_setting_t *g,
                     const char *name, const char *dir, char **out)
{
	const char *s;

	if (cfg_get_str(ctx, g, name, false, &s) <= 0)
		return false;
	free(*out);
	*out = resolve(dir, s);
	return true;
}

static void daemon_defaults(daemon_cfg_t *d)
{
	d->debug_level = xstrdup("op");
	d->debug_logfile = xstrdup(IKEV2D_LOGDIR "/in.ikev2d.log");
	d->ignore_errors = false;
	d->min_threads = 2;
	d->max_threads = 8;
	d->response_wait_time = 30;
	d->fragmentation_enable = false;
	d->fragmentation_mtu = 1350;
	d->pid_file = xstrdup(IKEV2D_RUNSTATEDIR "/in.ikev2d.pid");
	d->ike_port = 500;
	d->natt_port = 4500;
	d->retry_limit = 5;
	d->retry_timer_init_ms = 500;
	d->retry_timer_max_secs = 30;
	d->half_open_max = 10000;
	d->half_open_max_per_peer = 1000;
	d->half_open_timeout_secs = 30;
	d->cookie_threshold = 1000;
	d->nat_keepalive_secs = 20;
	d->start_retry_max_secs = 120;
	d->ke_reuse_secs = 0;
	d->ke_reuse_max_uses = 10000;
	d->user = xstrdup("ikeuser");
	d->seccomp = true;
	d->privsep = true;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* Returns whether preshared_file was given explicitly. */
static bool parse_daemon(cfg_ctx_t *ctx, const config_setting_t *root,
                         config_t *cfg, const char *dir)
{
	const config_setting_t *g = config_setting_get_member(root, "daemon");
	daemon_cfg_t *d = &cfg->daemon;
	const config_setting_t *tok;
	const char *s;
	long long v;
	bool explicit_psk = false;

	daemon_defaults(d);
	d->preshared_file = resolve(dir, "ikev2.preshared");
	d->keystore = resolve(dir, "keystore");
	if (!g)
		return false;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, g, "'daemon' must be a group { ... }, not %s",
		          cfg_type_name(config_setting_type(g)));
		return false;
	}
	cfg_check_keys(ctx, g, daemon_keys, "daemon");

	if (cfg_get_str(ctx, g, "debug_level", false, &s) > 0) {
		uint32_t vm, rm;
		char err[160];
		d->debug_level_explicit = true;
		if (debug_level_parse(s, &vm, &rm, err, sizeof(err)))
			set_str(&d->debug_level, s);
		else
			cfg_error(ctx, config_setting_get_member(g, "debug_level"),
			          "%s", err);
	}
	get_path(ctx, g, "debug_logfile", dir, &d->debug_logfile);
	cfg_get_bool(ctx, g, "ignore_errors", &d->ignore_errors);
	get_int_into(ctx, g, "min_threads", 1, 256, &d->min_threads);
	get_int_into(ctx, g, "max_threads", 1, 1024, &d->max_threads);
	if (d->min_threads > d->max_threads)
		cfg_error(ctx, config_setting_get_member(g, "max_threads") ?
		          config_setting_get_member(g, "max_threads") : g,
		          "max_threads (%d) is below min_threads (%d)",
		          d->max_threads, d->min_threads);
	get_int_into(ctx, g, "response_wait_time", 1, 3600,
	             &d->response_wait_time);
	cfg_get_bool(ctx, g, "fragmentation_enable", &d->fragmentation_enable);
	get_int_into(ctx, g, "fragmentation_mtu", 576, 9216,
	             &d->fragmentation_mtu);
	if (cfg_get_str(ctx, g, "preshared_file", false, &s) > 0) {
		free(d->preshared_file);
		d->preshared_file = resolve(dir, s);
		explicit_psk = true;
	}
	if (cfg_get_str(ctx, g, "keystore", false, &s) > 0) {
		free(d->keystore);
		d->keystore = resolve(dir, s);
	}
	tok = config_setting_get_member(g, "pkcs11_token");
	if (tok && config_setting_type(tok) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, tok, "'pkcs11_token' must be a group { uri = ...; "
		          "pin = ...; }, not %s",
		          cfg_type_name(config_setting_type(tok)));
	} else if (tok) {
		static const char *const tok_keys[] = { "uri", "pin", NULL };
		cfg_check_keys(ctx, tok, tok_keys, "pkcs11_token");
		if (cfg_get_str(ctx, tok, "uri", false, &s) > 0) {
			if (strncmp(s, "pkcs11:", 7) != 0)
				cfg_error(ctx, config_setting_get_member(tok, "uri"),
				          "pkcs11_token uri must be a PKCS#11 URI "
				          "(\"pkcs11:token=...\", RFC 7512)");
			else
				set_str(&d->pkcs11_uri, s);
		} else if (!config_setting_get_member(tok, "uri")) {
			cfg_error(ctx, tok, "pkcs11_token needs 'uri'");
		}
		if (cfg_get_str(ctx, tok, "pin", true, &s) > 0)
			d->pkcs11_pin = xstrdup(s);
	}
	get_path(ctx, g, "pid_file", dir, &d->pid_file);
	if (cfg_get_int(ctx, g, "ike_port", 1, 65535, &v) > 0)
		d->ike_port = (uint16_t)v;
	if (cfg_get_int(ctx, g, "natt_port", 1, 65535, &v) > 0)
		d->natt_port = (uint16_t)v;
	if (d->ike_port == d->natt_port)
		cfg_error(ctx, g, "ike_port and natt_port must differ (both %u)",
		          d->ike_port);
	get_int_into(ctx, g, "retry_limit", 0, 20, &d->retry_limit);
	get_int_into(ctx, g, "retry_timer_init_ms", 100, 60000,
	             &d->retry_timer_init_ms);
	get_int_into(ctx, g, "retry_timer_max_secs", 1, 300,
	             &d->retry_timer_max_secs);
	get_int_into(ctx, g, "half_open_max", 1, 10000000, &d->half_open_max);
	get_int_into(ctx, g, "half_open_max_per_peer", 1, 10000000,
	             &d->half_open_max_per_peer);
	get_int_into(ctx, g, "half_open_timeout_secs", 1, 600,
	             &d->half_open_timeout_secs);
	get_int_into(ctx, g, "cookie_threshold", 0, 10000000,
	             &d->cookie_threshold);
	get_int_into(ctx, g, "nat_keepalive_secs", 0, 3600,
	             &d->nat_keepalive_secs);
	get_int_into(ctx, g, "start_retry_max_secs", 1, 3600,
	             &d->start_retry_max_secs);
	get_int_into(ctx, g, "ke_reuse_secs", 0, KE_REUSE_SECS_MAX,
	             &d->ke_reuse_secs);
	get_int_into(ctx, g, "ke_reuse_max_uses", 1, 10000000,
	             &d->ke_reuse_max_uses);
	if (cfg_get_str(ctx, g, "user", false, &s) > 0) {
		set_str(&d->user, s);
		d->user_explicit = true;
	}
	cfg_get_bool(ctx, g, "seccomp", &d->seccomp);
	cfg_get_bool(ctx, g, "privsep", &d->privsep);
	return explicit_psk;
}

/* daemon.user -> run_uid, run_gid, run_user (see config.h). */
static void resolve_user(cfg_ctx_t *ctx, const config_setting_t *root,
                         daemon_cfg_t *d)
{
	const config_setting_t *g = config_setting_get_member(root, "daemon");
	const config_setting_t *at = g && config_setting_type(g) == CONFIG_TYPE_GROUP ?
	                             config_setting_get_member(g, "user") : NULL;
	char name[64];

	if (geteuid() != 0) {
		/* Not root: no switch possible; the files are ours. */
		struct passwd *pw = getpwuid(geteuid());
		d->run_uid = geteuid();
		d->run_gid = getegid();
		if (pw)
			snprintf(name, sizeof(name), "%s", pw->pw_name);
		else
			snprintf(name, sizeof(name), "%u", (unsigned)geteuid());
		d->run_user = xstrdup(name);
		return;
	}
	struct passwd *pw = getpwnam(d->user);
	if (pw) {
		d->run_uid = pw->pw_uid;
		d->run_gid = pw->pw_gid;
		d->run_user = xstrdup(d->user);
		return;
	}
	d->run_uid = 0;
	d->run_gid = 0;
	d->run_user = xstrdup("root");
	if (d->user_explicit)
		cfg_error(ctx, at, "daemon.user: there is no user '%s' on this system; "
		          "create it (adduser --system --group --no-create-home %s, "
		          "or systemd-sysusers with the shipped sysusers.d file) or set "
		          "daemon.user = \"root\"", d->user, d->user);
	else
		cfg_warn(ctx, NULL, "there is no user '%s' (daemon.user's default): "
		         "in.ikev2d will run as root, with only the capabilities its "
		         "kernel backend needs; create it (adduser --system --group "
		         "--no-create-home %s) or set daemon.user", d->user, d->user);
}

/* The configuration file, the log directory and the keystore belong to
 * the daemon's user or root (the preshared file is checked as it is read). */
static bool keystore_elsewhere;

void config_set_keystore_elsewhere(bool elsewhere)
{
	keystore_elsewhere = elsewhere;
}

static void check_files(cfg_ctx_t *ctx, config_t *cfg, const char *dir)
{
	const daemon_cfg_t *d = &cfg->daemon;
	perm_owner_t owner = { d->run_uid, d->run_user };

	file_perm_check_path(ctx, cfg->path, PERM_FILE, "the configuration file", &owner);
	if (d->debug_logfile) {
		char *logdir = dir_of(d->debug_logfile);
		file_perm_check_path(ctx, logdir, PERM_DIR, "the log directory", &owner);
		free(logdir);
	}
	if (d->keystore && !keystore_elsewhere)
		file_perm_check_keystore(ctx, d->keystore, &owner);
}

/* ------------------------------------------------------------- plugins */

typedef struct {
	char ***v;
	int *n;
	const char *what;
	char **load; int n_load;   /* for 'critical': must be loaded */
} names_t;

static bool name_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	names_t *nm = arg;
	const char *name;

	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    !*config_setting_get_string(s)) {
		cfg_error(ctx, s, "plugins.%s entries must be plugin names "
		          "(strings), not %s", nm->what,
		          cfg_type_name(config_setting_type(s)));
		return false;
	}
	name = config_setting_get_string(s);
	if (strchr(name, '/') || strchr(name, '.')) {
		cfg_error(ctx, s, "plugin name '%s' must be a bare name such as "
		          "\"nettle\" (no path or suffix)", name);
		return false;
	}
	for (int i = 0; i < *nm->n; i++) {
		if (strcmp((*nm->v)[i], name) == 0) {
			cfg_error(ctx, s, "plugin '%s' is listed twice in plugins.%s",
			          name, nm->what);
			return false;
		}
	}
	if (nm->load) {
		bool found = false;
		for (int i = 0; i < nm->n_load; i++)
			found |= strcmp(nm->load[i], name) == 0;
		if (!found) {
			cfg_error(ctx, s, "critical plugin '%s' is not in "
			          "plugins.load", name);
			return false;
		}
	}
	if (*nm->n >= CFG_MAX_PLUGINS) {
		cfg_error(ctx, s, "plugins.%s has more than %d entries", nm->what,
		          CFG_MAX_PLUGINS);
		return false;
	}
	*nm->v = xrealloc(*nm->v, sizeof(char *) * (size_t)(*nm->n + 1));
	(*nm->v)[(*nm->n)++] = xstrdup(name);
	return true;
}

static char *settings_skip;

void config_plugin_settings_skip(const char *plugin)
{
	free(settings_skip);
	settings_skip = plugin && *plugin ? xstrdup(plugin) : NULL;
}

static int check_plugin_groups(cfg_ctx_t *ctx, const config_t *cfg,
                               const config_setting_t *g, bool all_loaded)
{
	int n = config_setting_length(g), errors = 0;

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool loaded = false;

		if (!name || strcmp(name, "load") == 0 ||
		    strcmp(name, "critical") == 0 || strcmp(name, "path") == 0)
			continue;
		if (all_loaded && settings_skip && strcmp(name, settings_skip) == 0)
			continue;
		for (int j = 0; j < cfg->n_plugins; j++)
			loaded |= strcmp(cfg->plugins[j], name) == 0;
		if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
			if (!all_loaded) {
				cfg_error(ctx, m, "unknown keyword '%s' in plugins "
				          "(only load, critical, path and plugin "
				          "groups)", name);
				errors++;
			}
			continue;
		}
		if (!loaded) {
			if (!all_loaded) {
				cfg_error(ctx, m, "plugins.%s: plugin '%s' is not in "
				          "plugins.load", name, name);
				errors++;
			}
			continue;
		}
		errors += settings_check_plugin_group(ctx, name, m, all_loaded);
	}
	return errors;
}

/* plugins.load when the file has none. */
static void default_plugins(config_t *cfg)
{
	static const char *const names[] = {
		"nettle", "gnutls", "psk", "kernel-netlink", "control"
	};

	cfg->n_plugins = (int)(sizeof(names) / sizeof(names[0]));
	cfg->plugins = xmalloc(sizeof(char *) * (size_t)cfg->n_plugins);
	for (int i = 0; i < cfg->n_plugins; i++)
		cfg->plugins[i] = xstrdup(names[i]);
}

static void parse_plugins(cfg_ctx_t *ctx, const config_setting_t *root,
                          config_t *cfg, const char *dir)
{
	const config_setting_t *g = config_setting_get_member(root, "plugins");
	names_t nm;

	if (!g) {
		default_plugins(cfg);
		return;
	}
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, g, "'plugins' must be a group { load = [...]; ... }, "
		          "not %s", cfg_type_name(config_setting_type(g)));
		return;
	}
	nm = (names_t){ &cfg->plugins, &cfg->n_plugins, "load", NULL, 0 };
	if (cfg_each(ctx, g, "load", name_elem, &nm) == 0)
		default_plugins(cfg);
	nm = (names_t){ &cfg->critical, &cfg->n_critical, "critical",
	                cfg->plugins, cfg->n_plugins };
	cfg_each(ctx, g, "critical", name_elem, &nm);
	get_path(ctx, g, "path", dir, &cfg->plugin_path);
	check_plugin_groups(ctx, cfg, g, false);
}

int config_check_plugin_settings(const config_t *cfg)
{
	cfg_ctx_t ctx = { .file = cfg ? cfg->path : NULL };
	const config_setting_t *g;
	char *dir;
	int errors;

	if (!cfg || !cfg->tree)
		return 0;
	g = config_lookup((const lc_config_t *)cfg->tree, "plugins");
	if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP)
		return 0;
	dir = dir_of(cfg->path);
	ctx.dir = dir;
	errors = check_plugin_groups(&ctx, cfg, g, true);
	cfg_ctx_free(&ctx);
	free(dir);
	return errors;
}

/* ---------------------------------------------------------------- load */

/* A PSK rule needs both directions' keys. */
static void check_psk_rules(cfg_ctx_t *ctx, config_t *cfg, rule_meta_t *meta,
                            const char *psk_path)
{
	for (int i = 0; i < cfg->n_rules; i++) {
		rule_t *r = &cfg->rules[i];
		if (meta[i].bad || (r->auth_method != AUTH_PSK &&
		                    r->remote_auth_method != AUTH_PSK))
			continue;
		/* Mixed rules need only the key of their PSK direction. */
		if ((r->auth_method != AUTH_PSK || r->local_key.len) &&
		    (r->remote_auth_method != AUTH_PSK || r->remote_key.len))
			continue;
		ctx->errors++;
		meta[i].bad = true;
		log_error(DBG_CONFIG, "%s:%d: rule '%s' uses auth_method "
		          "preshared but %s has no key for it", meta[i].file,
		          meta[i].line, r->label, psk_path);
	}
}

/* Drop the rules with errors (ignore_errors), saying so. */
static void drop_bad_rules(config_t *cfg, const rule_meta_t *meta)
{
	int kept = 0;

	for (int i = 0; i < cfg->n_rules; i++) {
		if (meta[i].bad) {
			log_error(DBG_CONFIG, "%s:%d: rule '%s' ignored because of "
			          "the errors above (ignore_errors)", meta[i].file,
			          meta[i].line, cfg->rules[i].label ?
			          cfg->rules[i].label : "(no label)");
			rule_free(&cfg->rules[i]);
			continue;
		}
		cfg->rules[kept++] = cfg->rules[i];
	}
	cfg->n_rules = kept;
}

/* ------------------------------------------------ handed-over texts */

static config_reader_t reader;

void config_set_reader(config_reader_t fn)
{
	reader = fn;
}

bool config_reader_active(void)
{
	return reader != NULL;
}

char *config_reader_get(const char *path, size_t *len)
{
	*len = 0;
	return reader ? reader(path, len) : NULL;
}

config_t *config_load(const char *path, int *n_errors)
{
	return config_load_edited(path, NULL, NULL, n_errors);
}

config_t *config_load_with(const char *path, const char *preshared,
                           int *n_errors)
{
	return config_load_edited(path, preshared, NULL, n_errors);
}

config_t *config_load_edited(const char *path, const char *preshared,
                             const config_edits_t *edits, int *n_errors)
{
	cfg_ctx_t ctx = { .file = path };
	lc_config_t *lc;
	config_t *cfg;
	config_setting_t *root;
	cfg_defaults_t globals;
	rule_meta_t *meta = NULL;
	bool explicit_psk, need_psk = false;
	char *dir;
	FILE *f;

	if (n_errors)
		*n_errors = 0;
	if (!path) {
		log_error(DBG_CONFIG, "no configuration file given");
		if (n_errors)
			*n_errors = 1;
		return NULL;
	}
	size_t text_len = 0;
	char *text = config_reader_active() ? config_reader_get(path, &text_len) : NULL;
	if (config_reader_active() && !text) {
		log_error(DBG_CONFIG, "%s: not handed over by the parent", path);
		if (n_errors)
			*n_errors = 1;
		return NULL;
	}
	/* libconfig's own message for this is a bare "file I/O error". */
	f = text ? NULL : fopen(path, "r");
	if (!text && !f) {
		log_error(DBG_CONFIG, "%s: cannot read: %s", path, strerror(errno));
		if (n_errors)
			*n_errors = 1;
		return NULL;
	}
	if (f)
		fclose(f);

	dir = dir_of(path);
	ctx.dir = dir;
	lc = xzalloc(sizeof(*lc));
	config_init(lc);
	config_set_include_dir(lc, dir);
	bool read_ok = text ? config_read_string(lc, text) : config_read_file(lc, path);
	if (text) {
		memwipe(text, text_len);
		free(text);
	}
	if (!read_ok) {
		cfg_error_at(&ctx, cfg_resolve(&ctx, config_error_file(lc)),
		             config_error_line(lc), "%s",
		             cfg_syntax_message(config_error_text(lc)));
		config_destroy(lc);
		free(lc);
		cfg_ctx_free(&ctx);
		free(dir);
		if (n_errors)
			*n_errors = ctx.errors;
		return NULL;
	}
	cfg = xzalloc(sizeof(*cfg));
	cfg->refcount = 1;
	cfg->path = xstrdup(path);
	cfg->tree = lc;
	root = config_root_setting(lc);
	/* ikeadm's changes, checked below as the file's own rules are */
	config_edits_apply_rules(&ctx, root, edits);

	cfg_check_keys(&ctx, root, top_keys, "the top level");
	explicit_psk = parse_daemon(&ctx, root, cfg, dir);
	if (preshared) {
		free(cfg->daemon.preshared_file);
		cfg->daemon.preshared_file = xstrdup(preshared);
		explicit_psk = true;
	}
	resolve_user(&ctx, root, &cfg->daemon);
	/* Under privsep the engine gets the text from the parent, which
	 * checked the files' owners and modes. */
	if (!config_reader_active())
		check_files(&ctx, cfg, dir);
	if (cfg->daemon.pkcs11_pin && !config_reader_active()) {
		struct stat st;
		if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
			cfg_warn(&ctx, config_lookup(lc, "daemon.pkcs11_token.pin"),
			         "the PKCS#11 PIN is in a file that group or others "
			         "can read (mode %04o); chmod 600 %s",
			         (unsigned)(st.st_mode & 07777), path);
	}
	parse_plugins(&ctx, root, cfg, dir);
	cfg_validation_parse(&ctx, root, dir, &cfg->validation,
	                     &cfg->validation_file, &cfg->validation_line);
	cfg_defaults_init(&globals);
	cfg_defaults_parse(&ctx, root, &globals, true);
	cfg_rules_parse(&ctx, root, &globals, cfg, &meta);
	cfg_defaults_free(&globals);
	if (meta)
		cfg_check_on_demand(&ctx, cfg, meta);

	for (int i = 0; i < cfg->n_rules; i++)
		need_psk |= cfg->rules[i].auth_method == AUTH_PSK ||
		            cfg->rules[i].remote_auth_method == AUTH_PSK;
	if (need_psk || explicit_psk) {
		if (preshared_load(&ctx, cfg->daemon.preshared_file,
		                   need_psk || explicit_psk, cfg, meta, edits))
			check_psk_rules(&ctx, cfg, meta, cfg->daemon.preshared_file);
	}

	if (n_errors)
		*n_errors = ctx.errors;
	if (ctx.fatal || (ctx.errors && !cfg->daemon.ignore_errors)) {
		free(meta);
		cfg_ctx_free(&ctx);
		free(dir);
		config_unref(cfg);
		return NULL;
	}
	if (ctx.errors)
		drop_bad_rules(cfg, meta);
	index_rules(cfg);
	/* The tree stays for settings_get_*(), which plugins use for daemon
	 * and plugins.* keys; the rules live on in cfg->rules, so their
	 * part of the tree (most of it in a large file) can go. */
	config_setting_remove(root, "rules");
	log_verbose(DBG_CONFIG, "%s: %d rule%s loaded", path, cfg->n_rules,
	            cfg->n_rules == 1 ? "" : "s");
	free(meta);
	cfg_ctx_free(&ctx);
	free(dir);
	return cfg;
}
