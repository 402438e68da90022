/*
 * auth_wait.h - an IKE_AUTH parked while its peer's certificate waits for
 * a revocation answer (auth_wait.c).  All with the SA checked out, except
 * auth_wait_detach and auth_wait_parked_count.
 */
#ifndef IKEV2D_EXCHANGE_AUTH_WAIT_H
#define IKEV2D_EXCHANGE_AUTH_WAIT_H

#include "exchange/engine_priv.h"

/* More rounds than this (a chain of several certificates, each asking
 * several responders) and the certificate is refused. */
#define AUTH_WAIT_MAX_ROUNDS 16

/* The wait to give the validator for sa's IKE_AUTH (made on first use,
 * kept in its handshake state); NULL once established. */
cert_wait_t *auth_wait_get(engine_t *e, ike_sa_t *sa);
/* Verification said pending: keep m (taken; the caller must not destroy
 * it) until the answer.  False (logged) after AUTH_WAIT_MAX_ROUNDS: the
 * caller refuses the peer and still owns m. */
bool auth_wait_park(ike_sa_t *sa, message_t *m);
/* Whether m (NULL: any message) is parked in sa. */
bool auth_wait_holds(const ike_sa_t *sa, const message_t *m);
/* The handshake state goes (ike_hs_free): its parked message too. */
void auth_wait_release(auth_wait_t *w);
/* IKE_AUTH messages of the engine parked now. */
unsigned auth_wait_parked_count(engine_t *e);
/* engine_destroy: waits still out find no engine when they resume;
 * resumes in progress are waited for. */
void auth_wait_detach(engine_t *e);

/* ike_auth.c: verify the parked m again and go on (either role). */
void ike_auth_resume(engine_t *e, ike_sa_t *sa, message_t *m);

#endif
