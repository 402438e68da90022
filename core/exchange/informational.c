/*
 * informational.c - the INFORMATIONAL exchange (RFC 7296 §1.4, §2.4):
 * Delete of the IKE SA or of CHILD SAs, liveness checks (DPD), and
 * errors the peer reports.
 */
#include "exchange/engine_priv.h"

#include <stdio.h>
#include <stdlib.h>

#include "exchange/child_sa.h"
#include "exchange/tasks.h"

void informational_process_request(engine_t *e, ike_sa_t *sa, message_t *m)
{
	message_t *r = sa_new_response(sa, EXCH_INFORMATIONAL, m->hdr.message_id);
	bool delete_ike = false;
	uint32_t ours[CODEC_MAX_DELETE_SPIS];
	size_t n_ours = 0;

	for (payload_t *p = message_find(m, PL_DELETE); p;
	     p = message_find_next(m, p, PL_DELETE)) {
		const delete_payload_t *d = &p->u.del;
		if (d->protocol == PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (d->protocol != PROTO_ESP)
			continue;
		for (unsigned i = 0; i < d->num_spis; i++) {
			/* The peer names its inbound SPI: our outbound one. */
			child_sa_t *c = child_find_by_spi(sa, d->spis[i], false);
			if (!c) {
				sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "Delete for unknown "
				       "CHILD SA %08x ignored", d->spis[i]);
				continue;
			}
			if (c->state != CHILD_DELETING && n_ours < CODEC_MAX_DELETE_SPIS)
				ours[n_ours++] = c->spi_in;
			/* a replaced SA's inbound half stays a moment: what
			 * the peer sent on it before its Delete may follow */
			child_uninstall_peer_deleted(e, sa, c);
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %08x_i %08x_o deleted "
			       "by the peer", c->spi_in, c->spi_out);
			bus_emit(&(bus_event_t){ .type = BUS_EV_CHILD_DOWN,
			         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa),
			         .detail = "deleted by peer" });
			/* unlink and free */
			for (child_sa_t **pp = &sa->children; *pp; pp = &(*pp)->next)
				if (*pp == c) {
					*pp = c->next;
					break;
				}
			child_sa_free(c);
		}
	}
	notify_payload_t *err = message_find_error_notify(m);
	if (err)
		sa_log(sa, DBG_IKESA, LVL_OP, "peer reports %s",
		       notify_type_name(err->type) ?: "an error");
	if (n_ours && !delete_ike)
		message_add_delete(r, PROTO_ESP, ours, n_ours);
	send_response(e, sa, r);
	message_destroy(r);
	if (delete_ike)
		ike_sa_delete(e, sa, "deleted by the peer");
	else if (err && sa->state < IKE_ESTABLISHED)
		ike_sa_delete(e, sa, "peer reported an error during the handshake");
	else if (err && err->type == N_AUTHENTICATION_FAILED)
		/* The initiator refused our identity or AUTH after we sent
		 * it (RFC 7296 §2.21.2): the IKE SA never came up for it. */
		ike_sa_delete(e, sa, "peer refused our authentication "
		              "(AUTHENTICATION_FAILED)");
}

void informational_process_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	/* the peer has our Delete of a rekeyed SA: nothing comes on it now */
	child_linger_release(e, sa);
	if (sa->state == IKE_DELETING) {
		ike_sa_delete(e, sa, "deleted by us, peer confirmed");
		return;
	}
	notify_payload_t *err = message_find_error_notify(m);
	if (err)
		sa_log(sa, DBG_IKESA, LVL_OP, "peer answers INFORMATIONAL with %s",
		       notify_type_name(err->type) ?: "an error");
}

void ike_sa_send_delete(engine_t *e, ike_sa_t *sa)
{
	if (sa->n_req) {
		/* Window of one: the pending request goes, the Delete wins. */
		sa_timer_stop(e, sa, TIMER_RETRANSMIT);
		ike_sa_free_msgs(&sa->req, &sa->n_req);
		ike_sa_free_msgs(&sa->req_alt, &sa->n_req_alt);
	}
	exch_abort(e, sa);
	message_t *m = sa_new_request(sa, EXCH_INFORMATIONAL);
	message_add_delete(m, PROTO_IKE, NULL, 0);
	sa_log(sa, DBG_IKESA, LVL_OP, "deleting IKE SA");
	sa->state = IKE_DELETING;
	if (!send_request(e, sa, m))
		ike_sa_delete(e, sa, "cannot build Delete");
	message_destroy(m);
}

void dpd_timeout(engine_t *e, ike_sa_t *sa)
{
	if (sa->state != IKE_ESTABLISHED || !sa->rule || !sa->rule->dpd_interval_secs)
		return;
	uint64_t interval = (uint64_t)sa->rule->dpd_interval_secs * 1000;
	uint64_t idle = time_monotonic_ms() - sa->last_heard_ms;
	if (!sa->n_req && idle >= interval) {
		message_t *m = sa_new_request(sa, EXCH_INFORMATIONAL);
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "liveness check (DPD)");
		send_request(e, sa, m);
		message_destroy(m);
		idle = 0;
	}
	sa_timer_start(e, sa, TIMER_DPD, interval - (idle < interval ? idle : 0));
}
