/*
 * us_dp.c - the data path of the userspace backend.
 *
 * Worker threads (cfg.threads), each with its own TUN queue and its own
 * buffers; the IPv4 raw ESP socket is read by the first, the IPv6 one by
 * the second (one reader each keeps every SA's packets in order).
 * Outbound: read a batch from the TUN queue (a TSO packet among them is
 * cut into its segments, us_tunio.h), match each packet against the OUT
 * policies (most specific first), encapsulate it for the newest SA of the
 * policy, then send the batch (sendmmsg on the
 * raw socket, or through the NAT-T socket for ESP in UDP).  Inbound: read
 * a batch from a raw socket (recvmmsg), check, decrypt, check the inner
 * packet against the SA's IN policies and write it to the TUN.  ESP in
 * UDP arrives on the socket layer's receive threads (<ikev2d/esp_udp.h>),
 * which copy it into a worker's queue (the worker chosen by SPI, so one
 * SA's packets stay in order) and go back to IKE: the decryption and the
 * TUN write happen on the data-path threads, not on IKE's.  No allocation per packet; the only
 * lock per packet is the SA's replay window.
 */
#define _GNU_SOURCE  /* recvmmsg, sendmmsg, in6_pktinfo */
#include "us.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>
#include <ikev2d/runtime.h>

#include "us_tunio.h"

#define BATCH 32
/* Outbound ESP packets sent per flush: a 64 KB TSO packet is about 48
 * segments at MTU 1400, so one UDP GSO send can carry all of them */
#define TX_BATCH 64
#define ROUNDS 64
/* Packets held per reqid while its SA is negotiated. */
#define HELD_PER_REQID 8
/* One ACQUIRE per policy per this long. */
#define ACQUIRE_INTERVAL_MS 1000

typedef union {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct cmsghdr align;
} us_cmsg_t;

typedef struct {
	struct mmsghdr raw[TX_BATCH];
	struct iovec riov[TX_BATCH];
	struct sockaddr_storage rdst[TX_BATCH];
	us_cmsg_t rctl[TX_BATCH];
	int n_raw;
	esp_udp_datagram_t udp[TX_BATCH];
	int n_udp;
	int n_seg;                /* segment slots in use (until the flush) */
} us_tx_t;

struct us_thread {
	us_t *u;
	int idx;
	pthread_t tid;
	bool started;
	int epfd;
	uint8_t *bufs;            /* BATCH slots of US_SLOT */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage names[BATCH];
	us_cmsg_t ctl[BATCH];
	size_t lens[BATCH];
	us_gso_t gso[BATCH];      /* TSO packets among those read */
	uint8_t *segs;            /* TX_BATCH slots of seg_slot: segments */
	size_t seg_slot;
	us_tx_t tx;
	us_wq_t wq;               /* decrypted packets for the TUN */
	struct udpq *udpq;
};

static const char *drop_names[DROP_COUNT] = {
	[DROP_TRUNCATED] = "truncated",
	[DROP_UNKNOWN_SPI] = "unknown_spi",
	[DROP_REPLAYED] = "replayed",
	[DROP_OLD] = "outside_window",
	[DROP_ICV] = "icv_failed",
	[DROP_PADDING] = "bad_padding",
	[DROP_NEXT_HEADER] = "bad_next_header",
	[DROP_SELECTOR] = "outside_selectors",
	[DROP_INNER] = "bad_inner_packet",
	[DROP_NO_POLICY] = "no_policy",
	[DROP_POLICY] = "policy_drop",
	[DROP_NO_SA] = "no_sa",
	[DROP_EXPIRED] = "expired",
	[DROP_CRYPTO] = "crypto_error",
	[DROP_TX] = "send_failed",
	[DROP_TUN] = "tun_write_failed",
	[DROP_TOO_BIG] = "too_big",
	[DROP_QUEUE_FULL] = "queue_full",
	[DROP_BAD_VNET] = "bad_vnet_header",
};

const char *us_drop_name(us_drop_t d)
{
	return d < DROP_COUNT ? drop_names[d] : "?";
}

/* Single writer per slot: a relaxed load and store, no locked add. */
static inline void inc(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
	                      memory_order_relaxed);
}

/* ------------------------------------------------------ drop logging */

static pthread_mutex_t droplog_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t droplog_window_ms;
static unsigned droplog_count;
static uint64_t droplog_suppressed;
#define DROPLOG_BURST 10

void us_log_drop(us_t *u, us_drop_t why, const char *fmt, ...)
{
	uint64_t now = time_monotonic_ms();
	bool ok;
	char msg[200];
	va_list ap;

	(void)u;
	pthread_mutex_lock(&droplog_lock);
	if (now - droplog_window_ms >= 1000) {
		if (droplog_suppressed)
			log_op(DBG_KERNEL, US_NAME ": %llu more dropped packets not "
			       "logged", (unsigned long long)droplog_suppressed);
		droplog_window_ms = now;
		droplog_count = 0;
		droplog_suppressed = 0;
	}
	ok = droplog_count < DROPLOG_BURST;
	if (ok)
		droplog_count++;
	else
		droplog_suppressed++;
	pthread_mutex_unlock(&droplog_lock);
	if (!ok)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_op(DBG_KERNEL, US_NAME ": dropped (%s): %s", us_drop_name(why), msg);
}

static void drop(us_t *u, us_reader_t *r, us_drop_t why, uint32_t spi)
{
	inc(&r->stats.drops[why], 1);
	us_log_drop(u, why, "SPI %08x", spi);
}

/* ------------------------------------------------------- addresses */

static void ss_set(struct sockaddr_storage *ss, int family, const uint8_t *ip,
                   uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, ip, 4);
		s->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, ip, 16);
		s->sin6_port = htons(port);
	}
}

static const uint8_t *ss_ip(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
}

static uint16_t ss_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

static socklen_t ss_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? sizeof(struct sockaddr_in)
	                               : sizeof(struct sockaddr_in6);
}

static bool ss_same(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	size_t al = a->ss_family == AF_INET ? 4 : 16;
	return a->ss_family == b->ss_family &&
	       memcmp(ss_ip(a), ss_ip(b), al) == 0 && ss_port(a) == ss_port(b);
}

static bool ss_is_any(const struct sockaddr_storage *a)
{
	static const uint8_t zero[16];
	size_t al = a->ss_family == AF_INET ? 4 : 16;
	return memcmp(ss_ip(a), zero, al) == 0;
}

static void set_src(struct msghdr *mh, us_cmsg_t *ctl,
                    const struct sockaddr_storage *src)
{
	struct cmsghdr *c;

	if (ss_is_any(src))
		return;
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	if (src->ss_family == AF_INET) {
		struct in_pktinfo pi = { 0 };
		memcpy(&pi.ipi_spec_dst, ss_ip(src), 4);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };
		memcpy(&pi.ipi6_addr, ss_ip(src), 16);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

/* ------------------------------------------------------------ send */

static void tx_flush(us_t *u, us_reader_t *r, us_tx_t *tx)
{
	int i = 0;

	while (i < tx->n_raw) {
		int fam = tx->rdst[i].ss_family, j = i;
		int fd = fam == AF_INET ? u->raw4 : u->raw6;
		while (j < tx->n_raw && tx->rdst[j].ss_family == fam)
			j++;
		while (i < j) {
			int n = fd < 0 ? -1 : sendmmsg(fd, tx->raw + i, (unsigned)(j - i), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				inc(&r->stats.drops[DROP_TX], 1);
				us_log_drop(u, DROP_TX, "raw ESP send: %s",
				            fd < 0 ? "no socket of the family" : strerror(errno));
				i++;
				continue;
			}
			for (int k = 0; k < n; k++) {
				inc(&r->stats.tx_packets, 1);
				inc(&r->stats.tx_bytes, tx->riov[i + k].iov_len);
			}
			i += n;
		}
	}
	if (tx->n_udp) {
		size_t sent = esp_udp_send(tx->udp, (size_t)tx->n_udp);
		for (size_t k = 0; k < sent; k++) {
			inc(&r->stats.tx_packets, 1);
			inc(&r->stats.tx_bytes, tx->udp[k].len);
		}
		if (sent < (size_t)tx->n_udp) {
			inc(&r->stats.drops[DROP_TX], (uint64_t)tx->n_udp - sent);
			us_log_drop(u, DROP_TX, "%zu ESP-in-UDP datagrams not sent",
			            (size_t)tx->n_udp - sent);
		}
	}
	tx->n_raw = tx->n_udp = tx->n_seg = 0;
}

static void tx_add(us_t *u, us_reader_t *r, us_tx_t *tx, const us_sa_t *sa,
                   const uint8_t *esp, size_t len)
{
	if (tx->n_raw == TX_BATCH || tx->n_udp == TX_BATCH)
		tx_flush(u, r, tx);
	if (sa->k.encap) {
		esp_udp_datagram_t *d = &tx->udp[tx->n_udp++];
		d->src = sa->k.src;
		d->dst = sa->k.id.dst;
		d->data = esp;
		d->len = len;
		return;
	}
	int i = tx->n_raw++;
	struct msghdr *mh = &tx->raw[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	ss_set(&tx->rdst[i], sa->k.id.dst.ss_family, ss_ip(&sa->k.id.dst), 0);
	tx->riov[i].iov_base = (void *)esp;
	tx->riov[i].iov_len = len;
	mh->msg_name = &tx->rdst[i];
	mh->msg_namelen = ss_len(&tx->rdst[i]);
	mh->msg_iov = &tx->riov[i];
	mh->msg_iovlen = 1;
	set_src(mh, &tx->rctl[i], &sa->k.src);
}

/* --------------------------------------------------------- outbound */

static void narrow(kernel_ts_t *ts, const kernel_ts_t *pol, int family,
                   const uint8_t *addr)
{
	size_t al = family == AF_INET6 ? 16 : 4;
	*ts = *pol;
	memcpy(ts->from, addr, al);
	memcpy(ts->to, addr, al);
}

static size_t held_slot_size(us_t *u)
{
	return US_HEADROOM + (size_t)u->cfg.mtu + ESP_TAILROOM + 64;
}

/* A protect policy without SA: hold the packet (bounded) and ask for one. */
static void no_sa(us_t *u, us_reader_t *r, us_pol_t *p, const us_flow_t *f,
                  const uint8_t *pkt, size_t len, bool from_held)
{
	uint64_t now = time_monotonic_ms(), last;

	if (from_held)
		return;
	bool held = false;
	if (u->n_held && len <= (size_t)u->cfg.mtu) {
		int same = 0, free_slot = -1;
		pthread_mutex_lock(&u->held_lock);
		for (int i = 0; i < u->n_held; i++) {
			if (!u->held[i].used) {
				if (free_slot < 0)
					free_slot = i;
			} else if (u->held[i].reqid == p->k.reqid) {
				same++;
			}
		}
		if (free_slot >= 0 && same < HELD_PER_REQID) {
			us_held_t *h = &u->held[free_slot];
			h->used = true;
			h->reqid = p->k.reqid;
			h->since_ms = now;
			h->len = len;
			memcpy(h->buf + US_HEADROOM, pkt, len);
			held = true;
		}
		pthread_mutex_unlock(&u->held_lock);
	}
	if (held)
		inc(&r->stats.queued, 1);
	else
		inc(&r->stats.drops[DROP_NO_SA], 1);
	last = atomic_load(&p->last_acquire_ms);
	if ((last && now - last < ACQUIRE_INTERVAL_MS) ||
	    !atomic_compare_exchange_strong(&p->last_acquire_ms, &last, now))
		return;
	kernel_event_t ev = { .type = KERNEL_EV_ACQUIRE };
	ev.acquire.reqid = p->k.reqid;
	narrow(&ev.acquire.src_ts, &p->k.src_ts, f->family, f->src);
	narrow(&ev.acquire.dst_ts, &p->k.dst_ts, f->family, f->dst);
	ev.acquire.seq = atomic_fetch_add(&u->acquire_seq, 1) + 1;
	inc(&r->stats.acquires, 1);
	kernel_ipsec_raise(&ev);
}

/* One packet from the TUN at pkt (US_HEADROOM before it, room after).
 * False only for a held packet whose policy still has no SA. */
static bool output(us_t *u, us_reader_t *r, us_db_t *db, uint8_t *pkt,
                   size_t len, us_tx_t *tx, bool from_held)
{
	us_flow_t f;
	us_pol_t *p = NULL;
	us_sa_t *sa = NULL;
	size_t i;

	if (!us_flow_parse(pkt, len, &f)) {
		inc(&r->stats.drops[DROP_INNER], 1);
		return true;
	}
	len = f.total_len;
	for (i = 0; i < db->n_out; i++)
		if (us_ts_match_src(&db->out[i]->k.src_ts, &f) &&
		    us_ts_match_dst(&db->out[i]->k.dst_ts, &f)) {
			p = db->out[i];
			sa = db->out_sa[i];
			break;
		}
	if (!p) {
		inc(&r->stats.drops[DROP_NO_POLICY], 1);
		return true;
	}
	if (p->k.action != KERNEL_POLICY_PROTECT) {
		inc(&r->stats.drops[DROP_POLICY], 1);
		return true;
	}
	uint64_t now = time_monotonic_ms();
	if (atomic_load_explicit(&p->last_use_ms, memory_order_relaxed) != now)
		atomic_store_explicit(&p->last_use_ms, now, memory_order_relaxed);
	if (!sa || atomic_load(&sa->dead)) {
		no_sa(u, r, p, &f, pkt, len, from_held);
		return !from_held;
	}
	if (sa->k.hard.bytes && atomic_load(&sa->bytes) >= sa->k.hard.bytes) {
		drop(u, r, DROP_EXPIRED, sa->k.id.spi);
		return true;
	}
	uint8_t *payload = pkt, nh;
	size_t plen = len;
	if (sa->k.mode == KERNEL_MODE_TUNNEL) {
		nh = f.family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
	} else {
		payload = pkt + f.hdr_len;
		plen = len - f.hdr_len;
		nh = f.proto;
	}
	if (esp_packet_len(&sa->esp, plen) > US_MAX_PACKET - 48) {
		drop(u, r, DROP_TOO_BIG, sa->k.id.spi);
		return true;
	}
	esp_crypto_t *c = us_sa_crypto(sa, r);
	if (!c) {
		drop(u, r, DROP_CRYPTO, sa->k.id.spi);
		return true;
	}
	uint64_t seq = atomic_fetch_add_explicit(&sa->seq, 1, memory_order_relaxed) + 1;
	if (!sa->esp.esn && seq > UINT32_MAX) {
		/* RFC 4303 §3.3.3: no cycling; the SA must be rekeyed */
		drop(u, r, DROP_EXPIRED, sa->k.id.spi);
		return true;
	}
	uint8_t *esp;
	size_t esp_len;
	if (!esp_encap(&sa->esp, c, seq, nh, payload, plen, &esp, &esp_len)) {
		drop(u, r, DROP_CRYPTO, sa->k.id.spi);
		return true;
	}
	uint64_t b0 = atomic_fetch_add_explicit(&sa->bytes, plen, memory_order_relaxed);
	uint64_t n0 = atomic_fetch_add_explicit(&sa->packets, 1, memory_order_relaxed);
	us_sad_counted(u, sa, b0, plen, n0);
	if (atomic_load_explicit(&sa->last_use_ms, memory_order_relaxed) != now)
		atomic_store_explicit(&sa->last_use_ms, now, memory_order_relaxed);
	tx_add(u, r, tx, sa, esp, esp_len);
	return true;
}

void us_dp_send_held(us_t *u, uint32_t reqid)
{
	us_reader_t *r;
	us_tx_t *tx;

	if (!u->n_held)
		return;
	r = us_reader(u);
	if (!r)
		return;
	tx = xzalloc(sizeof(*tx));   /* control path: once per SA install */
	pthread_mutex_lock(&u->held_lock);
	us_read_begin(r);
	us_db_t *db = atomic_load(&u->db);
	for (int i = 0; i < u->n_held; i++) {
		us_held_t *h = &u->held[i];
		if (!h->used || (reqid && h->reqid != reqid))
			continue;
		if (output(u, r, db, h->buf + US_HEADROOM, h->len, tx, true))
			h->used = false;
	}
	us_read_end(r);
	tx_flush(u, r, tx);
	pthread_mutex_unlock(&u->held_lock);
	free(tx);
}

/* ---------------------------------------------------------- inbound */

static bool inner_allowed(us_db_t *db, const us_sa_t *sa, const us_flow_t *f)
{
	for (size_t i = 0; i < db->n_in; i++) {
		const us_pol_t *p = db->in[i];
		if (p->k.reqid == sa->k.reqid && p->k.action == KERNEL_POLICY_PROTECT &&
		    us_ts_match_src(&p->k.src_ts, f) && us_ts_match_dst(&p->k.dst_ts, f))
			return true;
	}
	return false;
}

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	return (uint16_t)~us_csum_add(0, h, len);
}

/* Transport mode: an IP header from the outer addresses before payload. */
static uint8_t *rebuild_header(uint8_t *payload, size_t plen, uint8_t nh,
                               const struct sockaddr_storage *from,
                               const struct sockaddr_storage *to, size_t *len)
{
	if (from->ss_family == AF_INET) {
		uint8_t *h = payload - 20;
		if (plen + 20 > 0xffff)
			return NULL;
		memset(h, 0, 20);
		h[0] = 0x45;
		h[2] = (uint8_t)((plen + 20) >> 8);
		h[3] = (uint8_t)(plen + 20);
		h[8] = 64;
		h[9] = nh;
		memcpy(h + 12, ss_ip(from), 4);
		memcpy(h + 16, ss_ip(to), 4);
		uint16_t ck = ip_checksum(h, 20);
		h[10] = (uint8_t)(ck >> 8);
		h[11] = (uint8_t)ck;
		*len = plen + 20;
		return h;
	}
	uint8_t *h = payload - 40;
	if (plen > 0xffff)
		return NULL;
	memset(h, 0, 40);
	h[0] = 0x60;
	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, ss_ip(from), 16);
	memcpy(h + 24, ss_ip(to), 16);
	*len = plen + 40;
	return h;
}

static us_sa_t *lookup_in(us_db_t *db, uint32_t spi)
{
	size_t h = (spi * 2654435761u) & db->hash_mask;
	for (;;) {
		us_sa_t *s = db->in_hash[h];
		if (!s || s->k.id.spi == spi)
			return s;
		h = (h + 1) & db->hash_mask;
	}
}

static void maybe_mapping(us_sa_t *sa, const struct sockaddr_storage *from)
{
	uint64_t now = time_monotonic_ms();
	bool raise = false;

	if (ss_same(from, &sa->k.src))
		return;
	pthread_mutex_lock(&sa->replay_lock);
	if (!sa->mapping_ms || now - sa->mapping_ms >= 1000) {
		sa->mapping_ms = now;
		raise = true;
	}
	pthread_mutex_unlock(&sa->replay_lock);
	if (!raise)
		return;
	kernel_event_t ev = { .type = KERNEL_EV_MAPPING };
	ev.mapping.sa = sa->k.id;
	ev.mapping.reqid = sa->k.reqid;
	ev.mapping.new_peer = *from;
	kernel_ipsec_raise(&ev);
}

/* One ESP packet at esp (US_HEADROOM writable before it). */
static void input(us_t *u, us_reader_t *r, us_db_t *db, uint8_t *esp, size_t len,
                  const struct sockaddr_storage *from,
                  const struct sockaddr_storage *to, bool encap, int tun_fd,
                  us_wq_t *wq)
{
	if (len < ESP_HDR_LEN) {
		inc(&r->stats.drops[DROP_TRUNCATED], 1);
		us_log_drop(u, DROP_TRUNCATED, "%zu-byte ESP packet", len);
		return;
	}
	uint32_t spi = esp_get_spi(esp), seq_lo = esp_get_seq(esp);
	us_sa_t *sa = lookup_in(db, spi);
	if (!sa) {
		drop(u, r, DROP_UNKNOWN_SPI, spi);
		return;
	}
	if (atomic_load(&sa->dead)) {
		drop(u, r, DROP_EXPIRED, spi);
		return;
	}
	uint64_t seq = seq_lo;
	if (sa->replay_on) {
		replay_verdict_t v = REPLAY_OK;
		pthread_mutex_lock(&sa->replay_lock);
		if (sa->replay.bits) {
			seq = replay_infer(&sa->replay, seq_lo);
			v = replay_check(&sa->replay, seq);
		}
		pthread_mutex_unlock(&sa->replay_lock);
		if (v != REPLAY_OK) {
			drop(u, r, v == REPLAY_SEEN ? DROP_REPLAYED : DROP_OLD, spi);
			return;
		}
	} else if (sa->esp.esn) {
		seq = (uint64_t)0 << 32 | seq_lo;   /* no window to infer from */
	}
	esp_crypto_t *c = us_sa_crypto(sa, r);
	if (!c) {
		drop(u, r, DROP_CRYPTO, spi);
		return;
	}
	uint8_t *payload, nh;
	size_t plen;
	switch (esp_decap(&sa->esp, c, seq, esp, len, &payload, &plen, &nh)) {
	case ESP_OK:
		break;
	case ESP_TRUNCATED:
		drop(u, r, DROP_TRUNCATED, spi);
		return;
	case ESP_ICV_FAILED:
		drop(u, r, DROP_ICV, spi);
		return;
	case ESP_BAD_PADDING:
		drop(u, r, DROP_PADDING, spi);
		return;
	default:
		drop(u, r, DROP_CRYPTO, spi);
		return;
	}
	if (sa->replay_on) {
		replay_verdict_t v = REPLAY_OK;
		pthread_mutex_lock(&sa->replay_lock);
		if (sa->replay.bits)
			v = replay_update(&sa->replay, seq);
		pthread_mutex_unlock(&sa->replay_lock);
		if (v != REPLAY_OK) {
			drop(u, r, v == REPLAY_SEEN ? DROP_REPLAYED : DROP_OLD, spi);
			return;
		}
	}
	if (nh == 59)     /* RFC 4303 §2.6: a dummy packet, silently dropped */
		return;
	uint8_t *pkt = payload;
	size_t pkt_len = plen;
	if (sa->k.mode == KERNEL_MODE_TUNNEL) {
		if (nh != IPPROTO_IPIP && nh != IPPROTO_IPV6) {
			drop(u, r, DROP_NEXT_HEADER, spi);
			return;
		}
	} else {
		pkt = rebuild_header(payload, plen, nh, from, to, &pkt_len);
		if (!pkt) {
			drop(u, r, DROP_INNER, spi);
			return;
		}
	}
	us_flow_t f;
	if (!us_flow_parse(pkt, pkt_len, &f) ||
	    (sa->k.mode == KERNEL_MODE_TUNNEL &&
	     f.family != (nh == IPPROTO_IPIP ? AF_INET : AF_INET6))) {
		drop(u, r, DROP_INNER, spi);
		return;
	}
	if (!inner_allowed(db, sa, &f)) {
		drop(u, r, DROP_SELECTOR, spi);
		return;
	}
	/* RFC 3948 §3.1.2: transport mode through a NAT - the sender's
	 * checksum covers addresses other than those of the header above:
	 * fixed up incrementally from the NAT original addresses the
	 * engine gave, recomputed where it knows one not */
	if (encap && sa->k.mode == KERNEL_MODE_TRANSPORT) {
		const struct sockaddr_storage *os = &sa->k.nat_oa_src,
		                              *od = &sa->k.nat_oa_dst;
		bool ok = os->ss_family == f.family && od->ss_family == f.family
		          ? us_adjust_l4_checksum(pkt, &f, ss_ip(os), ss_ip(od))
		          : us_fix_l4_checksum(pkt, &f);
		if (!ok) {
			drop(u, r, DROP_INNER, spi);
			return;
		}
	}
	uint64_t now = time_monotonic_ms();
	uint64_t b0 = atomic_fetch_add_explicit(&sa->bytes, plen, memory_order_relaxed);
	uint64_t n0 = atomic_fetch_add_explicit(&sa->packets, 1, memory_order_relaxed);
	us_sad_counted(u, sa, b0, plen, n0);
	if (atomic_load_explicit(&sa->last_use_ms, memory_order_relaxed) != now)
		atomic_store_explicit(&sa->last_use_ms, now, memory_order_relaxed);
	if (encap)
		maybe_mapping(sa, from);
	inc(&r->stats.rx_packets, 1);
	inc(&r->stats.rx_bytes, len);
	if (wq && us_wq_add(wq, pkt, f.total_len))
		return;   /* written by the caller's wq_flush */
	inc(&r->stats.tun_writes, 1);
	if (!us_tun_write(tun_fd, pkt, f.total_len)) {
		inc(&r->stats.drops[DROP_TUN], 1);
		us_log_drop(u, DROP_TUN, "write to %s: %s", u->cfg.interface,
		            strerror(errno));
	}
}

/* The decrypted packets of a batch to the TUN (coalesced, us_tunio.c). */
static void wq_flush(us_t *u, us_reader_t *r, us_wq_t *wq, int tun_fd)
{
	if (!wq->n)
		return;
	size_t writes, merged;
	size_t lost = us_wq_flush(tun_fd, wq, &writes, &merged);
	inc(&r->stats.tun_writes, writes);
	inc(&r->stats.tun_merged, merged);
	if (lost) {
		inc(&r->stats.drops[DROP_TUN], lost);
		us_log_drop(u, DROP_TUN, "write to %s: %s", u->cfg.interface,
		            strerror(errno));
	}
}

/* ---------------------------------------------- ESP-in-UDP queues */

/* A bounded multi-producer (the socket layer's receive threads), single-
 * consumer (one worker) ring: each slot's sequence number says whose turn
 * it is (D. Vyukov's bounded queue), so producers claim a slot with one
 * compare-and-swap and no lock; a datagram is copied once into the slot.
 * The worker is woken through an eventfd, written only when it may be
 * asleep (signaled was clear). */
#define UDPQ_SLOTS 512
typedef struct {
	_Atomic size_t seq;
	size_t len;
	struct sockaddr_storage from, to;
	uint8_t *buf;             /* US_HEADROOM + slot_bytes */
} udpq_slot_t;

struct udpq {
	udpq_slot_t slot[UDPQ_SLOTS];
	_Atomic size_t tail;      /* next slot a producer claims */
	size_t head;              /* next slot the worker reads */
	size_t slot_bytes;
	int efd;
	atomic_bool signaled;
};

static struct udpq *udpq_new(size_t slot_bytes)
{
	struct udpq *q = xzalloc(sizeof(*q));

	q->slot_bytes = slot_bytes;
	for (size_t i = 0; i < UDPQ_SLOTS; i++) {
		atomic_init(&q->slot[i].seq, i);
		q->slot[i].buf = xmalloc(US_HEADROOM + slot_bytes);
	}
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return q;
}

static void udpq_free(struct udpq *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < UDPQ_SLOTS; i++)
		free(q->slot[i].buf);
	if (q->efd >= 0)
		close(q->efd);
	free(q);
}

static void udpq_wake(struct udpq *q)
{
	uint64_t one = 1;
	if (!atomic_exchange(&q->signaled, true)) {
		ssize_t n = write(q->efd, &one, sizeof(one));
		(void)n;
	}
}

/* False when the ring is full. */
static bool udpq_push(struct udpq *q, const uint8_t *esp, size_t len,
                      const struct sockaddr_storage *from,
                      const struct sockaddr_storage *to)
{
	size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	udpq_slot_t *s;

	for (;;) {
		s = &q->slot[pos & (UDPQ_SLOTS - 1)];
		size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (seq == pos) {
			if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1,
			                                          memory_order_relaxed,
			                                          memory_order_relaxed))
				break;
		} else if (seq < pos) {
			return false;   /* the worker has not freed it yet: full */
		} else {
			pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
		}
	}
	memcpy(s->buf + US_HEADROOM, esp, len);
	s->len = len;
	s->from = *from;
	s->to = *to;
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
	udpq_wake(q);
	return true;
}

/* On the worker: what the receive threads queued (a bounded amount, then
 * back to the other descriptors; the eventfd brings it back). */
static void drain_udpq(us_thread_t *t, us_reader_t *r)
{
	struct udpq *q = t->udpq;
	us_t *u = t->u;
	uint64_t v;
	ssize_t rd = read(q->efd, &v, sizeof(v));

	(void)rd;
	atomic_store(&q->signaled, false);
	us_read_begin(r);
	us_db_t *db = atomic_load(&u->db);
	int tun = u->tun_fd[t->idx];
	for (int round = 0; round < ROUNDS; round++) {
		/* a batch decrypted in place in its slots, written to the TUN,
		 * and only then are the slots given back */
		size_t start = q->head;
		int n = 0;
		while (n < BATCH) {
			udpq_slot_t *s = &q->slot[q->head & (UDPQ_SLOTS - 1)];
			if (atomic_load_explicit(&s->seq, memory_order_acquire) != q->head + 1)
				break;
			input(u, r, db, s->buf + US_HEADROOM, s->len, &s->from, &s->to,
			      true, tun, &t->wq);
			q->head++;
			n++;
		}
		wq_flush(u, r, &t->wq, tun);
		for (size_t h = start; h != q->head; h++)
			atomic_store_explicit(&q->slot[h & (UDPQ_SLOTS - 1)].seq,
			                      h + UDPQ_SLOTS, memory_order_release);
		if (n < BATCH) {
			us_read_end(r);
			return;   /* empty */
		}
		/* let a control-path writer's synchronize() move on */
		us_read_end(r);
		us_read_begin(r);
		db = atomic_load(&u->db);
	}
	us_read_end(r);
	udpq_wake(q);   /* more left: come back after the other descriptors */
}

/* ESP in UDP, on the socket layer's receive thread: queued for the
 * worker that owns the SPI; before the workers run, or for a datagram
 * larger than a queue slot, handled here. */
static _Thread_local uint8_t udp_buf[US_HEADROOM + US_MAX_PACKET + 64];

void us_dp_esp_udp_input(uint8_t *esp, size_t len,
                         const struct sockaddr_storage *from,
                         const struct sockaddr_storage *to, void *ctx)
{
	us_t *u = ctx;

	if (atomic_load(&u->stopping) || len > US_MAX_PACKET)
		return;
	if (atomic_load_explicit(&u->dp_running, memory_order_acquire) && len >= 4) {
		us_thread_t *t = u->threads[esp_get_spi(esp) % (uint32_t)u->n_threads];
		if (len <= t->udpq->slot_bytes) {
			if (udpq_push(t->udpq, esp, len, from, to))
				return;
			us_reader_t *r = us_reader(u);
			if (r) {
				inc(&r->stats.drops[DROP_QUEUE_FULL], 1);
				us_log_drop(u, DROP_QUEUE_FULL, "ESP in UDP from the "
				            "socket layer, worker %d busy", t->idx);
			}
			return;
		}
	}
	us_reader_t *r = us_reader(u);
	if (!r)
		return;
	memcpy(udp_buf + US_HEADROOM, esp, len);
	us_read_begin(r);
	input(u, r, atomic_load(&u->db), udp_buf + US_HEADROOM, len, from, to,
	      true, u->tun_fd[0], NULL);
	us_read_end(r);
}

/* ---------------------------------------------------------- threads */

static const char *vnet_err_name(us_vnet_err_t e)
{
	switch (e) {
	case US_VNET_SHORT: return "shorter than its header";
	case US_VNET_GSO_TYPE: return "GSO type not TCP of the packet's IP version";
	case US_VNET_CSUM: return "checksum start/offset not TCP's";
	case US_VNET_HEADERS: return "headers unfit for segmentation";
	case US_VNET_GSO_SIZE: return "segment size 0 or over the MTU";
	default: return "?";
	}
}

/* A TSO packet: each segment cut into a slot of its own (its ESP packet
 * is built there and stays queued until the flush) and sent on as any
 * packet read from the TUN. */
static void output_tso(us_thread_t *t, us_reader_t *r, us_db_t *db,
                       const uint8_t *pkt, const us_gso_t *g)
{
	us_tx_t *tx = &t->tx;

	inc(&r->stats.tun_tso_reads, 1);
	inc(&r->stats.tun_tso_segments, g->n);
	for (size_t k = 0; k < g->n; k++) {
		/* room for this segment's ESP packet first, so that tx_add
		 * does not flush (and free the slots) under it */
		if (tx->n_seg == TX_BATCH || tx->n_raw == TX_BATCH ||
		    tx->n_udp == TX_BATCH)
			tx_flush(t->u, r, tx);
		uint8_t *seg = t->segs + (size_t)tx->n_seg++ * t->seg_slot + US_HEADROOM;
		size_t len = us_gso_segment(g, pkt, k, seg);
		output(t->u, r, db, seg, len, tx, false);
	}
}

static void drain_tun(us_thread_t *t, us_reader_t *r, int fd)
{
	us_t *u = t->u;

	for (int round = 0; round < ROUNDS; round++) {
		int n = 0;
		while (n < BATCH) {
			us_vnet_err_t why = US_VNET_OK;
			ssize_t k = us_tun_read(fd, t->bufs + (size_t)n * US_SLOT + US_HEADROOM,
			                        US_MAX_PACKET, (size_t)u->cfg.mtu,
			                        &t->gso[n], &why);
			if (k == -2) {
				inc(&r->stats.drops[DROP_BAD_VNET], 1);
				us_log_drop(u, DROP_BAD_VNET, "from %s: %s",
				            u->cfg.interface, vnet_err_name(why));
				continue;
			}
			if (k <= 0)
				break;
			t->lens[n++] = (size_t)k;
		}
		if (!n)
			return;
		us_read_begin(r);
		us_db_t *db = atomic_load(&u->db);
		for (int i = 0; i < n; i++) {
			uint8_t *pkt = t->bufs + (size_t)i * US_SLOT + US_HEADROOM;
			if (t->gso[i].n)
				output_tso(t, r, db, pkt, &t->gso[i]);
			else
				output(u, r, db, pkt, t->lens[i], &t->tx, false);
		}
		us_read_end(r);
		tx_flush(u, r, &t->tx);
		if (n < BATCH)
			return;
	}
}

/* Our address from the control data (IPv6 raw sockets). */
static void pktinfo_dst(struct msghdr *mh, struct sockaddr_storage *to)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ss_set(to, AF_INET6, (const uint8_t *)&pi.ipi6_addr, 0);
		}
}

static void drain_raw(us_thread_t *t, us_reader_t *r, int fd, int family)
{
	us_t *u = t->u;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < BATCH; i++) {
			struct msghdr *mh = &t->msgs[i].msg_hdr;
			t->iov[i].iov_base = t->bufs + (size_t)i * US_SLOT + US_HEADROOM;
			t->iov[i].iov_len = US_MAX_PACKET;
			mh->msg_name = &t->names[i];
			mh->msg_namelen = sizeof(t->names[i]);
			mh->msg_iov = &t->iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = t->ctl[i].buf;
			mh->msg_controllen = sizeof(t->ctl[i].buf);
			mh->msg_flags = 0;
		}
		int n = recvmmsg(fd, t->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		us_read_begin(r);
		us_db_t *db = atomic_load(&u->db);
		for (int i = 0; i < n; i++) {
			uint8_t *p = t->iov[i].iov_base;
			size_t len = t->msgs[i].msg_len;
			struct sockaddr_storage to;
			if (family == AF_INET) {
				/* IPv4 raw sockets deliver the IP header too */
				size_t ihl = len ? (size_t)(p[0] & 0x0f) * 4 : 0;
				if (len < 20 || ihl < 20 || ihl > len) {
					inc(&r->stats.drops[DROP_TRUNCATED], 1);
					continue;
				}
				ss_set(&to, AF_INET, p + 16, 0);
				p += ihl;
				len -= ihl;
			} else {
				memset(&to, 0, sizeof(to));
				to.ss_family = AF_INET6;
				pktinfo_dst(&t->msgs[i].msg_hdr, &to);
			}
			input(u, r, db, p, len, &t->names[i], &to, false,
			      u->tun_fd[t->idx], &t->wq);
		}
		wq_flush(u, r, &t->wq, u->tun_fd[t->idx]);
		us_read_end(r);
		if (n < BATCH)
			return;
	}
}

static void *thread_main(void *arg)
{
	us_thread_t *t = arg;
	us_t *u = t->u;
	us_reader_t *r = us_reader(u);
	struct epoll_event evs[4];

	if (!r)
		return NULL;
	while (!atomic_load(&u->stopping)) {
		int n = epoll_wait(t->epfd, evs, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error(DBG_KERNEL, US_NAME ": epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == u->stop_fd)
				return NULL;
			if (fd == u->tun_fd[t->idx])
				drain_tun(t, r, fd);
			else if (fd == t->udpq->efd)
				drain_udpq(t, r);
			else
				drain_raw(t, r, fd, fd == u->raw4 ? AF_INET : AF_INET6);
		}
	}
	return NULL;
}

static bool watch(int epfd, int fd, bool exclusive)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0),
		.data.fd = fd,
	};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool us_dp_start(us_t *u)
{
	if (u->cfg.acquire_queue > 0) {
		u->held = xzalloc((size_t)u->cfg.acquire_queue * sizeof(us_held_t));
		for (int i = 0; i < u->cfg.acquire_queue; i++)
			u->held[i].buf = xmalloc(held_slot_size(u));
		u->n_held = u->cfg.acquire_queue;
	}
	for (int i = 0; i < u->cfg.threads; i++) {
		us_thread_t *t = xzalloc(sizeof(*t));
		u->threads[u->n_threads++] = t;
		t->u = u;
		t->idx = i;
		t->bufs = xmalloc((size_t)BATCH * US_SLOT);
		t->seg_slot = held_slot_size(u);
		t->segs = xmalloc(TX_BATCH * t->seg_slot);
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		/* Each raw ESP socket has one reader: threads sharing one
		 * would each hold a batch, and a thread preempted with its
		 * batch delivers it after the others moved the replay window
		 * on - on a busy machine by more than the window, so those
		 * packets were dropped as old (or, with ESN, inferred into
		 * the next 2^32 and failed the ICV).  One reader keeps each
		 * SA's packets in order; the TUN queues (outbound) stay
		 * parallel. */
		bool r4 = i == 0, r6 = i == (u->cfg.threads > 1 ? 1 : 0);
		/* ESP-in-UDP datagrams are up to the peer's MTU: slots for our
		 * MTU with room for the outer overhead, larger ones inline */
		t->udpq = udpq_new((size_t)(u->cfg.mtu > 1500 ? u->cfg.mtu : 1500) + 256);
		if (t->epfd < 0 || t->udpq->efd < 0 ||
		    !watch(t->epfd, u->stop_fd, false) ||
		    !watch(t->epfd, t->udpq->efd, false) ||
		    !watch(t->epfd, u->tun_fd[i], false) ||
		    (r4 && !watch(t->epfd, u->raw4, false)) ||
		    (r6 && u->raw6 >= 0 && !watch(t->epfd, u->raw6, false))) {
			log_error(DBG_KERNEL, US_NAME ": epoll: %s", strerror(errno));
			return false;
		}
		int err = pthread_create(&t->tid, NULL, thread_main, t);
		if (err) {
			log_error(DBG_KERNEL, US_NAME ": cannot start a data-path "
			          "thread: %s", strerror(err));
			return false;
		}
		t->started = true;
	}
	atomic_store_explicit(&u->dp_running, true, memory_order_release);
	return true;
}

void us_dp_stop(us_t *u)
{
	uint64_t one = 1;

	atomic_store(&u->stopping, true);
	atomic_store(&u->dp_running, false);
	if (u->stop_fd >= 0) {
		ssize_t n = write(u->stop_fd, &one, sizeof(one));
		(void)n;
	}
	for (int i = 0; i < u->n_threads; i++) {
		us_thread_t *t = u->threads[i];
		if (t->started)
			pthread_join(t->tid, NULL);
		if (t->epfd >= 0)
			close(t->epfd);
		free(t->bufs);
		free(t->segs);
		udpq_free(t->udpq);
		free(t);
		u->threads[i] = NULL;
	}
	u->n_threads = 0;
	for (int i = 0; i < u->n_held; i++)
		free(u->held[i].buf);
	free(u->held);
	u->held = NULL;
	u->n_held = 0;
}
