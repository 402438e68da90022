/*
 * ike_auth.c - the IKE_AUTH exchange (RFC 7296 §1.2, §2.15): identities,
 * AUTH (built and checked in authn.c through <ikev2d/auth.h>), narrowing
 * the rule by the peer's ID, and the first CHILD SA.
 */
#include "exchange/engine_priv.h"

#include <stdio.h>
#include <stdlib.h>

#include <ikev2d/auth.h>

#include "exchange/auth_wait.h"
#include "exchange/authn.h"
#include "exchange/child_sa.h"
#include "exchange/tasks.h"
#include "net/addr.h"

/* The peer's AUTH (in either role): true when it verified; false with
 * *parked when m waits for a revocation answer (auth_wait.c: m is taken,
 * ike_auth_resume comes), false otherwise when it is refused. */
static bool verify_or_park(engine_t *e, ike_sa_t *sa, message_t *m,
                           const id_payload_t *id, const auth_payload_t *auth,
                           bool *parked)
{
	*parked = false;
	switch (authn_verify(sa, m, id, auth, auth_wait_get(e, sa))) {
	case AUTH_VERIFY_OK:
		return true;
	case AUTH_VERIFY_PENDING:
		/* false after too many rounds: refused */
		*parked = auth_wait_park(sa, m);
		return false;
	case AUTH_VERIFY_FAILED:
		break;
	}
	return false;
}

/* ------------------------------------------------------------ initiator */

void ike_auth_start(engine_t *e, ike_sa_t *sa)
{
	uint8_t id_type, method;
	chunk_t id_data, auth;
	if (!id_local(sa, &id_type, &id_data)) {
		ike_sa_delete(e, sa, "no usable local identity");
		return;
	}
	message_t *m = sa_new_request(sa, EXCH_IKE_AUTH);
	message_add_id(m, PL_IDI, id_type, id_data);
	if (!authn_build(sa, m, id_type, id_data, &method, &auth)) {
		message_destroy(m);
		ike_sa_delete(e, sa, "cannot compute our AUTH");
		return;
	}
	authn_add_certreq(sa, m);
	if (sa->rule->n_remote_id == 1) {
		const id_cfg_t *r = &sa->rule->remote_id[0];
		if (!r->any && !r->wildcard && r->data.len &&
		    !(r->addr.family && memcmp(r->addr.lo, r->addr.hi,
		                               r->addr.family == AF_INET6 ? 16 : 4)))
			message_add_id(m, PL_IDR, (uint8_t)r->type, r->data);
	}
	message_add_auth(m, method, auth);
	chunk_clear(&auth);

	int first = sa->acq && sa->acq->child < sa->rule->n_child ? sa->acq->child : 0;
	child_sa_t *c = child_new(e, &sa->rule->child[first]);
	if (sa->acq)
		child_apply_acq(c, sa->acq);
	if (child_add_request_payloads(e, sa, m, c, true)) {
		sa->hs->child = c;
	} else {
		child_uninstall(sa, c);
		child_sa_free(c);
		sa_log(sa, DBG_CHILDSA, LVL_OP, "IKE SA without a CHILD SA");
	}
	if (send_request(e, sa, m))
		sa->state = IKE_AUTH_SENT;
	else
		ike_sa_delete(e, sa, "cannot build IKE_AUTH request");
	message_destroy(m);
}

/* We refuse the responder's identity or AUTH.  It has already sent its
 * AUTH and may consider the IKE SA up: tell it in an INFORMATIONAL of its
 * own with AUTHENTICATION_FAILED (RFC 7296 §2.21.2), sent once (the SA is
 * gone at once, nothing would retransmit it), then drop the SA. */
static void refuse_responder(engine_t *e, ike_sa_t *sa, const char *why)
{
	message_t *n = sa_new_request(sa, EXCH_INFORMATIONAL);
	message_add_notify(n, PROTO_NONE, chunk_empty, N_AUTHENTICATION_FAILED,
	                   chunk_empty);
	send_request(e, sa, n);
	message_destroy(n);
	sa->fail_notify = N_AUTHENTICATION_FAILED;
	ike_sa_delete(e, sa, why);
}

static void response_verify(engine_t *e, ike_sa_t *sa, message_t *m);

void ike_auth_process_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	notify_payload_t *n = message_find_notify(m, N_AUTHENTICATION_FAILED);
	payload_t *idr = message_find(m, PL_IDR), *auth = message_find(m, PL_AUTH);
	if (n || !idr || !auth) {
		notify_payload_t *err = n ? n : message_find_error_notify(m);
		char why[96];
		snprintf(why, sizeof(why), "peer refused IKE_AUTH: %s",
		         err ? notify_type_name(err->type) ?: "error" : "no IDr/AUTH");
		sa->fail_notify = err ? err->type : 0;
		ike_sa_delete(e, sa, why);
		return;
	}
	if (!id_matches_rule(sa->rule, idr->u.id.type, idr->u.id.data)) {
		char ids[128];
		id_to_str(idr->u.id.type, idr->u.id.data, ids, sizeof(ids));
		char why[192];
		snprintf(why, sizeof(why), "peer's identity %s does not match the "
		         "rule's remote_id", ids);
		refuse_responder(e, sa, why);
		return;
	}
	response_verify(e, sa, m);
}

/* The responder's AUTH (again, when a revocation answer came), then the
 * IKE SA and its first CHILD SA. */
static void response_verify(engine_t *e, ike_sa_t *sa, message_t *m)
{
	payload_t *idr = message_find(m, PL_IDR), *auth = message_find(m, PL_AUTH);
	bool parked;
	if (!verify_or_park(e, sa, m, &idr->u.id, &auth->u.auth, &parked)) {
		if (!parked)
			refuse_responder(e, sa, "peer's AUTH does not verify");
		return;
	}
	ike_sa_set_peer_id(sa, idr->u.id.type, idr->u.id.data);
	/* Nonces for the CHILD SA's keys outlive the handshake state. */
	chunk_t ni = sa->hs->ni, nr = sa->hs->nr;
	sa->hs->ni = sa->hs->nr = chunk_empty;
	child_sa_t *c = sa->hs->child;
	sa->hs->child = NULL;
	ike_sa_established(e, sa);
	if (c) {
		uint16_t err = child_check_response(sa, c, m, true);
		if (!err && child_install(e, sa, c, chunk_empty, ni, nr, true)) {
			child_add_to_sa(sa, c);
			reqid_map_set(e, c->reqid, sa->entry.local_spi);
			child_log_up(sa, c, "established");
		} else if (!err) {
			/* The peer installed it, our kernel refused it: tell
			 * the peer with a Delete (RFC 7296 §1.4.1). */
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA failed: install "
			       "failed; telling the peer with a Delete");
			child_add_to_sa(sa, c);
			task_queue(e, sa, TASK_CHILD_DELETE, c->spi_in, NULL);
		} else {
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA failed: %s",
			       err ? notify_type_name(err) ?: "error" : "install failed");
			child_uninstall(sa, c);
			child_sa_free(c);
		}
	}
	chunk_clear(&ni);
	chunk_clear(&nr);
	/* The rule's further CHILD SAs follow with CREATE_CHILD_SA (not
	 * when someone else's policy started it: that one CHILD SA). */
	for (int i = 1; i < sa->rule->n_child && !sa->acq; i++)
		task_queue(e, sa, TASK_CHILD_CREATE, 0, &sa->rule->child[i]);
}

/* ------------------------------------------------------------ responder */

static void auth_failed(engine_t *e, ike_sa_t *sa, message_t *m, const char *why)
{
	message_t *r = sa_new_response(sa, EXCH_IKE_AUTH, m->hdr.message_id);
	message_add_notify(r, PROTO_NONE, chunk_empty, N_AUTHENTICATION_FAILED,
	                   chunk_empty);
	send_response(e, sa, r);
	message_destroy(r);
	bus_emit(&(bus_event_t){ .type = BUS_EV_ALERT, .sa_id = sa->entry.unique_id,
	         .rule = SA_RULE(sa), .detail = why });
	sa->fail_notify = N_AUTHENTICATION_FAILED;
	ike_sa_delete(e, sa, why);
}

static void request_verify(engine_t *e, ike_sa_t *sa, message_t *m);

void ike_auth_process_request(engine_t *e, ike_sa_t *sa, message_t *m)
{
	payload_t *idi = message_find(m, PL_IDI), *auth = message_find(m, PL_AUTH);
	if (!idi || !auth) {
		auth_failed(e, sa, m, "IKE_AUTH request without IDi or AUTH");
		return;
	}
	/* Narrow the rule by the peer's identity (RFC 4301 PAD). */
	if (!id_matches_rule(sa->rule, idi->u.id.type, idi->u.id.data)) {
		const rule_t *r;
		for (r = rule_by_addr(sa->cfg, NULL, &sa->local, &sa->remote); r;
		     r = rule_by_addr(sa->cfg, r, &sa->local, &sa->remote))
			if (id_matches_rule(r, idi->u.id.type, idi->u.id.data))
				break;
		char ids[128];
		id_to_str(idi->u.id.type, idi->u.id.data, ids, sizeof(ids));
		if (!r) {
			char why[192];
			snprintf(why, sizeof(why), "no rule for peer identity %s", ids);
			auth_failed(e, sa, m, why);
			return;
		}
		char why[256];
		if (!authn_rule_allows(sa, r, auth->u.auth.method, why, sizeof(why))) {
			auth_failed(e, sa, m, why);
			return;
		}
		sa_log(sa, DBG_POLICY, LVL_VERBOSE, "peer identity %s: switching to "
		       "rule %s", ids, r->label);
		sa->rule = r;
	}
	authn_note_peer(sa, m);
	request_verify(e, sa, m);
}

/* The initiator's AUTH (again, when a revocation answer came), then our
 * answer and the first CHILD SA. */
static void request_verify(engine_t *e, ike_sa_t *sa, message_t *m)
{
	payload_t *idi = message_find(m, PL_IDI);
	payload_t *auth = message_find(m, PL_AUTH);
	bool parked;
	if (!verify_or_park(e, sa, m, &idi->u.id, &auth->u.auth, &parked)) {
		if (!parked)
			auth_failed(e, sa, m, "peer's AUTH does not verify");
		return;
	}
	ike_sa_set_peer_id(sa, idi->u.id.type, idi->u.id.data);
	uint8_t id_type, method;
	chunk_t id_data, our_auth;
	if (!id_local(sa, &id_type, &id_data)) {
		auth_failed(e, sa, m, "no usable local identity");
		return;
	}
	message_t *r = sa_new_response(sa, EXCH_IKE_AUTH, m->hdr.message_id);
	message_add_id(r, PL_IDR, id_type, id_data);
	if (!authn_build(sa, r, id_type, id_data, &method, &our_auth)) {
		message_destroy(r);
		auth_failed(e, sa, m, "cannot compute our AUTH");
		return;
	}
	message_add_auth(r, method, our_auth);
	chunk_clear(&our_auth);

	child_sa_t *c = NULL;
	const proposal_t *chosen = NULL;
	uint16_t err = message_find(m, PL_SA) ?
	               child_respond(e, sa, m, true, &c, &chosen) : 0;
	if (c && !child_install(e, sa, c, chunk_empty, sa->hs->ni, sa->hs->nr, false)) {
		child_uninstall(sa, c);
		child_sa_free(c);
		c = NULL;
		err = N_TEMPORARY_FAILURE;
	}
	if (c)
		child_add_response_payloads(r, c, chosen->number);
	else if (err)
		message_add_notify(r, PROTO_NONE, chunk_empty, err, chunk_empty);
	ike_sa_established(e, sa);
	send_response(e, sa, r);
	message_destroy(r);
	if (message_find_notify(m, N_INITIAL_CONTACT))
		initial_contact(e, sa);
	if (c) {
		child_add_to_sa(sa, c);
		reqid_map_set(e, c->reqid, sa->entry.local_spi);
		child_log_up(sa, c, "established");
	} else if (err) {
		sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA refused: %s",
		       notify_type_name(err) ?: "error");
	}
}

/* ------------------------------------------------------------- resume */

void ike_auth_resume(engine_t *e, ike_sa_t *sa, message_t *m)
{
	if (!message_is_response(m)) {
		if (sa->state == IKE_INIT_DONE)
			request_verify(e, sa, m);
		return;
	}
	if (sa->state != IKE_AUTH_SENT)
		return;
	response_verify(e, sa, m);
	/* as after any response: what waited for our window starts */
	if (sa->state == IKE_ESTABLISHED)
		tasks_run(e, sa);
}
