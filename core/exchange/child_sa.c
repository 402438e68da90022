/*
 * child_sa.c - CHILD SAs: choosing one as responder (proposal, traffic
 * selector narrowing, mode), checking the responder's choice as initiator,
 * deriving the keys (RFC 7296 §2.17) and installing the SAs and policies
 * through the kernel-ipsec API.
 */
#include "exchange/child_sa.h"

#include <stdlib.h>
#include <string.h>

#include <ikev2d/kernel_ipsec.h>

#include "crypto/keymat.h"
#include "exchange/proposal.h"
#include "exchange/ts.h"
#include "net/addr.h"

child_sa_t *child_new(engine_t *e, const child_cfg_t *cfg)
{
	child_sa_t *c = xzalloc(sizeof(*c));
	c->cfg = cfg;
	c->state = CHILD_CREATED;
	c->reqid = engine_next_reqid();
	c->unique_id = c->reqid;
	(void)e;
	return c;
}

void child_add_to_sa(ike_sa_t *sa, child_sa_t *c)
{
	c->next = sa->children;
	sa->children = c;
}

child_sa_t *child_find_by_spi(ike_sa_t *sa, uint32_t spi, bool inbound)
{
	for (child_sa_t *c = sa->children; c; c = c->next)
		if ((inbound ? c->spi_in : c->spi_out) == spi)
			return c;
	return NULL;
}

void child_set_ts(child_sa_t *c, const ts_t *local, int n_local,
                  const ts_t *remote, int n_remote)
{
	free(c->ts_local);
	free(c->ts_remote);
	c->ts_local = xmalloc((n_local ? n_local : 1) * sizeof(ts_t));
	c->ts_remote = xmalloc((n_remote ? n_remote : 1) * sizeof(ts_t));
	memcpy(c->ts_local, local, n_local * sizeof(ts_t));
	memcpy(c->ts_remote, remote, n_remote * sizeof(ts_t));
	c->n_ts_local = n_local;
	c->n_ts_remote = n_remote;
}

static void to_kernel_ts(const ts_t *t, kernel_ts_t *k);

/* require_kernel_policy: every pair of the narrowed selectors (local,
 * remote) must lie in an outbound policy of the kernel's SPD that is not
 * the daemon's, all of one reqid (one CHILD SA), given in *reqid. */
static bool spd_allows(ike_sa_t *sa, const child_cfg_t *cc, bool transport,
                       const ts_t *l, int n_l, const ts_t *r, int n_r,
                       uint32_t *reqid)
{
	bool first = true;
	char ls[TS_STRLEN], rs[TS_STRLEN];
	for (int i = 0; i < n_l; i++)
		for (int j = 0; j < n_r; j++) {
			if (l[i].type != r[j].type)
				continue;
			kernel_policy_t want = {
				.dir = KERNEL_DIR_OUT, .action = KERNEL_POLICY_PROTECT,
				.protocol = KERNEL_PROTO_ESP,
				.mode = transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
				.mark = cc->mark_out,
			};
			to_kernel_ts(&l[i], &want.src_ts);
			to_kernel_ts(&r[j], &want.dst_ts);
			uint32_t got = 0;
			if (!kernel_match_policy(&want, &got)) {
				sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %s === %s: no "
				       "kernel policy (%s mode) holds it and the childsa "
				       "entry has require_kernel_policy: TS_UNACCEPTABLE "
				       "unless another entry takes it",
				       ts_to_str(&l[i], ls, sizeof(ls)),
				       ts_to_str(&r[j], rs, sizeof(rs)),
				       transport ? "transport" : "tunnel");
				return false;
			}
			if (!first && got != *reqid) {
				sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %s === %s: the "
				       "kernel policies holding the selectors have reqids "
				       "%u and %u, one CHILD SA cannot serve both: "
				       "TS_UNACCEPTABLE", ts_to_str(&l[i], ls, sizeof(ls)),
				       ts_to_str(&r[j], rs, sizeof(rs)), *reqid, got);
				return false;
			}
			*reqid = got;
			first = false;
		}
	return !first;
}

void child_apply_acq(child_sa_t *c, const child_acq_t *acq)
{
	c->reqid = acq->reqid;
	c->foreign_policy = true;
	child_set_ts(c, acq->local, acq->n_local, acq->remote, acq->n_remote);
}

/* ------------------------------------------- transport mode and NAT */

static const uint8_t *ss_ip(const struct sockaddr_storage *a, uint8_t *type,
                            size_t *al)
{
	if (a->ss_family == AF_INET6) {
		*type = TS_IPV6_ADDR_RANGE;
		*al = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
	}
	*type = TS_IPV4_ADDR_RANGE;
	*al = 4;
	return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
}

/* RFC 7296 §2.23.1: in transport mode a host behind a NAT names its own
 * address in its selectors, which is not the one the IKE SA has for it
 * (nor the one its peer's stack uses).  Every single-address selector of
 * ts (one side's) of ike's family other than ike's address gets ike's
 * address; the first address so replaced is kept in oa (one host per
 * side: a second, different one is left alone and so narrows to
 * nothing). */
static void nat_subst(ts_t *ts, int n, const struct sockaddr_storage *ike,
                      nat_oa_t *oa)
{
	uint8_t type;
	size_t al;
	const uint8_t *ip = ss_ip(ike, &type, &al);

	for (int i = 0; i < n; i++) {
		ts_t *t = &ts[i];
		if (t->type != type || memcmp(t->start, t->end, al) != 0 ||
		    memcmp(t->start, ip, al) == 0)
			continue;
		if (oa->type && (oa->type != type || memcmp(oa->orig, t->start, al) != 0))
			continue;
		oa->type = type;
		memset(oa->orig, 0, sizeof(oa->orig));
		memset(oa->ike, 0, sizeof(oa->ike));
		memcpy(oa->orig, t->start, al);
		memcpy(oa->ike, ip, al);
		memcpy(t->start, ip, al);
		memcpy(t->end, ip, al);
	}
}

/* The selectors as the peer named them: oa's IKE address back to the
 * original (a copy the caller frees). */
static ts_t *nat_unsubst(const ts_t *ts, int n, const nat_oa_t *oa)
{
	ts_t *out = xmalloc((n ? n : 1) * sizeof(ts_t));
	size_t al = oa->type == TS_IPV6_ADDR_RANGE ? 16 : 4;

	memcpy(out, ts, n * sizeof(ts_t));
	for (int i = 0; oa->type && i < n; i++)
		if (out[i].type == oa->type &&
		    memcmp(out[i].start, oa->ike, al) == 0 &&
		    memcmp(out[i].end, oa->ike, al) == 0) {
			memcpy(out[i].start, oa->orig, al);
			memcpy(out[i].end, oa->orig, al);
		}
	return out;
}

/* Copies of a request's or response's TSi/TSr with the addresses of
 * hosts behind a NAT replaced by the IKE SA's (transport mode only):
 * `peer` and `ours` are the peer's side's and our side's payloads. */
static void nat_selectors(const ike_sa_t *sa, bool transport,
                          const payload_t *peer, const payload_t *ours,
                          ts_t **peer_out, ts_t **ours_out,
                          nat_oa_t *oa_remote, nat_oa_t *oa_local)
{
	int np = peer->u.ts.num_ts, no = ours->u.ts.num_ts;

	*peer_out = xmalloc((np ? np : 1) * sizeof(ts_t));
	*ours_out = xmalloc((no ? no : 1) * sizeof(ts_t));
	memcpy(*peer_out, peer->u.ts.ts, np * sizeof(ts_t));
	memcpy(*ours_out, ours->u.ts.ts, no * sizeof(ts_t));
	if (!transport || !sa->natt)
		return;
	if (sa->nat_remote)
		nat_subst(*peer_out, np, &sa->remote, oa_remote);
	if (sa->nat_local)
		nat_subst(*ours_out, no, &sa->local, oa_local);
}

uint16_t child_respond(engine_t *e, ike_sa_t *sa, const message_t *m,
                       bool in_ike_auth, child_sa_t **out,
                       const proposal_t **chosen_out)
{
	payload_t *sap = message_find(m, PL_SA);
	payload_t *tsi = message_find(m, PL_TSI), *tsr = message_find(m, PL_TSR);
	*out = NULL;
	if (!sap || !tsi || !tsr)
		return N_INVALID_SYNTAX;
	bool want_transport = message_find_notify(m, N_USE_TRANSPORT_MODE) != NULL;
	bool ts_ok = false;
	uint16_t ret = 0;
	/* for a transport mode rule: the selectors with the IKE SA's
	 * addresses for hosts behind a NAT */
	ts_t *sub_i, *sub_r;
	nat_oa_t oa_r = { 0 }, oa_l = { 0 };
	nat_selectors(sa, want_transport, tsi, tsr, &sub_i, &sub_r, &oa_r, &oa_l);

	for (int i = 0; i < sa->rule->n_child; i++) {
		const child_cfg_t *cc = &sa->rule->child[i];
		ts_t our_l[CODEC_MAX_TS], our_r[CODEC_MAX_TS];
		ts_t nl[CODEC_MAX_TS], nr[CODEC_MAX_TS];
		int n_l = ts_from_cfg(cc->local_ts, cc->n_local_ts, &sa->local,
		                      our_l, CODEC_MAX_TS);
		int n_r = ts_from_cfg(cc->remote_ts, cc->n_remote_ts, &sa->remote,
		                      our_r, CODEC_MAX_TS);
		bool tr = want_transport && cc->mode == MODE_TRANSPORT;
		/* TSi is the initiator's side: the peer's, our remote. */
		int k_r = ts_narrow(tr ? sub_i : tsi->u.ts.ts, tsi->u.ts.num_ts,
		                    our_r, n_r, nr, CODEC_MAX_TS);
		int k_l = ts_narrow(tr ? sub_r : tsr->u.ts.ts, tsr->u.ts.num_ts,
		                    our_l, n_l, nl, CODEC_MAX_TS);
		if (k_r < 0 || k_l < 0) {
			sa_log(sa, DBG_CHILDSA, LVL_ERROR, "narrowing the peer's "
			       "selectors gives more than %d per side, more than "
			       "a TS payload holds", CODEC_MAX_TS);
			continue;
		}
		if (!k_r || !k_l)
			continue;
		uint32_t spd_reqid = 0;
		if (cc->require_kernel_policy &&
		    !spd_allows(sa, cc, want_transport && cc->mode == MODE_TRANSPORT,
		                nl, k_l, nr, k_r, &spd_reqid))
			continue;
		ts_ok = true;
		algs_t algs;
		const proposal_t *chosen;
		if (!proposal_select(cc->esp, cc->n_esp,
		                     in_ike_auth ? PROPOSAL_NO_KE : cc->pfs_group,
		                     sap->u.sa.proposals, sap->u.sa.num_proposals,
		                     PROTO_ESP, NULL, &algs, &chosen))
			continue;
		child_sa_t *c = child_new(e, cc);
		if (cc->require_kernel_policy) {
			/* the kernel's policy is to use it: its reqid */
			c->reqid = spd_reqid;
			c->foreign_policy = true;
		}
		c->algs = algs;
		c->spi_out = (uint32_t)chosen->spi[0] << 24 | (uint32_t)chosen->spi[1] << 16 |
		             (uint32_t)chosen->spi[2] << 8 | chosen->spi[3];
		c->transport = tr;
		if (tr) {
			c->nat_oa_remote = oa_r;
			c->nat_oa_local = oa_l;
		}
		child_set_ts(c, nl, k_l, nr, k_r);
		struct sockaddr_storage src = sa->remote, dst = sa->local;
		addr_set_port(&src, 0);
		addr_set_port(&dst, 0);
		if (!kernel_get_spi(&src, &dst, KERNEL_PROTO_ESP, c->reqid, &c->spi_in)) {
			child_sa_free(c);
			ret = N_TEMPORARY_FAILURE;
			goto out;
		}
		*out = c;
		if (chosen_out)
			*chosen_out = chosen;
		goto out;
	}
	ret = ts_ok ? N_NO_PROPOSAL_CHOSEN : N_TS_UNACCEPTABLE;
out:
	free(sub_i);
	free(sub_r);
	return ret;
}

void child_add_response_payloads(message_t *r, const child_sa_t *c,
                                 uint8_t prop_number)
{
	uint8_t spi[4] = { c->spi_in >> 24, c->spi_in >> 16, c->spi_in >> 8, c->spi_in };
	proposal_t prop;
	transform_t xf[6];
	proposal_from_algs(&c->algs, PROTO_ESP, prop_number, spi, 4, &prop, xf);
	if (c->transport)
		message_add_notify(r, PROTO_NONE, chunk_empty, N_USE_TRANSPORT_MODE,
		                   chunk_empty);
	message_add_sa(r, &prop, 1);
	/* TSi is the initiator's (peer's) side; the addresses of hosts
	 * behind a NAT as the initiator named them (RFC 7296 §2.23.1) */
	ts_t *ti = nat_unsubst(c->ts_remote, c->n_ts_remote, &c->nat_oa_remote);
	ts_t *tr = nat_unsubst(c->ts_local, c->n_ts_local, &c->nat_oa_local);
	message_add_ts(r, PL_TSI, ti, c->n_ts_remote);
	message_add_ts(r, PL_TSR, tr, c->n_ts_local);
	free(ti);
	free(tr);
}

bool child_add_request_payloads(engine_t *e, ike_sa_t *sa, message_t *m,
                                child_sa_t *c, bool in_ike_auth)
{
	const child_cfg_t *cc = c->cfg;
	struct sockaddr_storage src = sa->remote, dst = sa->local;
	addr_set_port(&src, 0);
	addr_set_port(&dst, 0);
	if (!c->spi_in &&
	    !kernel_get_spi(&src, &dst, KERNEL_PROTO_ESP, c->reqid, &c->spi_in))
		return false;
	uint8_t spi[4] = { c->spi_in >> 24, c->spi_in >> 16, c->spi_in >> 8, c->spi_in };
	proposal_t props[CODEC_MAX_PROPOSALS];
	transform_t xf[CODEC_MAX_PROPOSALS * 8];
	int np = proposal_build(cc->esp, cc->n_esp,
	                        in_ike_auth ? PROPOSAL_NO_KE : cc->pfs_group,
	                        PROTO_ESP, spi, 4, NULL, props, CODEC_MAX_PROPOSALS,
	                        xf, (int)(sizeof(xf) / sizeof(xf[0])));
	if (!np) {
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "no ESP proposal of the rule is available");
		return false;
	}
	ts_t l[CODEC_MAX_TS], r[CODEC_MAX_TS];
	int n_l, n_r;
	if (c->n_ts_local && c->n_ts_remote) {
		/* a rekey keeps the selectors the CHILD SA has */
		n_l = c->n_ts_local < CODEC_MAX_TS ? c->n_ts_local : CODEC_MAX_TS;
		n_r = c->n_ts_remote < CODEC_MAX_TS ? c->n_ts_remote : CODEC_MAX_TS;
		memcpy(l, c->ts_local, n_l * sizeof(ts_t));
		memcpy(r, c->ts_remote, n_r * sizeof(ts_t));
	} else {
		n_l = ts_from_cfg(cc->local_ts, cc->n_local_ts, &sa->local, l, CODEC_MAX_TS);
		n_r = ts_from_cfg(cc->remote_ts, cc->n_remote_ts, &sa->remote, r, CODEC_MAX_TS);
	}
	if (!n_l || !n_r) {
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "no traffic selectors for the CHILD SA");
		return false;
	}
	child_set_ts(c, l, n_l, r, n_r);
	if (cc->mode == MODE_TRANSPORT)
		message_add_notify(m, PROTO_NONE, chunk_empty, N_USE_TRANSPORT_MODE,
		                   chunk_empty);
	message_add_sa(m, props, np);
	message_add_ts(m, PL_TSI, l, n_l);
	message_add_ts(m, PL_TSR, r, n_r);
	(void)e;
	return true;
}

uint16_t child_check_response(ike_sa_t *sa, child_sa_t *c, const message_t *m,
                              bool in_ike_auth)
{
	notify_payload_t *n = message_find_error_notify(m);
	if (n)
		return n->type;
	payload_t *sap = message_find(m, PL_SA);
	payload_t *tsi = message_find(m, PL_TSI), *tsr = message_find(m, PL_TSR);
	if (!sap || !tsi || !tsr || sap->u.sa.num_proposals != 1)
		return N_INVALID_SYNTAX;
	const proposal_t *p = &sap->u.sa.proposals[0];
	if (p->spi_len != 4 ||
	    !proposal_check_response(c->cfg->esp, c->cfg->n_esp,
	                             in_ike_auth ? PROPOSAL_NO_KE : c->cfg->pfs_group,
	                             p, PROTO_ESP, NULL, &c->algs))
		return N_NO_PROPOSAL_CHOSEN;
	bool transport = message_find_notify(m, N_USE_TRANSPORT_MODE) != NULL;
	if (transport && c->cfg->mode != MODE_TRANSPORT)
		return N_NO_PROPOSAL_CHOSEN;
	/* transport mode through a NAT: a responder behind one names its
	 * own address in TSr (and may give ours as it sees it in TSi) */
	ts_t *ti, *tr;
	nat_oa_t oa_r = c->nat_oa_remote, oa_l = c->nat_oa_local;
	nat_selectors(sa, transport, tsr, tsi, &tr, &ti, &oa_r, &oa_l);
	/* The responder may only narrow what we proposed. */
	if (!tsi->u.ts.num_ts || !tsr->u.ts.num_ts ||
	    !ts_subset(ti, tsi->u.ts.num_ts, c->ts_local, c->n_ts_local) ||
	    !ts_subset(tr, tsr->u.ts.num_ts, c->ts_remote, c->n_ts_remote)) {
		free(ti);
		free(tr);
		return N_TS_UNACCEPTABLE;
	}
	/* every selector the responder accepted: the same set as it has */
	child_set_ts(c, ti, tsi->u.ts.num_ts, tr, tsr->u.ts.num_ts);
	free(ti);
	free(tr);
	c->nat_oa_remote = oa_r;
	c->nat_oa_local = oa_l;
	c->spi_out = (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 |
	             (uint32_t)p->spi[2] << 8 | p->spi[3];
	c->transport = transport;
	return 0;
}

/* ------------------------------------------------------------ kernel */

/* Soft lifetimes lose up to a tenth, at random, so that both ends (and
 * many SAs made at once) do not rekey at the same moment. */
uint64_t lifetime_jitter(uint64_t secs)
{
	if (secs < 10)
		return secs;
	uint32_t r;
	if (!crypto_random(RNG_WEAK, &r, sizeof(r)))
		r = 0;
	return secs - r % (secs / 10 + 1);
}

static void to_kernel_ts(const ts_t *t, kernel_ts_t *k)
{
	memset(k, 0, sizeof(*k));
	k->family = t->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	size_t al = k->family == AF_INET6 ? 16 : 4;
	memcpy(k->from, t->start, al);
	memcpy(k->to, t->end, al);
	k->proto = t->protocol;
	k->port_from = t->start_port;
	k->port_to = t->end_port;
}

/* A kernel_sa_t NAT original address: oa's where a selector named it,
 * else the IKE SA's address when no NAT is in front of that side, else
 * not known (AF_UNSPEC). */
static void nat_oa_addr(const nat_oa_t *oa, bool nat,
                        const struct sockaddr_storage *ike,
                        struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (oa->type == TS_IPV4_ADDR_RANGE) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, oa->orig, 4);
	} else if (oa->type == TS_IPV6_ADDR_RANGE) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, oa->orig, 16);
	} else if (!nat) {
		*out = *ike;
		addr_set_port(out, 0);
	}
}

static void outer(const struct sockaddr_storage *a, bool encap,
                  struct sockaddr_storage *out)
{
	*out = *a;
	if (!encap)
		addr_set_port(out, 0);
}

/* The mark an SA of c is named with in the kernel: the configured one
 * (mark_in inbound, mark_out outbound) once installed; none while the
 * inbound SPI is only reserved (ALLOCSPI's larval SA has no mark). */
static kernel_mark_t sa_mark(const child_sa_t *c, bool inbound)
{
	kernel_mark_t none = { 0, 0 };
	if (!c->cfg || (inbound && c->state == CHILD_CREATED))
		return none;
	return inbound ? c->cfg->mark_in : c->cfg->mark_out;
}

/* Install (add) or remove the CHILD SA's policies; false when the kernel
 * refused one on add (the caller rolls back). */
static bool policies(ike_sa_t *sa, child_sa_t *c, bool add)
{
	bool ok = true;
	/* A CHILD SA for someone else's policy gets policies like any
	 * other, with that policy's reqid: the kernel needs an inbound one
	 * (it drops what a tunnel SA decrypted when no policy matches), and
	 * the backends leave a policy with the same selectors that is not
	 * theirs as it is (used, never replaced nor removed). */
	kernel_mode_t mode = c->transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL;
	for (int i = 0; i < c->n_ts_local; i++)
		for (int j = 0; j < c->n_ts_remote; j++) {
			if (c->ts_local[i].type != c->ts_remote[j].type)
				continue;
			kernel_policy_t p = {
				.action = KERNEL_POLICY_PROTECT, .reqid = c->reqid,
				.mode = mode, .protocol = KERNEL_PROTO_ESP,
			};
			for (int dir = 0; dir < 3; dir++) {
				if (dir == KERNEL_DIR_FWD && c->transport)
					continue;
				p.dir = (kernel_dir_t)dir;
				/* in and fwd: the _in mark and interface */
				if (c->cfg) {
					bool o = dir == KERNEL_DIR_OUT;
					p.mark = o ? c->cfg->mark_out : c->cfg->mark_in;
					p.if_id = o ? c->cfg->if_id_out : c->cfg->if_id_in;
				}
				if (dir == KERNEL_DIR_OUT) {
					to_kernel_ts(&c->ts_local[i], &p.src_ts);
					to_kernel_ts(&c->ts_remote[j], &p.dst_ts);
					outer(&sa->local, false, &p.sa_src);
					outer(&sa->remote, false, &p.sa_dst);
				} else {
					to_kernel_ts(&c->ts_remote[j], &p.src_ts);
					to_kernel_ts(&c->ts_local[i], &p.dst_ts);
					outer(&sa->remote, false, &p.sa_src);
					outer(&sa->local, false, &p.sa_dst);
				}
				/* An outbound policy with an on-demand trap's
				 * selectors takes the trap's place and gives it
				 * back when the CHILD SA goes. */
				if (add) {
					if (!ok)
						continue;
					if (kernel_add_policy(&p))
						trap_policy_added(&p, sa->entry.local_spi);
					else
						ok = false;
				} else if (!trap_policy_released(&p)) {
					kernel_del_policy(&p);
				}
			}
		}
	return ok;
}

/* Keep the outbound SA ks of c (a rekey's responder) for later: the
 * kernel_sa_t and its two keys in one chunk, wiped when freed. */
static bool defer_out(child_sa_t *c, const kernel_sa_t *ks)
{
	size_t n = sizeof(*ks) + ks->encr_key.len + ks->integ_key.len;
	chunk_t b = chunk_alloc(n);
	if (!b.ptr)
		return false;
	memcpy(b.ptr, ks, sizeof(*ks));
	/* an AEAD has no integrity key: its chunk is empty, ptr NULL */
	if (ks->encr_key.len)
		memcpy(b.ptr + sizeof(*ks), ks->encr_key.ptr, ks->encr_key.len);
	if (ks->integ_key.len)
		memcpy(b.ptr + sizeof(*ks) + ks->encr_key.len, ks->integ_key.ptr,
		       ks->integ_key.len);
	chunk_clear(&c->deferred_out);
	c->deferred_out = b;
	return true;
}

/* Install c's deferred outbound SA; false when the kernel refused it. */
static bool install_deferred(ike_sa_t *sa, child_sa_t *c)
{
	kernel_sa_t ks;
	memcpy(&ks, c->deferred_out.ptr, sizeof(ks));
	ks.encr_key = chunk_create(c->deferred_out.ptr + sizeof(ks), ks.encr_key.len);
	ks.integ_key = chunk_create(c->deferred_out.ptr + sizeof(ks) + ks.encr_key.len,
	                            ks.integ_key.len);
	/* the peer may have moved meanwhile (NAT rebinding) */
	outer(&sa->remote, sa->natt, &ks.id.dst);
	outer(&sa->local, sa->natt, &ks.src);
	ks.encap = sa->natt;
	bool ok = kernel_add_sa(&ks);
	chunk_clear(&c->deferred_out);
	c->deferred_for = 0;
	if (ok)
		sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "outbound SA %08x_o of the "
		       "rekeyed CHILD SA installed: its predecessor is gone",
		       c->spi_out);
	else
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "installing the outbound SA "
		       "%08x_o of CHILD SA %08x_i failed (the kernel's answer is "
		       "logged above)", c->spi_out, c->spi_in);
	return ok;
}

/* The SA whose inbound SPI is old_in goes: a successor waiting for that
 * gets its outbound SA now, before the old one is removed. */
void child_release_successor(ike_sa_t *sa, uint32_t old_in)
{
	for (child_sa_t *o = sa->children; o; o = o->next)
		if (o->deferred_for == old_in && o->deferred_out.len)
			install_deferred(sa, o);
}

/* Another live CHILD SA of this IKE SA has c's reqid: a rekey's successor
 * (or, after a simultaneous rekey, its sibling) installed the same
 * policies, and they are its too.  The last SA of a reqid to go removes
 * them; whichever of a rekey's SAs goes first must not (RFC 7296 §2.8:
 * the traffic moves to the new SA without a gap). */
static bool policies_shared(ike_sa_t *sa, const child_sa_t *c)
{
	for (const child_sa_t *o = sa->children; o; o = o->next)
		if (o != c && o->reqid == c->reqid &&
		    (o->state == CHILD_INSTALLED || o->state == CHILD_REKEYING ||
		     o->state == CHILD_REKEYED))
			return true;
	return false;
}

bool child_install(engine_t *e, ike_sa_t *sa, child_sa_t *c, chunk_t g_ir,
                   chunk_t ni, chunk_t nr, bool we_initiated)
{
	keymat_algs_t ka = { .encr = c->algs.encr,
	                     .encr_key_bits = c->algs.encr_keylen,
	                     .integ = c->algs.integ };
	keymat_sizes_t sizes;
	keymat_child_keys_t k = { 0 };
	if (!keymat_sizes(&ka, &sizes) ||
	    !keymat_child_keys(sa->algs.prf, sa->keys->sk_d, g_ir, ni, nr, &sizes, &k)) {
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "CHILD SA key derivation failed");
		return false;
	}
	const child_cfg_t *cc = c->cfg;
	kernel_sa_t ks = {
		.id.protocol = KERNEL_PROTO_ESP,
		.mode = c->transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
		.reqid = c->reqid,
		.encap = sa->natt,
		.esn = c->algs.esn == ESN_YES,
		.replay_window = cc->replay_window,
		.soft = { .secs = lifetime_jitter(cc->softlife_secs),
		          .bytes = cc->softlife_kb * 1024 },
		.hard = { .secs = cc->lifetime_secs, .bytes = cc->lifetime_kb * 1024 },
	};
	if (!kernel_sa_set_algs(&ks, c->algs.encr, c->algs.encr_keylen,
	                        c->algs.integ) ||
	    k.encr_i.len != kernel_sa_encr_key_len(&ks)) {
		/* the kernel must get a key of exactly the size it is told */
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "CHILD SA algorithms %u/%u/%u "
		       "cannot be described to the kernel", c->algs.encr,
		       c->algs.encr_keylen, c->algs.integ);
		keymat_child_keys_clear(&k);
		return false;
	}
	/* Transport mode: the SA's selector is the traffic it carries, from
	 * the peer to us inbound (the kernel checks arriving packets against
	 * it) and from us to the peer outbound. */
	kernel_ts_t ts_l = { 0 }, ts_r = { 0 };
	if (c->transport && c->n_ts_local && c->n_ts_remote) {
		to_kernel_ts(&c->ts_local[0], &ts_l);
		to_kernel_ts(&c->ts_remote[0], &ts_r);
	}
	ks.src_ts = ts_r;
	ks.dst_ts = ts_l;
	/* inbound */
	ks.dir = KERNEL_DIR_IN;
	ks.id.spi = c->spi_in;
	ks.id.mark = cc->mark_in;
	ks.if_id = cc->if_id_in;
	outer(&sa->local, sa->natt, &ks.id.dst);
	outer(&sa->remote, sa->natt, &ks.src);
	ks.encr_key = we_initiated ? k.encr_r : k.encr_i;
	ks.integ_key = we_initiated ? k.integ_r : k.integ_i;
	/* RFC 3948 §3.1.2: the addresses the peer's checksums cover - its
	 * own and ours as its stack has them: the IKE SA's where no NAT is
	 * in front, the selectors' originals where one is and we know
	 * them (a peer behind a NAT named itself in its TS; our own
	 * public address only a peer's request may name) */
	if (c->transport && sa->natt) {
		nat_oa_addr(&c->nat_oa_remote, sa->nat_remote, &sa->remote,
		            &ks.nat_oa_src);
		nat_oa_addr(&c->nat_oa_local, sa->nat_local, &sa->local,
		            &ks.nat_oa_dst);
	}
	bool in_ok = kernel_add_sa(&ks);
	bool ok = in_ok;
	/* outbound */
	ks.dir = KERNEL_DIR_OUT;
	ks.id.spi = c->spi_out;
	ks.id.mark = cc->mark_out;
	ks.if_id = cc->if_id_out;
	outer(&sa->remote, sa->natt, &ks.id.dst);
	outer(&sa->local, sa->natt, &ks.src);
	ks.encr_key = we_initiated ? k.encr_i : k.encr_r;
	ks.integ_key = we_initiated ? k.integ_i : k.integ_r;
	ks.replay_window = 0;
	memset(&ks.nat_oa_src, 0, sizeof(ks.nat_oa_src));
	memset(&ks.nat_oa_dst, 0, sizeof(ks.nat_oa_dst));
	ks.src_ts = ts_l;
	ks.dst_ts = ts_r;
	if (ok && c->deferred_for)
		ok = defer_out(c, &ks);
	else
		ok = ok && kernel_add_sa(&ks);
	keymat_child_keys_clear(&k);
	kernel_sa_id_t in_id = { .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP,
	                         .mark = cc->mark_in };
	outer(&sa->local, sa->natt, &in_id.dst);
	if (!ok) {
		/* nothing half-installed stays: the inbound SA goes too */
		if (in_ok)
			kernel_del_sa(&in_id);
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "installing the CHILD SA %08x_i "
		       "%08x_o failed (the kernel's answer is logged above): not "
		       "established", c->spi_in, c->spi_out);
		return false;
	}
	if (!policies(sa, c, true)) {
		/* a rekey's predecessor keeps the policies it shares */
		if (!policies_shared(sa, c))
			policies(sa, c, false);
		kernel_del_sa(&in_id);
		kernel_sa_id_t out_id = { .spi = c->spi_out, .protocol = KERNEL_PROTO_ESP,
		                          .mark = cc->mark_out };
		outer(&sa->remote, sa->natt, &out_id.dst);
		kernel_del_sa(&out_id);
		sa_log(sa, DBG_CHILDSA, LVL_ERROR, "installing the policies of CHILD "
		       "SA %08x_i %08x_o failed (the kernel's answer is logged "
		       "above): its SAs removed, not established", c->spi_in,
		       c->spi_out);
		return false;
	}
	c->state = CHILD_INSTALLED;
	c->established_ms = time_monotonic_ms();
	atomic_fetch_add(&e->child_established_total, 1);
	return true;
}

static void uninstall(ike_sa_t *sa, child_sa_t *c, bool keep_in)
{
	if (c->state == CHILD_CREATED) {
		if (c->spi_in) {
			kernel_sa_id_t id = { .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP };
			outer(&sa->local, false, &id.dst);
			kernel_del_sa(&id);
		}
		return;
	}
	/* a successor made by the peer's rekey sends from now on */
	child_release_successor(sa, c->spi_in);
	/* Decided by who is left, not by a flag set when the rekey ended:
	 * in a collision either side's Delete may come first (the flag said
	 * "keep" on one path and nothing on the others, so the survivor
	 * lost its policies). */
	if (!policies_shared(sa, c))
		policies(sa, c, false);
	kernel_sa_id_t id = { .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP,
	                      .mark = sa_mark(c, true) };
	if (!keep_in) {
		outer(&sa->local, sa->natt, &id.dst);
		kernel_del_sa(&id);
	}
	if (c->deferred_out.len) {
		/* its outbound SA never went to the kernel */
		chunk_clear(&c->deferred_out);
		c->deferred_for = 0;
	} else {
		id.spi = c->spi_out;
		id.mark = sa_mark(c, false);
		outer(&sa->remote, sa->natt, &id.dst);
		kernel_del_sa(&id);
	}
	c->state = CHILD_DELETING;
}

void child_uninstall(ike_sa_t *sa, child_sa_t *c)
{
	uninstall(sa, c, false);
}

void child_uninstall_linger(ike_sa_t *sa, child_sa_t *c)
{
	if (c->state == CHILD_CREATED ||
	    sa->n_linger == (int)(sizeof(sa->linger_in) / sizeof(sa->linger_in[0]))) {
		uninstall(sa, c, false);
		return;
	}
	kernel_mark_t mark = sa_mark(c, true);
	uninstall(sa, c, true);
	sa->linger_mark[sa->n_linger] = mark;
	sa->linger_in[sa->n_linger++] = c->spi_in;
}

void child_linger_release(engine_t *e, ike_sa_t *sa)
{
	for (int i = 0; i < sa->n_linger; i++) {
		kernel_sa_id_t id = { .spi = sa->linger_in[i], .protocol = KERNEL_PROTO_ESP,
		                      .mark = sa->linger_mark[i] };
		outer(&sa->local, sa->natt, &id.dst);
		child_retire_inbound(e, &id);
	}
	sa->n_linger = 0;
}

void child_uninstall_peer_deleted(engine_t *e, ike_sa_t *sa, child_sa_t *c)
{
	if (c->state == CHILD_CREATED || !policies_shared(sa, c)) {
		uninstall(sa, c, false);
		return;
	}
	uninstall(sa, c, true);
	kernel_sa_id_t id = { .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP };
	outer(&sa->local, sa->natt, &id.dst);
	child_retire_inbound(e, &id);
}

bool child_move_peer(ike_sa_t *sa, child_sa_t *c,
                     const struct sockaddr_storage *old_remote)
{
	struct sockaddr_storage local, remote, old;
	outer(&sa->local, sa->natt, &local);
	outer(&sa->remote, sa->natt, &remote);
	outer(old_remote, sa->natt, &old);
	/* inbound: named by our address, now from the peer's new one */
	kernel_sa_id_t id = { .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP,
	                      .dst = local, .mark = sa_mark(c, true) };
	bool ok = kernel_update_sa(&id, &remote, &local, sa->natt);
	/* outbound: named by the peer's old address, now to its new one */
	id.spi = c->spi_out;
	id.mark = sa_mark(c, false);
	id.dst = old;
	ok = kernel_update_sa(&id, &local, &remote, sa->natt) && ok;
	/* tunnel templates name the peer's address: re-install (replaces) */
	if (!addr_ip_equals(old_remote, &sa->remote) && !c->keep_policies)
		policies(sa, c, true);
	return ok;
}

int child_move_all(ike_sa_t *sa, const struct sockaddr_storage *old_remote,
                   int *failed)
{
	int moved = 0;
	*failed = 0;
	for (child_sa_t *c = sa->children; c; c = c->next) {
		if (c->state == CHILD_CREATED || c->state == CHILD_DELETING)
			continue;
		if (child_move_peer(sa, c, old_remote))
			moved++;
		else
			(*failed)++;
	}
	return moved;
}

void child_log_up(ike_sa_t *sa, child_sa_t *c, const char *what)
{
	char a[128], l[256], r[256];
	ts_list_to_str(c->ts_local, c->n_ts_local, l, sizeof(l));
	ts_list_to_str(c->ts_remote, c->n_ts_remote, r, sizeof(r));
	sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %s: %s === %s, %s mode, %s, "
	       "SPIs %08x_i %08x_o", what, l, r,
	       c->transport ? "transport" : "tunnel",
	       algs_to_str(&c->algs, PROTO_ESP, a, sizeof(a)), c->spi_in, c->spi_out);
	bus_emit(&(bus_event_t){ .type = BUS_EV_CHILD_UP,
	         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa), .detail = what });
}
