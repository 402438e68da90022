/*
 * knl_nl.c - kernel-netlink: netlink requests with the kernel's error
 * text, address and selector conversions (ranges to prefixes), policy
 * priorities, the sets of what is installed, leftover cleanup and flush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include "knl.h"

/* ------------------------------------------------------------ sets */

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void knl_set_init(knl_set_t *s, size_t klen)
{
	s->n_buckets = 64;
	s->buckets = xzalloc(s->n_buckets * sizeof(*s->buckets));
	s->count = 0;
	s->klen = klen;
}

void knl_set_free(knl_set_t *s)
{
	for (size_t i = 0; i < s->n_buckets; i++)
		for (knl_entry_t *e = s->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e->value);
			free(e);
		}
	free(s->buckets);
	s->buckets = NULL;
	s->count = 0;
}

knl_entry_t *knl_set_find(knl_set_t *s, const void *key)
{
	uint32_t h = hash_bytes(key, s->klen);
	for (knl_entry_t *e = s->buckets[h & (s->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && memcmp(e->key, key, s->klen) == 0)
			return e;
	return NULL;
}

static void grow(knl_set_t *s)
{
	size_t nn = s->n_buckets * 2;
	knl_entry_t **nb = xzalloc(nn * sizeof(*nb));
	for (size_t i = 0; i < s->n_buckets; i++)
		for (knl_entry_t *e = s->buckets[i], *n; e; e = n) {
			n = e->next;
			e->next = nb[e->hash & (nn - 1)];
			nb[e->hash & (nn - 1)] = e;
		}
	free(s->buckets);
	s->buckets = nb;
	s->n_buckets = nn;
}

knl_entry_t *knl_set_add(knl_set_t *s, const void *key, void *value)
{
	knl_entry_t *e = knl_set_find(s, key);
	if (e) {
		free(value);
		return e;
	}
	if (s->count + 1 > 2 * s->n_buckets)
		grow(s);
	e = xzalloc(sizeof(*e) + s->klen);
	e->hash = hash_bytes(key, s->klen);
	memcpy(e->key, key, s->klen);
	e->value = value;
	e->next = s->buckets[e->hash & (s->n_buckets - 1)];
	s->buckets[e->hash & (s->n_buckets - 1)] = e;
	s->count++;
	return e;
}

void *knl_set_del(knl_set_t *s, const void *key)
{
	uint32_t h = hash_bytes(key, s->klen);
	for (knl_entry_t **pp = &s->buckets[h & (s->n_buckets - 1)]; *pp; pp = &(*pp)->next) {
		knl_entry_t *e = *pp;
		if (e->hash == h && memcmp(e->key, key, s->klen) == 0) {
			void *v = e->value;
			*pp = e->next;
			free(e);
			s->count--;
			return v;
		}
	}
	return NULL;
}

/* -------------------------------------------------------- requests */

/* The text of an NLMSGERR_ATTR_MSG in an error answer, if any. */
static void ext_ack_text(const struct nlmsghdr *nlh, char *why, size_t len)
{
	if (!why || !len || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	/* without NETLINK_CAP_ACK the request is echoed in full */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	const char *base = mnl_nlmsg_get_payload(nlh);
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	while (off + sizeof(struct nlattr) <= plen) {
		const struct nlattr *a = (const struct nlattr *)(base + off);
		if (a->nla_len < sizeof(*a) || off + a->nla_len > plen)
			return;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = a->nla_len - sizeof(*a);
			const char *s = (const char *)a + sizeof(*a);
			size_t sl = strnlen(s, n);
			snprintf(why, len, "%.*s", (int)sl, s);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

int knl_request(knl_t *k, struct mnl_socket *sock, struct nlmsghdr *nlh,
                knl_msg_cb_t cb, void *ctx, char *why, size_t why_len)
{
	static __thread uint8_t buf[KNL_BUFSZ];
	/* NLM_F_DUMP is two bits, one of which is NLM_F_EXCL of NEW requests */
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	uint32_t seq = ++k->seq;
	uint32_t portid = mnl_socket_get_portid(sock);
	int rc = 0;

	if (why && why_len)
		why[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK);
	nlh->nlmsg_seq = seq;
	ssize_t sent = mnl_socket_sendto(sock, nlh, nlh->nlmsg_len);
	int serr = errno;
	explicit_bzero(nlh, nlh->nlmsg_len);
	if (sent < 0)
		return -serr;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		bool done = false;
		const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;   /* a late answer to an earlier request */
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
				if (mnl_nlmsg_get_payload_len(m) < sizeof(*e))
					rc = -EBADMSG;
				else
					rc = e->error;
				if (rc)
					ext_ack_text(m, why, why_len);
				done = true;
				break;
			}
			if (m->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (cb && !rc) {
				int r = cb(m, ctx);
				if (r < 0)
					rc = r;
			}
		}
		explicit_bzero(buf, (size_t)n);
		if (done)
			break;
	}
	return rc;
}

const char *knl_strerror(int err, const char *why, char *buf, size_t len)
{
	if (why && *why)
		snprintf(buf, len, "%s (kernel: %s)", strerror(err < 0 ? -err : err), why);
	else
		snprintf(buf, len, "%s", strerror(err < 0 ? -err : err));
	return buf;
}

/* ------------------------------------------------------- addresses */

void knl_addr_from_ss(const struct sockaddr_storage *ss, xfrm_address_t *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET)
		memcpy(&a->a4, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(a->a6, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

void knl_ss_from_addr(int family, const xfrm_address_t *a, uint16_t port_n,
                      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, &a->a4, 4);
		s->sin_port = port_n;
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a->a6, 16);
		s->sin6_port = port_n;
	}
}

uint16_t knl_ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return 0;
}

char *knl_ss_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)ss)->sin_addr;
	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    !inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* ------------------------------------------------------- selectors */

typedef struct {
	uint8_t addr[16];
	uint8_t plen;
} prefix_t;

/* Whether bits [plen, bits) of a are all `one`. */
static bool low_bits_are(const uint8_t *a, int plen, int bits, bool one)
{
	for (int b = plen; b < bits; b++) {
		bool set = a[b / 8] & (0x80 >> (b % 8));
		if (set != one)
			return false;
	}
	return true;
}

/* The prefixes covering exactly [lo, hi] (bytes, bits wide). */
static int range_prefixes(const uint8_t *lo_in, const uint8_t *hi, int bits,
                          prefix_t *out, int max)
{
	uint8_t lo[16];
	int n = 0, bytes = bits / 8;
	memcpy(lo, lo_in, bytes);
	if (memcmp(lo, hi, bytes) > 0)
		return 0;
	for (;;) {
		/* the shortest prefix starting at lo that stays <= hi */
		int plen = bits;
		while (plen > 0 && low_bits_are(lo, plen - 1, bits, false)) {
			uint8_t end[16];
			memcpy(end, lo, bytes);
			for (int b = plen - 1; b < bits; b++)
				end[b / 8] |= 0x80 >> (b % 8);
			if (memcmp(end, hi, bytes) > 0)
				break;
			plen--;
		}
		if (n == max)
			return -1;
		memcpy(out[n].addr, lo, bytes);
		out[n].plen = (uint8_t)plen;
		n++;
		/* next: lo + 2^(bits - plen); done when that wraps or passes hi */
		uint8_t end[16];
		memcpy(end, lo, bytes);
		for (int b = plen; b < bits; b++)
			end[b / 8] |= 0x80 >> (b % 8);
		if (memcmp(end, hi, bytes) >= 0)
			return n;
		int i = bytes - 1;
		memcpy(lo, end, bytes);
		while (i >= 0 && ++lo[i] == 0)
			i--;
		if (i < 0)
			return n;
	}
}

typedef struct {
	uint16_t port, mask;   /* host order */
} port_block_t;

static int port_blocks(const kernel_ts_t *ts, port_block_t *out, int max)
{
	if (ts->port_from == 0 && ts->port_to == 0xffff) {
		out[0] = (port_block_t){ 0, 0 };
		return 1;
	}
	uint8_t lo[2] = { ts->port_from >> 8, ts->port_from & 0xff };
	uint8_t hi[2] = { ts->port_to >> 8, ts->port_to & 0xff };
	prefix_t p[16];
	int n = range_prefixes(lo, hi, 16, p, 16);
	if (n <= 0 || n > max)
		return 0;
	for (int i = 0; i < n; i++) {
		out[i].port = (uint16_t)(p[i].addr[0] << 8 | p[i].addr[1]);
		out[i].mask = p[i].plen ? (uint16_t)(0xffff << (16 - p[i].plen)) : 0;
	}
	return n;
}

static bool is_icmp(const kernel_ts_t *t)
{
	return t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;
}

/* ICMP: the type in the high byte of the ports, the code in the low
 * (RFC 4301 §4.4.1.3); XFRM wants the type in sport, the code in dport. */
static void icmp_sel(const kernel_ts_t *t, struct xfrm_selector *s)
{
	if (t->port_from == 0 && t->port_to == 0xffff)
		return;
	if ((t->port_from >> 8) == (t->port_to >> 8)) {
		s->sport = htons(t->port_from >> 8);
		s->sport_mask = htons(0xffff);
		if ((t->port_from & 0xff) == (t->port_to & 0xff)) {
			s->dport = htons(t->port_from & 0xff);
			s->dport_mask = htons(0xffff);
		}
	}
}

int knl_split(const kernel_ts_t *src, const kernel_ts_t *dst,
              struct xfrm_selector *out, int max)
{
	int bits = src->family == AF_INET6 ? 128 : 32;
	if (src->family != dst->family ||
	    (src->family != AF_INET && src->family != AF_INET6))
		return 0;
	prefix_t sp[KNL_MAX_SPLIT], dp[KNL_MAX_SPLIT];
	int ns = range_prefixes(src->from, src->to, bits, sp, KNL_MAX_SPLIT);
	int nd = range_prefixes(dst->from, dst->to, bits, dp, KNL_MAX_SPLIT);
	if (ns <= 0 || nd <= 0)
		return 0;
	uint8_t proto = src->proto ? src->proto : dst->proto;
	port_block_t spb[16], dpb[16];
	int nsp = 1, ndp = 1;
	spb[0] = dpb[0] = (port_block_t){ 0, 0 };
	if (proto && !is_icmp(src)) {
		nsp = port_blocks(src, spb, 16);
		ndp = port_blocks(dst, dpb, 16);
		if (!nsp || !ndp)
			return 0;
	}
	int n = 0;
	for (int i = 0; i < ns; i++)
		for (int j = 0; j < nd; j++)
			for (int a = 0; a < nsp; a++)
				for (int b = 0; b < ndp; b++) {
					if (n == max)
						return 0;
					struct xfrm_selector *s = &out[n++];
					memset(s, 0, sizeof(*s));
					s->family = (uint16_t)src->family;
					memcpy(&s->saddr, sp[i].addr, bits / 8);
					memcpy(&s->daddr, dp[j].addr, bits / 8);
					s->prefixlen_s = sp[i].plen;
					s->prefixlen_d = dp[j].plen;
					s->proto = proto;
					if (proto && is_icmp(src)) {
						icmp_sel(src, s);
					} else if (proto) {
						s->sport = htons(spb[a].port);
						s->sport_mask = htons(spb[a].mask);
						s->dport = htons(dpb[b].port);
						s->dport_mask = htons(dpb[b].mask);
					}
				}
	return n;
}

bool knl_sel_single(const kernel_ts_t *src, const kernel_ts_t *dst,
                    struct xfrm_selector *sel)
{
	struct xfrm_selector s[2];
	if (knl_split(src, dst, s, 2) != 1)
		return false;
	*sel = s[0];
	return true;
}

uint32_t knl_priority(const knl_t *k, const struct xfrm_selector *sel)
{
	/* prefix lengths scaled to IPv6's 128 bits: 0..256 */
	int scale = sel->family == AF_INET6 ? 1 : 4;
	int spec = (sel->prefixlen_s + sel->prefixlen_d) * scale;
	int extra = (sel->proto ? 4 : 0) + (sel->sport_mask ? 2 : 0) +
	            (sel->dport_mask ? 1 : 0);
	return k->prio_base + (uint32_t)((256 - spec) * 8 + (7 - extra));
}

bool knl_is_ours(const knl_t *k, uint32_t priority)
{
	return priority >= k->prio_base && priority < k->prio_base + KNL_PRIO_BAND;
}

/* ------------------------------------------------- leftovers, flush */

typedef struct {
	knl_t *k;
	knl_pol_key_t *pols;
	size_t n_pols, cap_pols;
	uint32_t *reqids;
	size_t n_reqids, cap_reqids;
} leftover_t;

static int leftover_policy(const struct nlmsghdr *nlh, void *ctx)
{
	leftover_t *l = ctx;
	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_userpolicy_info))
		return 0;
	const struct xfrm_userpolicy_info *p = mnl_nlmsg_get_payload(nlh);
	if (!knl_is_ours(l->k, p->priority))
		return 0;
	if (l->n_pols == l->cap_pols) {
		l->cap_pols = l->cap_pols ? 2 * l->cap_pols : 16;
		l->pols = realloc(l->pols, l->cap_pols * sizeof(*l->pols));
		if (!l->pols)
			abort();
	}
	knl_pol_key_t *key = &l->pols[l->n_pols++];
	memset(key, 0, sizeof(*key));
	key->sel = p->sel;
	key->dir = p->dir;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*p)) {
		if (mnl_attr_get_type(a) == XFRMA_MARK &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_mark)) {
			const struct xfrm_mark *m = mnl_attr_get_payload(a);
			key->mark_v = m->v;
			key->mark_m = m->m;
		} else if (mnl_attr_get_type(a) == XFRMA_IF_ID &&
		           mnl_attr_get_payload_len(a) >= sizeof(uint32_t)) {
			key->if_id = mnl_attr_get_u32(a);
		} else if (mnl_attr_get_type(a) == XFRMA_TMPL &&
		           mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_user_tmpl)) {
			const struct xfrm_user_tmpl *t = mnl_attr_get_payload(a);
			if (!t->reqid)
				continue;
			if (l->n_reqids == l->cap_reqids) {
				l->cap_reqids = l->cap_reqids ? 2 * l->cap_reqids : 16;
				l->reqids = realloc(l->reqids, l->cap_reqids * sizeof(uint32_t));
				if (!l->reqids)
					abort();
			}
			l->reqids[l->n_reqids++] = t->reqid;
		}
	}
	return 0;
}

typedef struct {
	leftover_t *l;
	knl_sa_key_t *sas;
	size_t n, cap;
} leftover_sa_t;

static int leftover_sa(const struct nlmsghdr *nlh, void *ctx)
{
	leftover_sa_t *s = ctx;
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
		return 0;
	const struct xfrm_usersa_info *sa = mnl_nlmsg_get_payload(nlh);
	bool ours = false;
	for (size_t i = 0; i < s->l->n_reqids && !ours; i++)
		ours = sa->reqid && sa->reqid == s->l->reqids[i];
	if (!ours)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->sas = realloc(s->sas, s->cap * sizeof(*s->sas));
		if (!s->sas)
			abort();
	}
	knl_sa_key_t *key = &s->sas[s->n++];
	memset(key, 0, sizeof(*key));
	key->daddr = sa->id.daddr;
	key->spi = sa->id.spi;
	key->proto = sa->id.proto;
	key->family = sa->family;
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*sa))
		if (mnl_attr_get_type(a) == XFRMA_MARK &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct xfrm_mark)) {
			const struct xfrm_mark *m = mnl_attr_get_payload(a);
			key->mark_v = m->v;
			key->mark_m = m->m;
		}
	return 0;
}

void knl_cleanup_leftovers(knl_t *k)
{
	uint8_t buf[256];
	char why[256], eb[320];
	leftover_t l = { .k = k };
	leftover_sa_t s = { .l = &l };

	pthread_mutex_lock(&k->xfrm_lock);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
	nlh->nlmsg_flags = NLM_F_DUMP;
	int rc = knl_request(k, k->xfrm, nlh, leftover_policy, &l, why, sizeof(why));
	if (rc)
		log_error(DBG_KERNEL, KNL_NAME ": listing the kernel's policies failed: %s",
		          knl_strerror(rc, why, eb, sizeof(eb)));
	if (l.n_reqids) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = XFRM_MSG_GETSA;
		nlh->nlmsg_flags = NLM_F_DUMP;
		rc = knl_request(k, k->xfrm, nlh, leftover_sa, &s, why, sizeof(why));
		if (rc)
			log_error(DBG_KERNEL, KNL_NAME ": listing the kernel's SAs failed: %s",
			          knl_strerror(rc, why, eb, sizeof(eb)));
	}
	pthread_mutex_unlock(&k->xfrm_lock);

	size_t pol_ok = 0, sa_ok = 0;
	for (size_t i = 0; i < l.n_pols; i++)
		pol_ok += knl_del_policy_key(k, &l.pols[i]) == 0;
	for (size_t i = 0; i < s.n; i++)
		sa_ok += knl_del_sa_key(k, &s.sas[i]) == 0;
	if (l.n_pols || s.n)
		log_op(DBG_KERNEL, KNL_NAME ": removed %zu of %zu policies and %zu of "
		       "%zu SAs left by an earlier run (policy priorities %u..%u)",
		       pol_ok, l.n_pols, sa_ok, s.n, k->prio_base,
		       k->prio_base + KNL_PRIO_BAND - 1);
	free(l.pols);
	free(l.reqids);
	free(s.sas);
	knl_route_flush(k, true);
}

/* Take every key of a set out (under state_lock), to act on unlocked. */
static void *drain(knl_set_t *set, size_t *n)
{
	uint8_t *keys = xmalloc((set->count ? set->count : 1) * set->klen);
	*n = 0;
	for (size_t i = 0; i < set->n_buckets; i++)
		for (knl_entry_t *e = set->buckets[i]; e; e = e->next)
			memcpy(keys + (*n)++ * set->klen, e->key, set->klen);
	return keys;
}

void knl_flush(kernel_ipsec_t *self)
{
	knl_t *k = (knl_t *)self;
	size_t np, ns;

	pthread_mutex_lock(&k->state_lock);
	knl_pol_key_t *pols = drain(&k->policies, &np);
	knl_sa_key_t *sas = drain(&k->sas, &ns);
	pthread_mutex_unlock(&k->state_lock);
	size_t pol_ok = 0, sa_ok = 0;
	for (size_t i = 0; i < np; i++)
		pol_ok += knl_del_policy_key(k, &pols[i]) == 0;
	for (size_t i = 0; i < ns; i++)
		sa_ok += knl_del_sa_key(k, &sas[i]) == 0;
	pthread_mutex_lock(&k->state_lock);
	for (size_t i = 0; i < np; i++)
		free(knl_set_del(&k->policies, &pols[i]));
	for (size_t i = 0; i < ns; i++)
		free(knl_set_del(&k->sas, &sas[i]));
	pthread_mutex_unlock(&k->state_lock);
	if (np || ns)
		log_op(DBG_KERNEL, KNL_NAME ": flushed %zu of %zu policies and %zu of "
		       "%zu SAs still installed", pol_ok, np, sa_ok, ns);
	free(pols);
	free(sas);
	knl_route_flush(k, false);
}
