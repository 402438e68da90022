/*
 * cfg_ctx.h - shared machinery of the configuration parsers: error
 * reporting with file:line, typed getters that report wrong types and
 * out-of-range values, and unknown-keyword checking with suggestions.
 *
 * Nothing here stops at the first problem: every problem is logged through
 * the bus (group DBG_CONFIG) and counted, so `in.ikev2d -c` lists them all.
 */
#ifndef IKEV2D_CONFIG_CFG_CTX_H
#define IKEV2D_CONFIG_CFG_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "config/lc.h"

typedef struct {
	const char *file;    /* the file being read, for settings without one */
	const char *dir;     /* its directory, where @include files are found */
	char **paths;        /* @include paths resolved against dir (owned) */
	int n_paths;
	int errors;          /* every error reported */
	int fatal;           /* errors ignore_errors cannot excuse */
	int warnings;
	bool in_rule;        /* errors now are the current rule's */
	bool rule_bad;       /* the current rule had an error */
} cfg_ctx_t;

/* Where s was written (file as libconfig keeps it, owned by the tree). */
cfg_src_t cfg_src_of(const config_setting_t *s);

/* Report an error at setting s (NULL: the file itself), or a warning. */
void cfg_error(cfg_ctx_t *ctx, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_warn(cfg_ctx_t *ctx, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report a fatal error at an explicit file:line (syntax errors). */
void cfg_error_at(cfg_ctx_t *ctx, const char *file, int line,
                  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* libconfig's parse error text as we show it: "syntax error", or its
 * other messages as they are ("cannot open include file"). */
const char *cfg_syntax_message(const char *libconfig_text);

/* File and line of a setting, walking up to a parent for elements that
 * carry none.  A file reached through a relative @include is shown with
 * the directory libconfig looked in; the string lives as long as ctx. */
const char *cfg_file(cfg_ctx_t *ctx, const config_setting_t *s);
/* A file name as libconfig reports it, resolved the same way. */
const char *cfg_resolve(cfg_ctx_t *ctx, const char *file);
/* Free what the context allocated. */
void cfg_ctx_free(cfg_ctx_t *ctx);
int cfg_line(const config_setting_t *s);

/* "integer", "string", "group", ... for messages. */
const char *cfg_type_name(int type);

/* Dotted path of a setting for messages ("rules.[2].childsa.[0].mode"
 * is too long to read, so rule elements show as rule 'label'). */
void cfg_path(const config_setting_t *s, char *buf, size_t len);

/*
 * Check that every member of group g is in the NULL-terminated list of
 * allowed keywords; report each other one with a suggestion.  'where'
 * names the group in messages ("daemon", "rule 'x'", ...).  Returns the
 * number of unknown keywords.
 */
int cfg_check_keys(cfg_ctx_t *ctx, const config_setting_t *g,
                   const char *const *allowed, const char *where);

/*
 * Typed getters for member 'name' of group g.  Each returns 0 when the
 * member is absent (out untouched), 1 when it was read, -1 when it is
 * present but wrong (reported; out untouched).
 */
int cfg_get_int(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                long long min, long long max, long long *out);
int cfg_get_bool(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                 bool *out);
/* A non-empty string (unless allow_empty). */
int cfg_get_str(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                bool allow_empty, const char **out);

/* The value of a scalar setting s as an integer in min..max (used for
 * array elements).  Returns false after reporting. */
bool cfg_int_value(cfg_ctx_t *ctx, const config_setting_t *s, const char *what,
                   long long min, long long max, long long *out);

/*
 * A member that may be a single scalar or an array/list of them: calls
 * fn for each scalar element (or the member itself).  Empty arrays are an
 * error.  Returns 0 absent, 1 all elements accepted, -1 otherwise.
 */
typedef bool (*cfg_each_fn_t)(cfg_ctx_t *ctx, const config_setting_t *elem,
                              void *arg);
int cfg_each(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
             cfg_each_fn_t fn, void *arg);

/* Overwrite every string value in the tree under s (for secrets). */
void cfg_wipe_strings(config_setting_t *s);

#endif
