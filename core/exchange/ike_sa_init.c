/*
 * ike_sa_init.c - the IKE_SA_INIT exchange (RFC 7296 §1.2, §2.6, §2.10,
 * §2.23, §3.3): proposals, key exchange, nonces, COOKIEs, INVALID_KE_PAYLOAD
 * retries, NAT detection, fragmentation support, and SKEYSEED.
 */
#include "exchange/engine_priv.h"
#include "exchange/authn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ke_reuse.h"
#include "exchange/proposal.h"
#include "exchange/tasks.h"
#include "net/addr.h"
#include "net/nat.h"
#include "net/net.h"

#define MIN_NONCE 16
#define MAX_NONCE 256

/* Our two NAT_DETECTION notifies (RFC 7296 §2.23). */
static void add_natd(message_t *m, uint64_t spi_i, uint64_t spi_r,
                     const struct sockaddr_storage *local,
                     const struct sockaddr_storage *remote)
{
	uint8_t si[8], sr[8], h[NATD_HASH_LEN];
	spi_to_bytes(spi_i, si);
	spi_to_bytes(spi_r, sr);
	if (natd_hash(si, sr, local, h))
		message_add_notify(m, PROTO_NONE, chunk_empty,
		                   N_NAT_DETECTION_SOURCE_IP, chunk_create(h, sizeof(h)));
	if (natd_hash(si, sr, remote, h))
		message_add_notify(m, PROTO_NONE, chunk_empty,
		                   N_NAT_DETECTION_DESTINATION_IP, chunk_create(h, sizeof(h)));
}

/* Evaluate the peer's NAT_DETECTION notifies in m (SPIs as in m's header). */
static void eval_natd(ike_sa_t *sa, const message_t *m)
{
	chunk_t src[8];
	int n_src = 0;
	for (payload_t *p = message_find(m, PL_NOTIFY); p;
	     p = message_find_next(m, p, PL_NOTIFY)) {
		if (p->u.notify.type == N_NAT_DETECTION_SOURCE_IP && n_src < 8)
			src[n_src++] = p->u.notify.data;
	}
	notify_payload_t *dst = message_find_notify(m, N_NAT_DETECTION_DESTINATION_IP);
	if (!n_src || !dst)
		return;
	uint8_t si[8], sr[8];
	spi_to_bytes(m->hdr.spi_i, si);
	spi_to_bytes(m->hdr.spi_r, sr);
	bool peer_nat = false, local_nat = false;
	if (!natd_evaluate(src, n_src, dst->data, si, sr, &sa->remote, &sa->local,
	                   &peer_nat, &local_nat))
		return;
	sa->nat_remote = peer_nat;
	sa->nat_local = local_nat;
	if (peer_nat || local_nat)
		sa_log(sa, DBG_NET, LVL_OP, "NAT detected: %s%s%s",
		       local_nat ? "in front of us" : "",
		       local_nat && peer_nat ? " and " : "",
		       peer_nat ? "in front of the peer" : "");
}

/* ------------------------------------------------------------ initiator */

static bool init_send(engine_t *e, ike_sa_t *sa)
{
	ike_hs_t *hs = sa->hs;
	const rule_t *rule = sa->rule;

	if (!hs->ke || hs->ke->get_group(hs->ke) != hs->ke_group) {
		if (hs->ke)
			hs->ke->destroy(hs->ke);
		hs->ke = ke_reuse_create(hs->ke_group,
		                         (unsigned)sa->cfg->daemon.ke_reuse_secs,
		                         (unsigned)sa->cfg->daemon.ke_reuse_max_uses);
		if (!hs->ke) {
			ike_sa_delete(e, sa, "key exchange group not available");
			return false;
		}
	}
	chunk_t pub;
	if (!hs->ke->get_public(hs->ke, &pub)) {
		ike_sa_delete(e, sa, "key exchange failed");
		return false;
	}
	proposal_t props[CODEC_MAX_PROPOSALS];
	transform_t xf[CODEC_MAX_PROPOSALS * 8];
	int np = proposal_build(rule->ike, rule->n_ike, 0, PROTO_IKE, NULL, 0, NULL,
	                        props, CODEC_MAX_PROPOSALS, xf,
	                        (int)(sizeof(xf) / sizeof(xf[0])));
	if (np == 0) {
		chunk_free(&pub);
		ike_sa_delete(e, sa, "no IKE proposal of the rule is available");
		return false;
	}
	message_t *m = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR,
	                              sa->spi_i, 0, 0);
	if (hs->cookie.len)
		message_add_notify(m, PROTO_NONE, chunk_empty, N_COOKIE, hs->cookie);
	message_add_sa(m, props, np);
	message_add_ke(m, hs->ke_group, pub);
	chunk_free(&pub);
	message_add_nonce(m, hs->ni);
	add_natd(m, sa->spi_i, 0, &sa->local, &sa->remote);
	authn_sa_init_add(sa, m, false);
	if (sa->cfg->daemon.fragmentation_enable) {
		message_add_notify(m, PROTO_NONE, chunk_empty,
		                   N_IKEV2_FRAGMENTATION_SUPPORTED, chunk_empty);
		hs->frag_offered = true;
	}
	sa->spi_r = 0;
	bool ok = send_request(e, sa, m);
	if (ok) {
		chunk_free(&hs->init_req);
		hs->init_req = chunk_clone(m->raw);
		sa->state = IKE_INIT_SENT;
	}
	message_destroy(m);
	if (!ok)
		ike_sa_delete(e, sa, "cannot build IKE_SA_INIT request");
	return ok;
}

/* An address of a rule that is one host (lo == hi). */
static bool single_addr(const addr_range_t *r, uint16_t port,
                        struct sockaddr_storage *out)
{
	size_t len = r->family == AF_INET6 ? 16 : 4;
	if (memcmp(r->lo, r->hi, len))
		return false;
	memset(out, 0, sizeof(*out));
	out->ss_family = r->family;
	if (r->family == AF_INET)
		memcpy(&((struct sockaddr_in *)out)->sin_addr, r->lo, 4);
	else
		memcpy(&((struct sockaddr_in6 *)out)->sin6_addr, r->lo, 16);
	addr_set_port(out, port);
	return true;
}

bool ike_init_start(engine_t *e, ike_sa_t *sa)
{
	const rule_t *rule = sa->rule;
	uint16_t port = sa->cfg->daemon.ike_port ? sa->cfg->daemon.ike_port : IKE_PORT;

	sa_table_insert(e->table, &sa->entry, 0, NULL, false);
	atomic_fetch_add(&e->init_attempts, 1);
	sa->spi_i = sa->entry.local_spi;

	if (rule->n_remote_addr < 1 ||
	    !single_addr(&rule->remote_addr[0], port, &sa->remote)) {
		ike_sa_delete(e, sa, "the rule's remote_addr is not a single address "
		              "to initiate to");
		engine_finish(e, sa);
		return false;
	}
	if (rule->n_local_addr < 1 ||
	    !single_addr(&rule->local_addr[0], port, &sa->local)) {
		if (!net_get_source(&sa->remote, &sa->local)) {
			ike_sa_delete(e, sa, "no local address to reach the peer");
			engine_finish(e, sa);
			return false;
		}
		addr_set_port(&sa->local, port);
	}
	sa->hs->ke_group = proposal_first_ke(rule->ike, rule->n_ike, 0, NULL);
	if (sa->hs->ke_group == KE_NONE) {
		ike_sa_delete(e, sa, "no key exchange group of the rule is available");
		engine_finish(e, sa);
		return false;
	}
	if (!nonce_create(&sa->hs->ni)) {
		ike_sa_delete(e, sa, "no random number generator");
		engine_finish(e, sa);
		return false;
	}
	char l[ADDR_STRLEN], r[ADDR_STRLEN];
	sa_log(sa, DBG_IKESA, LVL_OP, "initiating IKE SA %s...%s",
	       addr_to_str(&sa->local, l, sizeof(l)),
	       addr_to_str(&sa->remote, r, sizeof(r)));
	/* The half-open timer bounds the whole handshake. */
	int hot = sa->cfg->daemon.half_open_timeout_secs > 0 ?
	          sa->cfg->daemon.half_open_timeout_secs : 30;
	bool ok = init_send(e, sa);
	if (ok)
		sa_timer_start(e, sa, TIMER_HALF_OPEN, (uint64_t)hot * 1000);
	engine_finish(e, sa);
	return ok;
}

void ike_init_process_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	ike_hs_t *hs = sa->hs;
	const rule_t *rule = sa->rule;
	notify_payload_t *n;

	if ((n = message_find_notify(m, N_COOKIE))) {
		if (++hs->init_retries > MAX_INIT_RETRIES || n->data.len < 1 ||
		    n->data.len > 64) {
			ike_sa_delete(e, sa, "responder keeps demanding COOKIEs");
			return;
		}
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "responder demands a COOKIE, "
		       "sending IKE_SA_INIT again with it");
		chunk_free(&hs->cookie);
		hs->cookie = chunk_clone(n->data);
		init_send(e, sa);
		return;
	}
	if ((n = message_find_notify(m, N_INVALID_KE_PAYLOAD))) {
		uint16_t group = n->data.len == 2 ?
		                 (uint16_t)(n->data.ptr[0] << 8 | n->data.ptr[1]) : 0;
		if (++hs->init_retries > MAX_INIT_RETRIES || group == hs->ke_group ||
		    !proposal_allows_ke(rule->ike, rule->n_ike, 0, group) ||
		    !proposal_xform_available(TRANS_KE, group)) {
			char why[96];
			snprintf(why, sizeof(why), "responder wants key exchange group %s, "
			         "which we do not allow", transform_name(TRANS_KE, group) ?: "?");
			sa->fail_notify = N_INVALID_KE_PAYLOAD;
			ike_sa_delete(e, sa, why);
			return;
		}
		sa_log(sa, DBG_IKESA, LVL_OP, "responder wants group %s instead of %s, "
		       "retrying", transform_name(TRANS_KE, group) ?: "?",
		       transform_name(TRANS_KE, hs->ke_group) ?: "?");
		hs->ke_group = group;
		init_send(e, sa);
		return;
	}
	if ((n = message_find_error_notify(m))) {
		char why[96];
		snprintf(why, sizeof(why), "peer answered IKE_SA_INIT with %s",
		         notify_type_name(n->type) ?: "an error");
		sa->fail_notify = n->type;
		ike_sa_delete(e, sa, why);
		return;
	}
	payload_t *sap = message_find(m, PL_SA), *kep = message_find(m, PL_KE),
	          *np = message_find(m, PL_NONCE);
	if (!sap || !kep || !np || m->hdr.spi_r == 0 ||
	    sap->u.sa.num_proposals != 1) {
		ike_sa_delete(e, sa, "IKE_SA_INIT response lacks SA, KE or Nonce");
		return;
	}
	if (!proposal_check_response(rule->ike, rule->n_ike, 0,
	                             &sap->u.sa.proposals[0], PROTO_IKE, NULL,
	                             &sa->algs)) {
		ike_sa_delete(e, sa, "responder chose a proposal we did not offer");
		return;
	}
	if (kep->u.ke.group != hs->ke_group || sa->algs.ke != hs->ke_group) {
		ike_sa_delete(e, sa, "responder's KE group does not match the proposal");
		return;
	}
	if (np->u.nonce.len < MIN_NONCE || np->u.nonce.len > MAX_NONCE) {
		ike_sa_delete(e, sa, "responder's nonce has an invalid length");
		return;
	}
	sa->spi_r = m->hdr.spi_r;
	if (!hs->ke->set_peer_public(hs->ke, kep->u.ke.data)) {
		ike_sa_delete(e, sa, "responder's KE value is invalid");
		return;
	}
	hs->nr = chunk_clone(np->u.nonce);
	hs->init_resp = chunk_clone(m->raw);
	authn_note_peer(sa, m);
	sa->peer_fragmentation = hs->frag_offered &&
		message_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	eval_natd(sa, m);
	if (sa->nat_local || sa->nat_remote) {
		/* RFC 7296 §2.23: continue on the NAT-T port. */
		uint16_t natt = sa->cfg->daemon.natt_port ? sa->cfg->daemon.natt_port
		                                         : IKE_NATT_PORT;
		addr_set_port(&sa->local, natt);
		addr_set_port(&sa->remote, natt);
		sa->natt = true;
	}
	if (!ike_keys_derive(sa)) {
		ike_sa_delete(e, sa, "key derivation failed");
		return;
	}
	ike_auth_start(e, sa);
}

/* ------------------------------------------------------------ responder */

/* An unprotected answer to an IKE_SA_INIT request, with no state kept. */
void init_answer(engine_t *e, packet_t *pkt, uint64_t spi_i,
                        uint16_t type, chunk_t data)
{
	message_t *r = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, spi_i, 0, 0);
	message_add_notify(r, PROTO_NONE, chunk_empty, type, data);
	chunk_t out;
	codec_error_t err;
	if (message_generate(r, &out, &err) == CODEC_OK) {
		send_raw(out, &pkt->dst, &pkt->src);
		chunk_free(&out);
	}
	message_destroy(r);
	(void)e;
}

static void log_peer(int lvl, const packet_t *pkt, const char *what)
{
	char s[ADDR_STRLEN];
	bus_log(DBG_IKESA, lvl, "IKE_SA_INIT from %s: %s",
	        addr_to_str(&pkt->src, s, sizeof(s)), what);
}

void ike_init_process_request(engine_t *e, packet_t *pkt, message_t *m)
{
	config_t *cfg = engine_config(e);
	if (!cfg)
		return;
	const daemon_cfg_t *d = &cfg->daemon;
	payload_t *sap = message_find(m, PL_SA), *kep = message_find(m, PL_KE),
	          *np = message_find(m, PL_NONCE);
	uint64_t spi_i = m->hdr.spi_i;

	if (!sap || !kep || !np) {
		log_peer(LVL_VERBOSE, pkt, "SA, KE or Nonce missing: dropped");
		goto drop;
	}
	if (np->u.nonce.len < MIN_NONCE || np->u.nonce.len > MAX_NONCE) {
		log_peer(LVL_VERBOSE, pkt, "nonce of invalid length: answered INVALID_SYNTAX");
		init_answer(e, pkt, spi_i, N_INVALID_SYNTAX, chunk_empty);
		goto drop;
	}
	unsigned half_open = sa_table_half_open(e->table);
	if (d->half_open_max > 0 && half_open >= (unsigned)d->half_open_max) {
		log_peer(LVL_VERBOSE, pkt, "too many half-open IKE SAs: dropped");
		goto drop;
	}
	if (d->half_open_max_per_peer > 0 &&
	    sa_table_half_open_from(e->table, (const struct sockaddr *)&pkt->src) >=
	    (unsigned)d->half_open_max_per_peer) {
		log_peer(LVL_VERBOSE, pkt, "too many half-open IKE SAs from this "
		         "address: dropped");
		goto drop;
	}
	if (half_open >= (unsigned)(d->cookie_threshold > 0 ? d->cookie_threshold : 0)) {
		notify_payload_t *c = message_find_notify(m, N_COOKIE);
		if (!c || !cookie_verify(e, c->data, spi_i, np->u.nonce, &pkt->src)) {
			chunk_t cookie = cookie_make(e, spi_i, np->u.nonce, &pkt->src);
			if (cookie.len) {
				log_peer(LVL_VERBOSE, pkt, c ? "invalid COOKIE: sending a new one"
				         : "demanding a COOKIE");
				init_answer(e, pkt, spi_i, N_COOKIE, cookie);
				atomic_fetch_add(&e->cookies_sent, 1);
				rule_stats_add(e, rule_by_addr(cfg, NULL, &pkt->dst, &pkt->src),
				               RS_COOKIES_SENT);
				chunk_free(&cookie);
			}
			goto drop;
		}
	}

	/* The first rule for these addresses whose proposals meet the peer's. */
	const rule_t *rule = NULL, *any_rule = NULL;
	algs_t algs;
	const proposal_t *chosen = NULL;
	for (const rule_t *r = rule_by_addr(cfg, NULL, &pkt->dst, &pkt->src); r;
	     r = rule_by_addr(cfg, r, &pkt->dst, &pkt->src)) {
		any_rule = r;
		if (proposal_select(r->ike, r->n_ike, 0, sap->u.sa.proposals,
		                    sap->u.sa.num_proposals, PROTO_IKE, NULL, &algs,
		                    &chosen)) {
			rule = r;
			break;
		}
	}
	if (!rule) {
		char l[ADDR_STRLEN];
		char what[160];
		snprintf(what, sizeof(what), any_rule ?
		         "no proposal acceptable to rule %s: answered NO_PROPOSAL_CHOSEN" :
		         "no rule for this peer at local address %s: answered NO_PROPOSAL_CHOSEN",
		         any_rule ? any_rule->label : addr_to_str(&pkt->dst, l, sizeof(l)));
		log_peer(LVL_OP, pkt, what);
		init_answer(e, pkt, spi_i, N_NO_PROPOSAL_CHOSEN, chunk_empty);
		goto drop;
	}
	uint16_t group = kep->u.ke.group;
	if (group != algs.ke) {
		/* Their KE is fine if the proposal they made and ours allow it. */
		bool theirs = false;
		for (int i = 0; i < chosen->num_transforms; i++)
			if (chosen->transforms[i].type == TRANS_KE &&
			    chosen->transforms[i].id == group)
				theirs = true;
		if (theirs && proposal_allows_ke(rule->ike, rule->n_ike, 0, group) &&
		    proposal_xform_available(TRANS_KE, group)) {
			algs.ke = group;
		} else {
			uint8_t g[2] = { algs.ke >> 8, algs.ke & 0xff };
			char what[128];
			snprintf(what, sizeof(what), "KE group %s, rule %s wants %s: "
			         "answered INVALID_KE_PAYLOAD",
			         transform_name(TRANS_KE, group) ?: "?", rule->label,
			         transform_name(TRANS_KE, algs.ke) ?: "?");
			log_peer(LVL_VERBOSE, pkt, what);
			init_answer(e, pkt, spi_i, N_INVALID_KE_PAYLOAD, chunk_create(g, 2));
			goto drop;
		}
	}
	ke_t *ke = ke_reuse_create(algs.ke, (unsigned)cfg->daemon.ke_reuse_secs,
	                           (unsigned)cfg->daemon.ke_reuse_max_uses);
	if (!ke || !ke->set_peer_public(ke, kep->u.ke.data)) {
		log_peer(LVL_OP, pkt, ke ? "invalid KE value: answered INVALID_SYNTAX"
		         : "KE group not available");
		if (ke) {
			init_answer(e, pkt, spi_i, N_INVALID_SYNTAX, chunk_empty);
			ke->destroy(ke);
		}
		goto drop;
	}

	ike_sa_t *sa = ike_sa_new(e, cfg, rule, false);
	cfg = NULL;   /* the SA holds the reference now */
	atomic_fetch_add(&e->resp_attempts, 1);
	sa->local = pkt->dst;
	sa->remote = pkt->src;
	sa->natt = addr_get_port(&pkt->dst) == sa->cfg->daemon.natt_port;
	sa->algs = algs;
	sa->hs->ke = ke;
	sa->hs->ke_group = algs.ke;
	sa_table_insert(e->table, &sa->entry, spi_i,
	                (const struct sockaddr *)&pkt->src, true);
	sa->spi_i = spi_i;
	sa->spi_r = sa->entry.local_spi;
	ike_hs_t *hs = sa->hs;
	hs->ni = chunk_clone(np->u.nonce);
	hs->init_req = chunk_clone(m->raw);
	chunk_t pub = chunk_empty;
	if (!nonce_create(&hs->nr) || !ke->get_public(ke, &pub)) {
		ike_sa_delete(e, sa, "no random numbers or key exchange failed");
		engine_finish(e, sa);
		return;
	}
	eval_natd(sa, m);
	sa->peer_fragmentation = sa->cfg->daemon.fragmentation_enable &&
		message_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;

	message_t *r = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE,
	                              sa->spi_i, sa->spi_r, 0);
	proposal_t prop;
	transform_t xf[6];
	proposal_from_algs(&algs, PROTO_IKE, chosen->number, NULL, 0, &prop, xf);
	message_add_sa(r, &prop, 1);
	message_add_ke(r, algs.ke, pub);
	chunk_free(&pub);
	message_add_nonce(r, hs->nr);
	add_natd(r, sa->spi_i, sa->spi_r, &sa->local, &sa->remote);
	authn_note_peer(sa, m);
	authn_sa_init_add(sa, r, true);
	if (sa->peer_fragmentation)
		message_add_notify(r, PROTO_NONE, chunk_empty,
		                   N_IKEV2_FRAGMENTATION_SUPPORTED, chunk_empty);

	/* Keys before sending: a fast IKE_AUTH must find them. */
	if (!ike_keys_derive(sa)) {
		message_destroy(r);
		ike_sa_delete(e, sa, "key derivation failed");
		engine_finish(e, sa);
		return;
	}
	if (bus_log_enabled(DBG_IKESA, LVL_VERBOSE)) {
		char algstr[128];
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "IKE_SA_INIT from peer, chose %s",
		       algs_to_str(&algs, PROTO_IKE, algstr, sizeof(algstr)));
	}
	if (send_response(e, sa, r)) {
		hs->init_resp = chunk_clone(r->raw);
		sa->state = IKE_INIT_DONE;
		int hot = sa->cfg->daemon.half_open_timeout_secs > 0 ?
		          sa->cfg->daemon.half_open_timeout_secs : 30;
		sa_timer_start(e, sa, TIMER_HALF_OPEN, (uint64_t)hot * 1000);
	} else {
		ike_sa_delete(e, sa, "cannot build IKE_SA_INIT response");
	}
	message_destroy(r);
	engine_finish(e, sa);
	return;
drop:
	atomic_fetch_add(&e->dropped, 1);
	if (cfg)
		config_unref(cfg);
}
