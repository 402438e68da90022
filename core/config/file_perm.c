/*
 * file_perm.c - ownership and mode of the daemon's files (file_perm.h).
 */
#include "config/file_perm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

static bool owner_ok(uid_t uid, const perm_owner_t *owner)
{
	return uid == 0 || uid == owner->uid;
}

bool file_perm_check(cfg_ctx_t *ctx, const char *path, const struct stat *st,
                     perm_kind_t kind, const char *what, const perm_owner_t *owner)
{
	const char *saved = ctx->file;
	bool dir = kind == PERM_DIR || kind == PERM_SECRET_DIR;
	bool secret = kind == PERM_SECRET || kind == PERM_SECRET_DIR;
	unsigned mode = (unsigned)(st->st_mode & 07777);
	bool ok = true;

	ctx->file = path;
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		cfg_error(ctx, NULL, "%s is not a %s", what, dir ? "directory" : "regular file");
		ctx->file = saved;
		return false;
	}
	if (!owner_ok(st->st_uid, owner)) {
		cfg_error(ctx, NULL, "%s is owned by uid %u, not by the daemon's user "
		          "(%s, uid %u)%s; fix: chown %s %s", what, (unsigned)st->st_uid,
		          owner->name, (unsigned)owner->uid, owner->uid ? " or root" : "",
		          owner->name, path);
		ok = false;
	}
	unsigned bad = secret ? 077 : 022;
	if (dir && (mode & S_ISVTX) && (mode & S_IWOTH)) {
		/* /tmp and the like: no chmod fixes a shared directory. */
		cfg_error(ctx, NULL, "%s is a shared directory anyone can write to "
		          "(mode %04o); fix: use a directory of the daemon's own, "
		          "e.g. mkdir -m 0750 /var/log/ikev2 && chown %s /var/log/ikev2",
		          what, mode, owner->name);
		ok = false;
	} else if (mode & bad) {
		cfg_error(ctx, NULL, "%s is %s by group or others (mode %04o); fix: "
		          "chmod %04o %s", what, secret ? "accessible" : "writable",
		          mode, mode & ~bad, path);
		ok = false;
	}
	/* Readable by root only, while the daemon runs as someone else: the
	 * start works (it reads as root), a reload cannot. */
	if (ok && secret && st->st_uid == 0 && owner->uid != 0)
		cfg_warn(ctx, NULL, "%s is owned by root: in.ikev2d runs as %s and cannot "
		         "re-read it on SIGHUP; fix: chown %s %s", what, owner->name,
		         owner->name, path);
	ctx->file = saved;
	return ok;
}

bool file_perm_check_path(cfg_ctx_t *ctx, const char *path, perm_kind_t kind,
                          const char *what, const perm_owner_t *owner)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return true;
		const char *saved = ctx->file;
		ctx->file = path;
		cfg_error(ctx, NULL, "cannot check %s: %s", what, strerror(errno));
		ctx->file = saved;
		return false;
	}
	/* A symbolic link is judged by what it points to, and its target
	 * must satisfy the same rules. */
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		const char *saved = ctx->file;
		ctx->file = path;
		cfg_error(ctx, NULL, "%s is a dangling symbolic link", what);
		ctx->file = saved;
		return false;
	}
	return file_perm_check(ctx, path, &st, kind, what, owner);
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

bool file_perm_check_keystore(cfg_ctx_t *ctx, const char *dir,
                              const perm_owner_t *owner)
{
	static const char *const public_dirs[] = { "certs", "cacerts", "intcerts", "crls" };
	struct stat st;
	bool ok;

	if (stat(dir, &st) < 0 && errno == ENOENT)
		return true;
	ok = file_perm_check_path(ctx, dir, PERM_SECRET_DIR, "the keystore directory", owner);
	for (size_t i = 0; i < sizeof(public_dirs) / sizeof(public_dirs[0]); i++) {
		char *sub = join(dir, public_dirs[i]);
		ok &= file_perm_check_path(ctx, sub, PERM_DIR, "a keystore directory", owner);
		free(sub);
	}
	char *priv = join(dir, "private");
	if (!file_perm_check_path(ctx, priv, PERM_SECRET_DIR,
	                          "the keystore's private key directory", owner)) {
		free(priv);
		return false;
	}
	DIR *d = opendir(priv);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *key = join(priv, e->d_name);
		ok &= file_perm_check_path(ctx, key, PERM_SECRET, "a private key file", owner);
		free(key);
	}
	if (d)
		closedir(d);
	free(priv);
	return ok;
}
