/*
 * keystore.c - the keystore directory and the files ikev2cert writes.
 *
 *   <keystore>/certs/     our end-entity certificates
 *   <keystore>/private/   our private keys (files 0600, directory 0700)
 *   <keystore>/cacerts/   trust anchors
 *   <keystore>/intcerts/  intermediate CA certificates
 *   <keystore>/crls/      CRLs
 *
 * Everything belongs to the daemon's user and the directories are 0700,
 * as in.ikev2d refuses private keys others can read.  A file is written
 * under a temporary name and linked into place, so a reader never sees a
 * half-written key and an existing file is never replaced by accident.
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1024 * 1024)

bool file_read(const char *path, gnutls_datum_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	unsigned char *buf;
	size_t got = 0;

	out->data = NULL;
	out->size = 0;
	if (fd < 0) {
		err("%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err("%s: not a regular file", path);
		close(fd);
		return false;
	}
	if (st.st_size > FILE_MAX) {
		err("%s: larger than 1 MiB", path);
		close(fd);
		return false;
	}
	buf = gnutls_malloc((size_t)st.st_size + 1);
	if (!buf)
		abort();
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err("%s: read error: %s", path,
			    n < 0 ? strerror(errno) : "file shrank");
			explicit_bzero(buf, got);
			gnutls_free(buf);
			close(fd);
			return false;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	out->data = buf;
	out->size = (unsigned)got;
	return true;
}

void datum_wipe_free(gnutls_datum_t *d)
{
	if (d->data) {
		explicit_bzero(d->data, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

static bool write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Give a file or directory to the daemon's user: as root we can; as
 * anyone else it must already be us. */
static bool give_owner(ctx_t *ctx, int fd, const char *path)
{
	if (geteuid() == 0) {
		if (fchown(fd, ctx->uid, ctx->gid) != 0) {
			err("%s: cannot give to uid %u: %s", path,
			    (unsigned)ctx->uid, strerror(errno));
			return false;
		}
		return true;
	}
	if (ctx->uid != geteuid()) {
		err("%s: would belong to uid %u instead of %s (uid %u): run "
		    "ikev2cert as root or as that user", path,
		    (unsigned)geteuid(), ctx->owner_name, (unsigned)ctx->uid);
		return false;
	}
	return true;
}

bool file_write(ctx_t *ctx, const char *path, const void *data, size_t len,
                mode_t mode, bool overwrite)
{
	char *tmp;
	int fd;
	bool ok = false;

	if (strcmp(path, "-") == 0) {
		if (!write_all(STDOUT_FILENO, data, len)) {
			err("standard output: %s", strerror(errno));
			return false;
		}
		return true;
	}
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		abort();
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	if (fd < 0) {
		err("%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return false;
	}
	if (fchmod(fd, mode) != 0 || (ctx && !give_owner(ctx, fd, path)))
		goto fail;
	if (!write_all(fd, data, len) || fsync(fd) != 0) {
		err("%s: write error: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		err("%s: write error: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (overwrite) {
		if (rename(tmp, path) != 0) {
			err("%s: cannot replace: %s", path, strerror(errno));
			goto fail;
		}
	} else {
		if (link(tmp, path) != 0) {
			if (errno == EEXIST)
				err("%s: exists (remove it first, or "
				    "delete label=...)", path);
			else
				err("%s: cannot create: %s", path,
				    strerror(errno));
			goto fail;
		}
		unlink(tmp);
	}
	ok = true;
fail:
	if (fd >= 0)
		close(fd);
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

/* ---------------------------------------------------- keystore layout */

static const char *const dir_names[KS_MAX] = {
	"certs", "private", "cacerts", "intcerts", "crls",
};
static const char *const objtype_names[KS_MAX] = {
	"cert", "key", "cacert", "intcert", "crl",
};

const char *ks_dir_name(ks_dir_t d)
{
	return d < KS_MAX ? dir_names[d] : "?";
}

const char *ks_objtype_name(ks_dir_t d)
{
	return d < KS_MAX ? objtype_names[d] : "?";
}

ks_dir_t ks_objtype_parse(const char *s)
{
	for (int i = 0; i < KS_MAX; i++)
		if (strcmp(s, objtype_names[i]) == 0)
			return (ks_dir_t)i;
	return KS_MAX;
}

/* mkdir -p for the parents (0755, as /etc/inet/ike is), then the
 * directory itself 0700 and the daemon's. */
static bool make_dir(ctx_t *ctx, const char *path, bool top)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			err("%s: %s", path, strerror(errno));
			return false;
		}
		if (top) {
			char *copy = strdup(path), *slash = strrchr(copy, '/');

			for (char *p = copy + 1; slash && p < slash; p++) {
				if (*p != '/')
					continue;
				*p = '\0';
				if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
					err("%s: cannot create: %s", copy,
					    strerror(errno));
					free(copy);
					return false;
				}
				*p = '/';
			}
			free(copy);
		}
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			err("%s: cannot create: %s", path, strerror(errno));
			return false;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		err("%s: not a directory", path);
		return false;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err("%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0) {
		close(fd);
		return false;
	}
	if ((st.st_mode & 077) != 0) {
		warn("%s: mode %04o lets others in; setting 0700", path,
		     (unsigned)(st.st_mode & 07777));
		if (fchmod(fd, 0700) != 0) {
			err("%s: chmod 700: %s", path, strerror(errno));
			close(fd);
			return false;
		}
	}
	if (st.st_uid != ctx->uid && !give_owner(ctx, fd, path)) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool ks_prepare(ctx_t *ctx, ks_dir_t d)
{
	char *sub;
	bool ok;

	if (!make_dir(ctx, ctx->keystore, true))
		return false;
	if (d >= KS_MAX)
		return true;
	if (asprintf(&sub, "%s/%s", ctx->keystore, dir_names[d]) < 0)
		abort();
	ok = make_dir(ctx, sub, false);
	free(sub);
	return ok;
}

char *ks_path(ctx_t *ctx, ks_dir_t d, const char *label)
{
	char *p;

	if (asprintf(&p, "%s/%s/%s.pem", ctx->keystore, dir_names[d],
	             label) < 0)
		abort();
	return p;
}

bool label_valid(const char *label)
{
	size_t n = strlen(label);

	if (n == 0 || n > 64 || label[0] == '.' || label[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = label[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

char *ks_find(ctx_t *ctx, ks_dir_t d, const char *label)
{
	static const char *const exts[] = {
		".pem", ".der", ".crt", ".key", ".crl", NULL,
	};

	for (int i = 0; exts[i]; i++) {
		char *p;
		struct stat st;

		if (asprintf(&p, "%s/%s/%s%s", ctx->keystore, dir_names[d],
		             label, exts[i]) < 0)
			abort();
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			return p;
		free(p);
	}
	return NULL;
}

bool ks_store(ctx_t *ctx, ks_dir_t d, const char *label, const void *data,
              size_t len, bool overwrite)
{
	char *path;
	bool ok;

	if (!label_valid(label)) {
		err("label '%s': use 1-64 of A-Z a-z 0-9 . _ - (not starting "
		    "with . or -)", label);
		return false;
	}
	if (!ks_prepare(ctx, d))
		return false;
	path = ks_path(ctx, d, label);
	ok = file_write(ctx, path, data, len, d == KS_PRIVATE ? 0600 : 0644,
	                overwrite);
	if (ok)
		printf("wrote %s\n", path);
	free(path);
	return ok;
}
