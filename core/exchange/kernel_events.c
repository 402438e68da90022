/*
 * kernel_events.c - what the kernel tells the engine: a soft EXPIRE
 * rekeys a CHILD SA, a hard EXPIRE deletes it, an ACQUIRE for a policy of
 * ours starts a new CHILD SA.  Also the reqid -> IKE SA map these need.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>

#include <ikev2d/kernel_ipsec.h>

#include "exchange/tasks.h"
#include "net/addr.h"

/* ------------------------------------------------------ reqid map */

typedef struct reqid_node {
	struct reqid_node *next;
	uint32_t reqid;
	uint64_t spi;
} reqid_node_t;

typedef struct {
	reqid_node_t **buckets;
	size_t n_buckets, count;
} reqid_map_t;

static atomic_uint_fast32_t next_reqid = 1;

uint32_t engine_next_reqid(void)
{
	uint32_t r;
	do
		r = (uint32_t)atomic_fetch_add(&next_reqid, 1);
	while (r == 0);
	return r;
}

static reqid_map_t *map(engine_t *e)
{
	if (!e->reqid_map) {
		reqid_map_t *m = xzalloc(sizeof(*m));
		m->n_buckets = 256;
		m->buckets = xzalloc(m->n_buckets * sizeof(reqid_node_t *));
		e->reqid_map = m;
	}
	return e->reqid_map;
}

static void grow(reqid_map_t *m)
{
	size_t nn = m->n_buckets * 2;
	reqid_node_t **nb = xzalloc(nn * sizeof(reqid_node_t *));
	for (size_t i = 0; i < m->n_buckets; i++)
		for (reqid_node_t *n = m->buckets[i], *next; n; n = next) {
			next = n->next;
			n->next = nb[n->reqid & (nn - 1)];
			nb[n->reqid & (nn - 1)] = n;
		}
	free(m->buckets);
	m->buckets = nb;
	m->n_buckets = nn;
}

void reqid_map_set(engine_t *e, uint32_t reqid, uint64_t ike_spi)
{
	pthread_mutex_lock(&e->reqid_lock);
	reqid_map_t *m = map(e);
	reqid_node_t *n = m->buckets[reqid & (m->n_buckets - 1)];
	while (n && n->reqid != reqid)
		n = n->next;
	if (!n) {
		if (++m->count > 2 * m->n_buckets)
			grow(m);
		n = xzalloc(sizeof(*n));
		n->reqid = reqid;
		n->next = m->buckets[reqid & (m->n_buckets - 1)];
		m->buckets[reqid & (m->n_buckets - 1)] = n;
	}
	n->spi = ike_spi;
	pthread_mutex_unlock(&e->reqid_lock);
}

void reqid_map_del(engine_t *e, uint32_t reqid)
{
	pthread_mutex_lock(&e->reqid_lock);
	reqid_map_t *m = map(e);
	reqid_node_t **p = &m->buckets[reqid & (m->n_buckets - 1)];
	while (*p && (*p)->reqid != reqid)
		p = &(*p)->next;
	if (*p) {
		reqid_node_t *dead = *p;
		*p = dead->next;
		free(dead);
		m->count--;
	}
	pthread_mutex_unlock(&e->reqid_lock);
}

uint64_t reqid_map_get(engine_t *e, uint32_t reqid)
{
	pthread_mutex_lock(&e->reqid_lock);
	reqid_map_t *m = map(e);
	reqid_node_t *n = m->buckets[reqid & (m->n_buckets - 1)];
	while (n && n->reqid != reqid)
		n = n->next;
	uint64_t spi = n ? n->spi : 0;
	pthread_mutex_unlock(&e->reqid_lock);
	return spi;
}

void reqid_map_free(engine_t *e)
{
	reqid_map_t *m = e->reqid_map;
	if (!m)
		return;
	for (size_t i = 0; i < m->n_buckets; i++)
		for (reqid_node_t *n = m->buckets[i], *next; n; n = next) {
			next = n->next;
			free(n);
		}
	free(m->buckets);
	free(m);
	e->reqid_map = NULL;
}

/* --------------------------------------------------------- events */

typedef struct {
	engine_t *e;
	kernel_event_t ev;
} ev_job_t;

/* Whether a kernel selector lies within a configured one. */
static bool kts_in_cfg(const kernel_ts_t *k, const ts_cfg_t *c, int n)
{
	if (n == 0)
		return false;
	size_t al = k->family == AF_INET6 ? 16 : 4;
	for (int i = 0; i < n; i++) {
		if (c[i].addr.family != k->family)
			continue;
		if (memcmp(c[i].addr.lo, k->from, al) > 0 || memcmp(k->to, c[i].addr.hi, al) > 0)
			continue;
		if (c[i].proto && c[i].proto != k->proto)
			continue;
		return true;
	}
	return false;
}

/* An ACQUIRE for a policy no SA of ours made (an admin's, or one left
 * after its SAs went): start the rule whose CHILD SA selectors hold the
 * packet's (the Solaris model: the rule is chosen by what the policy
 * protects).  Rate-limited per rule so a burst of packets starts one. */
static void acquire_new(engine_t *e, const kernel_event_t *ev)
{
	config_t *cfg = engine_config(e);
	if (!cfg)
		return;
	const rule_t *found = NULL;
	for (int r = 0; r < cfg->n_rules && !found; r++)
		for (int i = 0; i < cfg->rules[r].n_child && !found; i++) {
			const child_cfg_t *cc = &cfg->rules[r].child[i];
			if (kts_in_cfg(&ev->acquire.src_ts, cc->local_ts, cc->n_local_ts) &&
			    kts_in_cfg(&ev->acquire.dst_ts, cc->remote_ts, cc->n_remote_ts))
				found = &cfg->rules[r];
		}
	if (found) {
		uint64_t now = time_monotonic_ms();
		pthread_mutex_lock(&e->reqid_lock);
		bool recent = e->last_acquire_rule == found &&
		              now - e->last_acquire_ms < 5000;
		if (!recent) {
			e->last_acquire_rule = found;
			e->last_acquire_ms = now;
		}
		pthread_mutex_unlock(&e->reqid_lock);
		if (!recent) {
			log_op(DBG_KERNEL, "ACQUIRE for reqid %u: initiating rule %s",
			       ev->acquire.reqid, found->label);
			engine_initiate(e, found->label);
		} else {
			log_verbose(DBG_KERNEL, "ACQUIRE for reqid %u (rule %s) within "
			            "5 s of the last: rate-limited, nothing started",
			            ev->acquire.reqid, found->label);
		}
	} else {
		char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
		log_verbose(DBG_KERNEL, "ACQUIRE for %s === %s: no rule protects it",
		            kernel_ts_to_str(&ev->acquire.src_ts, s, sizeof(s)),
		            kernel_ts_to_str(&ev->acquire.dst_ts, d, sizeof(d)));
	}
	config_unref(cfg);
}

/* ---------------------------------------- someone else's policies */

static void kts_to_ts(const kernel_ts_t *k, ts_t *t)
{
	memset(t, 0, sizeof(*t));
	t->type = k->family == AF_INET6 ? TS_IPV6_ADDR_RANGE : TS_IPV4_ADDR_RANGE;
	size_t al = k->family == AF_INET6 ? 16 : 4;
	memcpy(t->start, k->from, al);
	memcpy(t->end, k->to, al);
	t->protocol = k->proto;
	t->start_port = k->port_from;
	t->end_port = k->port_to;
}

static bool kts_same(const kernel_ts_t *a, const kernel_ts_t *b)
{
	size_t al = a->family == AF_INET6 ? 16 : 4;
	return a->family == b->family && a->proto == b->proto &&
	       a->port_from == b->port_from && a->port_to == b->port_to &&
	       memcmp(a->from, b->from, al) == 0 && memcmp(a->to, b->to, al) == 0;
}

/* Whether one of the n ranges holds address a (n == 0: none does). */
static bool ranges_hold(const addr_range_t *r, int n, const struct sockaddr_storage *a)
{
	chunk_t b = addr_bytes(a);
	for (int i = 0; i < n && b.len; i++)
		if (r[i].family == a->ss_family && memcmp(r[i].lo, b.ptr, b.len) <= 0 &&
		    memcmp(b.ptr, r[i].hi, b.len) <= 0)
			return true;
	return false;
}

static void ts_addr(const kernel_ts_t *ts, struct sockaddr_storage *a)
{
	memset(a, 0, sizeof(*a));
	if (ts->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)a;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, ts->from, 4);
	} else if (ts->family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)a;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, ts->from, 16);
	}
}

static uint64_t acq_key(const child_acq_t *a)
{
	uint64_t h = 1469598103934665603ULL;
	const uint8_t *p = (const uint8_t *)a;
	for (size_t i = 0; i < sizeof(*a); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* An ACQUIRE for a policy the backend did not install (an administrator's
 * `ip xfrm policy add ... tmpl proto esp`).  The rule: one whose
 * local_addr / remote_addr hold the template's tunnel endpoints (in
 * transport mode the packet's addresses), preferring one with a childsa
 * entry whose selectors hold the policy's; the CHILD SA proposes the
 * packet's selectors, then the policy's (RFC 7296 §2.9), and carries the
 * template's reqid (its SAs and our policies; the backend leaves the
 * owner's policy as it is). */
static void acquire_foreign(engine_t *e, const kernel_event_t *ev)
{
	const kernel_ts_t *ps = &ev->acquire.src_ts, *pd = &ev->acquire.dst_ts;
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	kernel_ts_to_str(ps, s, sizeof(s));
	kernel_ts_to_str(pd, d, sizeof(d));
	if ((ps->family != AF_INET && ps->family != AF_INET6) || ps->family != pd->family) {
		log_error(DBG_KERNEL, "ACQUIRE for someone else's policy %s === %s "
		          "(reqid %u): its selectors are not of one address family: "
		          "nothing started", s, d, ev->acquire.reqid);
		return;
	}
	config_t *cfg = engine_config(e);
	if (!cfg)
		return;
	ipsec_mode_t mode = ev->acquire.mode == KERNEL_MODE_TRANSPORT ?
	                    MODE_TRANSPORT : MODE_TUNNEL;
	struct sockaddr_storage l = ev->acquire.tmpl_src, r = ev->acquire.tmpl_dst;
	if (mode == MODE_TRANSPORT || !l.ss_family || !r.ss_family) {
		ts_addr(ev->acquire.pkt_src_ts.family ? &ev->acquire.pkt_src_ts : ps, &l);
		ts_addr(ev->acquire.pkt_dst_ts.family ? &ev->acquire.pkt_dst_ts : pd, &r);
	}
	const rule_t *found = NULL;
	int child = -1;
	for (int pass = 0; pass < 2 && !found; pass++)
		for (int i = 0; i < cfg->n_rules && !found; i++) {
			const rule_t *ru = &cfg->rules[i];
			if (!ranges_hold(ru->local_addr, ru->n_local_addr, &l) ||
			    !ranges_hold(ru->remote_addr, ru->n_remote_addr, &r))
				continue;
			for (int c = 0; c < ru->n_child && !found; c++) {
				const child_cfg_t *cc = &ru->child[c];
				if (cc->mode != mode)
					continue;
				if (pass == 0 &&
				    (!kts_in_cfg(ps, cc->local_ts, cc->n_local_ts) ||
				     !kts_in_cfg(pd, cc->remote_ts, cc->n_remote_ts)))
					continue;
				found = ru;
				child = c;
			}
		}
	char la[ADDR_STRLEN], ra[ADDR_STRLEN];
	if (!found) {
		log_op(DBG_KERNEL, "ACQUIRE for someone else's policy %s === %s "
		       "(reqid %u, %s mode, %s - %s): no rule has these endpoints "
		       "and a childsa entry of that mode: nothing started", s, d,
		       ev->acquire.reqid, mode == MODE_TUNNEL ? "tunnel" : "transport",
		       addr_ip_to_str(&l, la, sizeof(la)), addr_ip_to_str(&r, ra, sizeof(ra)));
		config_unref(cfg);
		return;
	}
	child_acq_t acq;
	memset(&acq, 0, sizeof(acq));
	acq.reqid = ev->acquire.reqid;
	acq.child = child;
	const kernel_ts_t *pks = &ev->acquire.pkt_src_ts, *pkd = &ev->acquire.pkt_dst_ts;
	bool pkt = pks->family == ps->family && pkd->family == ps->family &&
	           !(kts_same(pks, ps) && kts_same(pkd, pd));
	if (pkt) {
		kts_to_ts(pks, &acq.local[acq.n_local++]);
		kts_to_ts(pkd, &acq.remote[acq.n_remote++]);
	}
	kts_to_ts(ps, &acq.local[acq.n_local++]);
	kts_to_ts(pd, &acq.remote[acq.n_remote++]);

	uint64_t now = time_monotonic_ms(), key = acq_key(&acq);
	pthread_mutex_lock(&e->reqid_lock);
	bool recent = e->last_acquire_rule == found && e->last_acquire_key == key &&
	              now - e->last_acquire_ms < 5000;
	if (!recent) {
		e->last_acquire_rule = found;
		e->last_acquire_key = key;
		e->last_acquire_ms = now;
	}
	pthread_mutex_unlock(&e->reqid_lock);
	if (recent) {
		log_verbose(DBG_KERNEL, "ACQUIRE for someone else's policy %s === %s "
		            "(reqid %u) within 5 s of the last: rate-limited, nothing "
		            "started", s, d, ev->acquire.reqid);
		config_unref(cfg);
		return;
	}
	/* A CHILD SA in an established IKE SA of the rule, else a new one. */
	uint64_t spi = engine_rule_ike_sa(e, found->label, true);
	sa_entry_t *en = spi ? sa_table_checkout(e->table, spi) : NULL;
	if (en) {
		ike_sa_t *sa = (ike_sa_t *)en;
		child_sa_t *up = NULL;
		for (child_sa_t *c = sa->children; c && !up; c = c->next)
			if (c->foreign_policy && c->reqid == acq.reqid &&
			    (c->state == CHILD_INSTALLED || c->state == CHILD_REKEYING))
				up = c;
		if (up && sa->state == IKE_ESTABLISHED) {
			sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "ACQUIRE for someone else's "
			       "policy %s === %s (reqid %u): CHILD SA %08x_i with that "
			       "reqid is up, nothing to start", s, d, acq.reqid, up->spi_in);
		} else if (sa->state == IKE_ESTABLISHED) {
			sa_log(sa, DBG_KERNEL, LVL_OP, "ACQUIRE for someone else's policy "
			       "%s === %s (reqid %u): new CHILD SA in this IKE SA with the "
			       "policy's selectors", s, d, acq.reqid);
			task_queue_acq(e, sa, &found->child[child], &acq);
		}
		engine_finish(e, sa);
		config_unref(cfg);
		return;
	}
	log_op(DBG_KERNEL, "ACQUIRE for someone else's policy %s === %s (reqid %u): "
	       "initiating rule %s with the policy's selectors", s, d, acq.reqid,
	       found->label);
	engine_initiate_acq(e, found->label, &acq);
	config_unref(cfg);
}

/* The peer's ESP-in-UDP arrives from another address or port (its NAT
 * rebound): send IKE there too and move every CHILD SA of the IKE SA, as
 * the kernel will see the peer's traffic from there from now on. */
static void mapping_changed(ike_sa_t *sa, const kernel_event_t *ev)
{
	const struct sockaddr_storage *np = &ev->mapping.new_peer;
	char o[ADDR_STRLEN], n[ADDR_STRLEN];
	child_sa_t *c = child_find_by_spi(sa, ev->mapping.sa.spi, true);
	if (!c)
		c = child_find_by_spi(sa, ev->mapping.sa.spi, false);
	if (!c) {
		sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "NAT mapping change for "
		       "unknown CHILD SA %08x ignored", ev->mapping.sa.spi);
		return;
	}
	if (!sa->natt) {
		sa_log(sa, DBG_KERNEL, LVL_ERROR, "kernel reports a NAT mapping "
		       "change for CHILD SA %08x_i, which is not UDP-encapsulated: "
		       "ignored", c->spi_in);
		return;
	}
	if (np->ss_family != sa->remote.ss_family || !addr_get_port(np) ||
	    addr_is_any(np)) {
		sa_log(sa, DBG_KERNEL, LVL_ERROR, "kernel reports a NAT mapping "
		       "change for CHILD SA %08x_i to an unusable address: ignored",
		       c->spi_in);
		return;
	}
	if (addr_equals(np, &sa->remote)) {
		sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "NAT mapping change to %s: "
		       "the peer is there already", addr_to_str(np, n, sizeof(n)));
		return;
	}
	struct sockaddr_storage old = sa->remote;
	sa->remote = *np;
	int failed;
	int moved = child_move_all(sa, &old, &failed);
	sa_log(sa, DBG_KERNEL, LVL_OP, "NAT mapping changed: peer %s is now %s; "
	       "IKE SA and %d CHILD SA%s follow%s", addr_to_str(&old, o, sizeof(o)),
	       addr_to_str(np, n, sizeof(n)), moved, moved == 1 ? "" : "s",
	       failed ? " (the kernel refused some: see above)" : "");
}

static void handle(engine_t *e, const kernel_event_t *ev)
{
	uint32_t reqid = ev->type == KERNEL_EV_EXPIRE ? ev->expire.reqid :
	                 ev->type == KERNEL_EV_ACQUIRE ? ev->acquire.reqid :
	                 ev->mapping.reqid;
	if (ev->type == KERNEL_EV_ACQUIRE && ev->acquire.foreign) {
		acquire_foreign(e, ev);
		return;
	}
	uint64_t spi = reqid_map_get(e, reqid);
	if (!spi) {
		if (ev->type == KERNEL_EV_ACQUIRE && !trap_acquire(e, ev))
			acquire_new(e, ev);
		return;   /* not ours */
	}
	sa_entry_t *en = sa_table_checkout(e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	switch (ev->type) {
	case KERNEL_EV_EXPIRE: {
		/* The kernel names one direction; find the CHILD SA either way. */
		child_sa_t *c = child_find_by_spi(sa, ev->expire.sa.spi, true);
		if (!c)
			c = child_find_by_spi(sa, ev->expire.sa.spi, false);
		if (!c)
			break;
		if (ev->expire.hard) {
			if (c->state != CHILD_INSTALLED && c->state != CHILD_REKEYED)
				break;
			/* The kernel has removed it already.  A successor from
			 * the peer's rekey whose outbound SA waits for this one
			 * to go sends from now on, not when our Delete gets its
			 * turn - and a rekeyed SA whose Delete the peer never
			 * sent would keep it waiting for ever. */
			child_release_successor(sa, c->spi_in);
			sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %08x_i%s reached its "
			       "hard lifetime: deleting", c->spi_in,
			       c->state == CHILD_REKEYED ? " (rekeyed, the peer did "
			       "not delete it)" : "");
			task_queue(e, sa, TASK_CHILD_DELETE, c->spi_in, NULL);
		} else if (c->state == CHILD_INSTALLED) {
			sa_log(sa, DBG_CHILDSA, LVL_VERBOSE, "CHILD SA %08x_i reached its "
			       "soft lifetime: rekeying", c->spi_in);
			task_queue(e, sa, TASK_CHILD_REKEY, c->spi_in, NULL);
		}
		break;
	}
	case KERNEL_EV_ACQUIRE: {
		/* Traffic for a policy of ours without SAs: a new CHILD SA,
		 * unless one with the reqid is up (the ACQUIRE raced it). */
		child_sa_t *up = NULL, *any = NULL;
		for (child_sa_t *c = sa->children; c; c = c->next)
			if (c->reqid == reqid) {
				any = any ? any : c;
				if (c->state == CHILD_INSTALLED || c->state == CHILD_REKEYING)
					up = c;
			}
		if (up)
			sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "ACQUIRE for reqid %u: "
			       "CHILD SA %08x_i is up, nothing to start", reqid,
			       up->spi_in);
		else if (any)
			task_queue(e, sa, TASK_CHILD_CREATE, 0, any->cfg);
		break;
	}
	case KERNEL_EV_MAPPING:
		mapping_changed(sa, ev);
		break;
	}
	engine_finish(e, sa);
}

static void ev_job(void *arg)
{
	ev_job_t *j = arg;
	handle(j->e, &j->ev);
	atomic_fetch_sub(&j->e->timers, 1);
	free(j);
}

void engine_kernel_event(engine_t *e, const kernel_event_t *ev)
{
	if (!e || e->stopping)
		return;
	ev_job_t *j = xmalloc(sizeof(*j));
	j->e = e;
	j->ev = *ev;
	/* counted like a timer: the engine is not freed under the job */
	atomic_fetch_add(&e->timers, 1);
	job_queue(ev_job, j);
}
