/*
 * ikev2cert.h - what the parts of ikev2cert(8) share: the keyword=value
 * arguments, the run context (keystore directory or PKCS#11 token, the
 * daemon's user), error reporting and the helpers each subcommand uses.
 *
 * Exit statuses (documented in ikev2cert(8)): 0 done, 1 the operation
 * failed (bad input, wrong PIN, I/O error), 2 usage error.
 */
#ifndef IKEV2CERT_H
#define IKEV2CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* ------------------------------------------------------------ messages */

void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* err() with ": <gnutls_strerror(rc)>" appended. */
void gerr(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------- keyword=value args */

typedef struct {
	char *key;
	char *val;
	bool used;
} kv_t;

typedef struct {
	kv_t *kv;
	int n;
} args_t;

/* Split argv into keyword=value pairs; false (reported) on an argument
 * without '=' or with an empty keyword. */
bool args_parse(args_t *a, int argc, char **argv);
/* The last value given for key (marked used), or NULL. */
const char *arg_get(args_t *a, const char *key);
/* The idx-th value given for key, in order (marked used), or NULL. */
const char *arg_get_nth(args_t *a, const char *key, int idx);
/* yes/no/true/false/1/0 (dflt when absent); -1 (reported) otherwise. */
int arg_bool(args_t *a, const char *key, bool dflt);
/* False (reported) if an argument was never consumed: an unknown keyword
 * is an error, never silently ignored. */
bool args_all_used(args_t *a, const char *cmd);
void args_free(args_t *a);

/* --------------------------------------------------------- run context */

typedef struct {
	const char *config_path;   /* -f, or the default ikev2.config */
	bool config_explicit;      /* -f given: a missing file is an error */
	char *keystore;            /* -k, daemon.keystore, or the default */
	char *token;               /* -T, or daemon.pkcs11_token.uri */
	bool token_explicit;       /* -T given */
	char *config_token;        /* daemon.pkcs11_token.uri */
	char *config_pin;          /* daemon.pkcs11_token.pin (secret) */
	char *config_user;         /* daemon.user */
	const char *module;        /* -m: PKCS#11 module instead of p11-kit's */
	uid_t uid;                 /* the daemon's user: files belong to it */
	gid_t gid;
	const char *owner_name;    /* for messages */
} ctx_t;

/* Read daemon.keystore and daemon.pkcs11_token from the configuration
 * (errors as FILE:LINE: message). */
bool ctx_load_config(ctx_t *ctx);
/* Decide whose files we write: daemon.user if the configuration sets it
 * (an error if no such user), else ikeuser if it exists, else the owner
 * of the keystore directory, else ourselves. */
bool ctx_pick_owner(ctx_t *ctx);

/* Whether this subcommand acts on a token: -T, or keystore=pkcs11 (the
 * configuration's token).  Sets ctx->token; false and *bad when keystore=
 * names something else or pkcs11 has no token configured. */
bool ctx_use_token(ctx_t *ctx, args_t *a, bool *bad);

/* ------------------------------------------------------------- files */

/* Read a whole file (at most 1 MiB); false (reported) otherwise. */
bool file_read(const char *path, gnutls_datum_t *out);
/* Write data to path with the given mode, owned by the daemon's user
 * (ctx not NULL: keystore files) or the invoking one (ctx NULL), atomically, never replacing an existing file unless overwrite; "-" is
 * standard output. */
bool file_write(ctx_t *ctx, const char *path, const void *data, size_t len,
                mode_t mode, bool overwrite);
void datum_wipe_free(gnutls_datum_t *d);

/* ---------------------------------------------------- keystore layout */

typedef enum {
	KS_CERTS, KS_PRIVATE, KS_CACERTS, KS_INTCERTS, KS_CRLS, KS_MAX,
} ks_dir_t;

const char *ks_dir_name(ks_dir_t d);
/* objtype keyword value of a directory: cert, key, cacert, intcert, crl */
const char *ks_objtype_name(ks_dir_t d);
/* KS_MAX if unknown */
ks_dir_t ks_objtype_parse(const char *s);

/* Create the keystore directory (and subdirectory d, unless KS_MAX) if
 * missing, mode 0700, owned by the daemon's user; tighten an existing one
 * that others can enter. */
bool ks_prepare(ctx_t *ctx, ks_dir_t d);
/* "<keystore>/<dir>/<label>.pem" (malloc'd). */
char *ks_path(ctx_t *ctx, ks_dir_t d, const char *label);
/* A label is [A-Za-z0-9._-]{1,64}, not starting with '.' or '-'. */
bool label_valid(const char *label);
/* The file of label in d (any of .pem .der .crt .key .crl), or NULL. */
char *ks_find(ctx_t *ctx, ks_dir_t d, const char *label);
/* Store PEM/DER data as <dir>/<label>.pem (keys 0600, others 0644). */
bool ks_store(ctx_t *ctx, ks_dir_t d, const char *label, const void *data,
              size_t len, bool overwrite);

/* ------------------------------------------------------ key handling */

/* Parse keytype= keylen= curve= for a new key: *algo, *bits (GnuTLS
 * "bits" argument, curves encoded with GNUTLS_CURVE_TO_BITS).  Refuses
 * RSA/DSA below 2048 bits, RSA above 4096, unknown curves. */
bool key_params(args_t *a, gnutls_pk_algorithm_t *algo, unsigned *bits);
/* Refuse a key too weak to store or certify (RSA/DSA < 2048 bits). */
bool key_strength_ok(gnutls_pk_algorithm_t algo, unsigned bits,
                     const char *what);
/* hash= (default sha256); GNUTLS_DIG_UNKNOWN (reported) if unknown. */
gnutls_digest_algorithm_t hash_param(args_t *a);
/* "rsa-2048", "ecdsa-p256", "ed25519" ... into buf */
const char *key_describe(gnutls_pk_algorithm_t algo, unsigned bits,
                         char *buf, size_t len);
/* Private key from a file (PEM/DER, PKCS#8 or legacy, password if
 * encrypted), a keystore label, or a pkcs11: URI. */
gnutls_privkey_t privkey_open(ctx_t *ctx, const char *spec);
gnutls_x509_crt_t crt_open(ctx_t *ctx, const char *spec);

/* ------------------------------------------------------------ tokens */

/* Initialise PKCS#11 (p11-kit's modules or -m) and the PIN callback with
 * pin (NULL: the configuration's for its token, else prompt). */
bool token_init(ctx_t *ctx, const char *pin);
/* Log in once (lists the token's private objects): false and a clear
 * "wrong PIN" when the token refuses the PIN. */
bool token_login(ctx_t *ctx);
/* Whether the last failure was a refused PIN. */
bool token_pin_refused(void);
/* "<token uri>;object=<label>[;type=<type>]" keeping any query part last. */
char *token_obj_uri(const char *token, const char *label, const char *type);
/* Read a PIN: from the terminal with echo off, else a line of stdin. */
char *pin_read(const char *prompt);

/* --------------------------------------------------------- subcommands */

int cmd_setpin(ctx_t *ctx, args_t *a);
int cmd_tokens(ctx_t *ctx, args_t *a);
int cmd_gencert(ctx_t *ctx, args_t *a);
int cmd_gencsr(ctx_t *ctx, args_t *a);
int cmd_signcsr(ctx_t *ctx, args_t *a);
int cmd_import(ctx_t *ctx, args_t *a);
int cmd_export(ctx_t *ctx, args_t *a);
int cmd_list(ctx_t *ctx, args_t *a);
int cmd_delete(ctx_t *ctx, args_t *a);

#endif
