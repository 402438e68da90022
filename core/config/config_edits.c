/*
 * config_edits.c - ikeadm's changes to the running configuration, applied
 * to the parsed trees of the configuration and preshared files (see
 * config_edits.h).
 */
#define _GNU_SOURCE  /* open_memstream */
#include "config/config_edits.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ADD_RULE, DEL_RULE, ADD_KEY, DEL_KEY } edit_kind_t;

typedef struct {
	edit_kind_t kind;
	char *text;      /* an added entry's text, or the deleted label */
} edit_t;

struct config_edits {
	edit_t *v;
	int n;
};

config_edits_t *config_edits_new(void)
{
	return xzalloc(sizeof(config_edits_t));
}

static void edit_clear(edit_t *e)
{
	if (e->text) {
		memwipe(e->text, strlen(e->text));
		free(e->text);
	}
	e->text = NULL;
}

void config_edits_free(config_edits_t *ed)
{
	if (!ed)
		return;
	for (int i = 0; i < ed->n; i++)
		edit_clear(&ed->v[i]);
	free(ed->v);
	free(ed);
}

static void push(config_edits_t *ed, edit_kind_t kind, const char *text)
{
	ed->v = xrealloc(ed->v, sizeof(edit_t) * (size_t)(ed->n + 1));
	ed->v[ed->n].kind = kind;
	ed->v[ed->n].text = xstrdup(text);
	ed->n++;
}

config_edits_t *config_edits_join(const config_edits_t *ed,
                                  const config_edits_t *more)
{
	config_edits_t *j = config_edits_new();
	const config_edits_t *parts[2] = { ed, more };
	for (int p = 0; p < 2; p++)
		for (int i = 0; parts[p] && i < parts[p]->n; i++)
			push(j, parts[p]->v[i].kind, parts[p]->v[i].text);
	return j;
}

int config_edits_count(const config_edits_t *ed)
{
	return ed ? ed->n : 0;
}

/* ------------------------------------------------------ entry text */

/* Parse text as one group ("{ ... }", the braces optional) into lc as
 * the member "entry"; false with err (libconfig's message and the line
 * within the text, never the text itself). */
static bool parse_entry(lc_config_t *lc, const char *text, char *err,
                        size_t errlen)
{
	size_t len = strlen(text);
	if (len > CONFIG_EDIT_MAX_TEXT) {
		snprintf(err, errlen, "longer than %d bytes", CONFIG_EDIT_MAX_TEXT);
		return false;
	}
	const char *p = text;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	bool braces = *p == '{';
	size_t cap = len + 32;
	char *buf = xmalloc(cap);
	snprintf(buf, cap, "entry = %s%s%s;", braces ? "" : "{ ", text,
	         braces ? "" : " }");
	config_init(lc);
	bool ok = config_read_string(lc, buf);
	if (!ok)
		snprintf(err, errlen, "line %d: %s", config_error_line(lc),
		         cfg_syntax_message(config_error_text(lc)));
	memwipe(buf, strlen(buf));
	free(buf);
	if (ok) {
		const config_setting_t *e =
			config_setting_get_member(config_root_setting(lc), "entry");
		if (!e || config_setting_type(e) != CONFIG_TYPE_GROUP) {
			snprintf(err, errlen, "not one group { ... }");
			ok = false;
		}
	}
	if (!ok) {
		cfg_wipe_strings(config_root_setting(lc));
		config_destroy(lc);
	}
	return ok;
}

static config_setting_t *entry_of(lc_config_t *lc)
{
	return config_setting_get_member(config_root_setting(lc), "entry");
}

/* The string label of a group, or the first of a list of them. */
static const char *label_of(const config_setting_t *g)
{
	const config_setting_t *l = config_setting_get_member(g, "label");
	if (!l)
		return NULL;
	if (config_setting_type(l) == CONFIG_TYPE_STRING)
		return config_setting_get_string(l);
	if ((config_setting_type(l) == CONFIG_TYPE_LIST ||
	     config_setting_type(l) == CONFIG_TYPE_ARRAY) &&
	    config_setting_length(l) > 0) {
		const config_setting_t *f = config_setting_get_elem(l, 0);
		if (config_setting_type(f) == CONFIG_TYPE_STRING)
			return config_setting_get_string(f);
	}
	return NULL;
}

static bool add_entry(config_edits_t *ed, edit_kind_t kind, const char *text,
                      char *label_out, size_t label_len, char *err,
                      size_t errlen)
{
	lc_config_t lc;
	if (!parse_entry(&lc, text, err, errlen))
		return false;
	const config_setting_t *e = entry_of(&lc);
	const config_setting_t *l = config_setting_get_member(e, "label");
	const char *label = label_of(e);
	bool ok = label && *label &&
	          (kind == ADD_KEY || config_setting_type(l) == CONFIG_TYPE_STRING);
	if (!ok)
		snprintf(err, errlen, kind == ADD_RULE ?
		         "the rule needs a label = \"...\";" :
		         "the entry needs a label = \"...\"; (or a list of them)");
	else {
		if (label_out)
			snprintf(label_out, label_len, "%s", label);
		push(ed, kind, text);
	}
	cfg_wipe_strings(config_root_setting(&lc));
	config_destroy(&lc);
	return ok;
}

bool config_edits_add_rule(config_edits_t *ed, const char *text,
                           char *label_out, size_t label_len,
                           char *err, size_t errlen)
{
	return add_entry(ed, ADD_RULE, text, label_out, label_len, err, errlen);
}

bool config_edits_add_key(config_edits_t *ed, const char *text,
                          char *label_out, size_t label_len,
                          char *err, size_t errlen)
{
	return add_entry(ed, ADD_KEY, text, label_out, label_len, err, errlen);
}

void config_edits_del_rule(config_edits_t *ed, const char *label)
{
	push(ed, DEL_RULE, label);
}

void config_edits_del_key(config_edits_t *ed, const char *label)
{
	push(ed, DEL_KEY, label);
}

/* ------------------------------------------------------ tree copy */

/* libconfig has no deep copy: src (a setting of another tree) becomes a
 * new child of parent, named as src for a group parent. */
static bool copy_setting(config_setting_t *parent, const config_setting_t *src)
{
	int type = config_setting_type(src);
	const char *name = config_setting_type(parent) == CONFIG_TYPE_GROUP ?
	                   config_setting_name(src) : NULL;
	config_setting_t *d = config_setting_add(parent, name, type);
	if (!d)
		return false;
	switch (type) {
	case CONFIG_TYPE_INT:
		config_setting_set_int(d, config_setting_get_int(src));
		config_setting_set_format(d, config_setting_get_format(src));
		return true;
	case CONFIG_TYPE_INT64:
		config_setting_set_int64(d, config_setting_get_int64(src));
		config_setting_set_format(d, config_setting_get_format(src));
		return true;
	case CONFIG_TYPE_FLOAT:
		return config_setting_set_float(d, config_setting_get_float(src));
	case CONFIG_TYPE_BOOL:
		return config_setting_set_bool(d, config_setting_get_bool(src));
	case CONFIG_TYPE_STRING:
		return config_setting_set_string(d, config_setting_get_string(src));
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY:
		for (int i = 0; i < config_setting_length(src); i++)
			if (!copy_setting(d, config_setting_get_elem(src, (unsigned)i)))
				return false;
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------ applying */

/* The list "name" of root, made when absent; NULL (reported) when root
 * has a member of that name that is not a list. */
static config_setting_t *list_of(cfg_ctx_t *ctx, config_setting_t *root,
                                 const char *name)
{
	config_setting_t *l = config_setting_get_member(root, name);
	if (!l)
		l = config_setting_add(root, name, CONFIG_TYPE_LIST);
	else if (config_setting_type(l) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, l, "'%s' must be a list for ikeadm's changes", name);
		return NULL;
	}
	return l;
}

static void add_into(cfg_ctx_t *ctx, config_setting_t *list, const edit_t *e)
{
	lc_config_t lc;
	char err[160];
	if (!parse_entry(&lc, e->text, err, sizeof(err))) {
		cfg_error(ctx, NULL, "ikeadm add %s: %s", e->kind == ADD_RULE ?
		          "rule" : "preshared", err);
		return;
	}
	if (!copy_setting(list, entry_of(&lc)))
		cfg_error(ctx, NULL, "ikeadm add %s: cannot copy the entry",
		          e->kind == ADD_RULE ? "rule" : "preshared");
	cfg_wipe_strings(config_root_setting(&lc));
	config_destroy(&lc);
}

static bool is_str(const config_setting_t *s, const char *v)
{
	return s && config_setting_type(s) == CONFIG_TYPE_STRING &&
	       strcmp(config_setting_get_string(s), v) == 0;
}

/* Remove label from the keys entries (an entry naming more labels keeps
 * the others); the number of entries it was taken out of. */
static int drop_key_label(config_setting_t *keys, const char *label)
{
	int found = 0;
	for (int i = config_setting_length(keys) - 1; i >= 0; i--) {
		config_setting_t *e = config_setting_get_elem(keys, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			continue;
		config_setting_t *l = config_setting_get_member(e, "label");
		if (is_str(l, label)) {
			found++;
			cfg_wipe_strings(e);
			config_setting_remove_elem(keys, (unsigned)i);
			continue;
		}
		if (!l || (config_setting_type(l) != CONFIG_TYPE_LIST &&
		           config_setting_type(l) != CONFIG_TYPE_ARRAY))
			continue;
		for (int j = config_setting_length(l) - 1; j >= 0; j--)
			if (is_str(config_setting_get_elem(l, (unsigned)j), label)) {
				found++;
				config_setting_remove_elem(l, (unsigned)j);
			}
		if (config_setting_length(l) == 0) {
			cfg_wipe_strings(e);
			config_setting_remove_elem(keys, (unsigned)i);
		}
	}
	return found;
}

void config_edits_apply_rules(cfg_ctx_t *ctx, config_setting_t *root,
                              const config_edits_t *ed)
{
	if (!config_edits_count(ed))
		return;
	config_setting_t *rules = list_of(ctx, root, "rules");
	if (!rules)
		return;
	for (int i = 0; i < ed->n; i++) {
		const edit_t *e = &ed->v[i];
		if (e->kind == ADD_RULE) {
			add_into(ctx, rules, e);
		} else if (e->kind == DEL_RULE) {
			int found = 0;
			for (int k = config_setting_length(rules) - 1; k >= 0; k--) {
				config_setting_t *r = config_setting_get_elem(rules, (unsigned)k);
				if (config_setting_type(r) == CONFIG_TYPE_GROUP &&
				    is_str(config_setting_get_member(r, "label"), e->text)) {
					config_setting_remove_elem(rules, (unsigned)k);
					found++;
				}
			}
			if (!found)
				cfg_error(ctx, NULL, "ikeadm del rule: there is no rule '%s'",
				          e->text);
		}
	}
}

void config_edits_apply_keys(cfg_ctx_t *ctx, config_setting_t *root,
                             const config_edits_t *ed)
{
	bool any = false;
	for (int i = 0; i < config_edits_count(ed); i++)
		any |= ed->v[i].kind == ADD_KEY || ed->v[i].kind == DEL_KEY;
	if (!any)
		return;
	config_setting_t *keys = list_of(ctx, root, "keys");
	if (!keys)
		return;
	for (int i = 0; i < ed->n; i++) {
		const edit_t *e = &ed->v[i];
		if (e->kind == DEL_KEY) {
			if (!drop_key_label(keys, e->text))
				cfg_error(ctx, NULL, "ikeadm del preshared: there is no "
				          "key for label '%s'", e->text);
		} else if (e->kind == ADD_KEY) {
			/* it replaces the keys of the labels it names */
			lc_config_t lc;
			char err[160];
			if (parse_entry(&lc, e->text, err, sizeof(err))) {
				const config_setting_t *l =
					config_setting_get_member(entry_of(&lc), "label");
				if (l && config_setting_type(l) == CONFIG_TYPE_STRING)
					drop_key_label(keys, config_setting_get_string(l));
				else if (l && (config_setting_type(l) == CONFIG_TYPE_LIST ||
				               config_setting_type(l) == CONFIG_TYPE_ARRAY))
					for (int j = 0; j < config_setting_length(l); j++) {
						const config_setting_t *s =
							config_setting_get_elem(l, (unsigned)j);
						if (config_setting_type(s) == CONFIG_TYPE_STRING)
							drop_key_label(keys, config_setting_get_string(s));
					}
				cfg_wipe_strings(config_root_setting(&lc));
				config_destroy(&lc);
			}
			add_into(ctx, keys, e);
		}
	}
}

/* ------------------------------------------------------ write rule */

char *config_edited_text(const char *path, const config_edits_t *ed, bool mask,
                         char *err, size_t errlen)
{
	lc_config_t lc;
	cfg_ctx_t ctx = { .file = path };
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, strlen(dir) + 1, ".");
	config_init(&lc);
	config_set_include_dir(&lc, dir);
	free(dir);
	if (!config_read_file(&lc, path)) {
		snprintf(err, errlen, "%s:%d: %s", config_error_file(&lc) ?
		         config_error_file(&lc) : path, config_error_line(&lc),
		         cfg_syntax_message(config_error_text(&lc)));
		config_destroy(&lc);
		return NULL;
	}
	config_edits_apply_rules(&ctx, config_root_setting(&lc), ed);
	if (ctx.errors) {
		snprintf(err, errlen, "%s: ikeadm's changes no longer apply to it "
		         "(see the daemon's log)", path);
		config_destroy(&lc);
		cfg_ctx_free(&ctx);
		return NULL;
	}
	cfg_ctx_free(&ctx);
	config_setting_t *pin = config_lookup(&lc, "daemon.pkcs11_token.pin");
	if (mask && pin && config_setting_type(pin) == CONFIG_TYPE_STRING) {
		size_t n = strlen(config_setting_get_string(pin));
		char *x = xmalloc(n + 1);
		memset(x, 'X', n);
		x[n] = '\0';
		cfg_wipe_strings(pin);
		config_setting_set_string(pin, x);
		free(x);
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		config_destroy(&lc);
		return NULL;
	}
	config_write(&lc, f);
	fclose(f);
	cfg_wipe_strings(config_root_setting(&lc));
	config_destroy(&lc);
	return text;
}
