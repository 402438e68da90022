/*
 * gnutls_pkcs11.c - private keys behind PKCS#11 URIs (RFC 7512), through
 * GnuTLS and the modules p11-kit is configured with.
 *
 * The key never leaves the token: signing goes through the module.  The
 * PIN comes from the caller (the configuration) or from the URI's
 * pin-value/pin-source attributes, which GnuTLS handles itself.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <gnutls/pkcs11.h>
#include <stdlib.h>
#include <string.h>

bool gt_pkcs11_init(void)
{
	/* AUTO: the modules p11-kit lists (e.g. softhsm2.module). */
	int rc = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_AUTO, NULL);

	if (rc < 0) {
		gt_log_error("initialising PKCS#11", rc);
		return false;
	}
	return true;
}

void gt_pkcs11_deinit(void)
{
	gnutls_pkcs11_deinit();
}

/* Hands the configured PIN to GnuTLS when the token asks for it (again
 * after a session needs a new login), but never a second time in one
 * login: a wrong PIN must not be retried until the token locks. */
typedef struct {
	char *pin;
} pin_ctx_t;

static int pin_cb(void *userdata, int attempt, const char *token_url,
                  const char *token_label, unsigned flags, char *pin,
                  size_t pin_max)
{
	pin_ctx_t *ctx = userdata;
	size_t len;

	if (!ctx->pin || attempt > 0 || (flags & GNUTLS_PIN_WRONG)) {
		log_error(DBG_CERT, "pkcs11: token '%s' needs %s PIN",
		          token_label ? token_label : "?",
		          ctx->pin ? "a correct" : "a");
		return -1;
	}
	len = strlen(ctx->pin);
	if (len + 1 > pin_max)
		return -1;
	memcpy(pin, ctx->pin, len + 1);
	return 0;
}

/* The URI of the public key object that goes with a private key URI:
 * the same path attributes with type=public (inserted before any query
 * part, where the PIN attributes live). */
static char *public_uri(const char *uri)
{
	const char *query = strchr(uri, '?');
	size_t path_len = query ? (size_t)(query - uri) : strlen(uri);
	const char *type = NULL;
	char *out;

	for (const char *p = uri; (p = strstr(p, "type=private")); p++)
		if (p < uri + path_len && (p[-1] == ';' || p[-1] == ':'))
			type = p;
	out = xmalloc(strlen(uri) + sizeof(";type=public"));
	if (type) {
		size_t pre = (size_t)(type - uri);
		memcpy(out, uri, pre);
		strcpy(out + pre, "type=public");
		strcat(out, type + strlen("type=private"));
	} else {
		memcpy(out, uri, path_len);
		out[path_len] = '\0';
		if (path_len > strlen("pkcs11:"))
			strcat(out, ";");
		strcat(out, "type=public");
		strcat(out, uri + path_len);
	}
	return out;
}

static gnutls_pubkey_t public_from_uri(const char *uri)
{
	gnutls_pubkey_t pub;
	char *pub_uri = public_uri(uri);

	if (gnutls_pubkey_init(&pub) < 0) {
		memwipe(pub_uri, strlen(pub_uri));
		free(pub_uri);
		return NULL;
	}
	if (gnutls_pubkey_import_url(pub, pub_uri, 0) < 0) {
		gnutls_pubkey_deinit(pub);
		pub = NULL;
	}
	memwipe(pub_uri, strlen(pub_uri));   /* the query may hold the PIN */
	free(pub_uri);
	return pub;
}

static void pin_ctx_free(void *arg)
{
	pin_ctx_t *ctx = arg;

	if (ctx->pin) {
		memwipe(ctx->pin, strlen(ctx->pin));
		free(ctx->pin);
	}
	free(ctx);
}

private_key_t *gt_pkcs11_load(const char *uri, const char *pin)
{
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub = NULL, probe;
	pin_ctx_t *ctx;
	char shown[256];
	int rc;

	if (!uri || strncmp(uri, "pkcs11:", 7) != 0) {
		log_error(DBG_CERT, "pkcs11: '%s' is not a PKCS#11 URI",
		          uri ? uri : "");
		return NULL;
	}
	if (gnutls_privkey_init(&priv) < 0)
		return NULL;
	/* The PIN context lives as long as the key: GnuTLS may ask again
	 * when the token session needs a new login. */
	ctx = xzalloc(sizeof(*ctx));
	ctx->pin = pin ? xstrdup(pin) : NULL;
	gnutls_privkey_set_pin_function(priv, pin_cb, ctx);
	/* Logs (and the key's name) show the URI without its query part,
	 * which may carry pin-value. */
	cred_uri_for_log(uri, shown, sizeof(shown));
	rc = gnutls_privkey_import_url(priv, uri, 0);
	if (rc < 0) {
		log_error(DBG_CERT, "pkcs11: cannot open %s: %s", shown,
		          gnutls_strerror(rc));
		gnutls_privkey_deinit(priv);
		pin_ctx_free(ctx);
		return NULL;
	}
	/* Most tokens give the public half through the private object's
	 * attributes; otherwise look for the public object. */
	if (gnutls_pubkey_init(&probe) == 0) {
		if (gnutls_pubkey_import_privkey(probe, priv, 0, 0) < 0)
			pub = public_from_uri(uri);
		gnutls_pubkey_deinit(probe);
	}
	return gt_privkey_wrap_ctx(priv, pub, shown, ctx, pin_ctx_free);
}
