/*
 * preshared.c - reading ikev2.preshared, carefully: the file holds
 * secrets, so its ownership and mode are checked on the open descriptor,
 * its bytes and every parsed string are wiped, and no message repeats a key.
 */
#include "config/preshared.h"
#include "config/config_edits.h"
#include "config/file_perm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool psk_parse_value(const char *text, chunk_t *out, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (len == 0) {
		snprintf(err, errlen, "is empty");
		return false;
	}
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		size_t digits = 0;
		for (const char *p = text + 2; *p; p++) {
			if (isxdigit((unsigned char)*p)) {
				digits++;
			} else if (*p != ':' && *p != ' ') {
				snprintf(err, errlen, "is not valid hex (a 0x "
				         "value may hold only hex digits, ':' and "
				         "' ')");
				return false;
			}
		}
		if (digits == 0 || digits % 2) {
			snprintf(err, errlen, "is not valid hex (0x must be "
			         "followed by an even number of hex digits)");
			return false;
		}
		*out = chunk_from_hex(text);
		if (!out->len) {
			snprintf(err, errlen, "is not valid hex (separators "
			         "must fall between bytes)");
			return false;
		}
		return true;
	}
	*out = chunk_clone(chunk_create(text, len));
	return true;
}

/* Read the whole file from fd into a NUL-terminated buffer. */
static char *read_all(int fd, size_t size, size_t *len)
{
	char *buf = xmalloc(size + 1);
	size_t got = 0;

	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* An @include would read a file whose permissions nobody checked.  Any
 * occurrence is refused, even inside a string, rather than second-guess
 * libconfig's scanner. */
static bool has_include(const char *buf)
{
	return strstr(buf, "@include") != NULL;
}

static const char *const entry_keys[] = {
	"label", "key", "local_key", "remote_key", NULL
};

/* One key attribute of an entry; false after reporting. */
static bool entry_key(cfg_ctx_t *ctx, const config_setting_t *e,
                      const char *name, chunk_t *out)
{
	const config_setting_t *s = config_setting_get_member(e, name);
	char err[160];

	if (!s)
		return true;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, s, "'%s' must be a string (write a hex key as "
		          "\"0x0123...\"), not %s", name,
		          cfg_type_name(config_setting_type(s)));
		return false;
	}
	if (!psk_parse_value(config_setting_get_string(s), out, err,
	                     sizeof(err))) {
		cfg_error(ctx, s, "'%s' %s", name, err);
		return false;
	}
	/* RFC 7296 §2.15: a PSK should be as strong as the PRF's key; a
	 * short one falls to an offline guess from one recorded exchange. */
	if (out->len < PSK_MIN_STRONG)
		cfg_warn(ctx, s, "'%s' is only %zu bytes: use at least %d random "
		         "bytes", name, out->len, PSK_MIN_STRONG);
	return true;
}

typedef struct {
	cfg_ctx_t *ctx;
	config_t *cfg;
	rule_meta_t *meta;
	int *key_line;      /* per rule: line of the entry that keyed it */
	chunk_t local, remote;
	label_index_t index;    /* rules by label */
} attach_t;

static bool label_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	attach_t *a = arg;
	const char *label;
	rule_t *r;
	int i;

	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    !*config_setting_get_string(s)) {
		cfg_error(ctx, s, "'label' must be a non-empty string or a list "
		          "of them, not %s", cfg_type_name(config_setting_type(s)));
		return false;
	}
	label = config_setting_get_string(s);
	/* Only the first rule with a label counts: a duplicate label is an
	 * error of its own. */
	i = label_index_find(&a->index, a->cfg->rules, label);
	if (i < 0) {
		cfg_warn(ctx, s, "label '%s' matches no rule; entry ignored",
		         label);
		return true;
	}
	if (a->key_line[i]) {
		cfg_error(ctx, s, "label '%s' already has a key (at line %d)",
		          label, a->key_line[i]);
		return false;
	}
	r = &a->cfg->rules[i];
	a->key_line[i] = cfg_line(s);
	r->local_key = chunk_clone(a->local);
	r->remote_key = chunk_clone(a->remote);
	return true;
}

static void parse_entry(attach_t *a, const config_setting_t *e)
{
	cfg_ctx_t *ctx = a->ctx;
	bool has_key, has_lr;
	bool ok = true;

	if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, e, "keys entries must be groups { label = ...; key "
		          "= ...; }, not %s", cfg_type_name(config_setting_type(e)));
		return;
	}
	if (cfg_check_keys(ctx, e, entry_keys, "a preshared key entry"))
		ok = false;
	if (!config_setting_get_member(e, "label")) {
		cfg_error(ctx, e, "preshared key entry has no 'label'");
		ok = false;
	}
	has_key = config_setting_get_member(e, "key") != NULL;
	has_lr = config_setting_get_member(e, "local_key") ||
	         config_setting_get_member(e, "remote_key");
	if (has_key && has_lr) {
		cfg_error(ctx, e, "give 'key', or 'local_key' and 'remote_key', "
		          "not both");
		ok = false;
	} else if (!has_key && !has_lr) {
		cfg_error(ctx, e, "preshared key entry has no 'key' (or "
		          "'local_key'/'remote_key')");
		ok = false;
	} else if (has_lr && !(config_setting_get_member(e, "local_key") &&
	                       config_setting_get_member(e, "remote_key"))) {
		cfg_error(ctx, e, "give both 'local_key' and 'remote_key' (or "
		          "one 'key' for both directions)");
		ok = false;
	}
	memset(&a->local, 0, sizeof(a->local));
	memset(&a->remote, 0, sizeof(a->remote));
	if (ok && has_key) {
		ok = entry_key(ctx, e, "key", &a->local);
		if (ok)
			a->remote = chunk_clone(a->local);
	} else if (ok) {
		ok = entry_key(ctx, e, "local_key", &a->local) &&
		     entry_key(ctx, e, "remote_key", &a->remote);
	}
	if (ok)
		cfg_each(ctx, e, "label", label_elem, a);
	chunk_clear(&a->local);
	chunk_clear(&a->remote);
}

bool preshared_load(cfg_ctx_t *ctx, const char *path, bool required,
                    config_t *cfg, rule_meta_t *meta,
                    const config_edits_t *edits)
{
	const char *saved_file = ctx->file;
	lc_config_t lc;
	struct stat st;
	config_setting_t *root, *keys;
	attach_t a;
	char *buf;
	size_t len;
	int fd;

	ctx->file = path;
	if (config_reader_active()) {
		/* The engine under privsep: the parent read (and checked the
		 * owner and mode of) the file and sent its text. */
		buf = config_reader_get(path, &len);
		if (!buf) {
			if (!required) {
				ctx->file = saved_file;
				return true;
			}
			cfg_error(ctx, NULL, "the preshared file was not handed over");
			ctx->file = saved_file;
			return false;
		}
		goto parse;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !required) {
			ctx->file = saved_file;
			return true;
		}
		cfg_error(ctx, NULL, "cannot read the preshared file: %s",
		          strerror(errno));
		ctx->file = saved_file;
		return false;
	}
	if (fstat(fd, &st) < 0) {
		cfg_error(ctx, NULL, "cannot stat the preshared file: %s", strerror(errno));
		goto fail_fd;
	}
	perm_owner_t owner = { cfg->daemon.run_uid, cfg->daemon.run_user };
	if (!file_perm_check(ctx, path, &st, PERM_SECRET, "the preshared file", &owner))
		goto fail_fd;
	if (st.st_size > PRESHARED_MAX_SIZE) {
		cfg_error(ctx, NULL, "the preshared file is larger than %d bytes",
		          PRESHARED_MAX_SIZE);
		goto fail_fd;
	}
	buf = read_all(fd, (size_t)st.st_size, &len);
	close(fd);
parse:
	if (has_include(buf)) {
		memwipe(buf, len);
		free(buf);
		cfg_error(ctx, NULL, "@include is not allowed in the preshared file");
		ctx->file = saved_file;
		return false;
	}

	config_init(&lc);
	if (!config_read_string(&lc, buf)) {
		cfg_error_at(ctx, path, config_error_line(&lc), "%s",
		             cfg_syntax_message(config_error_text(&lc)));
		memwipe(buf, len);
		free(buf);
		cfg_wipe_strings(config_root_setting(&lc));
		config_destroy(&lc);
		ctx->file = saved_file;
		return false;
	}
	memwipe(buf, len);
	free(buf);

	root = config_root_setting(&lc);
	config_edits_apply_keys(ctx, root, edits);
	{
		static const char *const top[] = { "keys", NULL };
		cfg_check_keys(ctx, root, top, "the preshared file");
	}
	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.cfg = cfg;
	a.meta = meta;
	a.key_line = xzalloc(sizeof(int) * (size_t)(cfg->n_rules + 1));
	label_index_init(&a.index, cfg->n_rules);
	for (int i = 0; i < cfg->n_rules; i++) {
		if (cfg->rules[i].label &&
		    label_index_find(&a.index, cfg->rules, cfg->rules[i].label) < 0)
			label_index_add(&a.index, cfg->rules, i);
	}
	keys = config_setting_get_member(root, "keys");
	if (keys && config_setting_type(keys) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, keys, "'keys' must be a list ( { ... }, ... ), not %s",
		          cfg_type_name(config_setting_type(keys)));
	} else if (keys) {
		int n = config_setting_length(keys);
		for (int i = 0; i < n; i++) {
			/* Entry errors are not fatal: ignore_errors drops the
			 * entry (and so any PSK rule left without a key). */
			ctx->in_rule = true;
			parse_entry(&a, config_setting_get_elem(keys, (unsigned)i));
			ctx->in_rule = false;
		}
	}
	free(a.key_line);
	label_index_free(&a.index);
	cfg_wipe_strings(root);
	config_destroy(&lc);
	ctx->file = saved_file;
	return true;

fail_fd:
	close(fd);
	ctx->file = saved_file;
	return false;
}
