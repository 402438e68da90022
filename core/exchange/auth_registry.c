/*
 * auth_registry.c - which authenticator serves which AUTH method
 * (see <ikev2d/auth.h>).
 */
#include <ikev2d/auth.h>
#include <ikev2d/bus.h>

#include <pthread.h>

#define MAX_AUTH 16

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static const authenticator_t *registered[MAX_AUTH];

bool auth_register(const char *plugin, const authenticator_t *auth)
{
	bool ok = false;
	int free_slot = -1;

	pthread_rwlock_wrlock(&lock);
	for (int i = 0; i < MAX_AUTH; i++) {
		if (!registered[i]) {
			if (free_slot < 0)
				free_slot = i;
		} else if (registered[i]->method == auth->method) {
			free_slot = -2;
			break;
		}
	}
	if (free_slot >= 0) {
		registered[free_slot] = auth;
		ok = true;
	}
	pthread_rwlock_unlock(&lock);
	if (!ok)
		log_error(DBG_PLUGIN, "%s: AUTH method %d already has an authenticator",
		          plugin, auth->method);
	return ok;
}

void auth_unregister(const authenticator_t *auth)
{
	pthread_rwlock_wrlock(&lock);
	for (int i = 0; i < MAX_AUTH; i++)
		if (registered[i] == auth)
			registered[i] = NULL;
	pthread_rwlock_unlock(&lock);
}

const authenticator_t *auth_get(auth_method_t method)
{
	const authenticator_t *found = NULL;
	pthread_rwlock_rdlock(&lock);
	for (int i = 0; i < MAX_AUTH && !found; i++)
		if (registered[i] && registered[i]->method == method)
			found = registered[i];
	pthread_rwlock_unlock(&lock);
	return found;
}

static bool is_ecdsa(auth_method_t m)
{
	return m == AUTH_ECDSA_256 || m == AUTH_ECDSA_384 || m == AUTH_ECDSA_521;
}

bool auth_method_accepts(auth_method_t rule_method, auth_method_t peer_method)
{
	switch (rule_method) {
	case AUTH_PSK:
	case AUTH_DSS_SIG:
		return peer_method == rule_method;
	case AUTH_RSA_SIG:
		return peer_method == AUTH_RSA_SIG || peer_method == AUTH_DIGITAL_SIG;
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521:
		return is_ecdsa(peer_method) || peer_method == AUTH_DIGITAL_SIG;
	case AUTH_DIGITAL_SIG:
		return peer_method == AUTH_DIGITAL_SIG || peer_method == AUTH_RSA_SIG ||
		       peer_method == AUTH_DSS_SIG || is_ecdsa(peer_method);
	default:
		return false;
	}
}

const authenticator_t *auth_get_for_rule(auth_method_t rule_method)
{
	const authenticator_t *a = auth_get(rule_method);
	if (!a && is_ecdsa(rule_method))
		a = auth_get(AUTH_ECDSA_256);
	return a;
}
