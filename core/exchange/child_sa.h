/*
 * child_sa.h - negotiating and installing CHILD SAs (IKE_AUTH and
 * CREATE_CHILD_SA share this).
 */
#ifndef IKEV2D_EXCHANGE_CHILD_SA_H
#define IKEV2D_EXCHANGE_CHILD_SA_H

#include "exchange/engine_priv.h"

/* Responder: pick a child config of the SA's rule whose selectors and ESP
 * proposals meet the request's SA/TSi/TSr (narrowing), allocate our SPI.
 * Returns 0 with *out set, or the notify to answer with
 * (TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN, ...). */
uint16_t child_respond(engine_t *e, ike_sa_t *sa, const message_t *m,
                       bool in_ike_auth, child_sa_t **out,
                       const proposal_t **chosen);
/* Responder: SA, TSi, TSr (and USE_TRANSPORT_MODE) for the response. */
void child_add_response_payloads(message_t *r, const child_sa_t *c,
                                 uint8_t prop_number);
/* Initiator: allocate our SPI, add N(USE_TRANSPORT_MODE), SA, TSi, TSr. */
bool child_add_request_payloads(engine_t *e, ike_sa_t *sa, message_t *m,
                                child_sa_t *c, bool in_ike_auth);
/* Initiator: check the response; 0 or the error (notify type). */
uint16_t child_check_response(ike_sa_t *sa, child_sa_t *c, const message_t *m,
                              bool in_ike_auth);
/* Initiator: make c the CHILD SA someone else's policy asked for: its
 * selectors (before child_add_request_payloads) and reqid. */
void child_apply_acq(child_sa_t *c, const child_acq_t *acq);
void child_set_ts(child_sa_t *c, const ts_t *local, int n_local,
                  const ts_t *remote, int n_remote);

#endif
