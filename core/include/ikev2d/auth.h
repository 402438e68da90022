/*
 * auth.h - authenticators: how an AUTH payload is computed and checked for
 * one authentication method (RFC 7296 §2.15).
 *
 * The engine computes the octets to be signed (the IKE_SA_INIT message,
 * the peer's nonce and prf(SK_p, ID payload body)) and asks the
 * authenticator registered for the rule's auth_method to build our AUTH
 * value, and the one for the peer's method to verify theirs.  A plugin
 * registers its authenticator from the callback of its "auth:<name>"
 * feature ("auth:psk", "auth:pubkey") and unregisters it on unload.
 *
 * Implementations compare in constant time, wipe what they derived and
 * never log secrets.
 */
#ifndef IKEV2D_AUTH_H
#define IKEV2D_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <ikev2d/chunk.h>
#include <ikev2d/ikev2.h>
#include <ikev2d/transform.h>

typedef struct {
	prf_id_t prf;          /* the IKE SA's negotiated PRF */
	chunk_t octets;        /* the signed octets of the side being authenticated */
	/* Who is being authenticated: its ID payload type and body. */
	uint8_t id_type;
	chunk_t id;
	/* Shared secret of the side being authenticated: for build our
	 * local_key, for verify the rule's remote_key.  Empty for methods
	 * that use no shared secret. */
	chunk_t psk;
	/* For logs: the rule label and "#N" of the IKE SA. */
	const char *rule;
	uint64_t sa_id;
} auth_params_t;

typedef struct authenticator authenticator_t;
struct authenticator {
	/* The AUTH payload's method field this authenticator produces. */
	auth_method_t method;
	/* Compute our AUTH data (freshly allocated).  False (logged) if it
	 * cannot, e.g. no key. */
	bool (*build)(const authenticator_t *self, const auth_params_t *p,
	              chunk_t *auth_data);
	/* Check the peer's AUTH data; false if it does not verify. */
	bool (*verify)(const authenticator_t *self, const auth_params_t *p,
	               chunk_t auth_data);
};

/* Register an authenticator for its method; false if the method already
 * has one.  'plugin' names the provider in logs. */
bool auth_register(const char *plugin, const authenticator_t *auth);
void auth_unregister(const authenticator_t *auth);
/* The authenticator for a method, or NULL. */
const authenticator_t *auth_get(auth_method_t method);

#endif
