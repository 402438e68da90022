/*
 * cfg_ctx.c - error reporting and typed access for the config parsers.
 */
#include "config/cfg_ctx.h"
#include "config/suggest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

const char *cfg_resolve(cfg_ctx_t *ctx, const char *file)
{
	size_t len;
	char *p;

	if (!file)
		return ctx->file;
	if (file[0] == '/' || !ctx->dir || !ctx->file ||
	    strcmp(file, ctx->file) == 0)
		return file;
	len = strlen(ctx->dir) + strlen(file) + 2;
	for (int i = 0; i < ctx->n_paths; i++) {
		p = ctx->paths[i];
		if (strlen(p) + 1 == len &&
		    strncmp(p, ctx->dir, strlen(ctx->dir)) == 0 &&
		    strcmp(p + strlen(ctx->dir) + 1, file) == 0)
			return p;
	}
	p = xmalloc(len);
	snprintf(p, len, "%s/%s", ctx->dir, file);
	ctx->paths = xrealloc(ctx->paths, sizeof(char *) * (size_t)(ctx->n_paths + 1));
	ctx->paths[ctx->n_paths++] = p;
	return p;
}

const char *cfg_file(cfg_ctx_t *ctx, const config_setting_t *s)
{
	for (; s; s = s->parent) {
		if (s->file)
			return cfg_resolve(ctx, s->file);
	}
	return ctx->file;
}

cfg_src_t cfg_src_of(const config_setting_t *s)
{
	cfg_src_t src = { NULL, s ? cfg_line(s) : 0 };

	for (; s; s = s->parent)
		if (s->file) {
			src.file = s->file;
			break;
		}
	return src;
}

void cfg_ctx_free(cfg_ctx_t *ctx)
{
	for (int i = 0; i < ctx->n_paths; i++)
		free(ctx->paths[i]);
	free(ctx->paths);
	ctx->paths = NULL;
	ctx->n_paths = 0;
}

int cfg_line(const config_setting_t *s)
{
	for (; s; s = s->parent) {
		if (s->line)
			return (int)s->line;
	}
	return 0;
}

/* config_capture_first_error(): this thread's buffer for the first error. */
static __thread char *capture_buf;
static __thread size_t capture_len;

void config_capture_first_error(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

static void capture(const char *file, int line, const char *msg)
{
	if (!capture_buf || !capture_len || capture_buf[0])
		return;
	if (line)
		snprintf(capture_buf, capture_len, "%s:%d: %s", file, line, msg);
	else
		snprintf(capture_buf, capture_len, "%s: %s", file, msg);
}

static void report(cfg_ctx_t *ctx, const config_setting_t *s, bool warning,
                   const char *fmt, va_list ap)
{
	char msg[512];
	int line = cfg_line(s);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (warning) {
		ctx->warnings++;
		if (line)
			log_op(DBG_CONFIG, "%s:%d: warning: %s",
			       cfg_file(ctx, s), line, msg);
		else
			log_op(DBG_CONFIG, "%s: warning: %s", cfg_file(ctx, s), msg);
		return;
	}
	ctx->errors++;
	if (ctx->in_rule)
		ctx->rule_bad = true;
	else
		ctx->fatal++;
	if (line)
		log_error(DBG_CONFIG, "%s:%d: %s", cfg_file(ctx, s), line, msg);
	else
		log_error(DBG_CONFIG, "%s: %s", cfg_file(ctx, s), msg);
	capture(cfg_file(ctx, s), line, msg);
}

void cfg_error(cfg_ctx_t *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, s, false, fmt, ap);
	va_end(ap);
}

void cfg_warn(cfg_ctx_t *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, s, true, fmt, ap);
	va_end(ap);
}

void cfg_error_at(cfg_ctx_t *ctx, const char *file, int line,
                  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->errors++;
	ctx->fatal++;
	log_error(DBG_CONFIG, "%s:%d: %s", file ? file : ctx->file, line, msg);
	capture(file ? file : ctx->file, line, msg);
}

const char *cfg_syntax_message(const char *text)
{
	static __thread char buf[160];

	if (!text || strncmp(text, "syntax error", 12) == 0)
		return "syntax error";
	/* libconfig's other parse messages say what is wrong already
	 * ("cannot open include file"). */
	snprintf(buf, sizeof(buf), "%s", text);
	return buf;
}

const char *cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:  return "a group { ... }";
	case CONFIG_TYPE_INT:    return "an integer";
	case CONFIG_TYPE_INT64:  return "a 64-bit integer";
	case CONFIG_TYPE_FLOAT:  return "a floating-point number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL:   return "a boolean";
	case CONFIG_TYPE_ARRAY:  return "an array [ ... ]";
	case CONFIG_TYPE_LIST:   return "a list ( ... )";
	default:                 return "nothing";
	}
}

void cfg_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[32];
	size_t n = 0, used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (; s && s->parent && n < 32; s = s->parent)
		chain[n++] = s;
	while (n-- > 0) {
		int w;
		if (chain[n]->name)
			w = snprintf(buf + used, len - used, "%s%s",
			             used ? "." : "", chain[n]->name);
		else
			w = snprintf(buf + used, len - used, "[%d]",
			             config_setting_index(chain[n]));
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

int cfg_check_keys(cfg_ctx_t *ctx, const config_setting_t *g,
                   const char *const *allowed, const char *where)
{
	int n = config_setting_length(g), bad = 0;

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		bool known = false;

		if (!name)
			continue;
		for (const char *const *a = allowed; *a; a++) {
			if (strcmp(*a, name) == 0) {
				known = true;
				break;
			}
		}
		if (known)
			continue;
		bad++;
		const char *s = suggest_closest(name, allowed);
		if (s)
			cfg_error(ctx, m, "unknown keyword '%s' in %s (did you "
			          "mean '%s'?)", name, where, s);
		else
			cfg_error(ctx, m, "unknown keyword '%s' in %s", name, where);
	}
	return bad;
}

bool cfg_int_value(cfg_ctx_t *ctx, const config_setting_t *s, const char *what,
                   long long min, long long max, long long *out)
{
	long long v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		cfg_error(ctx, s, "'%s' must be an integer, not %s", what,
		          cfg_type_name(config_setting_type(s)));
		return false;
	}
	if (v < min || v > max) {
		cfg_error(ctx, s, "'%s' = %lld is out of range (%lld..%lld)",
		          what, v, min, max);
		return false;
	}
	*out = v;
	return true;
}

int cfg_get_int(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                long long min, long long max, long long *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	return cfg_int_value(ctx, s, name, min, max, out) ? 1 : -1;
}

int cfg_get_bool(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                 bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_error(ctx, s, "'%s' must be a boolean (true or false), not %s",
		          name, cfg_type_name(config_setting_type(s)));
		return -1;
	}
	*out = config_setting_get_bool(s);
	return 1;
}

int cfg_get_str(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                bool allow_empty, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *v;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, s, "'%s' must be a string, not %s", name,
		          cfg_type_name(config_setting_type(s)));
		return -1;
	}
	v = config_setting_get_string(s);
	if (!allow_empty && (!v || !*v)) {
		cfg_error(ctx, s, "'%s' must not be empty", name);
		return -1;
	}
	*out = v ? v : "";
	return 1;
}

int cfg_each(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
             cfg_each_fn_t fn, void *arg)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	int n, ok = 1;

	if (!s)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		n = config_setting_length(s);
		if (n == 0) {
			cfg_error(ctx, s, "'%s' must not be an empty list", name);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (!fn(ctx, config_setting_get_elem(s, (unsigned)i), arg))
				ok = -1;
		}
		return ok;
	default:
		return fn(ctx, s, arg) ? 1 : -1;
	}
}

void cfg_wipe_strings(config_setting_t *s)
{
	if (!s)
		return;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		if (s->value.sval)
			memwipe(s->value.sval, strlen(s->value.sval));
		break;
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST: {
		int n = config_setting_length(s);
		for (int i = 0; i < n; i++)
			cfg_wipe_strings(config_setting_get_elem(s, (unsigned)i));
		break;
	}
	default:
		break;
	}
}
