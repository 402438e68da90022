/*
 * create_child_sa.c - CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1,
 * §1.3.3, §2.8): new CHILD SAs and rekeys, with PFS, both roles, and the
 * simultaneous rekey of one CHILD SA from both ends (§2.8.1): the exchange
 * whose lowest nonce is the lowest made the redundant SA, and whoever
 * initiated it deletes it; the other side deletes the old SA.  Exactly one
 * new pair survives.  Deleting CHILD SAs (INFORMATIONAL) starts here too.
 */
#include "exchange/tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/child_sa.h"
#include "exchange/proposal.h"

void child_unlink(ike_sa_t *sa, child_sa_t *c)
{
	for (child_sa_t **p = &sa->children; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			c->next = NULL;
			return;
		}
}

/* Group of the KE payload we send for a CHILD SA config. */
static uint16_t child_ke_group(const child_cfg_t *cfg)
{
	if (cfg->n_esp > 0 && cfg->esp[0].n_ke > 0)
		return cfg->esp[0].ke[0];
	return cfg->pfs_group;
}

static uint32_t spi_from_bytes(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ------------------------------------------------------------ retry */

/* 1 to 3 s, at random: both ends put off by each other should not come
 * back at the same moment. */
static uint64_t retry_delay_ms(void)
{
	uint32_t r;
	if (!crypto_random(RNG_WEAK, &r, sizeof(r)))
		r = 0;
	return 1000 + r % 2000;
}

uint64_t child_rekey_retry_arm(engine_t *e, ike_sa_t *sa, child_sa_t *c)
{
	c->rekey_retry = true;
	uint64_t ms = retry_delay_ms();
	sa_timer_start(e, sa, TIMER_CHILD_RETRY, ms);
	return ms;
}

void child_rekey_retry_moved(engine_t *e, ike_sa_t *sa)
{
	for (child_sa_t *c = sa->children; c; c = c->next)
		if (c->rekey_retry) {
			sa_timer_start(e, sa, TIMER_CHILD_RETRY, retry_delay_ms());
			return;
		}
}

void child_rekey_retry_fire(engine_t *e, ike_sa_t *sa)
{
	if (sa->state != IKE_ESTABLISHED) {
		/* being rekeyed: the CHILD SAs (and their flags) move on */
		if (sa->state == IKE_REKEYING)
			sa_timer_start(e, sa, TIMER_CHILD_RETRY, retry_delay_ms());
		return;
	}
	for (child_sa_t *c = sa->children; c; c = c->next)
		if (c->rekey_retry) {
			c->rekey_retry = false;
			if (c->state == CHILD_INSTALLED)
				task_queue(e, sa, TASK_CHILD_REKEY, c->spi_in, NULL);
		}
}

/* ------------------------------------------------------------ initiator */

void child_exchange_start(engine_t *e, ike_sa_t *sa, task_t *t)
{
	child_sa_t *old = NULL;
	const child_cfg_t *cfg = t->cfg;
	if (t->type == TASK_CHILD_REKEY) {
		old = child_find_by_spi(sa, t->spi, true);
		if (!old || old->state != CHILD_INSTALLED)
			return;   /* gone or already rekeyed meanwhile */
		cfg = old->cfg;
	}
	exch_t *x = xzalloc(sizeof(*x));
	x->type = t->type;
	x->cfg = cfg;
	x->old_spi = old ? old->spi_in : 0;
	x->ke_group = t->ke_group ? t->ke_group : child_ke_group(cfg);
	child_sa_t *c = child_new(e, cfg);
	if (old) {
		/* The successor takes over the reqid (and so the policies). */
		c->reqid = old->reqid;
		c->foreign_policy = old->foreign_policy;
		child_set_ts(c, old->ts_local, old->n_ts_local, old->ts_remote,
		             old->n_ts_remote);
		c->nat_oa_remote = old->nat_oa_remote;
		c->nat_oa_local = old->nat_oa_local;
	} else if (t->has_acq) {
		child_apply_acq(c, &t->acq);
		x->has_acq = true;
		x->acq = t->acq;
	}
	x->child = c;
	message_t *m = sa_new_request(sa, EXCH_CREATE_CHILD_SA);
	if (old) {
		uint8_t spi[4] = { old->spi_in >> 24, old->spi_in >> 16,
		                   old->spi_in >> 8, old->spi_in };
		message_add_notify(m, PROTO_ESP, chunk_create(spi, 4), N_REKEY_SA,
		                   chunk_empty);
	}
	chunk_t pub = chunk_empty;
	bool ok = nonce_create(&x->ni) &&
	          child_add_request_payloads(e, sa, m, c, false);
	if (ok && x->ke_group != KE_NONE) {
		x->ke = crypto_create_ke(x->ke_group);
		ok = x->ke && x->ke->get_public(x->ke, &pub);
	}
	if (ok) {
		message_add_nonce(m, x->ni);
		if (pub.len)
			message_add_ke(m, x->ke_group, pub);
		ok = send_request(e, sa, m);
	}
	chunk_free(&pub);
	message_destroy(m);
	if (!ok) {
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "cannot start CREATE_CHILD_SA");
		child_uninstall(sa, c);
		child_sa_free(c);
		x->child = NULL;
		exch_free(x);
		return;
	}
	if (old)
		old->state = CHILD_REKEYING;
	exch_free(sa->exch);
	sa->exch = x;
	sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "%s CHILD SA%s",
	       old ? "rekeying" : "creating", old ? "" : " (CREATE_CHILD_SA)");
}

/* The exchange is over: forget its state. */
void exch_abort(engine_t *e, ike_sa_t *sa)
{
	exch_t *x = sa->exch;
	sa->exch = NULL;
	if (x && x->type == TASK_IKE_REKEY && x->new_ike_spi && e) {
		sa_entry_t *en = sa_table_checkout(e->table, x->new_ike_spi);
		if (en) {
			ike_sa_t *nsa = (ike_sa_t *)en;
			if (nsa->state < IKE_ESTABLISHED)
				nsa->state = IKE_DEAD;   /* never finished: no Delete */
			engine_finish(e, nsa);
		}
	}
	if (x && x->child) {
		child_uninstall(sa, x->child);
		child_sa_free(x->child);
		x->child = NULL;
	}
	exch_free(x);
}

void create_child_process_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	exch_t *x = sa->exch;
	if (!x) {
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "CREATE_CHILD_SA response without "
		       "a request of ours: ignored");
		return;
	}
	if (x->type == TASK_IKE_REKEY) {
		ike_rekey_process_response(e, sa, m);
		return;
	}
	child_sa_t *c = x->child;
	child_sa_t *old = x->old_spi ? child_find_by_spi(sa, x->old_spi, true) : NULL;
	notify_payload_t *n = message_find_notify(m, N_INVALID_KE_PAYLOAD);
	if (n && n->data.len == 2) {
		uint16_t group = (uint16_t)(n->data.ptr[0] << 8 | n->data.ptr[1]);
		bool allowed = false;
		for (int i = 0; i < x->cfg->n_esp; i++)
			for (int k = 0; k < x->cfg->esp[i].n_ke; k++)
				allowed |= x->cfg->esp[i].ke[k] == group;
		allowed |= x->cfg->pfs_group == group;
		if (allowed && group != x->ke_group) {
			sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "peer wants PFS group %s, retrying",
			       transform_name(TRANS_KE, group) ?: "?");
			task_t t = { .type = x->type, .spi = x->old_spi, .cfg = x->cfg,
			             .ke_group = group, .has_acq = x->has_acq,
			             .acq = x->acq };
			if (old)
				old->state = CHILD_INSTALLED;
			exch_abort(e, sa);
			child_exchange_start(e, sa, &t);
			return;
		}
	}
	uint16_t err = child_check_response(sa, c, m, false);
	payload_t *np = message_find(m, PL_NONCE), *kep = message_find(m, PL_KE);
	chunk_t g_ir = chunk_empty;
	if (!err && !np)
		err = N_INVALID_SYNTAX;
	if (!err && c->algs.ke != KE_NONE) {
		if (!x->ke || !kep || kep->u.ke.group != c->algs.ke ||
		    !x->ke->set_peer_public(x->ke, kep->u.ke.data) ||
		    !x->ke->get_shared_secret(x->ke, &g_ir))
			err = N_INVALID_SYNTAX;
	}
	if (err || !child_install(e, sa, c, g_ir, x->ni, np->u.nonce, true)) {
		chunk_clear(&g_ir);
		if (old && old->state == CHILD_REKEYING)
			old->state = CHILD_INSTALLED;   /* keeps working until hard expiry */
		if (err == N_TEMPORARY_FAILURE && old && old->state == CHILD_INSTALLED) {
			/* The peer is busy with an exchange that collides with
			 * ours (its IKE SA rekey, RFC 7296 §2.25.2): again in a
			 * moment, not at the hard lifetime. */
			uint64_t ms = child_rekey_retry_arm(e, sa, old);
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA rekey of %08x_i put "
			       "off by the peer (TEMPORARY_FAILURE): retrying in %llu ms",
			       old->spi_in, (unsigned long long)ms);
			exch_abort(e, sa);
			return;
		}
		if ((err == N_CHILD_SA_NOT_FOUND || err == N_TEMPORARY_FAILURE) &&
		    x->old_spi && !old) {
			/* Our rekey crossed the peer's, which replaced and
			 * deleted the SA first (RFC 7296 §2.25.1): its
			 * successor is the peer's, nothing is lost.  The peer
			 * says CHILD_SA_NOT_FOUND when its Delete is done, and
			 * may say TEMPORARY_FAILURE while that Delete is still
			 * in flight (strongSwan: "unable to rekey, we are
			 * deleting the CHILD_SA"); either way there is nothing
			 * to retry or to report as failed. */
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA rekey of %08x_i "
			       "crossed the peer's, which replaced it first "
			       "(%s): nothing to do", x->old_spi,
			       notify_type_name(err) ?: "error");
			exch_abort(e, sa);
			return;
		}
		sa_log(sa, DBG_CHILDSA, LVL_OP, "%s failed: %s",
		       old || x->old_spi ? "CHILD SA rekey" : "new CHILD SA",
		       err ? notify_type_name(err) ?: "error" : "install failed");
		if (!err) {
			/* The peer installed it, our kernel refused it: tell
			 * the peer with a Delete (RFC 7296 §1.4.1). */
			x->child = NULL;
			child_add_to_sa(sa, c);
			task_queue(e, sa, TASK_CHILD_DELETE, c->spi_in, NULL);
		}
		exch_abort(e, sa);
		return;
	}
	chunk_clear(&g_ir);
	x->child = NULL;
	child_add_to_sa(sa, c);
	reqid_map_set(e, c->reqid, sa->entry.local_spi);
	if (old || x->old_spi) {
		atomic_fetch_add(&e->child_rekeyed_total, 1);
		rule_stats_add(e, sa->rule, RS_CHILD_REKEYS);
	}
	if (!old && x->old_spi && x->peer_rekeyed) {
		/* The peer rekeyed it too, won, and deleted the old SA before
		 * our answer came: ours is the redundant one (§2.8.1). */
		sa_log(sa, DBG_CHILDSA, LVL_OP, "simultaneous rekey: the peer's won and "
		       "replaced the old SA already, deleting our redundant CHILD SA "
		       "%08x_i", c->spi_in);
		c->keep_policies = true;
		task_queue(e, sa, TASK_CHILD_DELETE, c->spi_in, NULL);
	} else if (!old) {
		child_log_up(sa, c, x->old_spi ? "established (its predecessor is gone)"
		                               : "established");
	} else if (old->rekeyed_by_peer) {
		/* Both ends rekeyed old (§2.8.1). */
		chunk_t ours = nonce_min(x->ni, np->u.nonce);
		bool we_lose = nonce_min(ours, old->peer_rekey_nonce).ptr == ours.ptr &&
		               !chunk_equals(ours, old->peer_rekey_nonce);
		if (we_lose) {
			sa_log(sa, DBG_CHILDSA, LVL_OP, "simultaneous rekey: ours has the "
			       "lower nonce, deleting our redundant CHILD SA %08x_i",
			       c->spi_in);
			c->keep_policies = true;   /* the surviving SA uses them */
			task_queue(e, sa, TASK_CHILD_DELETE, c->spi_in, NULL);
		} else {
			sa_log(sa, DBG_CHILDSA, LVL_OP, "simultaneous rekey: ours survives");
			child_log_up(sa, c, "rekeyed");
			old->keep_policies = true;
			task_queue(e, sa, TASK_CHILD_DELETE, old->spi_in, NULL);
		}
	} else {
		old->state = CHILD_REKEYED;
		old->keep_policies = true;
		/* Should the peer's rekey of old arrive after all, the nonces
		 * decide which new SA goes. */
		chunk_free(&old->our_rekey_nonce);
		old->our_rekey_nonce = chunk_clone(nonce_min(x->ni, np->u.nonce));
		old->successor_spi = c->spi_in;
		child_log_up(sa, c, "rekeyed");
		bus_emit(&(bus_event_t){ .type = BUS_EV_CHILD_REKEYED,
		         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa) });
		task_queue(e, sa, TASK_CHILD_DELETE, old->spi_in, NULL);
	}
	exch_abort(e, sa);
}

/* ------------------------------------------------------------ responder */

static void answer_error(engine_t *e, ike_sa_t *sa, message_t *m, uint16_t type,
                         chunk_t data)
{
	message_t *r = sa_new_response(sa, EXCH_CREATE_CHILD_SA, m->hdr.message_id);
	message_add_notify(r, PROTO_NONE, chunk_empty, type, data);
	send_response(e, sa, r);
	message_destroy(r);
}

void create_child_process_request(engine_t *e, ike_sa_t *sa, message_t *m)
{
	payload_t *sap = message_find(m, PL_SA), *np = message_find(m, PL_NONCE);
	if (!sap || !np || !sap->u.sa.num_proposals) {
		answer_error(e, sa, m, N_INVALID_SYNTAX, chunk_empty);
		return;
	}
	if (sap->u.sa.proposals[0].protocol == PROTO_IKE) {
		ike_rekey_process_request(e, sa, m);
		return;
	}
	if (sa->state != IKE_ESTABLISHED) {
		answer_error(e, sa, m, N_TEMPORARY_FAILURE, chunk_empty);
		return;
	}
	child_sa_t *old = NULL;
	notify_payload_t *rk = message_find_notify(m, N_REKEY_SA);
	if (rk) {
		if (rk->protocol != PROTO_ESP || rk->spi_len != 4 ||
		    !(old = child_find_by_spi(sa, spi_from_bytes(rk->spi), false)) ||
		    old->state == CHILD_DELETING) {
			sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "rekey of an unknown CHILD SA");
			answer_error(e, sa, m, N_CHILD_SA_NOT_FOUND, chunk_empty);
			return;
		}
	}
	if (np->u.nonce.len < 16 || np->u.nonce.len > 256) {
		answer_error(e, sa, m, N_INVALID_SYNTAX, chunk_empty);
		return;
	}
	child_sa_t *c = NULL;
	const proposal_t *chosen = NULL;
	uint16_t err = child_respond(e, sa, m, false, &c, &chosen);
	if (err) {
		sa_log(sa, DBG_CHILDSA, LVL_OP, "CREATE_CHILD_SA refused: %s",
		       notify_type_name(err) ?: "error");
		answer_error(e, sa, m, err, chunk_empty);
		return;
	}
	payload_t *kep = message_find(m, PL_KE);
	chunk_t g_ir = chunk_empty, pub = chunk_empty, nr = chunk_empty;
	ke_t *ke = NULL;
	if (c->algs.ke != KE_NONE) {
		if (!kep || kep->u.ke.group != c->algs.ke) {
			uint8_t g[2] = { c->algs.ke >> 8, c->algs.ke & 0xff };
			child_uninstall(sa, c);
			child_sa_free(c);
			answer_error(e, sa, m, N_INVALID_KE_PAYLOAD, chunk_create(g, 2));
			return;
		}
		ke = crypto_create_ke(c->algs.ke);
		if (!ke || !ke->set_peer_public(ke, kep->u.ke.data) ||
		    !ke->get_shared_secret(ke, &g_ir) || !ke->get_public(ke, &pub)) {
			if (ke)
				ke->destroy(ke);
			child_uninstall(sa, c);
			child_sa_free(c);
			answer_error(e, sa, m, N_INVALID_SYNTAX, chunk_empty);
			return;
		}
		ke->destroy(ke);
	}
	if (old) {
		c->reqid = old->reqid;   /* successor keeps the policies' reqid */
		c->foreign_policy = old->foreign_policy;
	}
	if (old)
		/* The initiator installs its new inbound SA when our answer
		 * arrives: ours sends on the old SA until that goes (its
		 * Delete, from whichever side; RFC 7296 §2.8), in a
		 * simultaneous rekey too. */
		c->deferred_for = old->spi_in;
	if (!nonce_create(&nr) ||
	    !child_install(e, sa, c, g_ir, np->u.nonce, nr, false)) {
		chunk_clear(&g_ir);
		chunk_free(&pub);
		chunk_free(&nr);
		child_uninstall(sa, c);
		child_sa_free(c);
		answer_error(e, sa, m, N_TEMPORARY_FAILURE, chunk_empty);
		return;
	}
	chunk_clear(&g_ir);
	message_t *r = sa_new_response(sa, EXCH_CREATE_CHILD_SA, m->hdr.message_id);
	child_add_response_payloads(r, c, chosen->number);
	message_add_nonce(r, nr);
	if (pub.len)
		message_add_ke(r, c->algs.ke, pub);
	chunk_free(&pub);
	send_response(e, sa, r);
	message_destroy(r);
	child_add_to_sa(sa, c);
	reqid_map_set(e, c->reqid, sa->entry.local_spi);
	if (old) {
		exch_t *x = sa->exch;
		if (x && x->type == TASK_CHILD_REKEY && x->old_spi == old->spi_in) {
			/* We are rekeying it too: remember this exchange's lowest
			 * nonce to decide when our response comes. */
			old->rekeyed_by_peer = true;
			x->peer_rekeyed = true;
			chunk_free(&old->peer_rekey_nonce);
			old->peer_rekey_nonce = chunk_clone(nonce_min(np->u.nonce, nr));
		} else if (old->state == CHILD_REKEYED && old->successor_spi) {
			/* Our rekey of it completed before this request came:
			 * a collision all the same (§2.8.1). */
			chunk_t theirs = nonce_min(np->u.nonce, nr);
			child_sa_t *ours = child_find_by_spi(sa, old->successor_spi, true);
			bool we_lose = nonce_min(old->our_rekey_nonce, theirs).ptr ==
			               old->our_rekey_nonce.ptr &&
			               !chunk_equals(old->our_rekey_nonce, theirs);
			if (we_lose && ours) {
				sa_log(sa, DBG_CHILDSA, LVL_OP, "simultaneous rekey: ours has the "
				       "lower nonce, deleting our redundant CHILD SA %08x_i",
				       ours->spi_in);
				ours->keep_policies = true;
				task_queue(e, sa, TASK_CHILD_DELETE, ours->spi_in, NULL);
			} else {
				sa_log(sa, DBG_CHILDSA, LVL_OP, "simultaneous rekey: ours survives");
			}
		} else {
			/* The initiator deletes the old SA; it keeps no policies. */
			old->state = CHILD_REKEYED;
			old->keep_policies = true;
		}
		child_log_up(sa, c, "rekeyed by the peer");
		atomic_fetch_add(&e->child_rekeyed_total, 1);
		rule_stats_add(e, sa->rule, RS_CHILD_REKEYS);
	} else {
		child_log_up(sa, c, "established (CREATE_CHILD_SA)");
	}
	chunk_free(&nr);
}

/* ------------------------------------------------------------- delete */

void child_delete_start(engine_t *e, ike_sa_t *sa, uint32_t spi)
{
	child_sa_t *c = child_find_by_spi(sa, spi, true);
	if (!c)
		return;
	message_t *m = sa_new_request(sa, EXCH_INFORMATIONAL);
	uint32_t s = c->spi_in;
	message_add_delete(m, PROTO_ESP, &s, 1);
	send_request(e, sa, m);
	message_destroy(m);
	sa_log(sa, DBG_CHILDSA, LVL_OP, "deleting CHILD SA %08x_i %08x_o%s",
	       c->spi_in, c->spi_out, c->state == CHILD_REKEYED ? " (rekeyed)" : "");
	/* Its inbound SA stays until the peer has our Delete: a rekey's
	 * responder (or a collision's other side) sends on it until then. */
	child_uninstall_linger(sa, c);
	if (!c->keep_policies) {
		/* no successor: forget the reqid */
		bool shared = false;
		for (child_sa_t *o = sa->children; o; o = o->next)
			shared |= o != c && o->reqid == c->reqid;
		if (!shared)
			reqid_map_del(e, c->reqid);
	}
	bus_emit(&(bus_event_t){ .type = BUS_EV_CHILD_DOWN,
	         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa),
	         .detail = "deleted" });
	child_unlink(sa, c);
	child_sa_free(c);
}
