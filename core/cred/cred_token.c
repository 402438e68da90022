/*
 * cred_token.c - the daemon's PKCS#11 tokens: each opened once by URI and
 * kept across keystore reloads, so a token unlocked with `ikeadm token
 * login` stays unlocked when SIGHUP rereads the keystore.
 */
#include <ikev2d/bus.h>
#include <ikev2d/cred.h>
#include "cred/keys_msg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cred_token_t *tokens[MAX_TOKENS];
static int n_tokens;

/* Under privsep the engine opens no token: the keys process has them. */
static bool (*proxy_login)(const char *uri, const char *pin);
static bool (*proxy_logout)(const char *uri);

void cred_token_set_proxy(bool (*login)(const char *uri, const char *pin),
                          bool (*logout)(const char *uri))
{
	proxy_login = login;
	proxy_logout = logout;
}

cred_token_t *cred_token_get(const char *uri)
{
	cred_token_t *tok = NULL;

	if (!uri)
		return NULL;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_tokens && !tok; i++)
		if (strcmp(tokens[i]->get_uri(tokens[i]), uri) == 0)
			tok = tokens[i];
	if (!tok && n_tokens < MAX_TOKENS) {
		tok = cred_open_token(uri);
		if (tok)
			tokens[n_tokens++] = tok;
	} else if (!tok) {
		log_error(DBG_CERT, "more than %d PKCS#11 tokens", MAX_TOKENS);
	}
	pthread_mutex_unlock(&lock);
	return tok;
}

bool cred_token_login(const char *uri, const char *pin)
{
	bool ok = true, any = false;

	if (!pin)
		return false;
	if (proxy_login)
		return proxy_login(uri, pin);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_tokens; i++) {
		if (uri && strcmp(tokens[i]->get_uri(tokens[i]), uri) != 0)
			continue;
		any = true;
		ok &= tokens[i]->login(tokens[i], pin);
	}
	pthread_mutex_unlock(&lock);
	if (!any) {
		char shown[256];

		log_error(DBG_CERT, "token login: no open token%s%s",
		          uri ? " " : "",
		          uri ? cred_uri_for_log(uri, shown, sizeof(shown)) : "");
	}
	return ok && any;
}

bool cred_token_logout(const char *uri)
{
	bool any = false;

	if (proxy_logout)
		return proxy_logout(uri);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_tokens; i++) {
		if (uri && strcmp(tokens[i]->get_uri(tokens[i]), uri) != 0)
			continue;
		any = true;
		tokens[i]->logout(tokens[i]);
	}
	pthread_mutex_unlock(&lock);
	return any;
}

void cred_tokens_flush(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_tokens; i++)
		tokens[i]->destroy(tokens[i]);
	n_tokens = 0;
	pthread_mutex_unlock(&lock);
}
