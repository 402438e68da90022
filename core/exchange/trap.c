/*
 * trap.c - on-demand rules (rule keyword on_demand): one outbound "trap"
 * policy per pair of a CHILD SA's traffic selectors, installed with no SA
 * behind it so that the kernel answers the first matching packet with an
 * ACQUIRE, which starts the rule.
 *
 * The traps live as long as their rule is configured: trap_sync() installs
 * them at start-up, adds and removes them on SIGHUP, and removes them all
 * at shutdown.  A CHILD SA whose outbound policy has a trap's selectors
 * replaces the trap in the kernel (same selectors: the same policy, now
 * with the SA's reqid) instead of adding a second one; when that CHILD SA
 * goes, its policy is turned back into the trap rather than deleted, so
 * the next packet starts the rule again.
 *
 * The registry is process-wide, like the kernel's policy database it
 * mirrors: one lock, taken only when traps exist (an atomic count lets the
 * CHILD SA paths skip it otherwise).
 */
#include "exchange/engine_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/kernel_ipsec.h>

#include "exchange/tasks.h"
#include "exchange/ts.h"
#include "net/addr.h"

/* Two ACQUIREs for one trap closer than this start one exchange. */
#define TRAP_ACQUIRE_INTERVAL_MS 5000
/* Labels are at most 128 characters (core/config). */
#define TRAP_LABEL_MAX 136

typedef struct trap trap_t;
struct trap {
	trap_t *next;
	engine_t *owner;           /* the engine whose ACQUIREs start it */
	char *label;               /* the rule */
	int child;                 /* index of its childsa entry */
	kernel_policy_t pol;       /* OUT, PROTECT, the trap's own reqid */
	bool occupied;             /* a CHILD SA's policy holds its place */
	bool gone;                 /* rule removed while occupied: delete the
	                              policy when the CHILD SA releases it */
	uint64_t ike_spi;          /* IKE SA whose CHILD SA last held it */
	uint64_t last_acquire_ms;
	bool pending;              /* trap_sync has yet to install it */
	bool query_first;          /* ...after asking whether a CHILD SA's
	                              policy is there (a reload) */
	kernel_policy_t occupant;  /* the CHILD SA policy that occupied it */
};

static pthread_mutex_t trap_lock = PTHREAD_MUTEX_INITIALIZER;
/* One trap_sync at a time.  trap_sync makes its kernel calls holding only
 * this lock: trap_lock, which every CHILD SA install and ACQUIRE takes, is
 * held only while the list is read or changed. */
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static trap_t *traps;
static bool synced;                /* trap_sync ran since the last NULL */
static atomic_uint n_traps;        /* entries in the list, gone ones too */

/* ---------------------------------------------------------- selectors */

static size_t kts_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool kts_equal(const kernel_ts_t *a, const kernel_ts_t *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->port_from == b->port_from && a->port_to == b->port_to &&
	       memcmp(a->from, b->from, kts_len(a->family)) == 0 &&
	       memcmp(a->to, b->to, kts_len(a->family)) == 0;
}

/* Same name in the kernel: selectors, direction, mark, interface ID. */
static bool same_policy_name(const kernel_policy_t *a, const kernel_policy_t *b)
{
	return a->dir == b->dir && a->mark.value == b->mark.value &&
	       a->mark.mask == b->mark.mask && a->if_id == b->if_id &&
	       kts_equal(&a->src_ts, &b->src_ts) && kts_equal(&a->dst_ts, &b->dst_ts);
}

/* Template addresses; family 0 (none) equals only itself. */
static bool tmpl_equal(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       (a->ss_family == 0 || addr_equals(a, b));
}

/* Same trap: the same policy in every field the trap sets. */
static bool same_trap(const kernel_policy_t *a, const kernel_policy_t *b)
{
	return same_policy_name(a, b) && a->mode == b->mode &&
	       tmpl_equal(&a->sa_src, &b->sa_src) && tmpl_equal(&a->sa_dst, &b->sa_dst);
}

static void range_to_kts(const addr_range_t *r, kernel_ts_t *k)
{
	memset(k, 0, sizeof(*k));
	k->family = r->family;
	memcpy(k->from, r->lo, kts_len(r->family));
	memcpy(k->to, r->hi, kts_len(r->family));
	k->port_to = 0xffff;
}

static void range_to_addr(const addr_range_t *r, struct sockaddr_storage *a)
{
	memset(a, 0, sizeof(*a));
	if (r->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)a;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, r->lo, 4);
	} else if (r->family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)a;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, r->lo, 16);
	}
}

static bool range_single(const addr_range_t *r)
{
	return memcmp(r->lo, r->hi, kts_len(r->family)) == 0;
}

/* One side's selectors of a child config as the kernel sees them; a side
 * without selectors is the rule's address on that side (all of that
 * family when the rule does not give exactly one range). */
static int side_kts(const ts_cfg_t *ts, int n_ts, const addr_range_t *addrs,
                    int n_addrs, int family, kernel_ts_t *out, int max)
{
	int n = 0;
	if (n_ts == 0) {
		if (n_addrs == 1) {
			range_to_kts(&addrs[0], &out[0]);
		} else {
			memset(&out[0], 0, sizeof(out[0]));
			out[0].family = family;
			memset(out[0].to, 0xff, kts_len(family));
			out[0].port_to = 0xffff;
		}
		return 1;
	}
	for (int i = 0; i < n_ts && n < max; i++) {
		range_to_kts(&ts[i].addr, &out[n]);
		out[n].proto = ts[i].proto;
		out[n].port_from = ts[i].port_lo;
		out[n].port_to = ts[i].port_hi;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------- sync */

typedef struct {
	engine_t *e;
	trap_t *keep;              /* the new list */
	unsigned added, kept;
	bool reload;               /* not the first sync: SAs may be up */
} sync_t;

/* The traps of one child config of an on_demand rule. */
static void sync_child(const rule_t *r, int ci, trap_t **old, sync_t *s)
{
	const child_cfg_t *cc = &r->child[ci];
	int family = r->remote_addr[0].family;
	kernel_ts_t l[CODEC_MAX_TS], rt[CODEC_MAX_TS];
	int n_l = side_kts(cc->local_ts, cc->n_local_ts, r->local_addr,
	                   r->n_local_addr, family, l, CODEC_MAX_TS);
	int n_r = side_kts(cc->remote_ts, cc->n_remote_ts, r->remote_addr,
	                   r->n_remote_addr, family, rt, CODEC_MAX_TS);

	for (int i = 0; i < n_l; i++)
		for (int j = 0; j < n_r; j++) {
			if (l[i].family != rt[j].family)
				continue;
			kernel_policy_t p = {
				.src_ts = l[i], .dst_ts = rt[j], .dir = KERNEL_DIR_OUT,
				.action = KERNEL_POLICY_PROTECT, .protocol = KERNEL_PROTO_ESP,
				.mode = cc->mode == MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT
				                                   : KERNEL_MODE_TUNNEL,
				/* the CHILD SA's out policy takes its place: same name */
				.mark = cc->mark_out, .if_id = cc->if_id_out,
			};
			range_to_addr(&r->remote_addr[0], &p.sa_dst);
			if (r->n_local_addr == 1 && range_single(&r->local_addr[0]))
				range_to_addr(&r->local_addr[0], &p.sa_src);
			char a[KERNEL_TS_STRLEN], b[KERNEL_TS_STRLEN];
			kernel_ts_to_str(&p.src_ts, a, sizeof(a));
			kernel_ts_to_str(&p.dst_ts, b, sizeof(b));
			/* unchanged since the last sync: keep it as it is */
			trap_t *t = NULL;
			for (trap_t **pp = old; *pp; pp = &(*pp)->next)
				if (!(*pp)->gone && strcmp((*pp)->label, r->label) == 0 &&
				    same_trap(&(*pp)->pol, &p)) {
					t = *pp;
					*pp = t->next;
					break;
				}
			if (t) {
				t->owner = s->e;
				t->child = ci;
				t->next = s->keep;
				s->keep = t;
				s->kept++;
				continue;
			}
			bool dup = false;
			for (trap_t *k = s->keep; k && !dup; k = k->next)
				dup = same_policy_name(&k->pol, &p);
			if (dup) {
				log_error(DBG_CONFIG, "rule %s: trap policy %s === %s is "
				          "already installed for another on_demand "
				          "rule: not installed twice", r->label, a, b);
				continue;
			}
			p.reqid = engine_next_reqid();
			/* Installed by trap_sync once trap_lock is released.  A
			 * rule that became on_demand on SIGHUP may have a CHILD
			 * SA up with these selectors: its policy then holds the
			 * trap's place until it goes (at start-up a policy
			 * already there is a leftover: replaced). */
			t = xzalloc(sizeof(*t));
			t->owner = s->e;
			t->label = xstrdup(r->label);
			t->child = ci;
			t->pol = p;
			t->pending = true;
			t->query_first = s->reload;
			t->next = s->keep;
			s->keep = t;
			s->added++;
		}
}

/* Install the traps sync_child left pending, without trap_lock; failed
 * ones leave the list.  Called with sync_lock held. */
static unsigned install_pending(void)
{
	unsigned n = 0, failed = 0;
	pthread_mutex_lock(&trap_lock);
	for (trap_t *t = traps; t; t = t->next)
		n += t->pending;
	trap_t **todo = n ? xzalloc(n * sizeof(*todo)) : NULL;
	kernel_policy_t *pol = n ? xzalloc(n * sizeof(*pol)) : NULL;
	bool *query = n ? xzalloc(n * sizeof(*query)) : NULL;
	unsigned i = 0;
	for (trap_t *t = traps; t && i < n; t = t->next)
		if (t->pending) {
			todo[i] = t;   /* only trap_sync frees a pending trap */
			pol[i] = t->pol;
			query[i++] = t->query_first;
		}
	pthread_mutex_unlock(&trap_lock);

	/* 0: installed, 1: a CHILD SA's policy holds the place, 2: failed */
	uint8_t *res = n ? xzalloc(n) : NULL;
	for (i = 0; i < n; i++) {
		kernel_usage_t u;
		if (query[i] && kernel_query_policy(&pol[i], &u))
			res[i] = 1;
		else if (!kernel_add_policy(&pol[i]))
			res[i] = 2;
	}

	kernel_policy_t *restore = n ? xzalloc(n * sizeof(*restore)) : NULL;
	unsigned n_restore = 0;
	pthread_mutex_lock(&trap_lock);
	for (i = 0; i < n; i++) {
		trap_t *t = todo[i];
		char a[KERNEL_TS_STRLEN], b[KERNEL_TS_STRLEN];
		kernel_ts_to_str(&t->pol.src_ts, a, sizeof(a));
		kernel_ts_to_str(&t->pol.dst_ts, b, sizeof(b));
		t->pending = false;
		if (res[i] == 2) {
			log_error(DBG_KERNEL, "rule %s: cannot install the trap "
			          "policy %s === %s", t->label, a, b);
			for (trap_t **pp = &traps; *pp; pp = &(*pp)->next)
				if (*pp == t) {
					*pp = t->next;
					break;
				}
			free(t->label);
			free(t);
			failed++;
			continue;
		}
		if (res[i] == 1) {
			t->occupied = true;
			log_verbose(DBG_KERNEL, "rule %s: trap policy %s === %s "
			            "(reqid %u) waits for the CHILD SA using its "
			            "selectors", t->label, a, b, t->pol.reqid);
		} else if (t->occupied) {
			/* A CHILD SA installed its policy while ours was on
			 * its way and ours replaced it: put the SA's back. */
			restore[n_restore++] = t->occupant;
		} else {
			log_verbose(DBG_KERNEL, "rule %s: trap policy %s === %s "
			            "installed (reqid %u)", t->label, a, b, t->pol.reqid);
		}
	}
	if (failed)
		atomic_fetch_sub(&n_traps, failed);
	pthread_mutex_unlock(&trap_lock);
	for (i = 0; i < n_restore; i++)
		if (!kernel_add_policy(&restore[i]))
			log_error(DBG_KERNEL, "cannot put back the CHILD SA policy "
			          "(reqid %u) a trap policy replaced", restore[i].reqid);
	free(restore);
	free(res);
	free(query);
	free(pol);
	free(todo);
	return failed;
}

void trap_sync(engine_t *e, config_t *cfg)
{
	sync_t s = { .e = e };
	unsigned removed = 0, rules = 0, left = 0;
	trap_t *doomed = NULL;

	pthread_mutex_lock(&sync_lock);
	pthread_mutex_lock(&trap_lock);
	s.reload = synced;
	synced = cfg != NULL;
	trap_t *old = traps;
	traps = NULL;
	for (int i = 0; cfg && i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (!r->on_demand || r->n_remote_addr != 1)
			continue;
		rules++;
		for (int ci = 0; ci < r->n_child; ci++)
			sync_child(r, ci, &old, &s);
	}
	/* What is left of the old list went away with its rule. */
	unsigned n = s.added + s.kept;
	while (old) {
		trap_t *t = old;
		old = t->next;
		if (t->occupied && !t->gone) {
			/* A CHILD SA's policy holds the place: it deletes the
			 * policy when it goes. */
			t->gone = true;
		}
		if (t->gone && t->occupied) {
			t->next = s.keep;
			s.keep = t;
			n++;
			left++;
			continue;
		}
		if (!t->gone) {
			/* removed below, without trap_lock */
			t->next = doomed;
			doomed = t;
			removed++;
			continue;
		}
		free(t->label);
		free(t);
	}
	traps = s.keep;
	atomic_store(&n_traps, n);
	pthread_mutex_unlock(&trap_lock);
	while (doomed) {
		trap_t *t = doomed;
		doomed = t->next;
		kernel_del_policy(&t->pol);
		free(t->label);
		free(t);
	}
	unsigned failed = install_pending();
	s.added -= failed < s.added ? failed : s.added;
	pthread_mutex_unlock(&sync_lock);
	if (cfg && (s.added || removed || rules || left))
		log_op(DBG_KERNEL, "on-demand: %u trap policies for %u rules "
		       "(%u installed, %u kept, %u removed, %u of removed rules "
		       "left to their CHILD SAs)", s.added + s.kept, rules,
		       s.added, s.kept, removed, left);
	else if (!cfg && removed)
		log_op(DBG_KERNEL, "on-demand: %u trap policies removed", removed);
}

/* ------------------------------------------------ CHILD SA policies */

void trap_policy_added(const kernel_policy_t *p, uint64_t ike_spi)
{
	if (p->dir != KERNEL_DIR_OUT || !atomic_load(&n_traps))
		return;
	pthread_mutex_lock(&trap_lock);
	for (trap_t *t = traps; t; t = t->next)
		if (same_policy_name(&t->pol, p)) {
			t->occupied = true;
			t->occupant = *p;
			if (!t->gone)
				t->ike_spi = ike_spi;
		}
	pthread_mutex_unlock(&trap_lock);
}

bool trap_policy_released(const kernel_policy_t *p)
{
	if (p->dir != KERNEL_DIR_OUT || !atomic_load(&n_traps))
		return false;
	bool restored = false;
	trap_t *live = NULL;
	pthread_mutex_lock(&trap_lock);
	for (trap_t **pp = &traps; *pp;) {
		trap_t *t = *pp;
		if (!same_policy_name(&t->pol, p)) {
			pp = &t->next;
			continue;
		}
		t->occupied = false;
		if (t->gone) {
			/* its rule is gone: nothing to put back for it */
			*pp = t->next;
			free(t->label);
			free(t);
			atomic_fetch_sub(&n_traps, 1);
			continue;
		}
		live = t;
		pp = &t->next;
	}
	/* Back to the trap: the same policy, the trap's reqid.  The kernel
	 * call is made without trap_lock, which every CHILD SA install and
	 * ACQUIRE takes (a netlink round trip must not hold them up). */
	kernel_policy_t pol = { 0 };
	char label[TRAP_LABEL_MAX] = "";
	if (live) {
		pol = live->pol;
		snprintf(label, sizeof(label), "%s", live->label);
	}
	pthread_mutex_unlock(&trap_lock);
	if (live) {
		restored = kernel_add_policy(&pol);
		if (restored)
			log_verbose(DBG_KERNEL, "rule %s: trap policy back in place "
			            "(reqid %u)", label, pol.reqid);
	}
	return restored;
}

/* ------------------------------------------------------------ ACQUIRE */

/* The IKE SA that last held the trap, if it is still up for the rule:
 * a new CHILD SA in it instead of a new IKE SA.  True when handled. */
static bool acquire_in_sa(engine_t *e, uint64_t spi, const char *label,
                          int child, uint32_t reqid)
{
	sa_entry_t *en = spi ? sa_table_checkout(e->table, spi) : NULL;
	if (!en)
		return false;
	ike_sa_t *sa = (ike_sa_t *)en;
	bool handled = false;
	if (sa->rule && strcmp(sa->rule->label, label) == 0 &&
	    child < sa->rule->n_child) {
		const child_cfg_t *cc = &sa->rule->child[child];
		if (sa->state < IKE_ESTABLISHED) {
			handled = true;   /* still being set up */
		} else if (sa->state == IKE_REKEYING) {
			/* its CHILD SAs move to the new IKE SA; the kernel asks
			 * again while the traffic lasts */
			sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "ACQUIRE for trap reqid "
			       "%u while the IKE SA is rekeyed: left for the next "
			       "one", reqid);
			handled = true;
		} else if (sa->state == IKE_ESTABLISHED) {
			bool up = false;
			for (child_sa_t *c = sa->children; c; c = c->next)
				up |= c->cfg == cc && c->state != CHILD_DELETING;
			if (up) {
				sa_log(sa, DBG_KERNEL, LVL_VERBOSE, "ACQUIRE for trap "
				       "reqid %u: the CHILD SA is up already", reqid);
			} else {
				sa_log(sa, DBG_KERNEL, LVL_OP, "ACQUIRE for trap reqid "
				       "%u: new CHILD SA in this IKE SA", reqid);
				task_queue(e, sa, TASK_CHILD_CREATE, 0, cc);
			}
			handled = true;
		}
	}
	engine_finish(e, sa);
	return handled;
}

bool trap_acquire(engine_t *e, const kernel_event_t *ev)
{
	if (!atomic_load(&n_traps))
		return false;
	char label[TRAP_LABEL_MAX];
	int child = 0;
	uint64_t spi = 0, since = 0;
	bool found = false, recent = false;
	uint64_t now = time_monotonic_ms();

	pthread_mutex_lock(&trap_lock);
	for (trap_t *t = traps; t; t = t->next) {
		if (t->gone || t->owner != e || t->pol.reqid != ev->acquire.reqid)
			continue;
		found = true;
		snprintf(label, sizeof(label), "%s", t->label);
		child = t->child;
		spi = t->ike_spi;
		since = now - t->last_acquire_ms;
		recent = t->last_acquire_ms && since < TRAP_ACQUIRE_INTERVAL_MS;
		if (!recent)
			t->last_acquire_ms = now;
		break;
	}
	pthread_mutex_unlock(&trap_lock);
	if (!found)
		return false;

	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	kernel_ts_to_str(&ev->acquire.src_ts, s, sizeof(s));
	kernel_ts_to_str(&ev->acquire.dst_ts, d, sizeof(d));
	if (recent) {
		log_verbose(DBG_KERNEL, "ACQUIRE for %s === %s (rule %s, reqid %u) "
		            "%llu ms after the last: rate-limited, nothing started",
		            s, d, label, ev->acquire.reqid, (unsigned long long)since);
		return true;
	}
	if (acquire_in_sa(e, spi, label, child, ev->acquire.reqid))
		return true;
	/* The IKE SA that held the trap was rekeyed or is gone, or the rule
	 * never held it (narrowed selectors): any established IKE SA of the
	 * rule will do.  A walk of the table, at most once per trap and
	 * rate-limit interval. */
	uint64_t any = engine_rule_ike_sa(e, label, true);
	if (any && any != spi &&
	    acquire_in_sa(e, any, label, child, ev->acquire.reqid))
		return true;
	log_op(DBG_KERNEL, "ACQUIRE for %s === %s (trap reqid %u): initiating "
	       "rule %s", s, d, ev->acquire.reqid, label);
	engine_initiate(e, label);
	return true;
}
