/*
 * main.c - ikev2cert(8): options, the configuration (daemon.keystore and
 * daemon.pkcs11_token), the daemon's user, keyword=value arguments and the
 * subcommand table.
 *
 * ikev2cert manages the credentials in.ikev2d authenticates with: a
 * keystore directory (layout in ikev2cert(8)) or a PKCS#11 token.  It is
 * built on GnuTLS directly rather than wrapping another tool, so it can
 * check what it stores (key sizes, curves, PINs) with the same library the
 * daemon's gnutls plugin uses.
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IKEV2D_CONFDIR
#define IKEV2D_CONFDIR "/etc/inet/ike"
#endif

/* ------------------------------------------------------------ messages */

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "ikev2cert: %s", tag);
	vfprintf(stderr, fmt, ap);
}

void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void gerr(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", gnutls_strerror(rc));
}

/* ------------------------------------------------- keyword=value args */

bool args_parse(args_t *a, int argc, char **argv)
{
	a->kv = calloc((size_t)argc + 1, sizeof(*a->kv));
	a->n = 0;
	if (!a->kv)
		abort();
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i]) {
			err("argument '%s' is not keyword=value", argv[i]);
			return false;
		}
		a->kv[a->n].key = strndup(argv[i], (size_t)(eq - argv[i]));
		a->kv[a->n].val = strdup(eq + 1);
		if (!a->kv[a->n].key || !a->kv[a->n].val)
			abort();
		/* keywords are case-insensitive, as pktool's */
		for (char *p = a->kv[a->n].key; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		a->n++;
	}
	return true;
}

const char *arg_get(args_t *a, const char *key)
{
	const char *v = NULL;

	for (int i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].key, key) == 0) {
			a->kv[i].used = true;
			v = a->kv[i].val;
		}
	return v;
}

const char *arg_get_nth(args_t *a, const char *key, int idx)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].key, key) == 0) {
			a->kv[i].used = true;
			if (idx-- == 0)
				return a->kv[i].val;
		}
	return NULL;
}

int arg_bool(args_t *a, const char *key, bool dflt)
{
	const char *v = arg_get(a, key);

	if (!v)
		return dflt;
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "y") ||
	    !strcasecmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcasecmp(v, "no") || !strcasecmp(v, "n") ||
	    !strcasecmp(v, "false") || !strcmp(v, "0"))
		return 0;
	err("%s=%s: expected yes or no", key, v);
	return -1;
}

bool args_all_used(args_t *a, const char *cmd)
{
	bool ok = true;

	for (int i = 0; i < a->n; i++)
		if (!a->kv[i].used) {
			err("%s: unknown keyword '%s'", cmd, a->kv[i].key);
			ok = false;
		}
	return ok;
}

void args_free(args_t *a)
{
	for (int i = 0; i < a->n; i++) {
		/* values may be PINs or passwords */
		explicit_bzero(a->kv[i].val, strlen(a->kv[i].val));
		free(a->kv[i].key);
		free(a->kv[i].val);
	}
	free(a->kv);
}

/* --------------------------------------------------------- run context */

/* A path from the configuration: relative ones are relative to the
 * configuration file's directory, as in.ikev2d resolves them. */
static char *resolve(const char *config_path, const char *p)
{
	char *copy, *dir, *out;

	if (p[0] == '/')
		return strdup(p);
	copy = strdup(config_path);
	dir = dirname(copy);
	if (asprintf(&out, "%s/%s", dir, p) < 0)
		abort();
	free(copy);
	return out;
}

bool ctx_load_config(ctx_t *ctx)
{
	config_t lc;
	const char *s;
	char *copy;
	bool ok = true;

	config_init(&lc);
	copy = strdup(ctx->config_path);
	config_set_include_dir(&lc, dirname(copy));
	if (access(ctx->config_path, F_OK) != 0 && !ctx->config_explicit) {
		/* no configuration: the default keystore next to where it
		 * would be */
		goto defaults;
	}
	if (!config_read_file(&lc, ctx->config_path)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			err("%s: cannot read: %s", ctx->config_path,
			    strerror(errno));
		else
			err("%s:%d: %s", config_error_file(&lc) ?
			    config_error_file(&lc) : ctx->config_path,
			    config_error_line(&lc), config_error_text(&lc));
		ok = false;
		goto out;
	}
	if (config_lookup_string(&lc, "daemon.keystore", &s) && !ctx->keystore)
		ctx->keystore = resolve(ctx->config_path, s);
	if (config_lookup_string(&lc, "daemon.pkcs11_token.uri", &s))
		ctx->config_token = strdup(s);
	if (config_lookup_string(&lc, "daemon.pkcs11_token.pin", &s))
		ctx->config_pin = strdup(s);
	if (config_lookup_string(&lc, "daemon.user", &s))
		ctx->config_user = strdup(s);
defaults:
	if (!ctx->keystore)
		ctx->keystore = resolve(ctx->config_path, "keystore");
out:
	/* the configuration may hold the token's PIN */
	config_destroy(&lc);
	free(copy);
	return ok;
}

bool ctx_pick_owner(ctx_t *ctx)
{
	struct passwd *pw;
	struct stat st;

	if (ctx->config_user) {
		pw = getpwnam(ctx->config_user);
		if (!pw) {
			err("%s: daemon.user '%s' does not exist", ctx->config_path,
			    ctx->config_user);
			return false;
		}
		ctx->uid = pw->pw_uid;
		ctx->gid = pw->pw_gid;
		ctx->owner_name = ctx->config_user;
		return true;
	}
	pw = getpwnam("ikeuser");
	if (pw) {
		ctx->uid = pw->pw_uid;
		ctx->gid = pw->pw_gid;
		ctx->owner_name = "ikeuser";
	} else if (stat(ctx->keystore, &st) == 0) {
		ctx->uid = st.st_uid;
		ctx->gid = st.st_gid;
		ctx->owner_name = "the keystore's owner";
	} else {
		ctx->uid = geteuid();
		ctx->gid = getegid();
		ctx->owner_name = "the invoking user";
	}
	return true;
}

bool ctx_use_token(ctx_t *ctx, args_t *a, bool *bad)
{
	const char *ks = arg_get(a, "keystore");

	*bad = false;
	if (ks && strcasecmp(ks, "pkcs11") != 0 && strcasecmp(ks, "file") != 0) {
		err("keystore=%s: expected pkcs11 or file", ks);
		*bad = true;
		return false;
	}
	if (ks && !strcasecmp(ks, "file"))
		return false;
	if (ctx->token_explicit)
		return true;
	if (ks) {
		if (!ctx->config_token) {
			err("keystore=pkcs11: %s sets no daemon.pkcs11_token "
			    "(or give -T pkcs11:...)", ctx->config_path);
			*bad = true;
			return false;
		}
		ctx->token = strdup(ctx->config_token);
		return true;
	}
	return false;
}

/* --------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*run)(ctx_t *ctx, args_t *a);
	const char *synopsis;
} cmds[] = {
	{ "setpin", cmd_setpin, "setpin [oldpin=PIN] [newpin=PIN]" },
	{ "tokens", cmd_tokens, "tokens" },
	{ "gencert", cmd_gencert, "gencert keytype=rsa|dsa|ec|ed25519|ed448 "
	  "[keylen=N] [curve=C] subject=DN label=L [altname=...] [ca=yes] ..." },
	{ "gencsr", cmd_gencsr, "gencsr keytype=... subject=DN label=L "
	  "outcsr=FILE [altname=...]" },
	{ "signcsr", cmd_signcsr, "signcsr csr=FILE cacert=FILE|LABEL "
	  "cakey=FILE|LABEL|URI outcert=FILE [altname=...] [ca=yes] ..." },
	{ "import", cmd_import, "import infile=FILE "
	  "[objtype=cert|cacert|intcert|key|crl|pkcs12] [label=L]" },
	{ "export", cmd_export, "export label=L [objtype=...] outfile=FILE "
	  "[format=pem|der]" },
	{ "list", cmd_list, "list [label=L] [objtype=...]" },
	{ "delete", cmd_delete, "delete label=L [objtype=...]" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ikev2cert [-f config] [-k keystore-dir] "
	        "[-T pkcs11:URI] [-m module.so] subcommand [keyword=value ...]\n"
	        "subcommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %s\n", cmds[i].synopsis);
	fprintf(out, "see ikev2cert(8)\n");
}

int main(int argc, char **argv)
{
	ctx_t ctx = { .config_path = IKEV2D_CONFDIR "/ikev2.config" };
	args_t a = { 0 };
	int opt, rc = EXIT_USAGE;

	umask(077);
	while ((opt = getopt(argc, argv, "+f:k:T:m:h")) != -1) {
		switch (opt) {
		case 'f':
			ctx.config_path = optarg;
			ctx.config_explicit = true;
			break;
		case 'k':
			free(ctx.keystore);
			ctx.keystore = strdup(optarg);
			break;
		case 'T':
			if (strncmp(optarg, "pkcs11:", 7) != 0) {
				err("-T %s: not a PKCS#11 URI (pkcs11:token=...)",
				    optarg);
				return EXIT_USAGE;
			}
			free(ctx.token);
			ctx.token = strdup(optarg);
			ctx.token_explicit = true;
			break;
		case 'm':
			ctx.module = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name) != 0)
			continue;
		if (!args_parse(&a, argc - optind - 1, argv + optind + 1))
			goto done;
		if (!ctx_load_config(&ctx)) {
			rc = EXIT_FAIL;
			goto done;
		}
		if (!ctx_pick_owner(&ctx)) {
			rc = EXIT_FAIL;
			goto done;
		}
		rc = cmds[i].run(&ctx, &a);
		goto done;
	}
	err("unknown subcommand '%s'", argv[optind]);
	usage(stderr);
done:
	args_free(&a);
	if (ctx.config_pin) {
		explicit_bzero(ctx.config_pin, strlen(ctx.config_pin));
		free(ctx.config_pin);
	}
	free(ctx.config_token);
	free(ctx.config_user);
	free(ctx.token);
	free(ctx.keystore);
	gnutls_global_deinit();
	return rc;
}
