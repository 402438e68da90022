/*
 * ike_rekey.c - rekeying an IKE SA with CREATE_CHILD_SA (RFC 7296
 * §1.3.2, §2.8, §2.18): a new IKE SA with fresh SPIs, nonces and key
 * exchange, keyed from the old SA's SK_d; the CHILD SAs move to it and
 * the old SA is deleted by the side that started the rekey.  When both
 * sides rekey at once (§2.8.2), each answers the other's request, so two
 * new SAs exist; the exchange with the lowest nonce made the redundant
 * one, which its initiator deletes, and the initiator of the other deletes
 * the old SA.  The CHILD SAs end up on the survivor on both sides.
 */
#include "exchange/tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keymat.h"
#include "exchange/proposal.h"

static uint64_t spi_from8(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* The new IKE SA takes over: keys, children, timers. */
static bool finish_new_sa(engine_t *e, ike_sa_t *old, ike_sa_t *nsa,
                          chunk_t g_ir, chunk_t ni, chunk_t nr)
{
	keymat_algs_t ka = {
		.prf = nsa->algs.prf, .encr = nsa->algs.encr,
		.encr_key_bits = nsa->algs.encr_keylen, .integ = nsa->algs.integ,
	};
	uint8_t spi_i[8], spi_r[8];
	spi_to_bytes(nsa->spi_i, spi_i);
	spi_to_bytes(nsa->spi_r, spi_r);
	keymat_ike_keys_t k = { 0 };
	if (!keymat_derive_ike_rekey(old->algs.prf, old->keys->sk_d, &ka, g_ir, ni, nr,
	                             spi_i, spi_r, &k) ||
	    !ike_keys_install(nsa, &k)) {
		keymat_ike_keys_clear(&k);
		return false;
	}
	/* A new PRF: RFC 7296 §2.18 keys prf+ with it (libreswan does), while
	 * strongSwan keeps the old SA's PRF for prf+ too.  Nothing in the
	 * exchange says which the peer did, so both sets are kept and the
	 * first message of the peer that verifies picks one (receive.c);
	 * until then our requests go out under each in turn (send.c). */
	if (old->algs.prf != nsa->algs.prf) {
		if (!keymat_derive_ike_rekey_old_prf(old->algs.prf, old->keys->sk_d,
		                                     &ka, g_ir, ni, nr, spi_i, spi_r, &k) ||
		    !ike_keys_install_alt(nsa, &k, true)) {
			keymat_ike_keys_clear(&k);
			return false;
		}
		sa_log(nsa, DBG_KEY, LVL_VERBOSE, "the rekey changes the PRF (%s to "
		       "%s): keys derived both ways, the peer's first message "
		       "decides", transform_name(TRANS_PRF, old->algs.prf) ?: "?",
		       transform_name(TRANS_PRF, nsa->algs.prf) ?: "?");
	}
	/* SK_pi/SK_pr serve no AUTH in a rekeyed SA. */
	chunk_clear(&nsa->keys->sk_pi);
	chunk_clear(&nsa->keys->sk_pr);
	nsa->local = old->local;
	nsa->remote = old->remote;
	nsa->natt = old->natt;
	nsa->nat_local = old->nat_local;
	nsa->nat_remote = old->nat_remote;
	nsa->peer_fragmentation = old->peer_fragmentation;
	ike_sa_set_peer_id(nsa, old->peer_id_type, old->peer_id);
	nsa->lineage = old->lineage;   /* a successor, never stale to its
	                                  ancestors' INITIAL_CONTACT */
	nsa->children = old->children;
	old->children = NULL;
	for (child_sa_t *c = nsa->children; c; c = c->next)
		reqid_map_set(e, c->reqid, nsa->entry.local_spi);
	/* CHILD SA work queued on the old SA (a rekey on a soft EXPIRE, the
	 * Delete of a rekeyed SA) belongs to the SA that has them now: the
	 * old one starts nothing more. */
	tasks_move_child(old, nsa);
	child_rekey_retry_moved(e, nsa);
	ike_hs_free(nsa->hs);
	nsa->hs = NULL;
	sa_timer_stop(e, nsa, TIMER_HALF_OPEN);
	nsa->state = IKE_ESTABLISHED;
	nsa->last_heard_ms = time_monotonic_ms();
	sa_table_set_established(e->table, &nsa->entry);
	atomic_fetch_add(&e->n_established, 1);
	char algs[128];
	sa_log(nsa, DBG_IKESA, LVL_OP, "IKE SA #%llu rekeyed into this one as %s, "
	       "%s, SPIs %016llx_i %016llx_r", (unsigned long long)old->entry.unique_id,
	       nsa->initiator ? "initiator" : "responder",
	       algs_to_str(&nsa->algs, PROTO_IKE, algs, sizeof(algs)),
	       (unsigned long long)nsa->spi_i, (unsigned long long)nsa->spi_r);
	atomic_fetch_add(&e->ike_rekeyed_total, 1);
	nsa->established_ms = time_monotonic_ms();
	rule_stats_add(e, nsa->rule, RS_IKE_REKEYS);
	bus_emit(&(bus_event_t){ .type = BUS_EV_IKE_REKEYED,
	         .sa_id = nsa->entry.unique_id, .rule = SA_RULE(nsa) });
	ike_sa_arm_timers(e, nsa);
	return true;
}

/* Move the CHILD SAs of the IKE SA with local SPI from_spi to 'to'. */
static void move_children(engine_t *e, uint64_t from_spi, ike_sa_t *to)
{
	sa_entry_t *en = sa_table_checkout(e->table, from_spi);
	if (!en)
		return;
	ike_sa_t *from = (ike_sa_t *)en;
	child_sa_t **tail = &to->children;
	while (*tail)
		tail = &(*tail)->next;
	*tail = from->children;
	from->children = NULL;
	for (child_sa_t *c = to->children; c; c = c->next)
		reqid_map_set(e, c->reqid, to->entry.local_spi);
	tasks_move_child(from, to);
	child_rekey_retry_moved(e, to);
	engine_finish(e, from);
}

/* The IKE SA with this local SPI lost a simultaneous rekey: delete it,
 * after a moment.  The peer may still have the CHILD SAs on its copy of
 * this SA until it has handled the answer to its own rekey (sent before
 * this Delete, but possibly processed after it); a Delete arriving first
 * would take the CHILD SAs with it. */
#define REDUNDANT_DELETE_DELAY_MS 1000
/* The winner deletes the loser's SA too, later, in case the loser never
 * learnt it lost (its own rekey was cut short by our Delete of the old
 * SA); a Delete from both sides is harmless. */
#define REDUNDANT_BACKSTOP_MS 3000
static void delete_by_spi(engine_t *e, uint64_t spi, uint64_t delay_ms)
{
	sa_entry_t *en = sa_table_checkout(e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	sa->redundant = true;
	sa_timer_stop(e, sa, TIMER_DPD);
	sa_timer_stop(e, sa, TIMER_REKEY);
	sa_timer_start(e, sa, TIMER_HALF_OPEN, delay_ms);
	engine_finish(e, sa);
}

/* The old SA waits for the peer's Delete (with a limit). */
static void await_delete(engine_t *e, ike_sa_t *sa)
{
	sa->state = IKE_REKEYING;
	sa_timer_stop(e, sa, TIMER_DPD);
	sa_timer_stop(e, sa, TIMER_REKEY);
	sa_timer_start(e, sa, TIMER_HALF_OPEN, 30000);
}

/* ------------------------------------------------------------ initiator */

void ike_rekey_start(engine_t *e, ike_sa_t *sa, task_t *t)
{
	exch_t *x = xzalloc(sizeof(*x));
	x->type = TASK_IKE_REKEY;
	x->ke_group = t->ke_group ? t->ke_group : sa->algs.ke;

	ike_sa_t *nsa = ike_sa_new(e, config_ref(sa->cfg), sa->rule, true);
	sa_table_insert(e->table, &nsa->entry, 0, NULL, false);
	nsa->spi_i = nsa->entry.local_spi;
	x->new_ike_spi = nsa->spi_i;
	/* A safety net: a rekey never finished does not leave it behind. */
	sa_timer_start(e, nsa, TIMER_HALF_OPEN, 60000);
	sa_table_checkin(e->table, &nsa->entry);

	uint8_t spi[8];
	spi_to_bytes(x->new_ike_spi, spi);
	proposal_t props[CODEC_MAX_PROPOSALS];
	transform_t xf[CODEC_MAX_PROPOSALS * 8];
	int np = proposal_build(sa->rule->ike, sa->rule->n_ike, 0, PROTO_IKE, spi, 8,
	                        NULL, props, CODEC_MAX_PROPOSALS, xf,
	                        (int)(sizeof(xf) / sizeof(xf[0])));
	chunk_t pub = chunk_empty;
	x->ke = crypto_create_ke(x->ke_group);
	bool ok = np > 0 && x->ke && x->ke->get_public(x->ke, &pub) &&
	          nonce_create(&x->ni);
	if (ok) {
		message_t *m = sa_new_request(sa, EXCH_CREATE_CHILD_SA);
		message_add_sa(m, props, np);
		message_add_nonce(m, x->ni);
		message_add_ke(m, x->ke_group, pub);
		ok = send_request(e, sa, m);
		message_destroy(m);
	}
	chunk_free(&pub);
	if (!ok) {
		sa_log(sa, DBG_IKESA, LVL_ERROR, "cannot start the IKE SA rekey");
		sa_entry_t *en = sa_table_checkout(e->table, x->new_ike_spi);
		if (en) {
			((ike_sa_t *)en)->state = IKE_DEAD;
			engine_finish(e, (ike_sa_t *)en);
		}
		exch_free(x);
		return;
	}
	exch_free(sa->exch);
	sa->exch = x;
	sa->state = IKE_REKEYING;
	sa_log(sa, DBG_IKESA, LVL_VERBOSE, "rekeying IKE SA");
}

static void drop_new_sa(engine_t *e, uint64_t spi)
{
	sa_entry_t *en = sa_table_checkout(e->table, spi);
	if (en) {
		((ike_sa_t *)en)->state = IKE_DEAD;
		engine_finish(e, (ike_sa_t *)en);
	}
}

void ike_rekey_process_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	exch_t *x = sa->exch;
	sa->exch = NULL;
	sa->state = IKE_ESTABLISHED;
	payload_t *sap = message_find(m, PL_SA), *np = message_find(m, PL_NONCE),
	          *kep = message_find(m, PL_KE);
	notify_payload_t *err = message_find_error_notify(m);
	algs_t algs;
	const char *why = NULL;
	if (err)
		why = notify_type_name(err->type) ?: "error";
	else if (!sap || !np || !kep || sap->u.sa.num_proposals != 1 ||
	         sap->u.sa.proposals[0].spi_len != 8)
		why = "SA, Nonce or KE missing";
	else if (!proposal_check_response(sa->rule->ike, sa->rule->n_ike, 0,
	                                  &sap->u.sa.proposals[0], PROTO_IKE, NULL,
	                                  &algs) || algs.ke != x->ke_group ||
	         kep->u.ke.group != x->ke_group)
		why = "unacceptable proposal";
	chunk_t g_ir = chunk_empty;
	if (!why && (!x->ke->set_peer_public(x->ke, kep->u.ke.data) ||
	             !x->ke->get_shared_secret(x->ke, &g_ir)))
		why = "invalid KE value";
	sa_entry_t *en = why ? NULL : sa_table_checkout(e->table, x->new_ike_spi);
	if (!why && !en)
		why = "new IKE SA vanished";
	if (!why) {
		ike_sa_t *nsa = (ike_sa_t *)en;
		nsa->algs = algs;
		nsa->spi_r = spi_from8(sap->u.sa.proposals[0].spi);
		if (!finish_new_sa(e, sa, nsa, g_ir, x->ni, np->u.nonce)) {
			nsa->state = IKE_DEAD;
			why = "key derivation failed";
		} else if (!x->peer_new_ike_spi) {
			tasks_run(e, nsa);   /* what moved over from the old SA */
		}
		engine_finish(e, nsa);
	}
	chunk_clear(&g_ir);
	if (why) {
		bool busy = err && err->type == N_TEMPORARY_FAILURE;
		if (busy)
			sa_log(sa, DBG_IKESA, LVL_OP, "IKE SA rekey put off by the peer "
			       "(TEMPORARY_FAILURE: an exchange of its collides)");
		else
			sa_log(sa, DBG_IKESA, LVL_OP, "IKE SA rekey failed: %s", why);
		drop_new_sa(e, x->new_ike_spi);
		if (x->peer_new_ike_spi) {
			/* The peer's rekey went through: its SA is the one. */
			exch_free(x);
			await_delete(e, sa);
			return;
		}
		exch_free(x);
		/* try again later: soon when the peer was only busy (RFC
		 * 7296 §2.25.2), 1-3 s at random so that two ends put off by
		 * each other do not meet again */
		uint32_t r;
		if (busy && crypto_random(RNG_WEAK, &r, sizeof(r)))
			sa_timer_start(e, sa, TIMER_REKEY, 1000 + r % 2000);
		else if (sa->rule && sa->rule->ikesa_lifetime_secs)
			sa_timer_start(e, sa, TIMER_REKEY,
			               lifetime_jitter(sa->rule->ikesa_lifetime_secs / 10 + 1) * 1000);
		return;
	}
	if (x->peer_new_ike_spi) {
		/* Both rekeyed (§2.8.2): the lowest nonce marks the redundant SA. */
		chunk_t ours = nonce_min(x->ni, np->u.nonce);
		bool we_lose = nonce_min(ours, x->peer_nonce).ptr == ours.ptr &&
		               !chunk_equals(ours, x->peer_nonce);
		if (we_lose) {
			sa_log(sa, DBG_IKESA, LVL_OP, "simultaneous IKE SA rekey: ours has "
			       "the lower nonce, deleting our redundant IKE SA");
			delete_by_spi(e, x->new_ike_spi, REDUNDANT_DELETE_DELAY_MS);
			await_delete(e, sa);
		} else {
			sa_log(sa, DBG_IKESA, LVL_OP, "simultaneous IKE SA rekey: ours survives");
			sa_entry_t *en2 = sa_table_checkout(e->table, x->new_ike_spi);
			if (en2) {
				move_children(e, x->peer_new_ike_spi, (ike_sa_t *)en2);
				tasks_run(e, (ike_sa_t *)en2);
				engine_finish(e, (ike_sa_t *)en2);
			}
			delete_by_spi(e, x->peer_new_ike_spi, REDUNDANT_BACKSTOP_MS);
			ike_sa_send_delete(e, sa);
		}
		exch_free(x);
		return;
	}
	exch_free(x);
	/* The old SA goes; its CHILD SAs live on in the new one. */
	ike_sa_send_delete(e, sa);
}

/* ------------------------------------------------------------ responder */

static void refuse(engine_t *e, ike_sa_t *sa, message_t *m, uint16_t type,
                   chunk_t data, const char *why)
{
	sa_log(sa, DBG_IKESA, LVL_OP, "IKE SA rekey by the peer refused: %s", why);
	message_t *r = sa_new_response(sa, EXCH_CREATE_CHILD_SA, m->hdr.message_id);
	message_add_notify(r, PROTO_NONE, chunk_empty, type, data);
	send_response(e, sa, r);
	message_destroy(r);
}

void ike_rekey_process_request(engine_t *e, ike_sa_t *sa, message_t *m)
{
	payload_t *sap = message_find(m, PL_SA), *np = message_find(m, PL_NONCE),
	          *kep = message_find(m, PL_KE);
	exch_t *ours = sa->exch;
	bool colliding = sa->state == IKE_REKEYING && ours &&
	                 ours->type == TASK_IKE_REKEY && !ours->peer_new_ike_spi;
	if (sa->state != IKE_ESTABLISHED && !colliding) {
		refuse(e, sa, m, N_TEMPORARY_FAILURE, chunk_empty,
		       "the IKE SA is being deleted or rekeyed");
		return;
	}
	if (ours && (ours->type == TASK_CHILD_CREATE || ours->type == TASK_CHILD_REKEY)) {
		/* Our CREATE_CHILD_SA for a CHILD SA is in flight (RFC 7296
		 * §2.25.2): taking the peer's rekey now would move the CHILD
		 * SAs to the new IKE SA while the answer to ours comes on
		 * this one, which then finds the SA it rekeyed gone, keeps
		 * its new one here and loses it with this IKE SA.
		 *
		 * The refusal must not starve the peer's rekey, though:
		 * strongSwan retries a refused IKE rekey only after 5-15 s
		 * and deletes the IKE SA at its hard lifetime (rekey_time +
		 * over_time) meanwhile, without a further attempt - with a
		 * short over_time one TEMPORARY_FAILURE lost the IKE SA on
		 * both sides (interop-rekey-storm, phase B).  So we rekey the
		 * IKE SA ourselves as soon as ours is answered, before any
		 * other exchange of ours: the peer wanted a new one, it gets
		 * one, and its own retry later finds the old SA gone. */
		refuse(e, sa, m, N_TEMPORARY_FAILURE, chunk_empty,
		       "a CHILD SA exchange of ours is in flight (we rekey "
		       "it ourselves once that is answered)");
		task_queue_first(sa, TASK_IKE_REKEY);
		return;
	}
	if (!kep || np->u.nonce.len < 16 || np->u.nonce.len > 256) {
		refuse(e, sa, m, N_INVALID_SYNTAX, chunk_empty, "KE or Nonce invalid");
		return;
	}
	algs_t algs;
	const proposal_t *chosen;
	if (!proposal_select(sa->rule->ike, sa->rule->n_ike, 0, sap->u.sa.proposals,
	                     sap->u.sa.num_proposals, PROTO_IKE, NULL, &algs, &chosen) ||
	    chosen->spi_len != 8) {
		refuse(e, sa, m, N_NO_PROPOSAL_CHOSEN, chunk_empty, "no acceptable proposal");
		return;
	}
	if (kep->u.ke.group != algs.ke) {
		uint8_t g[2] = { algs.ke >> 8, algs.ke & 0xff };
		refuse(e, sa, m, N_INVALID_KE_PAYLOAD, chunk_create(g, 2), "other KE group");
		return;
	}
	ke_t *ke = crypto_create_ke(algs.ke);
	chunk_t g_ir = chunk_empty, pub = chunk_empty, nr = chunk_empty;
	if (!ke || !ke->set_peer_public(ke, kep->u.ke.data) ||
	    !ke->get_shared_secret(ke, &g_ir) || !ke->get_public(ke, &pub) ||
	    !nonce_create(&nr)) {
		if (ke)
			ke->destroy(ke);
		chunk_clear(&g_ir);
		chunk_free(&pub);
		refuse(e, sa, m, N_INVALID_SYNTAX, chunk_empty, "key exchange failed");
		return;
	}
	ke->destroy(ke);
	ike_sa_t *nsa = ike_sa_new(e, config_ref(sa->cfg), sa->rule, false);
	sa_table_insert(e->table, &nsa->entry, 0, NULL, false);
	nsa->spi_r = nsa->entry.local_spi;
	nsa->spi_i = spi_from8(chosen->spi);
	nsa->algs = algs;
	uint64_t new_spi = nsa->spi_r;
	bool ok = finish_new_sa(e, sa, nsa, g_ir, np->u.nonce, nr);
	if (!ok)
		nsa->state = IKE_DEAD;
	engine_finish(e, nsa);
	chunk_clear(&g_ir);
	if (!ok) {
		chunk_free(&pub);
		chunk_free(&nr);
		refuse(e, sa, m, N_TEMPORARY_FAILURE, chunk_empty, "key derivation failed");
		return;
	}
	message_t *r = sa_new_response(sa, EXCH_CREATE_CHILD_SA, m->hdr.message_id);
	uint8_t spi[8];
	spi_to_bytes(new_spi, spi);
	proposal_t prop;
	transform_t xf[6];
	proposal_from_algs(&algs, PROTO_IKE, chosen->number, spi, 8, &prop, xf);
	message_add_sa(r, &prop, 1);
	message_add_nonce(r, nr);
	message_add_ke(r, algs.ke, pub);
	send_response(e, sa, r);
	message_destroy(r);
	chunk_free(&pub);
	if (colliding) {
		/* Ours is in flight: decide when its answer comes. */
		ours->peer_new_ike_spi = new_spi;
		chunk_free(&ours->peer_nonce);
		ours->peer_nonce = chunk_clone(nonce_min(np->u.nonce, nr));
		chunk_free(&nr);
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "peer rekeys the IKE SA while we do");
		return;
	}
	chunk_free(&nr);
	/* The old SA waits for the peer's Delete; stop its own timers. */
	await_delete(e, sa);
	/* The peer knows the new SA now: start what moved over to it. */
	sa_entry_t *en = sa_table_checkout(e->table, new_spi);
	if (en) {
		tasks_run(e, (ike_sa_t *)en);
		engine_finish(e, (ike_sa_t *)en);
	}
}
