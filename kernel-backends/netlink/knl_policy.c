/*
 * knl_policy.c - kernel-netlink policies (NEWPOLICY/UPDPOLICY, DELPOLICY,
 * GETPOLICY), one XFRM policy per prefix pair a selector range splits
 * into, and the routes that send a tunnel's traffic (the remote selectors)
 * out with the local selector's address as source, in a routing table of
 * our own (route_table, consulted through one `ip rule`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include "knl.h"

static char *pol_str(const kernel_policy_t *p, char *buf, size_t len)
{
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	int n = snprintf(buf, len, "policy %s === %s %s",
	                 kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
	                 kernel_ts_to_str(&p->dst_ts, d, sizeof(d)), kernel_dir_name(p->dir));
	if ((p->mark.mask || p->if_id) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (mark 0x%x/0x%x, if_id %u)",
		         p->mark.value, p->mark.mask, p->if_id);
	return buf;
}

static void pol_key(const kernel_policy_t *p, const struct xfrm_selector *sel,
                    knl_pol_key_t *key)
{
	memset(key, 0, sizeof(*key));
	key->sel = *sel;
	key->dir = (uint8_t)p->dir;
	key->mark_v = p->mark.value;
	key->mark_m = p->mark.mask;
	key->if_id = p->if_id;
}

static void put_pol_id(struct nlmsghdr *nlh, const knl_pol_key_t *key)
{
	struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	id->sel = key->sel;
	id->dir = key->dir;
	if (key->mark_m) {
		struct xfrm_mark m = { .v = key->mark_v, .m = key->mark_m };
		mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	}
	if (key->if_id)
		mnl_attr_put_u32(nlh, XFRMA_IF_ID, key->if_id);
}

static void put_policy(knl_t *k, struct nlmsghdr *nlh, const kernel_policy_t *p,
                       const struct xfrm_selector *sel, uint32_t prio)
{
	struct xfrm_userpolicy_info *x = mnl_nlmsg_put_extra_header(nlh, sizeof(*x));
	x->sel = *sel;
	x->lft.soft_byte_limit = x->lft.hard_byte_limit = XFRM_INF;
	x->lft.soft_packet_limit = x->lft.hard_packet_limit = XFRM_INF;
	x->priority = prio;
	x->dir = (uint8_t)p->dir;
	x->action = p->action == KERNEL_POLICY_DROP ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
	x->share = XFRM_SHARE_ANY;
	if (p->action == KERNEL_POLICY_PROTECT) {
		struct xfrm_user_tmpl t;
		memset(&t, 0, sizeof(t));
		t.id.proto = p->protocol == KERNEL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
		t.reqid = p->reqid;
		t.aalgos = t.ealgos = t.calgos = ~0u;
		if (p->mode == KERNEL_MODE_TUNNEL) {
			t.mode = XFRM_MODE_TUNNEL;
			t.family = p->sa_dst.ss_family;
			knl_addr_from_ss(&p->sa_dst, &t.id.daddr);
			knl_addr_from_ss(&p->sa_src, &t.saddr);
		} else {
			t.mode = XFRM_MODE_TRANSPORT;
			t.family = sel->family;
		}
		mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	}
	if (p->mark.mask) {
		struct xfrm_mark m = { .v = p->mark.value, .m = p->mark.mask };
		mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	}
	if (p->if_id)
		mnl_attr_put_u32(nlh, XFRMA_IF_ID, p->if_id);
	(void)k;
}

typedef struct {
	bool found;
	uint32_t priority;
	uint64_t use_time;
} pol_answer_t;

static int on_policy(const struct nlmsghdr *nlh, void *ctx)
{
	pol_answer_t *a = ctx;
	if (nlh->nlmsg_type == XFRM_MSG_NEWPOLICY &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct xfrm_userpolicy_info)) {
		const struct xfrm_userpolicy_info *x = mnl_nlmsg_get_payload(nlh);
		a->found = true;
		a->priority = x->priority;
		a->use_time = x->curlft.use_time;
	}
	return 0;
}

/* GETPOLICY by name; caller holds xfrm_lock.  0 or -errno. */
static int get_policy(knl_t *k, const knl_pol_key_t *key, pol_answer_t *a)
{
	uint8_t buf[512];
	char why[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	put_pol_id(nlh, key);
	memset(a, 0, sizeof(*a));
	int rc = knl_request(k, k->xfrm, nlh, on_policy, a, why, sizeof(why));
	return rc ? rc : a->found ? 0 : -ESRCH;
}

/* ----------------------------------------------------------- routes */

static bool ts_has(const kernel_ts_t *ts, int family, const uint8_t *a)
{
	size_t al = family == AF_INET6 ? 16 : 4;
	return ts->family == family && memcmp(ts->from, a, al) <= 0 &&
	       memcmp(a, ts->to, al) <= 0;
}

typedef struct {
	const kernel_ts_t *ts;
	bool found;
	xfrm_address_t addr;
} addr_find_t;

static int on_addr(const struct nlmsghdr *nlh, void *ctx)
{
	addr_find_t *f = ctx;
	if (f->found || nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
		return 0;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != f->ts->family)
		return 0;
	const struct nlattr *a;
	size_t al = ifa->ifa_family == AF_INET6 ? 16 : 4;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		uint16_t t = mnl_attr_get_type(a);
		if ((t == IFA_LOCAL || t == IFA_ADDRESS) && mnl_attr_get_payload_len(a) == al &&
		    ts_has(f->ts, ifa->ifa_family, mnl_attr_get_payload(a))) {
			memset(&f->addr, 0, sizeof(f->addr));
			memcpy(&f->addr, mnl_attr_get_payload(a), al);
			f->found = true;
			return 0;
		}
	}
	return 0;
}

typedef struct {
	int oif;
	bool has_gw;
	xfrm_address_t gw;
} route_find_t;

static int on_route(const struct nlmsghdr *nlh, void *ctx)
{
	route_find_t *f = ctx;
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return 0;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	size_t al = rt->rtm_family == AF_INET6 ? 16 : 4;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rt)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == RTA_OIF && mnl_attr_get_payload_len(a) >= 4)
			f->oif = (int)mnl_attr_get_u32(a);
		else if (t == RTA_GATEWAY && mnl_attr_get_payload_len(a) == al) {
			memset(&f->gw, 0, sizeof(f->gw));
			memcpy(&f->gw, mnl_attr_get_payload(a), al);
			f->has_gw = true;
		}
	}
	return 0;
}

static int route_msg(knl_t *k, uint16_t type, uint16_t flags,
                     const knl_route_key_t *key, const knl_route_val_t *v,
                     char *why, size_t why_len)
{
	uint8_t buf[512];
	size_t al = key->family == AF_INET6 ? 16 : 4;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)key->family;
	rt->rtm_dst_len = key->plen;
	rt->rtm_table = k->route_table < 256 ? (uint8_t)k->route_table : RT_TABLE_UNSPEC;
	rt->rtm_protocol = k->route_proto;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, k->route_table);
	mnl_attr_put(nlh, RTA_DST, al, &key->dst);
	if (v) {
		mnl_attr_put(nlh, RTA_PREFSRC, al, &v->src);
		if (v->oif)
			mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)v->oif);
		if (v->has_gw)
			mnl_attr_put(nlh, RTA_GATEWAY, al, &v->gw);
	}
	return knl_request(k, k->rtnl, nlh, NULL, NULL, why, why_len);
}

/* The key of the route to SEL's destination prefix, and our route there if
 * we have one; caller holds state_lock. */
static knl_route_val_t *route_find(knl_t *k, int family, const struct xfrm_selector *sel,
                                   knl_route_key_t *key)
{
	memset(key, 0, sizeof(*key));
	key->family = (uint16_t)family;
	key->plen = sel->prefixlen_d;
	key->dst = sel->daddr;
	knl_entry_t *e = knl_set_find(&k->routes, key);
	return e ? e->value : NULL;
}

/* Routes for an OUT tunnel policy's destination prefixes; caller holds
 * xfrm_lock (the rtnl socket shares it). */
static void routes_add(knl_t *k, const kernel_policy_t *p,
                       const struct xfrm_selector *sels, int n)
{
	char why[256], eb[320], d[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	uint8_t buf[512];
	int family = p->src_ts.family;
	size_t al = family == AF_INET6 ? 16 : 4;

	/* Every prefix routed already (another CHILD SA to the same
	 * destination): count the reference, and spare the address dump and
	 * the route lookup below, two of the round trips a CHILD SA costs. */
	bool all = true;
	knl_route_key_t key;
	pthread_mutex_lock(&k->state_lock);
	for (int i = 0; i < n && all; i++)
		all = route_find(k, family, &sels[i], &key) != NULL;
	for (int i = 0; i < n && all; i++)
		route_find(k, family, &sels[i], &key)->refs++;
	pthread_mutex_unlock(&k->state_lock);
	if (all)
		return;

	/* the source: an address of ours inside the local selector */
	addr_find_t f = { .ts = &p->src_ts };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	if (knl_request(k, k->rtnl, nlh, on_addr, &f, why, sizeof(why)) || !f.found) {
		char t[KERNEL_TS_STRLEN];
		log_verbose(DBG_KERNEL, KNL_NAME ": no address of this host in %s: "
		            "no route for the tunnel", kernel_ts_to_str(&p->src_ts, t, sizeof(t)));
		return;
	}
	/* the way to the peer: its route in the main tables */
	route_find_t r = { 0 };
	if (p->sa_dst.ss_family == family) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETROUTE;
		struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = (uint8_t)family;
		rt->rtm_dst_len = (uint8_t)(al * 8);
		xfrm_address_t peer;
		knl_addr_from_ss(&p->sa_dst, &peer);
		mnl_attr_put(nlh, RTA_DST, al, &peer);
		if (knl_request(k, k->rtnl, nlh, on_route, &r, why, sizeof(why)))
			memset(&r, 0, sizeof(r));
	}
	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&k->state_lock);
		knl_route_val_t *e = route_find(k, family, &sels[i], &key);
		if (e) {
			e->refs++;
			pthread_mutex_unlock(&k->state_lock);
			continue;
		}
		pthread_mutex_unlock(&k->state_lock);
		knl_route_val_t *v = xzalloc(sizeof(*v));
		v->refs = 1;
		v->src = f.addr;
		v->oif = r.oif;
		v->gw = r.gw;
		v->has_gw = r.has_gw;
		int rc = route_msg(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &key, v,
		                   why, sizeof(why));
		inet_ntop(family, &key.dst, d, sizeof(d));
		inet_ntop(family, &f.addr, s, sizeof(s));
		if (rc) {
			log_error(DBG_KERNEL, KNL_NAME ": route %s/%u src %s (table %u) "
			          "failed: %s", d, key.plen, s, k->route_table,
			          knl_strerror(rc, why, eb, sizeof(eb)));
			free(v);
			continue;
		}
		log_verbose(DBG_KERNEL, KNL_NAME ": route %s/%u src %s in table %u",
		            d, key.plen, s, k->route_table);
		pthread_mutex_lock(&k->state_lock);
		knl_set_add(&k->routes, &key, v);
		pthread_mutex_unlock(&k->state_lock);
	}
}

static void routes_del(knl_t *k, const struct xfrm_selector *sels, int n)
{
	char why[256];
	for (int i = 0; i < n; i++) {
		knl_route_key_t key;
		pthread_mutex_lock(&k->state_lock);
		knl_route_val_t *e = route_find(k, sels[i].family, &sels[i], &key);
		bool last = e && --e->refs == 0;
		if (last)
			free(knl_set_del(&k->routes, &key));
		pthread_mutex_unlock(&k->state_lock);
		if (last)
			route_msg(k, RTM_DELROUTE, 0, &key, NULL, why, sizeof(why));
	}
}

typedef struct {
	knl_route_key_t *keys;
	size_t n, cap;
	const knl_t *k;
} route_dump_t;

static int on_our_route(const struct nlmsghdr *nlh, void *ctx)
{
	route_dump_t *d = ctx;
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return 0;
	const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
	uint32_t table = rt->rtm_table;
	knl_route_key_t key;
	memset(&key, 0, sizeof(key));
	key.family = rt->rtm_family;
	key.plen = rt->rtm_dst_len;
	size_t al = rt->rtm_family == AF_INET6 ? 16 : 4;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rt)) {
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) >= 4)
			table = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == al)
			memcpy(&key.dst, mnl_attr_get_payload(a), al);
	}
	if (table != d->k->route_table || rt->rtm_protocol != d->k->route_proto)
		return 0;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->keys = realloc(d->keys, d->cap * sizeof(*d->keys));
		if (!d->keys)
			abort();
	}
	d->keys[d->n++] = key;
	return 0;
}

void knl_route_flush(knl_t *k, bool leftovers)
{
	if (!k->route_table || !k->rtnl)
		return;
	char why[256];
	uint8_t buf[256];
	route_dump_t d = { .k = k };
	pthread_mutex_lock(&k->xfrm_lock);
	for (int fam = 0; fam < 2; fam++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_DUMP;
		struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = fam ? AF_INET6 : AF_INET;
		knl_request(k, k->rtnl, nlh, on_our_route, &d, why, sizeof(why));
	}
	size_t ok = 0;
	for (size_t i = 0; i < d.n; i++)
		ok += route_msg(k, RTM_DELROUTE, 0, &d.keys[i], NULL, why, sizeof(why)) == 0;
	pthread_mutex_unlock(&k->xfrm_lock);
	pthread_mutex_lock(&k->state_lock);
	knl_set_free(&k->routes);
	knl_set_init(&k->routes, sizeof(knl_route_key_t));
	pthread_mutex_unlock(&k->state_lock);
	if (d.n)
		log_op(DBG_KERNEL, KNL_NAME ": removed %zu of %zu routes %sin table %u",
		       ok, d.n, leftovers ? "left by an earlier run " : "", k->route_table);
	free(d.keys);
}

bool knl_route_rule(knl_t *k, bool add)
{
	if (!k->route_table || !k->rtnl)
		return true;
	if (!add && !k->rule_added)
		return true;
	char why[256], eb[320];
	uint8_t buf[256];
	bool ok = true;
	pthread_mutex_lock(&k->xfrm_lock);
	for (int fam = 0; fam < 2; fam++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
		nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
		struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->family = fam ? AF_INET6 : AF_INET;
		h->action = FR_ACT_TO_TBL;
		h->table = k->route_table < 256 ? (uint8_t)k->route_table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, k->route_table);
		mnl_attr_put_u32(nlh, FRA_PRIORITY, k->route_rule_prio);
		int rc = knl_request(k, k->rtnl, nlh, NULL, NULL, why, sizeof(why));
		if (add && rc == 0)
			k->rule_added = true;
		else if (add && rc != -EEXIST && fam == 0) {
			log_error(DBG_KERNEL, KNL_NAME ": routing rule for table %u "
			          "failed: %s", k->route_table, knl_strerror(rc, why, eb, sizeof(eb)));
			ok = false;
		}
	}
	if (!add)
		k->rule_added = false;
	pthread_mutex_unlock(&k->xfrm_lock);
	return ok;
}

/* --------------------------------------------------------- policies */

int knl_del_policy_key(knl_t *k, const knl_pol_key_t *key)
{
	uint8_t buf[512];
	char why[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
	put_pol_id(nlh, key);
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	return rc;
}

bool knl_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	knl_t *k = (knl_t *)self;
	struct xfrm_selector *sels = xmalloc(KNL_MAX_SPLIT * sizeof(*sels));
	char why[256], eb[320], desc[360];
	uint8_t buf[1024];
	bool ok = true;

	pol_str(p, desc, sizeof(desc));
	int n = knl_split(&p->src_ts, &p->dst_ts, sels, KNL_MAX_SPLIT);
	if (!n) {
		log_error(DBG_KERNEL, KNL_NAME ": %s: the selectors need more than %d "
		          "kernel policies (or mix address families)", desc, KNL_MAX_SPLIT);
		free(sels);
		return false;
	}
	int done = 0;
	pthread_mutex_lock(&k->xfrm_lock);
	for (int i = 0; i < n && ok; i++) {
		knl_pol_key_t key;
		pol_key(p, &sels[i], &key);
		uint32_t prio = knl_priority(k, &sels[i]);
		pthread_mutex_lock(&k->state_lock);
		bool tracked = knl_set_find(&k->policies, &key) != NULL;
		pthread_mutex_unlock(&k->state_lock);
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = tracked ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY;
		put_policy(k, nlh, p, &sels[i], prio);
		int rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
		if (rc == -EEXIST) {
			/* someone's policy by that name: ours (a leftover) is
			 * replaced, anybody else's used as it is */
			pol_answer_t a;
			if (get_policy(k, &key, &a) == 0 && !knl_is_ours(k, a.priority)) {
				log_op(DBG_KERNEL, KNL_NAME ": %s: a policy with these "
				       "selectors exists (priority %u, not ours): used as "
				       "it is", desc, a.priority);
				done++;
				continue;
			}
			nlh = mnl_nlmsg_put_header(buf);
			nlh->nlmsg_type = XFRM_MSG_UPDPOLICY;
			put_policy(k, nlh, p, &sels[i], prio);
			rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
		}
		if (rc) {
			log_error(DBG_KERNEL, KNL_NAME ": installing %s (reqid %u, "
			          "priority %u) failed: %s", desc, p->reqid, prio,
			          knl_strerror(rc, why, eb, sizeof(eb)));
			ok = false;
			break;
		}
		knl_pol_val_t *v = xzalloc(sizeof(*v));
		v->reqid = p->reqid;
		v->priority = prio;
		pthread_mutex_lock(&k->state_lock);
		knl_entry_t *e = knl_set_add(&k->policies, &key, v);
		*(knl_pol_val_t *)e->value = (knl_pol_val_t){ p->reqid, prio };
		pthread_mutex_unlock(&k->state_lock);
		done++;
	}
	/* An XFRM interface's traffic is routed through that interface
	 * (the administrator's route): a route of ours via the physical
	 * device would send it past the interface, with no if_id, so that
	 * no policy matches and it leaves in clear. */
	if (ok && k->route_table && p->dir == KERNEL_DIR_OUT && !p->if_id &&
	    p->mode == KERNEL_MODE_TUNNEL && p->action == KERNEL_POLICY_PROTECT)
		routes_add(k, p, sels, n);
	pthread_mutex_unlock(&k->xfrm_lock);
	if (ok)
		log_verbose(DBG_KERNEL, KNL_NAME ": %s installed as %d kernel "
		            "polic%s (reqid %u)", desc, n, n == 1 ? "y" : "ies", p->reqid);
	free(sels);
	return ok;
}

bool knl_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	knl_t *k = (knl_t *)self;
	struct xfrm_selector *sels = xmalloc(KNL_MAX_SPLIT * sizeof(*sels));
	char why[256], eb[320], desc[360];
	bool ok = true;

	pol_str(p, desc, sizeof(desc));
	int n = knl_split(&p->src_ts, &p->dst_ts, sels, KNL_MAX_SPLIT);
	for (int i = 0; i < n; i++) {
		knl_pol_key_t key;
		pol_key(p, &sels[i], &key);
		pthread_mutex_lock(&k->state_lock);
		void *v = knl_set_del(&k->policies, &key);
		pthread_mutex_unlock(&k->state_lock);
		if (!v)
			continue;   /* not ours (someone else's, or never installed) */
		free(v);
		int rc = knl_del_policy_key(k, &key);
		if (rc && rc != -ENOENT) {
			log_error(DBG_KERNEL, KNL_NAME ": deleting %s failed: %s", desc,
			          knl_strerror(rc, why, eb, sizeof(eb)));
			ok = false;
		}
	}
	if (n && k->route_table && p->dir == KERNEL_DIR_OUT && !p->if_id &&
	    p->mode == KERNEL_MODE_TUNNEL && p->action == KERNEL_POLICY_PROTECT) {
		pthread_mutex_lock(&k->xfrm_lock);
		routes_del(k, sels, n);
		pthread_mutex_unlock(&k->xfrm_lock);
	}
	free(sels);
	return ok;
}

bool knl_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                      kernel_usage_t *usage)
{
	knl_t *k = (knl_t *)self;
	struct xfrm_selector sels[4];
	memset(usage, 0, sizeof(*usage));
	/* the first kernel policy stands for the whole (use times of the
	 * others would need one request each) */
	int n = knl_split(&p->src_ts, &p->dst_ts, sels, 4);
	if (!n) {
		n = 1;
		struct xfrm_selector *all = xmalloc(KNL_MAX_SPLIT * sizeof(*all));
		if (!knl_split(&p->src_ts, &p->dst_ts, all, KNL_MAX_SPLIT)) {
			free(all);
			return false;
		}
		sels[0] = all[0];
		free(all);
	}
	knl_pol_key_t key;
	pol_key(p, &sels[0], &key);
	pol_answer_t a;
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = get_policy(k, &key, &a);
	pthread_mutex_unlock(&k->xfrm_lock);
	if (rc)
		return false;
	if (a.use_time) {
		struct timespec rt, mt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		uint64_t ago = (uint64_t)rt.tv_sec > a.use_time ? (uint64_t)rt.tv_sec - a.use_time : 0;
		usage->last_use_secs = (uint64_t)mt.tv_sec > ago ? (uint64_t)mt.tv_sec - ago : 1;
	}
	return true;
}

/* ------------------------------------------- someone else's policies */

static bool ts_holds(const kernel_ts_t *o, const kernel_ts_t *i)
{
	size_t al = o->family == AF_INET6 ? 16 : 4;
	return o->family == i->family && memcmp(o->from, i->from, al) <= 0 &&
	       memcmp(i->to, o->to, al) <= 0 && (!o->proto || o->proto == i->proto) &&
	       o->port_from <= i->port_from && i->port_to <= o->port_to;
}

typedef struct {
	knl_t *k;
	const kernel_policy_t *want;
	bool found;
	uint32_t priority, reqid;
} match_t;

static int on_match(const struct nlmsghdr *nlh, void *ctx)
{
	match_t *mt = ctx;
	const kernel_policy_t *w = mt->want;
	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_userpolicy_info))
		return 0;
	const struct xfrm_userpolicy_info *x = mnl_nlmsg_get_payload(nlh);
	if (knl_is_ours(mt->k, x->priority) || x->dir != (uint8_t)w->dir ||
	    x->action != XFRM_POLICY_ALLOW || x->sel.family != w->src_ts.family)
		return 0;
	const struct xfrm_user_tmpl *t = NULL;
	kernel_mark_t mark = { 0, 0 };
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*x)) {
		if (mnl_attr_get_type(a) == XFRMA_TMPL && !t &&
		    mnl_attr_get_payload_len(a) >= sizeof(*t))
			t = mnl_attr_get_payload(a);
		else if (mnl_attr_get_type(a) == XFRMA_MARK &&
		         mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_mark)) {
			const struct xfrm_mark *m = mnl_attr_get_payload(a);
			mark.value = m->v;
			mark.mask = m->m;
		}
	}
	uint8_t mode = w->mode == KERNEL_MODE_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	if (!t || t->id.proto != IPPROTO_ESP || t->mode != mode ||
	    mark.value != w->mark.value || mark.mask != w->mark.mask)
		return 0;
	/* the tunnel endpoints, where the question names them */
	if (!kernel_tmpl_addr_ok(&w->sa_src, t->family, &t->saddr) ||
	    !kernel_tmpl_addr_ok(&w->sa_dst, t->family, &t->id.daddr))
		return 0;
	kernel_ts_t s, d;
	knl_sel_to_ts(&x->sel, true, &s);
	knl_sel_to_ts(&x->sel, false, &d);
	if (!ts_holds(&s, &w->src_ts) || !ts_holds(&d, &w->dst_ts))
		return 0;
	if (!mt->found || x->priority < mt->priority) {
		mt->found = true;
		mt->priority = x->priority;
		mt->reqid = t->reqid;
	}
	return 0;
}

bool knl_match_policy(kernel_ipsec_t *self, const kernel_policy_t *want,
                      uint32_t *reqid)
{
	knl_t *k = (knl_t *)self;
	uint8_t buf[256];
	char why[256], eb[320], desc[300];
	match_t mt = { .k = k, .want = want };

	pol_str(want, desc, sizeof(desc));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	nlh->nlmsg_flags = NLM_F_DUMP;
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, on_match, &mt, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	if (rc) {
		log_error(DBG_KERNEL, KNL_NAME ": looking for a policy holding %s: "
		          "listing the policies failed: %s", desc,
		          knl_strerror(rc, why, eb, sizeof(eb)));
		return false;
	}
	if (!mt.found) {
		log_verbose(DBG_KERNEL, KNL_NAME ": no policy but ours holds %s", desc);
		return false;
	}
	log_verbose(DBG_KERNEL, KNL_NAME ": %s is held by a policy not ours "
	            "(priority %u, reqid %u)", desc, mt.priority, mt.reqid);
	*reqid = mt.reqid;
	return true;
}
