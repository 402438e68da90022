/*
 * token.c - PKCS#11 tokens: module loading, the PIN (argument,
 * configuration or prompt), the login check, and the setpin and tokens
 * subcommands.
 *
 * A refused PIN is never offered twice: tokens lock after a few wrong
 * attempts, so the PIN callback gives up as soon as GnuTLS says the PIN
 * was wrong, and the subcommand reports it.
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <gnutls/pkcs11.h>

#define PIN_MAX 256

static char *user_pin;
static char *so_pin;
static bool pin_refused;
static bool initialised;

static void secret_free(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

char *pin_read(const char *prompt)
{
	char buf[PIN_MAX + 2];
	FILE *in = stdin;
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO), echo_off = false;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= (tcflag_t)~ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	if (!fgets(buf, sizeof(buf), in)) {
		if (echo_off)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		err("no PIN given (%s)", tty ? "end of input" :
		    "standard input is empty; give it there or as pin=");
		return NULL;
	}
	if (echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n > PIN_MAX) {
		explicit_bzero(buf, sizeof(buf));
		err("PIN longer than %d characters", PIN_MAX);
		return NULL;
	}
	char *out = strdup(buf);

	explicit_bzero(buf, sizeof(buf));
	if (!out)
		abort();
	return out;
}

static int pin_cb(void *userdata, int attempt, const char *token_url,
                  const char *token_label, unsigned flags, char *pin,
                  size_t pin_max)
{
	char **slot = (flags & GNUTLS_PIN_SO) ? &so_pin : &user_pin;
	char prompt[160];
	size_t len;

	(void)userdata;
	(void)token_url;
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG)) {
		pin_refused = true;
		return -1;
	}
	if (!*slot) {
		snprintf(prompt, sizeof(prompt), "%s PIN for token '%s': ",
		         (flags & GNUTLS_PIN_SO) ? "Security Officer" : "User",
		         token_label ? token_label : "?");
		*slot = pin_read(prompt);
		if (!*slot)
			return -1;
	}
	len = strlen(*slot);
	if (len + 1 > pin_max)
		return -1;
	memcpy(pin, *slot, len + 1);
	return 0;
}

bool token_pin_refused(void)
{
	return pin_refused;
}

bool token_init(ctx_t *ctx, const char *pin)
{
	int rc;

	if (pin) {
		secret_free(&user_pin);
		user_pin = strdup(pin);
	} else if (!user_pin && ctx->config_pin && ctx->config_token &&
	           ctx->token && strcmp(ctx->token, ctx->config_token) == 0) {
		user_pin = strdup(ctx->config_pin);
	}
	if (initialised)
		return true;
	rc = gnutls_pkcs11_init(ctx->module ? GNUTLS_PKCS11_FLAG_MANUAL :
	                        GNUTLS_PKCS11_FLAG_AUTO, NULL);
	if (rc < 0) {
		gerr(rc, "cannot initialise PKCS#11");
		return false;
	}
	if (ctx->module) {
		rc = gnutls_pkcs11_add_provider(ctx->module, NULL);
		if (rc < 0) {
			gerr(rc, "cannot load the PKCS#11 module %s",
			     ctx->module);
			return false;
		}
	}
	gnutls_pkcs11_set_pin_function(pin_cb, NULL);
	initialised = true;
	return true;
}

/* One URI path attribute value, percent-decoded, into out. */
static void pct_decode(const char *in, size_t len, char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < max; i++) {
		unsigned v;

		if (in[i] == '%' && i + 2 < len && sscanf(in + i + 1, "%2x",
		                                              &v) == 1) {
			out[o++] = (char)v;
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

/* Whether every token-identifying attribute of pattern (token,
 * manufacturer, serial, model) has the same value in url. */
static bool token_matches(const char *pattern, const char *url)
{
	static const char *const keys[] = {
		"token", "manufacturer", "serial", "model", NULL,
	};

	for (int k = 0; keys[k]; k++) {
		char want[256], have[256];
		const char *p = strstr(pattern, keys[k]), *u;
		size_t kl = strlen(keys[k]);

		while (p && !((p[-1] == ':' || p[-1] == ';') && p[kl] == '='))
			p = strstr(p + 1, keys[k]);
		if (!p)
			continue;
		p += kl + 1;
		pct_decode(p, strcspn(p, ";?"), want, sizeof(want));
		u = strstr(url, keys[k]);
		while (u && !((u[-1] == ':' || u[-1] == ';') && u[kl] == '='))
			u = strstr(u + 1, keys[k]);
		if (!u)
			return false;
		u += kl + 1;
		pct_decode(u, strcspn(u, ";?"), have, sizeof(have));
		if (strcmp(want, have) != 0)
			return false;
	}
	return true;
}

/* Whether the URI names a token that is present (GnuTLS itself treats a
 * URI that matches no token as an empty one). */
static bool token_present(const char *uri)
{
	for (unsigned seq = 0;; seq++) {
		char *url = NULL;
		bool match;

		if (gnutls_pkcs11_token_get_url(seq, GNUTLS_PKCS11_URL_GENERIC,
		                                &url) < 0)
			return false;
		match = token_matches(uri, url);
		gnutls_free(url);
		if (match)
			return true;
	}
}

bool token_login(ctx_t *ctx)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0;
	int rc;

	if (!token_present(ctx->token)) {
		err("%s: no such token (see 'ikev2cert tokens')", ctx->token);
		return false;
	}
	rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, ctx->token,
	                                        GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	for (unsigned i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	if (rc < 0) {
		if (pin_refused || rc == GNUTLS_E_PKCS11_PIN_ERROR)
			err("%s: wrong PIN", ctx->token);
		else
			gerr(rc, "%s: cannot log in", ctx->token);
		return false;
	}
	return true;
}

char *token_obj_uri(const char *token, const char *label, const char *type)
{
	const char *q = strchr(token, '?');
	size_t path = q ? (size_t)(q - token) : strlen(token);
	char *out;

	if (asprintf(&out, "%.*s%sobject=%s%s%s%s", (int)path, token,
	             path > 7 ? ";" : "", label, type ? ";type=" : "",
	             type ? type : "", q ? q : "") < 0)
		abort();
	return out;
}

/* Solaris: "no spaces in the PIN"; tokens want at least 4 characters. */
static bool pin_acceptable(const char *pin)
{
	size_t n = strlen(pin);

	if (n < 4 || n > 64) {
		err("the new PIN must be 4 to 64 characters");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (pin[i] == ' ' || pin[i] == '\t' || (unsigned char)pin[i] < 32) {
			err("the new PIN must not contain spaces or control "
			    "characters");
			return false;
		}
	return true;
}

int cmd_setpin(ctx_t *ctx, args_t *a)
{
	const char *oldp = arg_get(a, "oldpin"), *newp = arg_get(a, "newpin");
	char *old = NULL, *new = NULL, *again = NULL;
	bool bad;
	int rc = EXIT_FAIL, grc;

	if (!ctx_use_token(ctx, a, &bad)) {
		if (bad || !args_all_used(a, "setpin"))
			return EXIT_USAGE;
		if (oldp || newp) {
			err("setpin: a keystore directory has no PIN (its "
			    "files are protected by owner and mode); give -T "
			    "for a token");
			return EXIT_USAGE;
		}
		/* Solaris' setpin also creates the keystore: do that. */
		for (int d = 0; d < KS_MAX; d++)
			if (!ks_prepare(ctx, (ks_dir_t)d))
				return EXIT_FAIL;
		printf("keystore %s ready (owner uid %u, mode 0700)\n",
		       ctx->keystore, (unsigned)ctx->uid);
		return 0;
	}
	if (!args_all_used(a, "setpin"))
		return EXIT_USAGE;
	if (!token_init(ctx, NULL))
		return EXIT_FAIL;
	if (!token_present(ctx->token)) {
		err("%s: no such token (see 'ikev2cert tokens')", ctx->token);
		return EXIT_FAIL;
	}
	old = oldp ? strdup(oldp) : pin_read("Current PIN: ");
	if (!old)
		goto out;
	new = newp ? strdup(newp) : pin_read("New PIN: ");
	if (!new)
		goto out;
	if (!newp && isatty(STDIN_FILENO)) {
		again = pin_read("New PIN again: ");
		if (!again || strcmp(again, new) != 0) {
			err("the two new PINs differ");
			goto out;
		}
	}
	if (!pin_acceptable(new)) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* GnuTLS logs in (through the PIN callback) before C_SetPIN */
	secret_free(&user_pin);
	user_pin = strdup(old);
	grc = gnutls_pkcs11_token_set_pin(ctx->token, old, new,
	                                  GNUTLS_PIN_USER);
	if (grc < 0) {
		if (grc == GNUTLS_E_PKCS11_PIN_ERROR || pin_refused)
			err("%s: wrong PIN", ctx->token);
		else
			gerr(grc, "%s: cannot set the PIN", ctx->token);
		goto out;
	}
	printf("PIN of %s changed\n", ctx->token);
	rc = 0;
out:
	secret_free(&old);
	secret_free(&new);
	secret_free(&again);
	secret_free(&user_pin);
	secret_free(&so_pin);
	return rc;
}

int cmd_tokens(ctx_t *ctx, args_t *a)
{
	static const struct {
		gnutls_pkcs11_token_info_t what;
		const char *name;
	} info[] = {
		{ GNUTLS_PKCS11_TOKEN_LABEL, "label" },
		{ GNUTLS_PKCS11_TOKEN_MANUFACTURER, "manufacturer" },
		{ GNUTLS_PKCS11_TOKEN_MODEL, "model" },
		{ GNUTLS_PKCS11_TOKEN_SERIAL, "serial" },
	};
	int count = 0;

	if (!args_all_used(a, "tokens"))
		return EXIT_USAGE;
	if (!token_init(ctx, NULL))
		return EXIT_FAIL;
	for (unsigned seq = 0;; seq++) {
		char *url = NULL;
		unsigned flags = 0;
		int rc = gnutls_pkcs11_token_get_url(seq,
		                                     GNUTLS_PKCS11_URL_GENERIC,
		                                     &url);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			gerr(rc, "listing tokens");
			return EXIT_FAIL;
		}
		printf("%s\n", url);
		for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++) {
			char buf[256];
			size_t size = sizeof(buf);

			if (gnutls_pkcs11_token_get_info(url, info[i].what, buf,
			                                 &size) >= 0)
				printf("  %-13s %s\n", info[i].name, buf);
		}
		if (gnutls_pkcs11_token_get_flags(url, &flags) >= 0)
			printf("  %-13s%s%s%s\n", "flags",
			       (flags & GNUTLS_PKCS11_TOKEN_LOGIN_REQUIRED) ?
			       " login-required" : "",
			       (flags & GNUTLS_PKCS11_TOKEN_USER_PIN_LOCKED) ?
			       " pin-locked" : "",
			       (flags & GNUTLS_PKCS11_TOKEN_TRUSTED) ?
			       " trusted" : "");
		gnutls_free(url);
		count++;
	}
	if (count == 0)
		printf("no PKCS#11 tokens%s\n", ctx->module ? "" :
		       " (p11-kit lists no module with a token; -m loads one)");
	return 0;
}
