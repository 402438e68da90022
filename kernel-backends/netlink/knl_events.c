/*
 * knl_events.c - kernel-netlink events: the XFRM multicast groups ACQUIRE,
 * EXPIRE and MAPPING on a socket of their own, read on the event loop and
 * raised to the engine with kernel_ipsec_raise().  When the socket
 * overflows (ENOBUFS: events were lost) the backend compares the kernel's
 * SAs with the ones it installed and raises what it would have heard.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include "knl.h"

/* A selector's address prefix and port block as a kernel_ts_t range. */
void knl_sel_to_ts(const struct xfrm_selector *sel, bool src, kernel_ts_t *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = sel->family;
	size_t al = sel->family == AF_INET6 ? 16 : 4;
	const xfrm_address_t *a = src ? &sel->saddr : &sel->daddr;
	int plen = src ? sel->prefixlen_s : sel->prefixlen_d;
	memcpy(ts->from, a, al);
	memcpy(ts->to, a, al);
	for (int b = plen; b < (int)al * 8; b++) {
		ts->from[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		ts->to[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	ts->proto = sel->proto;
	if (sel->proto == IPPROTO_ICMP || sel->proto == IPPROTO_ICMPV6) {
		/* XFRM has the type in sport, the code in dport; a selector
		 * has both in the source's port, type in the high byte (RFC
		 * 4301 §4.4.1.3, the inverse of knl_split), the destination's
		 * is any */
		ts->port_from = 0;
		ts->port_to = 0xffff;
		if (!src || !sel->sport_mask)
			return;
		uint16_t type = ntohs(sel->sport) & 0xff;
		ts->port_from = (uint16_t)(type << 8);
		ts->port_to = (uint16_t)(type << 8 | 0xff);
		if (sel->dport_mask) {
			ts->port_from |= ntohs(sel->dport) & 0xff;
			ts->port_to = ts->port_from;
		}
		return;
	}
	uint16_t port = ntohs(src ? sel->sport : sel->dport);
	uint16_t mask = ntohs(src ? sel->sport_mask : sel->dport_mask);
	ts->port_from = port & mask;
	ts->port_to = (uint16_t)(port | ~mask);
}

static void mark_of(const struct nlmsghdr *nlh, size_t hdr, kernel_mark_t *mark)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, hdr)
		if (mnl_attr_get_type(a) == XFRMA_MARK &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_mark)) {
			const struct xfrm_mark *m = mnl_attr_get_payload(a);
			mark->value = m->v;
			mark->mask = m->m;
		}
}

static void id_from(kernel_sa_id_t *id, int family, const xfrm_address_t *daddr,
                    uint32_t spi_n, uint8_t proto)
{
	memset(id, 0, sizeof(*id));
	knl_ss_from_addr(family, daddr, 0, &id->dst);
	id->spi = ntohl(spi_n);
	id->protocol = proto == IPPROTO_AH ? KERNEL_PROTO_AH : KERNEL_PROTO_ESP;
}

static void on_acquire(knl_t *k, const struct nlmsghdr *nlh)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_user_acquire))
		return;
	const struct xfrm_user_acquire *ua = mnl_nlmsg_get_payload(nlh);
	kernel_event_t ev = { .type = KERNEL_EV_ACQUIRE };
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ua))
		if (mnl_attr_get_type(a) == XFRMA_TMPL &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_user_tmpl)) {
			const struct xfrm_user_tmpl *t = mnl_attr_get_payload(a);
			ev.acquire.reqid = t->reqid;
			ev.acquire.mode = t->mode == XFRM_MODE_TUNNEL ?
			                  KERNEL_MODE_TUNNEL : KERNEL_MODE_TRANSPORT;
			if (t->mode == XFRM_MODE_TUNNEL &&
			    (t->family == AF_INET || t->family == AF_INET6)) {
				/* the endpoints the kernel resolved for the
				 * template (its own, or the flow's where it
				 * left them open) */
				knl_ss_from_addr(t->family, &ua->saddr, 0,
				                 &ev.acquire.tmpl_src);
				knl_ss_from_addr(t->family, &ua->id.daddr, 0,
				                 &ev.acquire.tmpl_dst);
			}
			break;
		}
	/* Ours are in the priority band; any other is someone else's. */
	ev.acquire.foreign = !knl_is_ours(k, ua->policy.priority);
	/* The policy's selectors (what to negotiate) and the packet's. */
	knl_sel_to_ts(&ua->policy.sel, true, &ev.acquire.src_ts);
	knl_sel_to_ts(&ua->policy.sel, false, &ev.acquire.dst_ts);
	knl_sel_to_ts(&ua->sel, true, &ev.acquire.pkt_src_ts);
	knl_sel_to_ts(&ua->sel, false, &ev.acquire.pkt_dst_ts);
	ev.acquire.seq = ua->seq;
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	log_verbose(DBG_KERNEL, KNL_NAME ": ACQUIRE for %s === %s (reqid %u, "
	            "policy priority %u%s)", kernel_ts_to_str(&ev.acquire.pkt_src_ts, s, sizeof(s)),
	            kernel_ts_to_str(&ev.acquire.pkt_dst_ts, d, sizeof(d)),
	            ev.acquire.reqid, ua->policy.priority,
	            ev.acquire.foreign ? ", not ours" : "");
	kernel_ipsec_raise(&ev);
}

static void on_expire(knl_t *k, const struct nlmsghdr *nlh)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_user_expire))
		return;
	const struct xfrm_user_expire *ue = mnl_nlmsg_get_payload(nlh);
	const struct xfrm_usersa_info *st = &ue->state;
	kernel_event_t ev = { .type = KERNEL_EV_EXPIRE };
	id_from(&ev.expire.sa, st->family, &st->id.daddr, st->id.spi, st->id.proto);
	mark_of(nlh, sizeof(*ue), &ev.expire.sa.mark);
	ev.expire.reqid = st->reqid;
	ev.expire.hard = ue->hard;
	knl_sa_key_t key;
	knl_sa_key(&ev.expire.sa, &key);
	pthread_mutex_lock(&k->state_lock);
	knl_entry_t *e = knl_set_find(&k->sas, &key);
	bool ours = e != NULL;
	if (e && ue->hard)
		free(knl_set_del(&k->sas, &key));   /* the kernel removed it */
	else if (e)
		((knl_sa_val_t *)e->value)->soft_raised = true;
	pthread_mutex_unlock(&k->state_lock);
	if (!ours)
		return;   /* a larval SA timing out, or not installed by us */
	log_verbose(DBG_KERNEL, KNL_NAME ": %s EXPIRE for SA %08x (reqid %u)",
	            ue->hard ? "hard" : "soft", ev.expire.sa.spi, st->reqid);
	kernel_ipsec_raise(&ev);
}

static void on_mapping(knl_t *k, const struct nlmsghdr *nlh)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_user_mapping))
		return;
	const struct xfrm_user_mapping *um = mnl_nlmsg_get_payload(nlh);
	kernel_event_t ev = { .type = KERNEL_EV_MAPPING };
	id_from(&ev.mapping.sa, um->id.family, &um->id.daddr, um->id.spi, um->id.proto);
	ev.mapping.reqid = um->reqid;
	knl_ss_from_addr(um->id.family, &um->new_saddr, um->new_sport, &ev.mapping.new_peer);
	char n[64];
	log_verbose(DBG_KERNEL, KNL_NAME ": MAPPING for SA %08x: peer now %s port %u",
	            ev.mapping.sa.spi, knl_ss_str(&ev.mapping.new_peer, n, sizeof(n)),
	            ntohs(um->new_sport));
	(void)k;
	kernel_ipsec_raise(&ev);
}

static void on_events(int fd, uint32_t events, void *arg)
{
	knl_t *k = arg;
	static uint8_t buf[KNL_BUFSZ];   /* loop thread only */
	bool lost = false;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = true;
				continue;
			}
			break;   /* EAGAIN */
		}
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			switch (m->nlmsg_type) {
			case XFRM_MSG_ACQUIRE: on_acquire(k, m); break;
			case XFRM_MSG_EXPIRE:  on_expire(k, m); break;
			case XFRM_MSG_MAPPING: on_mapping(k, m); break;
			default: break;
			}
		}
	}
	if (lost) {
		log_error(DBG_KERNEL, KNL_NAME ": the event socket overflowed "
		          "(ENOBUFS), kernel events were lost: comparing the "
		          "kernel's SAs with ours");
		knl_resync(k);
	}
	(void)events;
}

bool knl_events_open(knl_t *k)
{
	k->events = mnl_socket_open(NETLINK_XFRM);
	if (!k->events || mnl_socket_bind(k->events, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_error(DBG_KERNEL, KNL_NAME ": cannot open the XFRM event socket: %s",
		          strerror(errno));
		goto fail;
	}
	unsigned groups[] = { XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_MAPPING };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(k->events, NETLINK_ADD_MEMBERSHIP, &groups[i],
		                          sizeof(groups[i])) < 0) {
			log_error(DBG_KERNEL, KNL_NAME ": cannot join XFRM event group "
			          "%u: %s", groups[i], strerror(errno));
			goto fail;
		}
	/* room for a burst (many SAs expiring at once) */
	int sz = 4 << 20;
	setsockopt(mnl_socket_get_fd(k->events), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	k->events_fd = mnl_socket_get_fd(k->events);
	int fl = fcntl(k->events_fd, F_GETFL);
	fcntl(k->events_fd, F_SETFL, fl | O_NONBLOCK);
	if (!loop_watch_fd(k->events_fd, EPOLLIN, on_events, k)) {
		log_error(DBG_KERNEL, KNL_NAME ": cannot watch the XFRM event socket");
		goto fail;
	}
	return true;
fail:
	if (k->events)
		mnl_socket_close(k->events);
	k->events = NULL;
	k->events_fd = -1;
	return false;
}

void knl_events_close(knl_t *k)
{
	if (!k->events)
		return;
	loop_unwatch_fd(k->events_fd);
	mnl_socket_close(k->events);
	k->events = NULL;
	k->events_fd = -1;
}

/* ------------------------------------------------------------ resync */

typedef struct {
	knl_set_t present;
} resync_t;

static int on_sa(const struct nlmsghdr *nlh, void *ctx)
{
	resync_t *r = ctx;
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
		return 0;
	const struct xfrm_usersa_info *sa = mnl_nlmsg_get_payload(nlh);
	knl_sa_key_t key;
	memset(&key, 0, sizeof(key));
	key.daddr = sa->id.daddr;
	key.spi = sa->id.spi;
	key.family = sa->family;
	key.proto = sa->id.proto;
	kernel_mark_t m = { 0, 0 };
	mark_of(nlh, sizeof(*sa), &m);
	key.mark_v = m.value;
	key.mark_m = m.mask;
	knl_set_add(&r->present, &key, NULL);
	return 0;
}

void knl_resync(knl_t *k)
{
	uint8_t buf[256];
	char why[256], eb[320];
	resync_t r;
	knl_set_init(&r.present, sizeof(knl_sa_key_t));
	pthread_mutex_lock(&k->xfrm_lock);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETSA;
	nlh->nlmsg_flags = NLM_F_DUMP;
	int rc = knl_request(k, k->xfrm, nlh, on_sa, &r, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	if (rc) {
		log_error(DBG_KERNEL, KNL_NAME ": resync: listing SAs failed: %s",
		          knl_strerror(rc, why, eb, sizeof(eb)));
		knl_set_free(&r.present);
		return;
	}
	kernel_event_t *evs = NULL;
	size_t n = 0, cap = 0;
	unsigned hard = 0, soft = 0;
	uint64_t now = time_monotonic_ms();
	pthread_mutex_lock(&k->state_lock);
	for (size_t i = 0; i < k->sas.n_buckets; i++)
		for (knl_entry_t *e = k->sas.buckets[i], *next; e; e = next) {
			next = e->next;
			const knl_sa_key_t *key = (const knl_sa_key_t *)e->key;
			knl_sa_val_t *v = e->value;
			bool gone = !knl_set_find(&r.present, key);
			bool soft_due = !gone && v->soft_at_ms && now >= v->soft_at_ms &&
			                !v->soft_raised;
			if (!gone && !soft_due)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				evs = realloc(evs, cap * sizeof(*evs));
				if (!evs)
					abort();
			}
			kernel_event_t *ev = &evs[n++];
			memset(ev, 0, sizeof(*ev));
			ev->type = KERNEL_EV_EXPIRE;
			id_from(&ev->expire.sa, key->family, &key->daddr, key->spi, key->proto);
			ev->expire.sa.mark.value = key->mark_v;
			ev->expire.sa.mark.mask = key->mark_m;
			ev->expire.reqid = v->reqid;
			ev->expire.hard = gone;
			if (gone) {
				hard++;
				free(knl_set_del(&k->sas, key));
			} else {
				soft++;
				v->soft_raised = true;
			}
		}
	pthread_mutex_unlock(&k->state_lock);
	knl_set_free(&r.present);
	for (size_t i = 0; i < n; i++)
		kernel_ipsec_raise(&evs[i]);
	free(evs);
	log_op(DBG_KERNEL, KNL_NAME ": resync after lost events: %u SAs gone "
	       "(hard expiry raised), %u past their soft lifetime (rekey raised)",
	       hard, soft);
}
