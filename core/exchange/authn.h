/*
 * authn.h - the engine's side of authentication (authn.c): the signed
 * octets, our AUTH and the check of the peer's through the authenticator
 * of the method (<ikev2d/auth.h>), SIGNATURE_HASH_ALGORITHMS and CERTREQ
 * in IKE_SA_INIT / IKE_AUTH, and whether a rule the responder switches to
 * allows what the IKE SA already negotiated.
 */
#ifndef IKEV2D_EXCHANGE_AUTHN_H
#define IKEV2D_EXCHANGE_AUTHN_H

#include "exchange/engine_priv.h"

/* IKE_SA_INIT (ours, request or response): N(SIGNATURE_HASH_ALGORITHMS)
 * when an authenticator for RFC 7427 is loaded; with certreq, CERTREQ
 * payloads for what the rule wants of the peer (responder). */
void authn_sa_init_add(ike_sa_t *sa, message_t *m, bool certreq);
/* The peer's IKE_SA_INIT or IKE_AUTH request: note its
 * SIGNATURE_HASH_ALGORITHMS and CERTREQ key ids. */
void authn_note_peer(ike_sa_t *sa, const message_t *m);
/* Our IKE_AUTH request: CERTREQ for what the rule wants of the peer. */
void authn_add_certreq(ike_sa_t *sa, message_t *m);

/* Our AUTH for the rule's local method, CERT payloads added to m. */
bool authn_build(ike_sa_t *sa, message_t *m, uint8_t id_type, chunk_t id,
                 uint8_t *method, chunk_t *auth);
/* The peer's AUTH (with its CERTs from m) against the rule: FAILED
 * (logged) if the method is not the rule's or it does not verify;
 * PENDING when the certificate waits for a revocation answer and wait
 * (auth_wait.h) was given: its resume comes, then verify again. */
auth_verify_t authn_verify(ike_sa_t *sa, const message_t *m,
                           const id_payload_t *id, const auth_payload_t *auth,
                           cert_wait_t *wait);

/* Whether rule r (the responder's new rule after reading IDi) allows the
 * IKE SA's negotiated algorithms and the peer's AUTH method; if not, why
 * is set. */
bool authn_rule_allows(ike_sa_t *sa, const rule_t *r, uint8_t peer_method,
                       char *why, size_t len);

#endif
