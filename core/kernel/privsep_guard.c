/*
 * privsep_guard.c - the parent's checks of the engine's kernel requests
 * against its own configuration, and its record of what it allocated and
 * installed for the engine (privsep_guard.h).  Tables are flat arrays
 * searched linearly: a daemon holds at most a few thousand CHILD SAs, and
 * the parent is not on the data path.
 */
#include "kernel/privsep_guard.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/runtime.h>

typedef enum { SA_SPI = 0, SA_IN = 1, SA_OUT = 2 } sa_state_t;

typedef struct {
	struct sockaddr_storage dst;
	uint32_t spi;
	uint8_t protocol;
	kernel_mark_t mark;
	sa_state_t state;
	uint64_t since_ms;      /* SA_SPI: when it was allocated */
} sa_rec_t;

typedef struct {
	kernel_ts_t src_ts, dst_ts;
	kernel_dir_t dir;
	kernel_mark_t mark;
	uint32_t if_id;
} pol_rec_t;

#define PSG_SPD_CACHE 4

/* The configurations requests are checked against: the current one and
 * the ones before it (established SAs keep the rule they were made with,
 * and rekey with it after a reload). */
#define PSG_CONFIGS 4

struct psg {
	config_t *cfgs[PSG_CONFIGS];   /* [0] current */
	config_t *cfg;                 /* the one a check is looking at */
	bool shutdown;
	sa_rec_t *sas; size_t n_sas, cap_sas;
	size_t n_spis;                 /* records in state SA_SPI */
	uint64_t spi_age_ms;
	uint64_t (*now_ms)(void);
	pol_rec_t *pols; size_t n_pols, cap_pols;
	/* The kernel's SPD, for policies an administrator's justifies
	 * (NULL: none does), and what it answered during one psg_check:
	 * up to PSG_SPD_CACHE look-ups per request, one per distinct
	 * question, however many configurations and childsa entries ask. */
	psg_spd_match_t spd;
	struct { kernel_policy_t want; bool found; uint32_t reqid; } spd_seen[PSG_SPD_CACHE];
	int n_spd_seen;
};

psg_t *psg_create(void)
{
	psg_t *g = xzalloc(sizeof(psg_t));
	g->spi_age_ms = PSG_SPI_AGE_MIN_MS;
	g->now_ms = time_monotonic_ms;
	return g;
}

void psg_set_clock(psg_t *g, uint64_t (*now_ms)(void))
{
	g->now_ms = now_ms ? now_ms : time_monotonic_ms;
}

void psg_destroy(psg_t *g)
{
	if (!g)
		return;
	for (int i = 0; i < PSG_CONFIGS; i++)
		if (g->cfgs[i])
			config_unref(g->cfgs[i]);
	free(g->sas);
	free(g->pols);
	free(g);
}

void psg_set_config(psg_t *g, config_t *cfg)
{
	if (!cfg || cfg == g->cfgs[0])
		return;
	config_ref(cfg);
	if (g->cfgs[PSG_CONFIGS - 1])
		config_unref(g->cfgs[PSG_CONFIGS - 1]);
	memmove(&g->cfgs[1], &g->cfgs[0], (PSG_CONFIGS - 1) * sizeof(g->cfgs[0]));
	g->cfgs[0] = cfg;
	/* An initiator allocates its SPI when it sends the request and uses
	 * it when the response comes, response_wait_time at the most: twice
	 * that (of any configuration in force) is the age limit. */
	uint64_t age = PSG_SPI_AGE_MIN_MS;
	for (int i = 0; i < PSG_CONFIGS && g->cfgs[i]; i++) {
		int w = g->cfgs[i]->daemon.response_wait_time;
		if (w > 0 && (uint64_t)w * 2000 > age)
			age = (uint64_t)w * 2000;
	}
	g->spi_age_ms = age;
}

void psg_set_spd(psg_t *g, psg_spd_match_t match)
{
	g->spd = match;
}

void psg_set_shutdown(psg_t *g, bool on)
{
	g->shutdown = on;
}

void psg_counts(const psg_t *g, size_t *sas, size_t *policies)
{
	*sas = g->n_sas;
	*policies = g->n_pols;
}

size_t psg_spis(const psg_t *g)
{
	return g->n_spis;
}

/* ------------------------------------------------------------ addresses */

static size_t fam_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       memcmp(addr_bytes(a), addr_bytes(b), fam_len(a->ss_family)) == 0;
}

/* [lo, hi] (family f) inside range r. */
static bool range_in(int f, const uint8_t *lo, const uint8_t *hi, const addr_range_t *r)
{
	size_t n = fam_len(f);
	return r->family == f && memcmp(r->lo, lo, n) <= 0 && memcmp(hi, r->hi, n) <= 0;
}

/* An address in a rule's address list (an empty list: any). */
static bool addr_in_list(const struct sockaddr_storage *ss, const addr_range_t *l, int n)
{
	if (n == 0)
		return true;
	const uint8_t *a = addr_bytes(ss);
	for (int i = 0; i < n; i++)
		if (range_in(ss->ss_family, a, a, &l[i]))
			return true;
	return false;
}

static bool rule_addrs(const rule_t *r, const struct sockaddr_storage *local,
                       const struct sockaddr_storage *remote)
{
	return addr_in_list(local, r->local_addr, r->n_local_addr) &&
	       addr_in_list(remote, r->remote_addr, r->n_remote_addr);
}

/* A selector inside a side of a child: its traffic selectors, or (none
 * configured: host-to-host) the rule's addresses on that side. */
static bool ts_in_side(const kernel_ts_t *ts, const ts_cfg_t *cfg, int n,
                       const addr_range_t *addrs, int n_addrs)
{
	if (n == 0) {
		if (n_addrs == 0)
			return true;
		for (int i = 0; i < n_addrs; i++)
			if (range_in(ts->family, ts->from, ts->to, &addrs[i]))
				return true;
		return false;
	}
	for (int i = 0; i < n; i++) {
		const ts_cfg_t *c = &cfg[i];
		if (!range_in(ts->family, ts->from, ts->to, &c->addr))
			continue;
		if (c->proto && c->proto != ts->proto)
			continue;
		if (ts->port_from < c->port_lo || ts->port_to > c->port_hi)
			continue;
		return true;
	}
	return false;
}

/* ----------------------------------------------------------- algorithms */

static bool proposal_allows(const proposal_cfg_t *p, const psm_sa_t *s)
{
	bool encr = false, integ = false, esn = p->n_esn == 0;

	for (int i = 0; i < p->n_encr && !encr; i++)
		encr = p->encr[i].id == s->encr_alg &&
		       (p->encr[i].keylen == 0 || p->encr[i].keylen == s->encr_keylen_bits);
	if (p->n_integ == 0)
		integ = s->integ_alg == INTEG_NONE;
	for (int i = 0; i < p->n_integ && !integ; i++)
		integ = p->integ[i] == s->integ_alg;
	for (int i = 0; i < p->n_esn && !esn; i++)
		esn = p->esn[i] == (s->esn ? ESN_YES : ESN_NO);
	return encr && integ && esn;
}

static bool same_mark(kernel_mark_t a, kernel_mark_t b)
{
	return a.value == b.value && a.mask == b.mask;
}

/* The SA's mark and interface ID are the child's for its direction. */
static bool child_allows_xfrm(const child_cfg_t *c, const psm_sa_t *s)
{
	bool in = s->dir == KERNEL_DIR_IN;
	return same_mark(s->id.mark, in ? c->mark_in : c->mark_out) &&
	       s->if_id == (in ? c->if_id_in : c->if_id_out);
}

static bool child_allows_algs(const child_cfg_t *c, const psm_sa_t *s)
{
	for (int i = 0; i < c->n_esp; i++)
		if (proposal_allows(&c->esp[i], s))
			return true;
	return false;
}

/* ------------------------------------------------------------- records */

static sa_rec_t *find_sa(psg_t *g, const kernel_sa_id_t *id)
{
	for (size_t i = 0; i < g->n_sas; i++) {
		sa_rec_t *r = &g->sas[i];
		if (r->spi == id->spi && r->protocol == id->protocol &&
		    same_addr(&r->dst, &id->dst) && r->mark.value == id->mark.value &&
		    r->mark.mask == id->mark.mask)
			return r;
	}
	return NULL;
}

static sa_rec_t *find_spi(psg_t *g, const struct sockaddr_storage *dst, uint32_t spi,
                          uint8_t protocol)
{
	for (size_t i = 0; i < g->n_sas; i++) {
		sa_rec_t *r = &g->sas[i];
		if (r->state == SA_SPI && r->spi == spi && r->protocol == protocol &&
		    same_addr(&r->dst, dst))
			return r;
	}
	return NULL;
}

static void add_sa_rec(psg_t *g, const struct sockaddr_storage *dst, uint32_t spi,
                       uint8_t protocol, kernel_mark_t mark, sa_state_t st)
{
	if (g->n_sas == g->cap_sas) {
		g->cap_sas = g->cap_sas ? g->cap_sas * 2 : 64;
		g->sas = xrealloc(g->sas, g->cap_sas * sizeof(*g->sas));
	}
	sa_rec_t *r = &g->sas[g->n_sas++];
	memset(r, 0, sizeof(*r));
	r->dst = *dst;
	r->spi = spi;
	r->protocol = protocol;
	r->mark = mark;
	r->state = st;
	if (st == SA_SPI) {
		r->since_ms = g->now_ms();
		g->n_spis++;
	}
}

static void drop_sa_rec(psg_t *g, sa_rec_t *r)
{
	if (r->state == SA_SPI)
		g->n_spis--;
	*r = g->sas[--g->n_sas];
}

/* SPIs allocated longer ago than the age limit and never used are
 * forgotten (the backends let their larval SAs expire on their own): an
 * add_sa with one of them is refused as an SPI the parent did not
 * allocate.  Returns how many went. */
static size_t age_spis(psg_t *g)
{
	uint64_t now = g->now_ms();
	size_t gone = 0;

	for (size_t i = 0; i < g->n_sas;) {
		sa_rec_t *r = &g->sas[i];
		if (r->state == SA_SPI && now - r->since_ms >= g->spi_age_ms) {
			drop_sa_rec(g, r);    /* the last record moves to i */
			gone++;
			continue;
		}
		i++;
	}
	return gone;
}

static bool same_ts(const kernel_ts_t *a, const kernel_ts_t *b)
{
	return a->family == b->family && memcmp(a->from, b->from, 16) == 0 &&
	       memcmp(a->to, b->to, 16) == 0 && a->proto == b->proto &&
	       a->port_from == b->port_from && a->port_to == b->port_to;
}

static pol_rec_t *find_pol(psg_t *g, const kernel_policy_t *p)
{
	for (size_t i = 0; i < g->n_pols; i++) {
		pol_rec_t *r = &g->pols[i];
		if (r->dir == p->dir && r->mark.value == p->mark.value &&
		    r->mark.mask == p->mark.mask && r->if_id == p->if_id &&
		    same_ts(&r->src_ts, &p->src_ts) &&
		    same_ts(&r->dst_ts, &p->dst_ts))
			return r;
	}
	return NULL;
}

/* -------------------------------------------------------------- checks */

#define REFUSE(...) do { snprintf(why, why_len, __VA_ARGS__); return false; } while (0)

static bool check_add_sa(psg_t *g, const psm_sa_t *s, char *why, size_t why_len)
{
	const struct sockaddr_storage *local, *remote;
	kernel_sa_t k;

	if (s->dir == KERNEL_DIR_IN) {
		local = &s->id.dst; remote = &s->src;
		if (!find_spi(g, &s->id.dst, s->id.spi, s->id.protocol))
			REFUSE("inbound SPI 0x%08x was not allocated by the parent", s->id.spi);
	} else {
		local = &s->src; remote = &s->id.dst;
		if (find_sa(g, &s->id))
			REFUSE("outbound SA 0x%08x is installed already", s->id.spi);
	}
	memset(&k, 0, sizeof(k));
	k.encr_keylen_bits = s->encr_keylen_bits;
	k.encr_salt_len = s->encr_salt_len;
	if (s->encr_key_len != kernel_sa_encr_key_len(&k))
		REFUSE("encryption key of %u bytes, the algorithm takes %zu",
		       s->encr_key_len, kernel_sa_encr_key_len(&k));
	/* the algorithm fields must be what the engine's own table gives */
	if (!kernel_sa_set_algs(&k, s->encr_alg,
	                        s->encr_alg == ENCR_3DES || s->encr_alg == ENCR_CHACHA20_POLY1305 ||
	                        s->encr_alg == ENCR_NULL ? 0 : s->encr_keylen_bits,
	                        s->integ_alg) ||
	    k.encr_keylen_bits != s->encr_keylen_bits || k.encr_salt_len != s->encr_salt_len ||
	    k.icv_bits != s->icv_bits)
		REFUSE("inconsistent algorithm fields (encr %u/%u bits, integ %u)",
		       s->encr_alg, s->encr_keylen_bits, s->integ_alg);
	bool addrs = false, algs = false;
	for (int i = 0; g->cfg && i < g->cfg->n_rules; i++) {
		const rule_t *r = &g->cfg->rules[i];
		if (!rule_addrs(r, local, remote))
			continue;
		addrs = true;
		for (int c = 0; c < r->n_child; c++) {
			if (!child_allows_algs(&r->child[c], s))
				continue;
			algs = true;
			if (child_allows_xfrm(&r->child[c], s))
				return true;
		}
	}
	if (!addrs)
		REFUSE("no rule allows these outer addresses");
	if (algs)
		REFUSE("no rule for these addresses gives an %s SA mark 0x%x/0x%x "
		       "and if_id %u", kernel_dir_name((kernel_dir_t)s->dir),
		       s->id.mark.value, s->id.mark.mask, s->if_id);
	REFUSE("no proposal of a rule for these addresses allows encr %u (%u bits) "
	       "integ %u esn %u", s->encr_alg, s->encr_keylen_bits, s->integ_alg, s->esn);
}

/* The kernel's answer to "which policy not the backend's holds want",
 * asked at most once per distinct want during one psg_check. */
static bool spd_lookup(psg_t *g, const kernel_policy_t *want, uint32_t *reqid)
{
	for (int i = 0; i < g->n_spd_seen; i++)
		if (memcmp(&g->spd_seen[i].want, want, sizeof(*want)) == 0) {
			*reqid = g->spd_seen[i].reqid;
			return g->spd_seen[i].found;
		}
	uint32_t got = 0;
	bool found = g->spd(want, &got);
	if (g->n_spd_seen < PSG_SPD_CACHE) {
		g->spd_seen[g->n_spd_seen].want = *want;
		g->spd_seen[g->n_spd_seen].found = found;
		g->spd_seen[g->n_spd_seen++].reqid = got;
	}
	*reqid = got;
	return found;
}

/* A policy outside every childsa's selectors, for childsa ch (of the
 * policy's mode, whose rule's addresses hold its tunnel endpoints): the
 * engine makes such policies only for a CHILD SA negotiated for someone
 * else's policy (kernel_events.c acquire_foreign: the administrator's
 * selectors and reqid).  So it is allowed only when the kernel's SPD holds
 * such a policy now: outbound, ESP, that mode and ch's outbound mark, not
 * the backend's own (an engine's policies never justify others), its
 * selectors holding these (local -> remote, whatever p's direction), its
 * template's endpoints these tunnel endpoints, and its reqid p's.  *spd
 * says what the kernel answered, for the refusal. */
static bool spd_justifies(psg_t *g, const kernel_policy_t *p, const child_cfg_t *ch,
                          const kernel_ts_t *lts, const kernel_ts_t *rts,
                          const struct sockaddr_storage *lsa,
                          const struct sockaddr_storage *rsa,
                          char *spd, size_t spd_len)
{
	kernel_policy_t want;
	memset(&want, 0, sizeof(want));
	want.dir = KERNEL_DIR_OUT;
	want.action = KERNEL_POLICY_PROTECT;
	want.protocol = KERNEL_PROTO_ESP;
	want.mode = p->mode;
	want.mark = ch->mark_out;
	want.src_ts = *lts;
	want.dst_ts = *rts;
	want.sa_src = *lsa;
	want.sa_dst = *rsa;
	uint32_t reqid = 0;
	if (!spd_lookup(g, &want, &reqid)) {
		if (!spd[0])
			snprintf(spd, spd_len, "no %s mode ESP policy not ours in the "
			         "kernel holds them with these endpoints and mark",
			         kernel_mode_name(p->mode));
		return false;
	}
	if (reqid != p->reqid) {
		snprintf(spd, spd_len, "the kernel's policy not ours that holds them "
		         "has reqid %u, not %u", reqid, p->reqid);
		return false;
	}
	return true;
}

static bool check_add_policy(psg_t *g, const kernel_policy_t *p, char *why, size_t why_len)
{
	bool out = p->dir == KERNEL_DIR_OUT;
	const kernel_ts_t *lts = out ? &p->src_ts : &p->dst_ts;
	const kernel_ts_t *rts = out ? &p->dst_ts : &p->src_ts;
	const struct sockaddr_storage *lsa = out ? &p->sa_src : &p->sa_dst;
	const struct sockaddr_storage *rsa = out ? &p->sa_dst : &p->sa_src;
	/* someone else's policy can justify one only with both endpoints */
	bool ends = lsa->ss_family && lsa->ss_family == rsa->ss_family &&
	            (p->mode == KERNEL_MODE_TUNNEL || p->mode == KERNEL_MODE_TRANSPORT);
	char spd[160] = "";

	bool sels = false, asked = false;

	if (p->action != KERNEL_POLICY_PROTECT)
		REFUSE("a %s policy: the engine may only install protect policies",
		       kernel_action_name(p->action));
	for (int i = 0; g->cfg && i < g->cfg->n_rules; i++) {
		const rule_t *r = &g->cfg->rules[i];
		if (lsa->ss_family && !addr_in_list(lsa, r->local_addr, r->n_local_addr))
			continue;
		if (rsa->ss_family && !addr_in_list(rsa, r->remote_addr, r->n_remote_addr))
			continue;
		for (int c = 0; c < r->n_child; c++) {
			const child_cfg_t *ch = &r->child[c];
			/* in and fwd policies: the _in mark and interface */
			bool xfrm = same_mark(p->mark, out ? ch->mark_out : ch->mark_in) &&
			            p->if_id == (out ? ch->if_id_out : ch->if_id_in);
			if (!ts_in_side(lts, ch->local_ts, ch->n_local_ts,
			                r->local_addr, r->n_local_addr) ||
			    !ts_in_side(rts, ch->remote_ts, ch->n_remote_ts,
			                r->remote_addr, r->n_remote_addr)) {
				bool mode = (ch->mode == MODE_TRANSPORT) ==
				            (p->mode == KERNEL_MODE_TRANSPORT);
				if (!g->spd || !ends || !xfrm || !mode)
					continue;
				asked = true;
				if (spd_justifies(g, p, ch, lts, rts, lsa, rsa, spd, sizeof(spd))) {
					char a[KERNEL_TS_STRLEN], b[KERNEL_TS_STRLEN];
					log_op(DBG_KERNEL, "privsep parent: add_policy %s -> %s "
					       "(%s, reqid %u) is outside rule %s's selectors: "
					       "allowed, a policy not ours in the kernel holds it "
					       "with that reqid", kernel_ts_to_str(&p->src_ts, a, sizeof(a)),
					       kernel_ts_to_str(&p->dst_ts, b, sizeof(b)),
					       kernel_dir_name(p->dir), p->reqid, r->label);
					return true;
				}
				continue;
			}
			sels = true;
			if (xfrm)
				return true;
		}
	}
	char a[KERNEL_TS_STRLEN], b[KERNEL_TS_STRLEN];
	if (sels)
		REFUSE("no rule allowing the selectors %s -> %s (%s) gives mark "
		       "0x%x/0x%x and if_id %u", kernel_ts_to_str(&p->src_ts, a, sizeof(a)),
		       kernel_ts_to_str(&p->dst_ts, b, sizeof(b)), kernel_dir_name(p->dir),
		       p->mark.value, p->mark.mask, p->if_id);
	if (asked)
		REFUSE("no rule allows the selectors %s -> %s (%s), and no "
		       "administrator's policy justifies them: %s",
		       kernel_ts_to_str(&p->src_ts, a, sizeof(a)),
		       kernel_ts_to_str(&p->dst_ts, b, sizeof(b)), kernel_dir_name(p->dir), spd);
	REFUSE("no rule allows the selectors %s -> %s (%s)",
	       kernel_ts_to_str(&p->src_ts, a, sizeof(a)),
	       kernel_ts_to_str(&p->dst_ts, b, sizeof(b)), kernel_dir_name(p->dir));
}

static bool check_one(psg_t *g, const psm_msg_t *m, char *why, size_t why_len)
{
	switch (m->hdr.type) {
	case PSM_GET_SPI: {
		const psm_get_spi_t *q = &m->u.get_spi;
		if (g->n_spis >= PSG_SPI_MAX)
			REFUSE("%zu SPIs allocated for the engine are not used yet "
			       "(at most %d, each for %llu s)", g->n_spis, PSG_SPI_MAX,
			       (unsigned long long)(g->spi_age_ms / 1000));
		for (int i = 0; g->cfg && i < g->cfg->n_rules; i++)
			if (rule_addrs(&g->cfg->rules[i], &q->dst, &q->src))
				return true;
		REFUSE("no rule allows an SA from these addresses");
	}
	case PSM_ADD_SA:
		return check_add_sa(g, &m->u.sa, why, why_len);
	case PSM_UPDATE_SA: {
		const psm_update_sa_t *u = &m->u.update;
		sa_rec_t *r = find_sa(g, &u->id);
		if (!r || r->state == SA_SPI)
			REFUSE("SA 0x%08x was not installed for the engine", u->id.spi);
		const struct sockaddr_storage *local = r->state == SA_IN ? &u->new_dst : &u->new_src;
		const struct sockaddr_storage *remote = r->state == SA_IN ? &u->new_src : &u->new_dst;
		for (int i = 0; g->cfg && i < g->cfg->n_rules; i++)
			if (rule_addrs(&g->cfg->rules[i], local, remote))
				return true;
		REFUSE("no rule allows the new addresses of SA 0x%08x", u->id.spi);
	}
	case PSM_QUERY_SA: {
		sa_rec_t *r = find_sa(g, &m->u.id);
		if (!r || r->state == SA_SPI)
			REFUSE("SA 0x%08x was not installed for the engine", m->u.id.spi);
		return true;
	}
	case PSM_DEL_SA:
		if (!find_sa(g, &m->u.id))
			REFUSE("SA 0x%08x was neither allocated nor installed for the engine",
			       m->u.id.spi);
		return true;
	case PSM_ADD_POLICY:
		return check_add_policy(g, &m->u.policy, why, why_len);
	case PSM_QUERY_POLICY:
	case PSM_DEL_POLICY:
		if (!find_pol(g, &m->u.policy))
			REFUSE("the policy was not installed for the engine");
		return true;
	case PSM_MATCH_POLICY: {
		/* a look-up only the childsa entries with require_kernel_policy
		 * make, for selectors they allow */
		const kernel_policy_t *p = &m->u.policy;
		for (int i = 0; g->cfg && i < g->cfg->n_rules; i++) {
			const rule_t *r = &g->cfg->rules[i];
			for (int c = 0; c < r->n_child; c++) {
				const child_cfg_t *ch = &r->child[c];
				if (ch->require_kernel_policy &&
				    ts_in_side(&p->src_ts, ch->local_ts, ch->n_local_ts,
				               r->local_addr, r->n_local_addr) &&
				    ts_in_side(&p->dst_ts, ch->remote_ts, ch->n_remote_ts,
				               r->remote_addr, r->n_remote_addr))
					return true;
			}
		}
		REFUSE("no childsa entry with require_kernel_policy allows these "
		       "selectors");
	}
	case PSM_FLUSH:
		if (!g->shutdown)
			REFUSE("flush is the parent's, at shutdown");
		return true;
	}
	REFUSE("%s is not a request", psm_type_name(m->hdr.type));
}

bool psg_check(psg_t *g, const psm_msg_t *m, char *why, size_t why_len)
{
	char first[256] = "";

	if (why && why_len)
		why[0] = '\0';
	g->n_spd_seen = 0;
	if (m->hdr.type == PSM_GET_SPI)
		age_spis(g);
	/* allowed by the current configuration, or by one an established SA
	 * may still use; the reason given is the current one's */
	for (int i = 0; i < PSG_CONFIGS && (i == 0 || g->cfgs[i]); i++) {
		g->cfg = g->cfgs[i];
		bool ok = check_one(g, m, why, why_len);
		g->cfg = NULL;
		if (ok)
			return true;
		if (i == 0)
			snprintf(first, sizeof(first), "%s", why);
	}
	snprintf(why, why_len, "%s", first);
	return false;
}

void psg_done(psg_t *g, const psm_msg_t *m, bool ok, uint32_t spi)
{
	if (!ok)
		return;
	switch (m->hdr.type) {
	case PSM_GET_SPI: {
		const psm_get_spi_t *q = &m->u.get_spi;
		kernel_mark_t none = { 0, 0 };
		add_sa_rec(g, &q->dst, spi, q->protocol, none, SA_SPI);
		break;
	}
	case PSM_ADD_SA: {
		const psm_sa_t *s = &m->u.sa;
		if (s->dir == KERNEL_DIR_IN) {
			sa_rec_t *r = find_spi(g, &s->id.dst, s->id.spi, s->id.protocol);
			if (r) {
				g->n_spis--;
				r->state = SA_IN;
				r->mark = s->id.mark;
			}
		} else {
			add_sa_rec(g, &s->id.dst, s->id.spi, s->id.protocol, s->id.mark, SA_OUT);
		}
		break;
	}
	case PSM_UPDATE_SA: {
		sa_rec_t *r = find_sa(g, &m->u.update.id);
		if (r)
			r->dst = m->u.update.new_dst;
		break;
	}
	case PSM_DEL_SA: {
		sa_rec_t *r = find_sa(g, &m->u.id);
		if (r)
			drop_sa_rec(g, r);
		break;
	}
	case PSM_ADD_POLICY:
		if (!find_pol(g, &m->u.policy)) {
			if (g->n_pols == g->cap_pols) {
				g->cap_pols = g->cap_pols ? g->cap_pols * 2 : 64;
				g->pols = xrealloc(g->pols, g->cap_pols * sizeof(*g->pols));
			}
			pol_rec_t *r = &g->pols[g->n_pols++];
			r->src_ts = m->u.policy.src_ts;
			r->dst_ts = m->u.policy.dst_ts;
			r->dir = m->u.policy.dir;
			r->mark = m->u.policy.mark;
			r->if_id = m->u.policy.if_id;
		}
		break;
	case PSM_DEL_POLICY: {
		pol_rec_t *r = find_pol(g, &m->u.policy);
		if (r)
			*r = g->pols[--g->n_pols];
		break;
	}
	case PSM_FLUSH:
		g->n_sas = 0;
		g->n_spis = 0;
		g->n_pols = 0;
		break;
	}
}
