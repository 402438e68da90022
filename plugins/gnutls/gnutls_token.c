/*
 * gnutls_token.c - cred_token_t on GnuTLS's PKCS#11: a token's
 * certificates (read without a PIN) and keys that sign only while the
 * token is unlocked.
 *
 * Locking is ours, not only the module's: every key sign() takes the
 * token's lock for reading and refuses while no PIN is set; login() and
 * logout() take it for writing.  logout() also closes every key's GnuTLS
 * object (and with it the PKCS#11 session), so the module's own login
 * ends with the last session and a later login() really checks the PIN.
 */
#define _GNU_SOURCE
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <gnutls/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gt_token gt_token_t;

typedef struct tkey {
	private_key_t public;
	gt_token_t *tok;
	char *uri;
	key_type_t type;
	size_t bits;
	public_key_t *pub;          /* the certificate's key */
	private_key_t *inner;       /* opened while unlocked, else NULL */
	pthread_mutex_t sign_lock;  /* one signature at a time per object */
	struct tkey *next;
} tkey_t;

struct gt_token {
	cred_token_t public;
	pthread_rwlock_t lock;      /* write: login/logout/key list */
	char *uri;
	char *shown;                /* uri without its query part */
	char *pin;                  /* NULL: locked (secret) */
	tkey_t *keys;
};

/* The PIN GnuTLS asks for while login() checks one (global callback, for
 * operations with no object of their own); per thread. */
static __thread const char *checking_pin;

static int copy_pin(const char *have, int attempt, unsigned flags, char *pin,
                    size_t pin_max)
{
	size_t len;

	if (!have || attempt > 0 || (flags & GNUTLS_PIN_WRONG) ||
	    (flags & GNUTLS_PIN_SO))
		return -1;    /* never offer a refused PIN twice */
	len = strlen(have);
	if (len + 1 > pin_max)
		return -1;
	memcpy(pin, have, len + 1);
	return 0;
}

static int global_pin_cb(void *userdata, int attempt, const char *token_url,
                         const char *token_label, unsigned flags, char *pin,
                         size_t pin_max)
{
	(void)userdata;
	(void)token_url;
	(void)token_label;
	return copy_pin(checking_pin, attempt, flags, pin, pin_max);
}

/* A key object's callback: the token's PIN, as login() set it (read
 * under the token's lock, which sign() holds). */
static int key_pin_cb(void *userdata, int attempt, const char *token_url,
                      const char *token_label, unsigned flags, char *pin,
                      size_t pin_max)
{
	tkey_t *k = userdata;

	(void)token_url;
	(void)token_label;
	return copy_pin(k->tok->pin, attempt, flags, pin, pin_max);
}

/* ------------------------------------------------------------------ keys */

static void key_close(tkey_t *k)
{
	if (k->inner) {
		k->inner->destroy(k->inner);
		k->inner = NULL;
	}
}

/* Open the GnuTLS object of a key (token write-locked and unlocked). */
static bool key_open(tkey_t *k)
{
	gnutls_privkey_t priv;
	char shown[256];
	int rc;

	if (k->inner)
		return true;
	if (gnutls_privkey_init(&priv) < 0)
		return false;
	gnutls_privkey_set_pin_function(priv, key_pin_cb, k);
	rc = gnutls_privkey_import_url(priv, k->uri, 0);
	if (rc < 0) {
		log_error(DBG_CERT, "pkcs11: cannot open %s: %s",
		          cred_uri_for_log(k->uri, shown, sizeof(shown)),
		          gnutls_strerror(rc));
		gnutls_privkey_deinit(priv);
		return false;
	}
	k->inner = gt_privkey_wrap(priv, NULL,
	                           cred_uri_for_log(k->uri, shown, sizeof(shown)));
	return k->inner != NULL;
}

static key_type_t key_get_type(private_key_t *public)
{
	return ((tkey_t *)public)->type;
}

static size_t key_get_keysize(private_key_t *public)
{
	return ((tkey_t *)public)->bits;
}

static bool key_sign(private_key_t *public, sig_scheme_t scheme, chunk_t data,
                     chunk_t *sig)
{
	tkey_t *k = (tkey_t *)public;
	bool ok = false;

	pthread_rwlock_rdlock(&k->tok->lock);
	if (!k->tok->pin) {
		log_error(DBG_CERT, "pkcs11: token %s is locked: not signing "
		          "(ikeadm token login)", k->tok->shown);
	} else if (!k->inner) {
		log_error(DBG_CERT, "pkcs11: key of token %s could not be "
		          "opened at login", k->tok->shown);
	} else {
		pthread_mutex_lock(&k->sign_lock);
		ok = k->inner->sign(k->inner, scheme, data, sig);
		pthread_mutex_unlock(&k->sign_lock);
	}
	pthread_rwlock_unlock(&k->tok->lock);
	return ok;
}

static public_key_t *key_get_public_key(private_key_t *public)
{
	tkey_t *k = (tkey_t *)public;
	chunk_t spki;
	public_key_t *pub;

	if (!k->pub->get_encoding(k->pub, &spki))
		return NULL;
	pub = gt_pubkey_load(k->type, spki);
	chunk_free(&spki);
	return pub;
}

static void key_destroy(private_key_t *public)
{
	tkey_t *k = (tkey_t *)public;
	gt_token_t *tok = k->tok;

	pthread_rwlock_wrlock(&tok->lock);
	for (tkey_t **pp = &tok->keys; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	key_close(k);
	pthread_rwlock_unlock(&tok->lock);
	k->pub->destroy(k->pub);
	pthread_mutex_destroy(&k->sign_lock);
	free(k->uri);
	free(k);
}

static private_key_t *tok_get_key(cred_token_t *public, const char *key_uri,
                                  certificate_t *cert)
{
	gt_token_t *tok = (gt_token_t *)public;
	tkey_t *k;
	public_key_t *pub;

	if (!key_uri || !cert || !(pub = cert->get_public_key(cert)))
		return NULL;
	k = xzalloc(sizeof(*k));
	k->public = (private_key_t){
		.get_type = key_get_type,
		.get_keysize = key_get_keysize,
		.sign = key_sign,
		.get_public_key = key_get_public_key,
		.destroy = key_destroy,
	};
	k->tok = tok;
	k->uri = xstrdup(key_uri);
	k->pub = pub;
	k->type = pub->get_type(pub);
	k->bits = pub->get_keysize(pub);
	pthread_mutex_init(&k->sign_lock, NULL);
	pthread_rwlock_wrlock(&tok->lock);
	k->next = tok->keys;
	tok->keys = k;
	if (tok->pin)
		key_open(k);
	pthread_rwlock_unlock(&tok->lock);
	return &k->public;
}

/* ---------------------------------------------------------------- token */

static const char *tok_get_uri(cred_token_t *public)
{
	return ((gt_token_t *)public)->uri;
}

/* A cert object's URI with type=private instead of type=cert. */
static char *private_uri(const char *cert_uri)
{
	const char *t = strstr(cert_uri, "type=cert");
	char *out;

	if (!t)
		return NULL;
	if (asprintf(&out, "%.*stype=private%s", (int)(t - cert_uri), cert_uri,
	             t + strlen("type=cert")) < 0)
		return NULL;
	return out;
}

static size_t tok_get_certs(cred_token_t *public, certificate_t ***certs,
                            char ***key_uris)
{
	gt_token_t *tok = (gt_token_t *)public;
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0;
	size_t got = 0;
	int rc;

	*certs = NULL;
	*key_uris = NULL;
	rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, tok->uri,
	                                        GNUTLS_PKCS11_OBJ_FLAG_CRT);
	if (rc < 0) {
		log_error(DBG_CERT, "pkcs11: listing certificates of %s: %s",
		          tok->shown, gnutls_strerror(rc));
		return 0;
	}
	*certs = xzalloc((n + 1) * sizeof(**certs));
	*key_uris = xzalloc((n + 1) * sizeof(**key_uris));
	for (unsigned i = 0; i < n; i++) {
		gnutls_datum_t der = { NULL, 0 };
		char *url = NULL, *kuri = NULL;
		certificate_t *c = NULL;

		if (gnutls_pkcs11_obj_export2(objs[i], &der) >= 0)
			c = gt_cert_load(chunk_create(der.data, der.size));
		if (gnutls_pkcs11_obj_export_url(objs[i], GNUTLS_PKCS11_URL_GENERIC,
		                                 &url) >= 0)
			kuri = private_uri(url);
		if (c && kuri) {
			(*certs)[got] = c;
			(*key_uris)[got++] = kuri;
		} else {
			log_error(DBG_CERT, "pkcs11: a certificate on %s cannot be "
			          "read", tok->shown);
			if (c)
				c->destroy(c);
			free(kuri);
		}
		gnutls_free(url);
		gnutls_free(der.data);
		gnutls_pkcs11_obj_deinit(objs[i]);
	}
	gnutls_free(objs);
	return got;
}

static void forget_pin(gt_token_t *tok)
{
	if (tok->pin) {
		memwipe(tok->pin, strlen(tok->pin));
		free(tok->pin);
		tok->pin = NULL;
	}
}

static bool tok_login(cred_token_t *public, const char *pin)
{
	gt_token_t *tok = (gt_token_t *)public;
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0;
	int rc;

	if (!pin)
		return false;
	pthread_rwlock_wrlock(&tok->lock);
	/* Close our sessions first, so the module does not answer from an
	 * earlier login: the PIN given now is the one checked. */
	for (tkey_t *k = tok->keys; k; k = k->next)
		key_close(k);
	forget_pin(tok);
	checking_pin = pin;
	rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, tok->uri,
	                                        GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	checking_pin = NULL;
	for (unsigned i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	if (rc < 0) {
		log_error(DBG_CERT, "pkcs11: token %s: %s", tok->shown,
		          rc == GNUTLS_E_PKCS11_PIN_ERROR || rc == GNUTLS_E_PKCS11_ERROR ?
		          "wrong PIN, still locked" : gnutls_strerror(rc));
		pthread_rwlock_unlock(&tok->lock);
		return false;
	}
	tok->pin = xstrdup(pin);
	for (tkey_t *k = tok->keys; k; k = k->next)
		key_open(k);
	pthread_rwlock_unlock(&tok->lock);
	log_op(DBG_CERT, "pkcs11: token %s unlocked", tok->shown);
	return true;
}

static void tok_logout(cred_token_t *public)
{
	gt_token_t *tok = (gt_token_t *)public;

	pthread_rwlock_wrlock(&tok->lock);
	for (tkey_t *k = tok->keys; k; k = k->next)
		key_close(k);
	forget_pin(tok);
	pthread_rwlock_unlock(&tok->lock);
	log_op(DBG_CERT, "pkcs11: token %s locked", tok->shown);
}

static bool tok_is_unlocked(cred_token_t *public)
{
	gt_token_t *tok = (gt_token_t *)public;
	bool unlocked;

	pthread_rwlock_rdlock(&tok->lock);
	unlocked = tok->pin != NULL;
	pthread_rwlock_unlock(&tok->lock);
	return unlocked;
}

static void tok_destroy(cred_token_t *public)
{
	gt_token_t *tok = (gt_token_t *)public;

	if (tok->keys)
		log_error(DBG_CERT, "pkcs11: token %s destroyed with keys in use",
		          tok->shown);
	forget_pin(tok);
	pthread_rwlock_destroy(&tok->lock);
	memwipe(tok->uri, strlen(tok->uri));   /* the query may hold a PIN */
	free(tok->uri);
	free(tok->shown);
	free(tok);
}

/* Whether a present token has the label the URI's token= names (any
 * token when it names none): GnuTLS lists an unmatched URI as an empty
 * token, which would make a typo look like a token without objects. */
static bool token_present(const char *uri)
{
	for (unsigned seq = 0;; seq++) {
		char *url = NULL;
		char label[256];
		size_t size = sizeof(label);
		bool match;

		if (gnutls_pkcs11_token_get_url(seq, GNUTLS_PKCS11_URL_GENERIC,
		                                &url) < 0)
			return false;
		/* the token's label must match the URI's token= if given */
		match = gnutls_pkcs11_token_get_info(url, GNUTLS_PKCS11_TOKEN_LABEL,
		                                     label, &size) >= 0;
		if (match) {
			const char *t = strstr(uri, "token=");

			if (t && (t[-1] == ':' || t[-1] == ';')) {
				char want[256];
				size_t o = 0;

				t += strlen("token=");
				for (; *t && *t != ';' && *t != '?' &&
				       o + 1 < sizeof(want); t++) {
					unsigned v;

					if (*t == '%' && sscanf(t + 1, "%2x", &v) == 1) {
						want[o++] = (char)v;
						t += 2;
					} else {
						want[o++] = *t;
					}
				}
				want[o] = '\0';
				match = strcmp(want, label) == 0;
			}
		}
		gnutls_free(url);
		if (match)
			return true;
	}
}

cred_token_t *gt_token_open(const char *uri)
{
	gt_token_t *tok;
	char shown[256];

	cred_uri_for_log(uri, shown, sizeof(shown));
	if (!token_present(uri)) {
		log_error(DBG_CERT, "pkcs11: no token matches %s", shown);
		return NULL;
	}
	tok = xzalloc(sizeof(*tok));
	tok->public = (cred_token_t){
		.get_uri = tok_get_uri,
		.get_certs = tok_get_certs,
		.login = tok_login,
		.logout = tok_logout,
		.is_unlocked = tok_is_unlocked,
		.get_key = tok_get_key,
		.destroy = tok_destroy,
	};
	tok->uri = xstrdup(uri);
	tok->shown = xstrdup(shown);
	pthread_rwlock_init(&tok->lock, NULL);
	return &tok->public;
}

void gt_token_init(void)
{
	gnutls_pkcs11_set_pin_function(global_pin_cb, NULL);
}
