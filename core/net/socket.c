/*
 * socket.c - the socket manager: binds the IKE and NAT-T UDP sockets on
 * IPv4 and IPv6, reads them in batches on its receive threads, and sends
 * packets out of the right one (see net.h for the behaviour).
 *
 * Receive threads: each has its own epoll set holding every socket with
 * EPOLLEXCLUSIVE, so a datagram wakes one thread, not all; the thread
 * reads a small batch (recvmmsg) and hands each datagram to the receiver
 * itself, then reads again until the socket is empty.  Under load the
 * threads thus keep reading without sleeping, and no datagram costs a
 * hand-off (queue, futex wake-up, context switch) to another thread.  The
 * batch is small so that one thread does not sit on datagrams another
 * idle thread could be working on.
 */
#define _GNU_SOURCE  /* recvmmsg, in6_pktinfo */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/xfrm.h>  /* after netinet/in.h: glibc owns in6_pktinfo */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>
#include <ikev2d/ikev2.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/runtime.h>
#include <net/addr.h>
#include <net/net.h>

/* Datagrams read per recvmmsg call (each is then handled before the next
 * call), and calls per wake-up before the thread looks at its other
 * sockets (level-triggered epoll reports this one again if more is
 * queued). */
#define RX_BATCH 4
#define RX_ROUNDS 64
/* Receive threads at most (net_open takes one per worker thread). */
#define RX_THREADS_MAX 16
/* One more than the largest accepted datagram, so MSG_TRUNC or a full
 * buffer tells an oversized one apart. */
#define RX_SLOT (NET_MAX_PACKET + 1)
/* Receive buffer asked for: bursts of IKE_SA_INIT from many peers. */
#define RX_BUFFER_BYTES (4 * 1024 * 1024)
/* The non-ESP marker on the NAT-T port (RFC 3948 §2.2). */
#define NON_ESP_MARKER_LEN 4

typedef union {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
	         CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
} cmsg_buf_t;

typedef struct {
	int fd;
	int family;
	bool natt;
	uint16_t port;
} net_socket_t;

/* One receive thread and its buffers. */
typedef struct {
	pthread_t tid;
	bool started;
	int epfd;
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage names[RX_BATCH];
	cmsg_buf_t ctl[RX_BATCH];
	uint8_t *bufs;
} rx_thread_t;

enum { SOCK_V4_IKE, SOCK_V4_NATT, SOCK_V6_IKE, SOCK_V6_NATT, SOCK_COUNT };

/* Sends hold the read lock; open/close take the write lock.  Receives run
 * on the receive threads, which net_close stops and joins before it frees
 * anything. */
static pthread_rwlock_t sock_lock = PTHREAD_RWLOCK_INITIALIZER;
static net_socket_t *socks[SOCK_COUNT];
static uint16_t bound_ike_port, bound_natt_port;
static rx_thread_t *rx_threads[RX_THREADS_MAX];
static int n_rx_threads;
static int rx_stopfd = -1;      /* written to stop the receive threads */
static atomic_bool rx_stop;     /* also seen between batches */

static atomic_uint_fast64_t st_rx_packets, st_rx_dropped, st_rx_keepalives,
	st_rx_esp, st_tx_packets, st_tx_errors;

/* Rate limit for log lines about dropped input, so a flood of garbage
 * cannot flood the log: at most DROP_LOG_BURST lines per second, then one
 * line saying how many were not logged. */
#define DROP_LOG_BURST 10
static pthread_mutex_t drop_log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool drop_log_allowed_locked(uint64_t now);
static uint64_t drop_log_window_ms;
static unsigned drop_log_count;
static uint64_t drop_log_suppressed;

static bool drop_log_allowed(void)
{
	uint64_t now = time_monotonic_ms();
	bool ok;

	/* Several receive threads; taken for dropped datagrams only. */
	pthread_mutex_lock(&drop_log_lock);
	ok = drop_log_allowed_locked(now);
	pthread_mutex_unlock(&drop_log_lock);
	return ok;
}

static bool drop_log_allowed_locked(uint64_t now)
{
	if (now - drop_log_window_ms >= 1000) {
		if (drop_log_suppressed)
			log_op(DBG_NET, "net: %llu more dropped datagrams not logged",
			       (unsigned long long)drop_log_suppressed);
		drop_log_window_ms = now;
		drop_log_count = 0;
		drop_log_suppressed = 0;
	}
	if (drop_log_count < DROP_LOG_BURST) {
		drop_log_count++;
		return true;
	}
	drop_log_suppressed++;
	return false;
}

/* ------------------------------------------------------------- opening */

/* Exempt the socket from IPsec policies in both directions, so IKE is not
 * caught by the very SAs it negotiates.  Needs CAP_NET_ADMIN and XFRM;
 * without them there are no policies to bypass either. */
static void bypass_ipsec(int fd, int family)
{
	struct xfrm_userpolicy_info pol;
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;

	for (int dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		memset(&pol, 0, sizeof(pol));
		pol.action = XFRM_POLICY_ALLOW;
		pol.sel.family = family;
		pol.dir = dir;
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0) {
			/* without xfrm_user (a PF_KEY-only kernel) the
			 * backend's own way below is the one that counts */
			log_verbose(DBG_NET, "net: no XFRM bypass policy on the "
			            "IKE socket (%s); fine while no policy is "
			            "installed or the kernel backend sets its own",
			            strerror(errno));
			break;
		}
	}
	/* A backend may have its own way (PF_KEY sockets, TUN engine), even
	 * where the kernel has no XFRM. */
	kernel_bypass_socket(fd, family);
}

/* Whether the kernel took UDP_ENCAP_ESPINUDP on every NAT-T socket. */
static bool encap_active;

static bool set_encap(int fd, uint16_t port)
{
	int type = UDP_ENCAP_ESPINUDP;

	if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
		log_verbose(DBG_NET, "net: UDP_ENCAP_ESPINUDP on port %u not "
		            "available (%s): the kernel will not decapsulate "
		            "ESP-in-UDP", port, strerror(errno));
		return false;
	}
	return true;
}

static void free_socket(net_socket_t *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* Bind one socket; port 0 = any free port.  NULL (with *err set) on
 * failure. */
static net_socket_t *open_socket(int family, uint16_t port, bool natt,
                                 int *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int on = 1, rcvbuf = RX_BUFFER_BYTES;
	net_socket_t *s;
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sslen = sizeof(*sin);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
			goto fail;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sslen = sizeof(*sin6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
			goto fail;
	}
	/* A larger buffer absorbs bursts; as root, past rmem_max too. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0)
		goto fail;
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		goto fail;
	/* A backend doing ESP itself takes ESP-in-UDP from us: then the
	 * kernel must not swallow it. */
	if (natt && (esp_udp_wanted() || !set_encap(fd, port)))
		encap_active = false;
	bypass_ipsec(fd, family);

	s = xzalloc(sizeof(*s));
	s->fd = fd;
	s->family = family;
	s->natt = natt;
	s->port = addr_get_port(&ss);
	return s;

fail:
	*err = errno;
	close(fd);
	return NULL;
}

static bool socket_sender(packet_t *packet, void *ctx)
{
	return net_socket_send(packet);
}

static void close_all_locked(void)
{
	for (int i = 0; i < SOCK_COUNT; i++) {
		if (!socks[i])
			continue;
		free_socket(socks[i]);
		socks[i] = NULL;
	}
	bound_ike_port = bound_natt_port = 0;
}

static void *rx_main(void *arg);
static size_t esp_udp_socket_send(const esp_udp_datagram_t *d, size_t n);

/* Stop and join the receive threads (none runs a receiver afterwards).
 * Called without sock_lock: a thread may be sending. */
static void stop_rx_threads(void)
{
	uint64_t one = 1;

	atomic_store(&rx_stop, true);
	if (rx_stopfd >= 0) {
		ssize_t n = write(rx_stopfd, &one, sizeof(one));
		(void)n;
	}
	for (int i = 0; i < n_rx_threads; i++) {
		rx_thread_t *t = rx_threads[i];
		rx_threads[i] = NULL;
		if (t->started && pthread_equal(t->tid, pthread_self())) {
			/* A receiver closing the sockets (the engine does not):
			 * it cannot join itself; it leaves when it returns to
			 * its epoll set, and its few buffers are left behind. */
			log_error(DBG_NET, "net: sockets closed from a receive "
			          "thread; it stops when it returns");
			pthread_detach(t->tid);
			continue;
		}
		if (t->started)
			pthread_join(t->tid, NULL);
		if (t->epfd >= 0)
			close(t->epfd);
		free(t->bufs);
		free(t);
	}
	n_rx_threads = 0;
	if (rx_stopfd >= 0)
		close(rx_stopfd);
	rx_stopfd = -1;
}

/* Start n receive threads reading every open socket. */
static bool start_rx_threads(int n)
{
	if (n < 1)
		n = 1;
	if (n > RX_THREADS_MAX)
		n = RX_THREADS_MAX;
	atomic_store(&rx_stop, false);
	rx_stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rx_stopfd < 0) {
		log_error(DBG_NET, "net: eventfd: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		rx_thread_t *t = xzalloc(sizeof(*t));
		rx_threads[n_rx_threads++] = t;
		t->bufs = xmalloc((size_t)RX_BATCH * RX_SLOT);
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (t->epfd < 0) {
			log_error(DBG_NET, "net: epoll_create1: %s", strerror(errno));
			return false;
		}
		/* The stop event wakes every thread; a datagram only one. */
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, rx_stopfd, &ev) < 0) {
			log_error(DBG_NET, "net: epoll_ctl: %s", strerror(errno));
			return false;
		}
		for (int k = 0; k < SOCK_COUNT; k++) {
			if (!socks[k])
				continue;
			ev = (struct epoll_event){
				.events = EPOLLIN | EPOLLEXCLUSIVE,
				.data.ptr = socks[k],
			};
			if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, socks[k]->fd, &ev) < 0) {
				log_error(DBG_NET, "net: cannot watch socket of port %u: %s",
				          socks[k]->port, strerror(errno));
				return false;
			}
		}
		int err = pthread_create(&t->tid, NULL, rx_main, t);
		if (err) {
			log_error(DBG_NET, "net: cannot start a receive thread: %s",
			          strerror(err));
			return false;
		}
		t->started = true;
	}
	return true;
}

/* Open one port on both families; the IPv6 socket takes the port IPv4
 * got, so a port of 0 ends up the same number on both. */
static bool open_port(uint16_t port, bool natt, int v4_slot, int v6_slot,
                      uint16_t *bound)
{
	const char *what = natt ? "NAT-T" : "IKE";
	int err4 = 0, err6 = 0;

	socks[v4_slot] = open_socket(AF_INET, port, natt, &err4);
	if (socks[v4_slot])
		port = socks[v4_slot]->port;
	else
		log_error(DBG_NET, "net: cannot bind IPv4 UDP port %u for %s: %s",
		          port, what, strerror(err4));
	socks[v6_slot] = open_socket(AF_INET6, port, natt, &err6);
	if (socks[v6_slot])
		port = socks[v6_slot]->port;
	else if (err6 == EAFNOSUPPORT || err6 == EADDRNOTAVAIL)
		log_verbose(DBG_NET, "net: no IPv6 here (%s), %s on IPv4 only",
		            strerror(err6), what);
	else
		log_error(DBG_NET, "net: cannot bind IPv6 UDP port %u for %s: %s",
		          port, what, strerror(err6));
	if (!socks[v4_slot] && !socks[v6_slot])
		return false;
	*bound = port;
	return true;
}

bool net_open(uint16_t ike_port, uint16_t natt_port)
{
	return net_bind(ike_port, natt_port) && net_start();
}

bool net_bind(uint16_t ike_port, uint16_t natt_port)
{
	bool ok;

	if (ike_port && ike_port == natt_port) {
		log_error(DBG_NET, "net: IKE and NAT-T ports must differ (both %u)",
		          ike_port);
		return false;
	}
	/* Reopening: the old receive threads go before their sockets. */
	stop_rx_threads();
	pthread_rwlock_wrlock(&sock_lock);
	close_all_locked();
	encap_active = true;
	ok = open_port(ike_port, false, SOCK_V4_IKE, SOCK_V6_IKE, &bound_ike_port) &&
	     open_port(natt_port, true, SOCK_V4_NATT, SOCK_V6_NATT, &bound_natt_port);
	pthread_rwlock_unlock(&sock_lock);
	if (!ok) {
		pthread_rwlock_wrlock(&sock_lock);
		close_all_locked();
		pthread_rwlock_unlock(&sock_lock);
	}
	return ok;
}

bool net_start(void)
{
	bool ok = bound_ike_port != 0;

	if (!ok)
		log_error(DBG_NET, "net: net_start before net_bind");
	/* One receive thread per worker the runtime started. */
	if (ok && !start_rx_threads(runtime_threads()))
		ok = false;
	if (!ok) {
		stop_rx_threads();
		pthread_rwlock_wrlock(&sock_lock);
		close_all_locked();
		pthread_rwlock_unlock(&sock_lock);
	}
	if (ok) {
		net_set_default_sender(socket_sender);
		esp_udp_set_sender(esp_udp_socket_send);
		atomic_store(&st_rx_packets, 0);
		atomic_store(&st_rx_dropped, 0);
		atomic_store(&st_rx_keepalives, 0);
		atomic_store(&st_rx_esp, 0);
		atomic_store(&st_tx_packets, 0);
		atomic_store(&st_tx_errors, 0);
		log_op(DBG_NET, "net: listening on UDP %u (IKE) and %u (NAT-T), "
		       "IPv4%s", bound_ike_port, bound_natt_port,
		       socks[SOCK_V6_IKE] ? " and IPv6" : " only");
	}
	return ok;
}

/* ---------------------------------------------- privilege separation */

int net_export_fds(int fds[NET_FD_SLOTS], bool *encap)
{
	int n = 0;

	pthread_rwlock_rdlock(&sock_lock);
	for (int i = 0; i < SOCK_COUNT; i++) {
		fds[i] = socks[i] ? socks[i]->fd : -1;
		n += socks[i] != NULL;
	}
	*encap = encap_active;
	pthread_rwlock_unlock(&sock_lock);
	return n;
}

bool net_adopt(const int fds[NET_FD_SLOTS], bool encap)
{
	bool ok = true;

	stop_rx_threads();
	pthread_rwlock_wrlock(&sock_lock);
	close_all_locked();
	for (int i = 0; i < SOCK_COUNT; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);

		if (fds[i] < 0)
			continue;
		if (getsockname(fds[i], (struct sockaddr *)&ss, &sslen) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
			log_error(DBG_NET, "net: descriptor %d from the parent is "
			          "not a bound UDP socket", fds[i]);
			ok = false;
			continue;
		}
		net_socket_t *s = xzalloc(sizeof(*s));
		s->fd = fds[i];
		s->family = ss.ss_family;
		s->natt = i == SOCK_V4_NATT || i == SOCK_V6_NATT;
		s->port = addr_get_port(&ss);
		socks[i] = s;
	}
	net_socket_t *ike = socks[SOCK_V4_IKE] ? socks[SOCK_V4_IKE] : socks[SOCK_V6_IKE];
	net_socket_t *natt = socks[SOCK_V4_NATT] ? socks[SOCK_V4_NATT] : socks[SOCK_V6_NATT];
	if (!ike || !natt)
		ok = false;
	bound_ike_port = ok ? ike->port : 0;
	bound_natt_port = ok ? natt->port : 0;
	encap_active = encap;
	if (!ok)
		close_all_locked();
	pthread_rwlock_unlock(&sock_lock);
	if (!ok)
		log_error(DBG_NET, "net: the parent did not hand over an IKE and a "
		          "NAT-T socket");
	return ok;
}

void net_esp_send_only(void)
{
	esp_udp_set_sender(esp_udp_socket_send);
}

void net_close(void)
{
	net_set_default_sender(NULL);
	esp_udp_set_sender(NULL);
	stop_rx_threads();
	pthread_rwlock_wrlock(&sock_lock);
	close_all_locked();
	pthread_rwlock_unlock(&sock_lock);
}

void net_get_ports(uint16_t *ike_port, uint16_t *natt_port)
{
	pthread_rwlock_rdlock(&sock_lock);
	if (ike_port)
		*ike_port = bound_ike_port;
	if (natt_port)
		*natt_port = bound_natt_port;
	pthread_rwlock_unlock(&sock_lock);
}

bool net_natt_encap(void)
{
	bool r;

	pthread_rwlock_rdlock(&sock_lock);
	r = bound_natt_port && encap_active;
	pthread_rwlock_unlock(&sock_lock);
	return r;
}

bool net_is_natt_port(uint16_t port)
{
	bool r;

	pthread_rwlock_rdlock(&sock_lock);
	r = bound_natt_port && port == bound_natt_port;
	pthread_rwlock_unlock(&sock_lock);
	return r;
}

void net_get_stats(net_stats_t *st)
{
	st->rx_packets = atomic_load(&st_rx_packets);
	st->rx_dropped = atomic_load(&st_rx_dropped);
	st->rx_keepalives = atomic_load(&st_rx_keepalives);
	st->rx_esp = atomic_load(&st_rx_esp);
	st->tx_packets = atomic_load(&st_tx_packets);
	st->tx_errors = atomic_load(&st_tx_errors);
}

/* ------------------------------------------------------------- receive */

/* Our address the datagram was sent to, from IP_PKTINFO/IPV6_PKTINFO. */
static void local_address(net_socket_t *s, struct msghdr *mh,
                          struct sockaddr_storage *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->ss_family = s->family;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)dst)->sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		           c->cmsg_type == IPV6_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)dst)->sin6_addr = pi.ipi6_addr;
		}
	}
	addr_set_port(dst, s->port);
}

static void drop(const char *why, size_t len, const struct sockaddr_storage *from,
                 const net_socket_t *s)
{
	char a[ADDR_STRLEN];

	atomic_fetch_add(&st_rx_dropped, 1);
	if (drop_log_allowed())
		log_op(DBG_NET, "net: dropped a datagram (%zu bytes read) from %s "
		       "on port %u: %s", len, addr_to_str(from, a, sizeof(a)),
		       s->port, why);
}

/* Look at one datagram and hand it to the receiver, or drop it. */
static void handle_datagram(net_socket_t *s, struct mmsghdr *m, uint8_t *buf)
{
	struct sockaddr_storage *from = m->msg_hdr.msg_name;
	size_t len = m->msg_len;
	packet_t *p;

	if ((m->msg_hdr.msg_flags & MSG_TRUNC) || len > NET_MAX_PACKET) {
		/* len is what fitted in the buffer, not the datagram's size */
		drop("oversized (more than " NET_MAX_PACKET_STR " bytes, the limit)",
		     len, from, s);
		return;
	}
	if (s->natt) {
		if (len == 1 && buf[0] == 0xff) {
			/* RFC 3948 §2.3 keepalive: only keeps the NAT open. */
			atomic_fetch_add(&st_rx_keepalives, 1);
			return;
		}
		if (len >= NON_ESP_MARKER_LEN && buf[0] == 0 && buf[1] == 0 &&
		    buf[2] == 0 && buf[3] == 0) {
			buf += NON_ESP_MARKER_LEN;
			len -= NON_ESP_MARKER_LEN;
		} else if (len >= 8) {
			/* ESP in UDP (non-zero SPI) the kernel did not take:
			 * for a backend doing ESP itself, or else (no SA for it,
			 * or no UDP_ENCAP) not ours to parse. */
			atomic_fetch_add(&st_rx_esp, 1);
			if (esp_udp_wanted()) {
				struct sockaddr_storage to;
				local_address(s, &m->msg_hdr, &to);
				esp_udp_deliver(buf, len, from, &to);
				return;
			}
			if (bus_log_enabled(DBG_NET, LVL_VERBOSE)) {
				char a[ADDR_STRLEN];
				log_verbose(DBG_NET, "net: ESP-in-UDP from %s left to "
				            "us by the kernel, dropped",
				            addr_to_str(from, a, sizeof(a)));
			}
			return;
		} else {
			drop("neither IKE (no non-ESP marker) nor ESP", len, from, s);
			return;
		}
	}
	if (len < IKE_HEADER_LEN) {
		drop("shorter than an IKE header (28 bytes)", len, from, s);
		return;
	}
	p = packet_create();
	p->src = *from;
	local_address(s, &m->msg_hdr, &p->dst);
	p->data = chunk_clone(chunk_create(buf, len));
	atomic_fetch_add(&st_rx_packets, 1);
	net_deliver(p);
}

/* Read what s has (up to RX_ROUNDS batches) and handle it here. */
static void drain(rx_thread_t *t, net_socket_t *s)
{
	for (int round = 0; round < RX_ROUNDS; round++) {
		int n;

		for (int i = 0; i < RX_BATCH; i++) {
			struct msghdr *mh = &t->msgs[i].msg_hdr;
			t->iov[i].iov_base = t->bufs + (size_t)i * RX_SLOT;
			t->iov[i].iov_len = RX_SLOT;
			mh->msg_name = &t->names[i];
			mh->msg_namelen = sizeof(t->names[i]);
			mh->msg_iov = &t->iov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = t->ctl[i].buf;
			mh->msg_controllen = sizeof(t->ctl[i].buf);
			mh->msg_flags = 0;
			t->msgs[i].msg_len = 0;
		}
		n = recvmmsg(s->fd, t->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_error(DBG_NET, "net: receive on port %u failed: %s",
				          s->port, strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++)
			handle_datagram(s, &t->msgs[i], t->bufs + (size_t)i * RX_SLOT);
		if (n < RX_BATCH)
			return;
	}
}

static void *rx_main(void *arg)
{
	rx_thread_t *t = arg;
	struct epoll_event evs[SOCK_COUNT + 1];

	for (;;) {
		int n = epoll_wait(t->epfd, evs, SOCK_COUNT + 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error(DBG_NET, "net: epoll_wait: %s", strerror(errno));
			break;
		}
		bool stop = false;
		for (int i = 0; i < n; i++)
			if (!evs[i].data.ptr)
				stop = true;
		if (stop)
			break;
		for (int i = 0; i < n && !atomic_load(&rx_stop); i++)
			drain(t, evs[i].data.ptr);
		if (atomic_load(&rx_stop))
			break;
	}
	return NULL;
}

/* ---------------------------------------------------------------- send */

/* Pick the socket for a packet's source port and the peer's family. */
static net_socket_t *pick_socket(int family, uint16_t sport)
{
	bool natt = bound_natt_port && sport == bound_natt_port;

	if (family == AF_INET)
		return socks[natt ? SOCK_V4_NATT : SOCK_V4_IKE];
	if (family == AF_INET6)
		return socks[natt ? SOCK_V6_NATT : SOCK_V6_IKE];
	return NULL;
}

/* Ask for src as the source address (unless it is any) in mh's control
 * data, kept in ctl. */
static void set_pktinfo(struct msghdr *mh, cmsg_buf_t *ctl,
                        const struct sockaddr_storage *src,
                        const struct sockaddr_storage *dst)
{
	struct cmsghdr *c;

	if (!src || src->ss_family != dst->ss_family || addr_is_any(src))
		return;
	memset(ctl, 0, sizeof(*ctl));
	mh->msg_control = ctl->buf;
	if (dst->ss_family == AF_INET) {
		struct in_pktinfo pi = {
			.ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr,
		};
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = {
			.ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr,
		};
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

/* Send iov from s to dst, from the address in src unless it is any. */
static bool send_from(net_socket_t *s, const struct sockaddr_storage *src,
                      const struct sockaddr_storage *dst, struct iovec *iov,
                      int iovcnt)
{
	cmsg_buf_t ctl;
	struct msghdr mh;
	ssize_t r;

	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = (void *)dst;
	mh.msg_namelen = addr_len(dst);
	mh.msg_iov = iov;
	mh.msg_iovlen = iovcnt;
	set_pktinfo(&mh, &ctl, src, dst);
	do {
		r = sendmsg(s->fd, &mh, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		atomic_fetch_add(&st_tx_errors, 1);
		log_error(DBG_NET, "net: sending from %s to %s failed: %s",
		          src ? addr_to_str(src, a, sizeof(a)) : "?",
		          addr_to_str(dst, b, sizeof(b)), strerror(errno));
		return false;
	}
	atomic_fetch_add(&st_tx_packets, 1);
	return true;
}

bool net_socket_send(packet_t *p)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];
	struct iovec iov[2];
	int iovcnt = 0;
	net_socket_t *s;
	bool ok = false;
	char a[ADDR_STRLEN];

	pthread_rwlock_rdlock(&sock_lock);
	s = pick_socket(p->dst.ss_family, addr_get_port(&p->src));
	if (!s) {
		log_error(DBG_NET, "net: no socket to send to %s from port %u%s",
		          addr_to_str(&p->dst, a, sizeof(a)), addr_get_port(&p->src),
		          bound_ike_port ? "" : " (sockets closed)");
	} else if (p->data.len == 0 || p->data.len > NET_MAX_PACKET - NON_ESP_MARKER_LEN) {
		log_error(DBG_NET, "net: refusing to send a %zu-byte packet to %s",
		          p->data.len, addr_to_str(&p->dst, a, sizeof(a)));
	} else {
		if (s->natt) {
			iov[iovcnt].iov_base = (void *)marker;
			iov[iovcnt++].iov_len = sizeof(marker);
		}
		iov[iovcnt].iov_base = p->data.ptr;
		iov[iovcnt++].iov_len = p->data.len;
		ok = send_from(s, &p->src, &p->dst, iov, iovcnt);
	}
	pthread_rwlock_unlock(&sock_lock);
	packet_destroy(p);
	return ok;
}

/* ESP in UDP for a backend doing ESP itself (<ikev2d/esp_udp.h>): from
 * the NAT-T socket of each datagram's family, no marker, in batches. */
#define ESP_TX_BATCH 64
/* UDP GSO (UDP_SEGMENT, Linux 4.18): a run of ESP datagrams of one SA -
 * the same addresses, all of one size but the last - goes down the stack
 * as one packet and is cut into datagrams at the device (or by the
 * receiver): one route lookup, one netfilter and one NAT pass for up to
 * ESP_GSO_SEGS datagrams instead of one each.  Off for good once the
 * kernel refuses it (an older kernel, a device without checksum offload:
 * EIO/EINVAL/ENOPROTOOPT); the run is then sent datagram by datagram. */
#define ESP_GSO_SEGS 64
#define ESP_GSO_BYTES 65000
static atomic_bool esp_gso_off;

static void add_udp_segment(struct msghdr *mh, cmsg_buf_t *ctl, uint16_t size)
{
	size_t used = mh->msg_control ? mh->msg_controllen : 0;
	struct cmsghdr *c;

	if (!mh->msg_control) {
		memset(ctl, 0, sizeof(*ctl));
		mh->msg_control = ctl->buf;
	}
	c = (struct cmsghdr *)(void *)(ctl->buf + used);
	c->cmsg_level = IPPROTO_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	mh->msg_controllen = used + CMSG_SPACE(sizeof(size));
}

static bool same_path(const esp_udp_datagram_t *a, const esp_udp_datagram_t *b)
{
	return addr_equals(&a->dst, &b->dst) &&
	       (addr_is_any(&a->src) ? addr_is_any(&b->src)
	                             : addr_ip_equals(&a->src, &b->src));
}

static size_t esp_udp_socket_send(const esp_udp_datagram_t *d, size_t n)
{
	struct mmsghdr msgs[ESP_TX_BATCH];
	struct iovec iov[ESP_TX_BATCH];
	cmsg_buf_t ctl[ESP_TX_BATCH];
	size_t segs[ESP_TX_BATCH];   /* datagrams in msgs[i] */
	size_t sent = 0;

	pthread_rwlock_rdlock(&sock_lock);
	while (sent < n) {
		net_socket_t *s = pick_socket(d[sent].dst.ss_family, bound_natt_port);
		size_t k = 0, m = 0;
		bool gso = !atomic_load_explicit(&esp_gso_off, memory_order_relaxed);

		if (!s || !bound_natt_port)
			break;
		/* a run of datagrams of one family goes in one call; with GSO
		 * a message holds a run of one SA's datagrams */
		while (k < ESP_TX_BATCH && sent + k < n &&
		       d[sent + k].dst.ss_family == s->family) {
			const esp_udp_datagram_t *e = &d[sent + k];
			struct msghdr *mh = &msgs[m].msg_hdr;
			size_t first = k, bytes = e->len;
			iov[k].iov_base = (void *)e->data;
			iov[k].iov_len = e->len;
			k++;
			while (gso && k < ESP_TX_BATCH && sent + k < n &&
			       k - first < ESP_GSO_SEGS &&
			       d[sent + k - 1].len == e->len && d[sent + k].len <= e->len &&
			       bytes + d[sent + k].len <= ESP_GSO_BYTES &&
			       same_path(e, &d[sent + k])) {
				iov[k].iov_base = (void *)d[sent + k].data;
				iov[k].iov_len = d[sent + k].len;
				bytes += d[sent + k].len;
				k++;
			}
			memset(mh, 0, sizeof(*mh));
			mh->msg_name = (void *)&e->dst;
			mh->msg_namelen = addr_len(&e->dst);
			mh->msg_iov = &iov[first];
			mh->msg_iovlen = k - first;
			set_pktinfo(mh, &ctl[m], &e->src, &e->dst);
			if (k - first > 1)
				add_udp_segment(mh, &ctl[m], (uint16_t)e->len);
			segs[m++] = k - first;
		}
		size_t done = 0;
		while (done < m) {
			int r = sendmmsg(s->fd, msgs + done, (unsigned)(m - done), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 && segs[done] > 1 &&
			    (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
				/* no UDP GSO here: from now on, and this batch
				 * again from the message that failed */
				if (!atomic_exchange(&esp_gso_off, true))
					log_op(DBG_NET, "net: UDP GSO refused (%s): ESP "
					       "datagrams are sent one by one",
					       strerror(errno));
				break;
			}
			if (r <= 0) {
				/* skip the one that failed, keep the rest going */
				atomic_fetch_add(&st_tx_errors, segs[done]);
				done++;
				continue;
			}
			done += (size_t)r;
		}
		for (size_t i = 0; i < done; i++)
			sent += segs[i];
		if (done < m)
			continue;   /* GSO just turned off: the rest again */
	}
	pthread_rwlock_unlock(&sock_lock);
	if (sent < n)
		log_verbose(DBG_NET, "net: no NAT-T socket for %zu ESP datagram%s",
		            n - sent, n - sent == 1 ? "" : "s");
	return sent;
}

bool net_send_keepalive(const struct sockaddr_storage *src,
                        const struct sockaddr_storage *dst)
{
	uint8_t ka = 0xff;
	struct iovec iov = { .iov_base = &ka, .iov_len = 1 };
	net_socket_t *s;
	bool ok = false;

	pthread_rwlock_rdlock(&sock_lock);
	s = pick_socket(dst->ss_family, bound_natt_port);
	if (s && bound_natt_port)
		ok = send_from(s, src, dst, &iov, 1);
	else
		log_error(DBG_NET, "net: no NAT-T socket for a keepalive");
	pthread_rwlock_unlock(&sock_lock);
	return ok;
}

bool net_get_source(const struct sockaddr_storage *dst,
                    struct sockaddr_storage *src)
{
	struct sockaddr_storage to = *dst;
	socklen_t len = sizeof(*src);
	int fd;
	char a[ADDR_STRLEN];

	if (!addr_len(dst))
		return false;
	if (!addr_get_port(&to))
		addr_set_port(&to, IKE_PORT);
	/* connect() on a UDP socket does the route lookup and sends nothing. */
	fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&to, addr_len(&to)) < 0 ||
	    getsockname(fd, (struct sockaddr *)src, &len) < 0) {
		log_error(DBG_NET, "net: no route to %s: %s",
		          addr_to_str(dst, a, sizeof(a)), strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	addr_set_port(src, 0);
	return true;
}
