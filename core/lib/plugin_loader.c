/*
 * plugin_loader.c - find, open and check plugin modules with libltdl, then
 * resolve their features.
 *
 * Resolution works on "entries": one per PROVIDE in every plugin, in load
 * list order, each with the DEPENDS/SDEPEND lines that follow it.  Passes
 * over the pending entries repeat until nothing changes, so a need on a
 * plugin later in the list resolves as well as one on an earlier plugin.  In
 * each pass an entry
 *   - is shadowed when another entry already provides its name (first in
 *     load order wins: an entry also waits while an earlier entry of the
 *     same name is still pending);
 *   - fails when a hard need has no loaded provider and no pending one that
 *     could still load;
 *   - waits while a hard need is pending, or a soft need has a pending
 *     provider (so soft needs load first when they can);
 *   - otherwise is activated through its callback (false = missing).
 * When a pass makes no progress, soft waits are dropped; if it still makes
 * none, the remaining entries are in a cycle or wait on one: the first
 * such entry fails and resolution continues, so the rest fail naming the
 * need that is really missing.
 */
#include "plugin_loader.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <ltdl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef IKEV2D_PLUGINDIR
#define IKEV2D_PLUGINDIR "/usr/local/lib/ikev2d/plugins"
#endif

/* Plugin names: a module file name, never a path. */
#define PLUGIN_NAME_MAX 64

typedef struct {
	char *name;
	char *file;              /* where it was loaded from, for logs */
	lt_dlhandle handle;
	ikev2d_plugin_t *plugin;
	int n_loaded;            /* features loaded */
	bool gone;               /* unloaded for having nothing left */
} lplugin_t;

typedef enum {
	FS_PENDING,
	FS_LOADED,
	FS_FAILED,
	FS_SHADOWED,
} fstate_t;

typedef struct {
	lplugin_t *owner;
	const plugin_feature_t *provide;
	const plugin_feature_t *needs;  /* DEPENDS/SDEPEND after provide */
	size_t n_needs;
	fstate_t state;
} fentry_t;

/* Written only by the thread that loads and unloads, under the write lock;
 * the queries take the read lock. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static lplugin_t **plugins;
static size_t n_plugins;
static fentry_t *entries;
static size_t n_entries;
static size_t *load_order;      /* indices into entries, in activation order */
static size_t n_load_order;
static bool ltdl_ready;

/* ------------------------------------------------------------ matching */

/* Whether a need ("prf:hmac-sha256", or "prf:*") is met by a feature name. */
static bool need_matches(const char *need, const char *feature)
{
	size_t len = strlen(need);

	if (len > 0 && need[len - 1] == '*')
		return strncmp(need, feature, len - 1) == 0;
	return strcmp(need, feature) == 0;
}

static bool any_entry_in_state(const char *need, fstate_t state, size_t skip)
{
	for (size_t i = 0; i < n_entries; i++)
		if (i != skip && entries[i].state == state &&
		    need_matches(need, entries[i].provide->name))
			return true;
	return false;
}

static bool need_met(const char *need)
{
	return any_entry_in_state(need, FS_LOADED, (size_t)-1);
}

static bool need_pending(const char *need, size_t self)
{
	return any_entry_in_state(need, FS_PENDING, self);
}

/* ------------------------------------------------------------ finding */

static bool valid_plugin_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > PLUGIN_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	}
	return true;
}

static char *configured_path;   /* plugin_loader_set_path() */

void plugin_loader_set_path(const char *path)
{
	free(configured_path);
	configured_path = path && *path ? xstrdup(path) : NULL;
}

static const char *search_path(void)
{
	const char *env = getenv("IKEV2D_PLUGIN_PATH");

	if (env && *env)
		return env;
	return configured_path ? configured_path : IKEV2D_PLUGINDIR;
}

static bool file_exists(const char *dir, size_t dirlen, const char *name,
                        const char *ext, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%.*s/%s%s", (int)dirlen, dir, name, ext);

	return n > 0 && (size_t)n < outlen && access(out, R_OK) == 0;
}

/* Find the module file of a plugin: dir/name.la or dir/name.so in the first
 * directory of the search path that has one.  Fills base ("dir/name", for
 * lt_dlopenext) and returns true when found. */
static bool find_module(const char *name, char *base, size_t baselen)
{
	const char *path = search_path();
	char probe[4096];

	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		if (len > 0 &&
		    (file_exists(path, len, name, ".la", probe, sizeof(probe)) ||
		     file_exists(path, len, name, ".so", probe, sizeof(probe)))) {
			int n = snprintf(base, baselen, "%.*s/%s", (int)len, path, name);
			return n > 0 && (size_t)n < baselen;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

/* ------------------------------------------------------------ opening */

static lplugin_t *find_plugin(const char *name)
{
	for (size_t i = 0; i < n_plugins; i++)
		if (!plugins[i]->gone && strcmp(plugins[i]->name, name) == 0)
			return plugins[i];
	return NULL;
}

/* Add the entries of a plugin's feature list; false if the list is unusable. */
static bool add_entries(lplugin_t *lp)
{
	const plugin_feature_t *f = NULL;
	size_t n = lp->plugin->get_features ?
	           lp->plugin->get_features(lp->plugin, &f) : 0;

	if (n == 0 || !f) {
		log_error(DBG_PLUGIN, "plugin '%s' declares no features", lp->name);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (!f[i].name || !*f[i].name) {
			log_error(DBG_PLUGIN, "plugin '%s': feature %zu has no name",
			          lp->name, i);
			return false;
		}
		if (f[i].kind != FEATURE_PROVIDE && f[i].kind != FEATURE_DEPENDS &&
		    f[i].kind != FEATURE_SDEPEND) {
			log_error(DBG_PLUGIN, "plugin '%s': feature '%s' has an unknown kind %d",
			          lp->name, f[i].name, (int)f[i].kind);
			return false;
		}
	}
	if (f[0].kind != FEATURE_PROVIDE) {
		log_error(DBG_PLUGIN, "plugin '%s': need '%s' comes before any provided "
		          "feature", lp->name, f[0].name);
		return false;
	}
	pthread_rwlock_wrlock(&lock);
	for (size_t i = 0; i < n; i++) {
		if (f[i].kind != FEATURE_PROVIDE) {
			entries[n_entries - 1].n_needs++;
			continue;
		}
		entries = xrealloc(entries, (n_entries + 1) * sizeof(*entries));
		entries[n_entries++] = (fentry_t){
			.owner = lp, .provide = &f[i], .needs = &f[i + 1],
			.n_needs = 0, .state = FS_PENDING,
		};
	}
	pthread_rwlock_unlock(&lock);
	return true;
}

static void close_plugin(lplugin_t *lp)
{
	if (lp->plugin && lp->plugin->destroy)
		lp->plugin->destroy(lp->plugin);
	lp->plugin = NULL;
	if (lp->handle)
		lt_dlclose(lp->handle);
	lp->handle = NULL;
}

/* Open one plugin and check it; on success it joins the plugin list. */
static void open_plugin(const char *name)
{
	char base[4096];

	if (!valid_plugin_name(name)) {
		log_error(DBG_PLUGIN, "plugin name '%s' is invalid: use letters, digits, "
		          "'-' and '_' (a module name, not a path)", name);
		return;
	}
	if (find_plugin(name)) {
		log_error(DBG_PLUGIN, "plugin '%s' is listed twice; loading it once", name);
		return;
	}
	if (!find_module(name, base, sizeof(base))) {
		log_error(DBG_PLUGIN, "plugin '%s' not found (looked for %s.la and %s.so in %s)",
		          name, name, name, search_path());
		return;
	}
	log_verbose(DBG_PLUGIN, "opening plugin '%s' from %s", name, base);

	lt_dlhandle h = lt_dlopenext(base);
	if (!h) {
		const char *err = lt_dlerror();
		log_error(DBG_PLUGIN, "plugin '%s' cannot be opened (%s): %s", name, base,
		          err ? err : "unknown error");
		return;
	}
	const char *abi = lt_dlsym(h, IKEV2D_PLUGIN_ABI_SYMBOL);
	if (!abi) {
		log_error(DBG_PLUGIN, "plugin '%s' (%s) is not an ikev2d plugin: it does not "
		          "export '%s'", name, base, IKEV2D_PLUGIN_ABI_SYMBOL);
		lt_dlclose(h);
		return;
	}
	if (strcmp(abi, IKEV2D_PLUGIN_ABI) != 0) {
		log_error(DBG_PLUGIN, "plugin '%s' (%s) refused: built for ABI '%.64s', this "
		          "daemon has '%s'; rebuild the plugin against this ikev2d's headers",
		          name, base, abi, IKEV2D_PLUGIN_ABI);
		lt_dlclose(h);
		return;
	}
	/* Function pointer from a data pointer: the libltdl idiom. */
	ikev2d_plugin_create_t create;
	void *sym = lt_dlsym(h, IKEV2D_PLUGIN_CREATE_SYMBOL);
	memcpy(&create, &sym, sizeof(create));
	if (!create) {
		log_error(DBG_PLUGIN, "plugin '%s' (%s) refused: it does not export '%s'",
		          name, base, IKEV2D_PLUGIN_CREATE_SYMBOL);
		lt_dlclose(h);
		return;
	}
	ikev2d_plugin_t *plugin = create();
	if (!plugin) {
		log_error(DBG_PLUGIN, "plugin '%s' failed to initialise", name);
		lt_dlclose(h);
		return;
	}
	if (!plugin->name || strcmp(plugin->name, name) != 0)
		log_verbose(DBG_PLUGIN, "plugin '%s' calls itself '%s'", name,
		            plugin->name ? plugin->name : "(null)");

	lplugin_t *lp = xzalloc(sizeof(*lp));
	lp->name = xstrdup(name);
	lp->file = xstrdup(base);
	lp->handle = h;
	lp->plugin = plugin;
	if (!add_entries(lp)) {
		close_plugin(lp);
		free(lp->name);
		free(lp->file);
		free(lp);
		return;
	}
	pthread_rwlock_wrlock(&lock);
	plugins = xrealloc(plugins, (n_plugins + 1) * sizeof(*plugins));
	plugins[n_plugins++] = lp;
	pthread_rwlock_unlock(&lock);
}

/* ------------------------------------------------------------ resolving */

static void set_state(size_t i, fstate_t state)
{
	pthread_rwlock_wrlock(&lock);
	entries[i].state = state;
	if (state == FS_LOADED) {
		entries[i].owner->n_loaded++;
		load_order = xrealloc(load_order, (n_load_order + 1) * sizeof(*load_order));
		load_order[n_load_order++] = i;
	}
	pthread_rwlock_unlock(&lock);
}

/* An earlier pending entry of the same name goes first. */
static bool earlier_pending_same_name(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (entries[j].state == FS_PENDING &&
		    strcmp(entries[j].provide->name, entries[i].provide->name) == 0)
			return true;
	return false;
}

static bool name_loaded(const char *name)
{
	for (size_t j = 0; j < n_entries; j++)
		if (entries[j].state == FS_LOADED &&
		    strcmp(entries[j].provide->name, name) == 0)
			return true;
	return false;
}

/* The first hard need of entry i that is not loaded, or NULL. */
static const char *first_unmet(size_t i)
{
	for (size_t k = 0; k < entries[i].n_needs; k++) {
		const plugin_feature_t *need = &entries[i].needs[k];
		if (need->kind == FEATURE_DEPENDS && !need_met(need->name))
			return need->name;
	}
	return NULL;
}

static bool soft_need_pending(size_t i)
{
	for (size_t k = 0; k < entries[i].n_needs; k++) {
		const plugin_feature_t *need = &entries[i].needs[k];
		if (need->kind == FEATURE_SDEPEND && !need_met(need->name) &&
		    need_pending(need->name, i))
			return true;
	}
	return false;
}

static void fail_entry(size_t i, const char *why_fmt, const char *need)
{
	fentry_t *e = &entries[i];

	set_state(i, FS_FAILED);
	log_op(DBG_PLUGIN, "feature '%s' of plugin '%s' disabled: %s '%s'",
	       e->provide->name, e->owner->name, why_fmt, need);
}

/* Try to make progress on entry i; true if its state changed. */
static bool step(size_t i, bool relax_soft)
{
	fentry_t *e = &entries[i];

	if (name_loaded(e->provide->name)) {
		set_state(i, FS_SHADOWED);
		log_verbose(DBG_PLUGIN, "feature '%s' of plugin '%s' not used: an earlier "
		            "plugin provides it", e->provide->name, e->owner->name);
		return true;
	}
	if (earlier_pending_same_name(i))
		return false;

	const char *unmet = first_unmet(i);
	if (unmet) {
		if (need_pending(unmet, i))
			return false;
		fail_entry(i, "it needs", unmet);
		return true;
	}
	if (!relax_soft && soft_need_pending(i))
		return false;

	if (e->provide->cb && !e->provide->cb(e->owner->plugin, e->provide, true)) {
		set_state(i, FS_FAILED);
		log_op(DBG_PLUGIN, "feature '%s' of plugin '%s' disabled: the plugin could "
		       "not provide it", e->provide->name, e->owner->name);
		return true;
	}
	set_state(i, FS_LOADED);
	log_verbose(DBG_PLUGIN, "feature '%s' loaded from plugin '%s'",
	            e->provide->name, e->owner->name);
	return true;
}

/* At a standstill: fail the first pending entry that is not merely waiting
 * for an earlier provider of its own name (a cycle, or waiting on one). */
static bool break_standstill(void)
{
	for (size_t i = 0; i < n_entries; i++) {
		if (entries[i].state != FS_PENDING || earlier_pending_same_name(i))
			continue;
		const char *unmet = first_unmet(i);
		fail_entry(i, "circular or unresolvable need", unmet ? unmet : "?");
		return true;
	}
	return false;
}

static void resolve(void)
{
	bool relax_soft = false;

	for (;;) {
		bool progress = false;
		bool pending = false;

		for (size_t i = 0; i < n_entries; i++) {
			if (entries[i].state != FS_PENDING)
				continue;
			if (step(i, relax_soft))
				progress = true;
			else
				pending = true;
		}
		if (!pending)
			return;
		if (progress)
			continue;
		if (!relax_soft) {
			relax_soft = true;
			continue;
		}
		if (!break_standstill())
			return;
	}
}

/* Close plugins left without a loaded feature. */
static void drop_empty_plugins(void)
{
	for (size_t i = 0; i < n_plugins; i++) {
		lplugin_t *lp = plugins[i];
		if (lp->gone || lp->n_loaded > 0)
			continue;
		bool pending = false;
		for (size_t j = 0; j < n_entries; j++)
			if (entries[j].owner == lp && entries[j].state == FS_PENDING)
				pending = true;
		if (pending)
			continue;
		log_op(DBG_PLUGIN, "plugin '%s' unloaded: none of its features could be "
		       "loaded", lp->name);
		pthread_rwlock_wrlock(&lock);
		lp->gone = true;
		pthread_rwlock_unlock(&lock);
		close_plugin(lp);
	}
}

bool plugin_loader_load(const char *const *names, int n_names,
                        const char *const *critical, int n_critical)
{
	if (!ltdl_ready) {
		if (lt_dlinit() != 0) {
			log_error(DBG_PLUGIN, "cannot initialise libltdl: %s", lt_dlerror());
			return false;
		}
		ltdl_ready = true;
	}
	for (int i = 0; i < n_names; i++)
		if (names[i])
			open_plugin(names[i]);
	resolve();
	drop_empty_plugins();

	bool ok = true;
	for (int i = 0; i < n_critical; i++) {
		if (!critical[i] || plugin_loader_plugin_loaded(critical[i]))
			continue;
		bool listed = false;
		for (int j = 0; j < n_names; j++)
			if (names[j] && strcmp(names[j], critical[i]) == 0)
				listed = true;
		log_error(DBG_PLUGIN, "critical plugin '%s' is not loaded%s", critical[i],
		          listed ? " (see the messages above)" : ": it is not in the load list");
		ok = false;
	}
	return ok;
}

bool plugin_loader_require(const char *const *features, int n)
{
	bool ok = true;

	for (int i = 0; i < n; i++) {
		if (!features[i] || plugin_feature_loaded(features[i]))
			continue;
		log_error(DBG_PLUGIN, "no loaded plugin provides '%s', which the daemon "
		          "cannot run without: add a plugin that provides it to plugins.load",
		          features[i]);
		ok = false;
	}
	return ok;
}

void plugin_loader_unload(void)
{
	/* Features in reverse activation order: dependents go first. */
	while (n_load_order > 0) {
		size_t i = load_order[n_load_order - 1];
		fentry_t *e = &entries[i];
		pthread_rwlock_wrlock(&lock);
		n_load_order--;
		e->state = FS_FAILED;
		e->owner->n_loaded--;
		pthread_rwlock_unlock(&lock);
		if (e->provide->cb)
			e->provide->cb(e->owner->plugin, e->provide, false);
		log_verbose(DBG_PLUGIN, "feature '%s' of plugin '%s' unloaded",
		            e->provide->name, e->owner->name);
	}
	pthread_rwlock_wrlock(&lock);
	lplugin_t **old = plugins;
	size_t n_old = n_plugins;
	plugins = NULL;
	n_plugins = 0;
	free(entries);
	entries = NULL;
	n_entries = 0;
	free(load_order);
	load_order = NULL;
	pthread_rwlock_unlock(&lock);

	for (size_t i = n_old; i-- > 0;) {
		close_plugin(old[i]);
		free(old[i]->name);
		free(old[i]->file);
		free(old[i]);
	}
	free(old);
	if (ltdl_ready) {
		lt_dlexit();
		ltdl_ready = false;
	}
}

/* ------------------------------------------------------------ queries */

bool plugin_feature_loaded(const char *name)
{
	if (!name)
		return false;
	pthread_rwlock_rdlock(&lock);
	bool found = need_met(name);
	pthread_rwlock_unlock(&lock);
	return found;
}

const char *plugin_feature_provider(const char *feature)
{
	const char *who = NULL;

	if (!feature)
		return NULL;
	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < n_entries && !who; i++)
		if (entries[i].state == FS_LOADED &&
		    strcmp(entries[i].provide->name, feature) == 0)
			who = entries[i].owner->name;
	pthread_rwlock_unlock(&lock);
	return who;
}

bool plugin_loader_plugin_loaded(const char *name)
{
	bool found = false;

	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < n_plugins; i++)
		if (!plugins[i]->gone && plugins[i]->n_loaded > 0 &&
		    strcmp(plugins[i]->name, name) == 0)
			found = true;
	pthread_rwlock_unlock(&lock);
	return found;
}

int plugin_loader_count(void)
{
	int n = 0;

	pthread_rwlock_rdlock(&lock);
	for (size_t i = 0; i < n_plugins; i++)
		if (!plugins[i]->gone && plugins[i]->n_loaded > 0)
			n++;
	pthread_rwlock_unlock(&lock);
	return n;
}

void plugin_loader_foreach(plugin_list_cb_t cb, void *ctx)
{
	pthread_rwlock_rdlock(&lock);
	for (size_t p = 0; p < n_plugins; p++) {
		for (size_t i = 0; i < n_entries; i++)
			if (entries[i].owner == plugins[p] && entries[i].state == FS_LOADED)
				cb(plugins[p]->name, entries[i].provide->name, ctx);
	}
	pthread_rwlock_unlock(&lock);
}

typedef struct {
	char *buf;
	size_t len, cap;
	const char *last_plugin;
} summary_t;

static void append(summary_t *s, const char *a, const char *b)
{
	size_t need = strlen(a) + strlen(b);

	if (s->len + need + 1 > s->cap) {
		s->cap = 2 * (s->len + need + 1);
		s->buf = xrealloc(s->buf, s->cap);
	}
	s->len += (size_t)sprintf(s->buf + s->len, "%s%s", a, b);
}

static void summary_cb(const char *plugin, const char *feature, void *ctx)
{
	summary_t *s = ctx;

	if (!s->last_plugin || strcmp(s->last_plugin, plugin) != 0) {
		if (s->last_plugin)
			append(s, "; ", "");
		append(s, plugin, ":");
		s->last_plugin = plugin;
	}
	append(s, " ", feature);
}

char *plugin_loader_summary(void)
{
	summary_t s = { .buf = xstrdup(""), .cap = 1 };

	plugin_loader_foreach(summary_cb, &s);
	return s.buf;
}

void plugin_loader_log_loaded(void)
{
	char *all = plugin_loader_summary();
	char *save = NULL;

	/* One line per plugin: split the summary at its "; " separators. */
	for (char *part = strtok_r(all, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		while (*part == ' ')
			part++;
		log_op(DBG_PLUGIN, "loaded plugin %s", part);
	}
	if (!*all)
		log_op(DBG_PLUGIN, "no plugin loaded");
	free(all);
}
