/*
 * keystore_token.c - a PKCS#11 token's certificates and keys in the
 * keystore: signers whose is_ready() is the token's lock state.
 */
#define _GNU_SOURCE
#include <ikev2d/bus.h>
#include <ikev2d/keystore.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	key_signer_t public;
	cred_token_t *tok;      /* borrowed: tokens live as long as the daemon */
	private_key_t *key;
} token_signer_t;

static key_type_t ts_get_type(key_signer_t *s)
{
	private_key_t *k = ((token_signer_t *)s)->key;

	return k->get_type(k);
}

static size_t ts_get_keysize(key_signer_t *s)
{
	private_key_t *k = ((token_signer_t *)s)->key;

	return k->get_keysize(k);
}

static bool ts_is_ready(key_signer_t *s)
{
	cred_token_t *tok = ((token_signer_t *)s)->tok;

	return tok->is_unlocked(tok);
}

static bool ts_sign(key_signer_t *s, sig_scheme_t scheme, chunk_t data,
                    chunk_t *sig)
{
	private_key_t *k = ((token_signer_t *)s)->key;

	return k->sign(k, scheme, data, sig);   /* refuses while locked */
}

static void ts_destroy(key_signer_t *s)
{
	token_signer_t *this = (token_signer_t *)s;

	this->key->destroy(this->key);
	free(this);
}

/* PINs already tried per token (hash of URI and PIN would do as well; the
 * PIN is in the configuration in memory anyway).  Bounded. */
#define MAX_TRIED 16
static pthread_mutex_t tried_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *uri;
	char *pin;
} tried[MAX_TRIED];
static int n_tried;

/* Whether this PIN was already tried on this token (and record it). */
static bool already_tried(const char *uri, const char *pin)
{
	bool seen = false;

	pthread_mutex_lock(&tried_lock);
	for (int i = 0; i < n_tried && !seen; i++) {
		if (strcmp(tried[i].uri, uri) != 0)
			continue;
		seen = strcmp(tried[i].pin, pin) == 0;
		if (!seen) {
			/* a new PIN for this token replaces the old one */
			memwipe(tried[i].pin, strlen(tried[i].pin));
			free(tried[i].pin);
			tried[i].pin = xstrdup(pin);
			pthread_mutex_unlock(&tried_lock);
			return false;
		}
	}
	if (!seen && n_tried < MAX_TRIED) {
		tried[n_tried].uri = xstrdup(uri);
		tried[n_tried++].pin = xstrdup(pin);
	}
	pthread_mutex_unlock(&tried_lock);
	return seen;
}

bool keystore_add_token(keystore_t *ks, const char *uri, const char *pin)
{
	cred_token_t *tok = cred_token_get(uri);
	certificate_t **certs = NULL;
	char **key_uris = NULL;
	char shown[256];
	size_t n;

	cred_uri_for_log(uri, shown, sizeof(shown));
	if (!tok) {
		log_error(DBG_CERT, "PKCS#11 token %s cannot be opened", shown);
		return false;
	}
	if (pin && !tok->is_unlocked(tok) && !already_tried(uri, pin))
		tok->login(tok, pin);    /* a wrong PIN is logged there */
	n = tok->get_certs(tok, &certs, &key_uris);
	for (size_t i = 0; i < n; i++) {
		private_key_t *key = tok->get_key(tok, key_uris[i], certs[i]);
		token_signer_t *s = NULL;

		if (key) {
			s = xzalloc(sizeof(*s));
			s->public = (key_signer_t){
				.get_type = ts_get_type,
				.get_keysize = ts_get_keysize,
				.is_ready = ts_is_ready,
				.sign = ts_sign,
				.destroy = ts_destroy,
			};
			s->tok = tok;
			s->key = key;
		}
		keystore_add_entry(ks, certs[i], s ? &s->public : NULL, shown);
		free(key_uris[i]);
	}
	free(certs);
	free(key_uris);
	log_op(DBG_CERT, "PKCS#11 token %s: %zu certificate%s, %s", shown, n,
	       n == 1 ? "" : "s", tok->is_unlocked(tok) ? "unlocked" :
	       "locked (signs nothing until 'ikeadm token login')");
	return true;
}
