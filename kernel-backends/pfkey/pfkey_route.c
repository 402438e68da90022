/*
 * pfkey_route.c - routes for kernel-pfkey's tunnels over rtnetlink
 * (pfkey_route.h).
 */
#include "pfkey_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#define RT_BUF 8192

typedef struct {
	int family;
	uint8_t dst[16];
	uint8_t plen;
	unsigned refs;
	bool installed;      /* false: no source address or the kernel refused */
} route_t;

struct pfk_routes {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint32_t table, rule_prio;
	bool rule_added;
	pthread_mutex_t lock;   /* everything here; held across requests */
	route_t *routes;
	size_t n, cap;
	uint8_t buf[RT_BUF];
};

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static const uint8_t *ss_bytes(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

/* Send nlh and read until the kernel's ACK or the end of the dump, cb
 * seeing each data message.  0 or the errno the kernel (or the socket)
 * gave.  lock held. */
static int request(pfk_routes_t *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = ++r->seq;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return errno ? errno : EIO;
	do {
		ssize_t n = mnl_socket_recvfrom(r->nl, r->buf, sizeof(r->buf));
		if (n < 0)
			return errno ? errno : EIO;
		rc = mnl_cb_run(r->buf, (size_t)n, seq, r->portid, cb, data);
	} while (rc > 0);
	return rc < 0 ? (errno ? errno : EIO) : 0;
}

pfk_routes_t *pfk_routes_create(uint32_t table, uint32_t rule_priority)
{
	pfk_routes_t *r;
	struct timeval tv = { .tv_sec = 5 };   /* the kernel answers at once */

	if (!table)
		return NULL;
	r = xzalloc(sizeof(*r));
	r->table = table;
	r->rule_prio = rule_priority;
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: no rtnetlink socket (%s): "
		          "tunnels get no routes", strerror(errno));
		if (r->nl)
			mnl_socket_close(r->nl);
		free(r);
		return NULL;
	}
	setsockopt(mnl_socket_get_fd(r->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (uint32_t)time(NULL);
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* ------------------------------------------------------------- rule */

static void rule(pfk_routes_t *r, bool add)
{
	for (int fam = 0; fam < 2; fam++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
		struct fib_rule_hdr *h;
		int rc;

		nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
		nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
		h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->family = fam ? AF_INET6 : AF_INET;
		h->action = FR_ACT_TO_TBL;
		h->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
		mnl_attr_put_u32(nlh, FRA_PRIORITY, r->rule_prio);
		rc = request(r, nlh, NULL, NULL);
		/* EEXIST: the same rule (our table, our priority) is there,
		 * most likely left by a run of ours that was killed: it is
		 * taken over and removed at shutdown like one we made (the
		 * table it points to is ours) */
		if (add && (rc == 0 || rc == EEXIST))
			r->rule_added = true;
		else if (add && fam == 0)
			log_error(DBG_KERNEL, "kernel-pfkey: routing rule (priority %u) "
			          "for table %u: %s: tunnels get no routes",
			          r->rule_prio, r->table, strerror(rc));
	}
}

/* ----------------------------------------------------- route messages */

typedef struct {
	int family;
	uint8_t dst[16];
	uint8_t plen;
	uint8_t src[16];
	uint32_t oif;
	bool has_gw;
	uint8_t gw[16];
} route_msg_t;

static int route_msg(pfk_routes_t *r, bool add, const route_msg_t *m)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
	struct rtmsg *rt;
	size_t al = alen(m->family);

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = (uint8_t)m->family;
	rt->rtm_dst_len = m->plen;
	rt->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rt->rtm_protocol = PFK_ROUTE_PROTO;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	mnl_attr_put(nlh, RTA_DST, al, m->dst);
	if (add) {
		mnl_attr_put(nlh, RTA_PREFSRC, al, m->src);
		if (m->oif)
			mnl_attr_put_u32(nlh, RTA_OIF, m->oif);
		if (m->has_gw)
			mnl_attr_put(nlh, RTA_GATEWAY, al, m->gw);
	}
	return request(r, nlh, NULL, NULL);
}

/* An address of ours inside ts (RTM_GETADDR dump). */
typedef struct {
	const kernel_ts_t *ts;
	bool found;
	uint8_t addr[16];
} addr_find_t;

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	addr_find_t *f = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	size_t al;

	if (f->found || nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != f->ts->family)
		return MNL_CB_OK;
	al = alen(ifa->ifa_family);
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		const uint8_t *p = mnl_attr_get_payload(a);
		uint16_t t = mnl_attr_get_type(a);
		if ((t == IFA_LOCAL || t == IFA_ADDRESS) &&
		    mnl_attr_get_payload_len(a) == al &&
		    memcmp(f->ts->from, p, al) <= 0 && memcmp(p, f->ts->to, al) <= 0) {
			memcpy(f->addr, p, al);
			f->found = true;
			break;
		}
	}
	return MNL_CB_OK;
}

/* The main tables' way to the peer (RTM_GETROUTE): device, gateway. */
static int on_peer_route(const struct nlmsghdr *nlh, void *data)
{
	route_msg_t *m = data;
	const struct rtmsg *rt;
	const struct nlattr *a;
	size_t al = alen(m->family);

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rt))
		return MNL_CB_OK;
	rt = mnl_nlmsg_get_payload(nlh);
	mnl_attr_for_each(a, nlh, sizeof(*rt)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
			m->oif = mnl_attr_get_u32(a);
		else if (t == RTA_GATEWAY && mnl_attr_get_payload_len(a) == al) {
			memcpy(m->gw, mnl_attr_get_payload(a), al);
			m->has_gw = true;
		}
	}
	return MNL_CB_OK;
}

/* Our routes in our table (RTM_GETROUTE dump), for the flush. */
typedef struct {
	pfk_routes_t *r;
	route_msg_t *found;
	size_t n, cap;
} dump_t;

static int on_our_route(const struct nlmsghdr *nlh, void *data)
{
	dump_t *d = data;
	const struct rtmsg *rt;
	const struct nlattr *a;
	route_msg_t m = { 0 };
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rt))
		return MNL_CB_OK;
	rt = mnl_nlmsg_get_payload(nlh);
	if (rt->rtm_protocol != PFK_ROUTE_PROTO ||
	    (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return MNL_CB_OK;
	table = rt->rtm_table;
	m.family = rt->rtm_family;
	m.plen = rt->rtm_dst_len;
	mnl_attr_for_each(a, nlh, sizeof(*rt)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
		else if (t == RTA_DST && mnl_attr_get_payload_len(a) == alen(m.family))
			memcpy(m.dst, mnl_attr_get_payload(a), alen(m.family));
	}
	if (table != d->r->table)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->found = realloc(d->found, d->cap * sizeof(*d->found));
		if (!d->found)
			abort();
	}
	d->found[d->n++] = m;
	return MNL_CB_OK;
}

/* Remove every route with our protocol from our table (lock held). */
static size_t remove_ours(pfk_routes_t *r, size_t *total)
{
	dump_t d = { .r = r };
	size_t ok = 0;

	for (int fam = 0; fam < 2; fam++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
		struct rtmsg *rt;

		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_DUMP;
		rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = fam ? AF_INET6 : AF_INET;
		request(r, nlh, on_our_route, &d);
	}
	for (size_t i = 0; i < d.n; i++)
		ok += route_msg(r, false, &d.found[i]) == 0;
	free(d.found);
	*total = d.n;
	return ok;
}

bool pfk_routes_start(pfk_routes_t *r)
{
	size_t n, ok;

	if (!r)
		return true;
	pthread_mutex_lock(&r->lock);
	ok = remove_ours(r, &n);
	if (n)
		log_op(DBG_KERNEL, "kernel-pfkey: removed %zu of %zu routes left in "
		       "table %u by an earlier run", ok, n, r->table);
	rule(r, true);
	pthread_mutex_unlock(&r->lock);
	return true;
}

/* --------------------------------------------------------- add / del */

static route_t *find(pfk_routes_t *r, int family, const uint8_t *dst, uint8_t plen)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->routes[i].family == family && r->routes[i].plen == plen &&
		    memcmp(r->routes[i].dst, dst, alen(family)) == 0)
			return &r->routes[i];
	return NULL;
}

void pfk_routes_add(pfk_routes_t *r, const kernel_ts_t *local_ts,
                    const struct sockaddr_storage *peer,
                    const pfk_prefix_t *dst, int n)
{
	route_msg_t m = { .family = local_ts->family };
	addr_find_t f = { .ts = local_ts };
	bool looked = false, have_src = false;
	size_t al = alen(local_ts->family);
	char d[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], t[KERNEL_TS_STRLEN];

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < n; i++) {
		const uint8_t *a = ss_bytes(&dst[i].addr);
		route_t *e;
		int rc;

		if (dst[i].addr.ss_family != local_ts->family)
			continue;
		if ((e = find(r, m.family, a, dst[i].plen))) {
			e->refs++;
			continue;
		}
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 16;
			r->routes = realloc(r->routes, r->cap * sizeof(*r->routes));
			if (!r->routes)
				abort();
		}
		e = &r->routes[r->n++];
		memset(e, 0, sizeof(*e));
		e->family = m.family;
		memcpy(e->dst, a, al);
		e->plen = dst[i].plen;
		e->refs = 1;
		if (!looked) {
			/* once per call: the source and the way to the peer */
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
			struct ifaddrmsg *ifa;
			struct rtmsg *rt;

			looked = true;
			nlh->nlmsg_type = RTM_GETADDR;
			nlh->nlmsg_flags = NLM_F_DUMP;
			ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
			ifa->ifa_family = (uint8_t)m.family;
			have_src = request(r, nlh, on_addr, &f) == 0 && f.found;
			if (have_src && peer->ss_family == m.family) {
				nlh = mnl_nlmsg_put_header(r->buf);
				nlh->nlmsg_type = RTM_GETROUTE;
				rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
				rt->rtm_family = (uint8_t)m.family;
				rt->rtm_dst_len = (uint8_t)(al * 8);
				mnl_attr_put(nlh, RTA_DST, al, ss_bytes(peer));
				if (request(r, nlh, on_peer_route, &m) != 0) {
					m.oif = 0;
					m.has_gw = false;
				}
			}
			if (!have_src)
				log_verbose(DBG_KERNEL, "kernel-pfkey: no address of this "
				            "host in %s: no route for the tunnel",
				            kernel_ts_to_str(local_ts, t, sizeof(t)));
			memcpy(m.src, f.addr, al);
		}
		if (!have_src)
			continue;
		memcpy(m.dst, a, al);
		m.plen = dst[i].plen;
		rc = route_msg(r, true, &m);
		inet_ntop(m.family, m.dst, d, sizeof(d));
		inet_ntop(m.family, m.src, s, sizeof(s));
		if (rc) {
			log_error(DBG_KERNEL, "kernel-pfkey: route %s/%u src %s in table "
			          "%u: %s", d, m.plen, s, r->table, strerror(rc));
			continue;
		}
		e->installed = true;
		log_verbose(DBG_KERNEL, "kernel-pfkey: route %s/%u src %s in table %u",
		            d, m.plen, s, r->table);
	}
	pthread_mutex_unlock(&r->lock);
}

void pfk_routes_del(pfk_routes_t *r, const pfk_prefix_t *dst, int n)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < n; i++) {
		route_t *e = find(r, dst[i].addr.ss_family, ss_bytes(&dst[i].addr),
		                  dst[i].plen);
		if (!e || --e->refs)
			continue;
		if (e->installed) {
			route_msg_t m = { .family = e->family, .plen = e->plen };
			memcpy(m.dst, e->dst, sizeof(m.dst));
			route_msg(r, false, &m);
		}
		*e = r->routes[--r->n];
	}
	pthread_mutex_unlock(&r->lock);
}

void pfk_routes_flush(pfk_routes_t *r)
{
	size_t n, ok;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	ok = remove_ours(r, &n);
	r->n = 0;
	if (n)
		log_op(DBG_KERNEL, "kernel-pfkey: removed %zu of %zu routes in "
		       "table %u", ok, n, r->table);
	if (r->rule_added) {
		rule(r, false);
		r->rule_added = false;
	}
	pthread_mutex_unlock(&r->lock);
}

void pfk_routes_destroy(pfk_routes_t *r)
{
	if (!r)
		return;
	mnl_socket_close(r->nl);
	pthread_mutex_destroy(&r->lock);
	free(r->routes);
	free(r);
}
