/*
 * file_perm.h - who may own the daemon's files and who may read or write
 * them.  The configuration, the preshared file, the keystore and the log
 * directory belong to the daemon's user (daemon.user) or root, and nobody
 * else can change them; secrets (the preshared file, the keystore's
 * private keys) nobody else can read either.  Each refusal names the exact
 * chown/chmod command that fixes it.
 */
#ifndef IKEV2D_CONFIG_FILE_PERM_H
#define IKEV2D_CONFIG_FILE_PERM_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config/cfg_ctx.h"

typedef enum {
	PERM_FILE,        /* not writable by group or others */
	PERM_SECRET,      /* no access at all for group or others */
	PERM_DIR,         /* a directory not writable by group or others */
	PERM_SECRET_DIR,  /* a directory group and others cannot enter */
} perm_kind_t;

/* Whom the files must belong to: the daemon's user (or root). */
typedef struct {
	uid_t uid;
	const char *name;   /* for the chown hint */
} perm_owner_t;

/* Check st (already obtained for path) as kind; what names the file in the
 * message ("the configuration file").  Errors (and the warning for a
 * root-owned secret the daemon's user cannot re-read) go through ctx with
 * ctx->file = path.  True when acceptable. */
bool file_perm_check(cfg_ctx_t *ctx, const char *path, const struct stat *st,
                     perm_kind_t kind, const char *what, const perm_owner_t *owner);

/* stat() path and check it; a missing path is fine (true).  A path of the
 * wrong type (a directory for a file) is an error. */
bool file_perm_check_path(cfg_ctx_t *ctx, const char *path, perm_kind_t kind,
                          const char *what, const perm_owner_t *owner);

/* The keystore directory (certs/, private/, cacerts/, intcerts/, crls/):
 * the directory and private/ as PERM_SECRET_DIR, each file in private/ as
 * PERM_SECRET, the other subdirectories as PERM_DIR.  Missing: fine. */
bool file_perm_check_keystore(cfg_ctx_t *ctx, const char *dir,
                              const perm_owner_t *owner);

#endif
