/*
 * test_userspace_tso.c - unit tests of the userspace backend's TUN offload
 * code (kernel-backends/userspace/us_tunio.c):
 *
 *  - reads: the virtio_net_hdr of a packet the TUN hands over with
 *    TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6 - a partial checksum completed, a
 *    TSO super-packet cut into its segments (IPv4 and IPv6: lengths, IPv4
 *    ID and header checksum, sequence numbers, flags, full TCP checksums,
 *    the payload in order, the last segment short or full), every kind of
 *    malformed header refused with its reason;
 *  - writes: runs of TCP/IPv6 segments coalesced into one GSO packet as
 *    runs of TCP/IPv4 segments are (test_userspace_esp.c).
 *
 * Checksums are checked against us_fix_l4_checksum (a recomputation from
 * scratch over the parsed packet) and the IPv4 header sum, not against
 * the code under test.  A SOCK_SEQPACKET socketpair stands for the TUN:
 * it keeps each message whole, as the TUN keeps packets.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel-backends/userspace/us_flow.h"
#include "kernel-backends/userspace/us_tunio.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define TCP_CWR 0x80

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p + 2, (uint16_t)v);
}

/* Whether pkt's TCP checksum is right: a recomputation leaves it as is. */
static bool l4_csum_ok(const uint8_t *pkt, size_t len)
{
	static uint8_t copy[70000];
	us_flow_t f;

	ck_assert(us_flow_parse(pkt, len, &f));
	ck_assert_uint_eq(f.total_len, len);
	memcpy(copy, pkt, len);
	ck_assert(us_fix_l4_checksum(copy, &f));
	return memcmp(copy, pkt, len) == 0;
}

/* The payload byte at offset i of a stream: not periodic in the MSS, so
 * a segment cut at the wrong place shows. */
static uint8_t fill(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* A TCP super-packet as the stack hands it with TSO: IPv4 (DF, ID id)
 * with TCP options (timestamps, 32-byte header) or IPv6 (flow label,
 * 20-byte header); the checksum field holds the pseudo header's sum (a
 * partial checksum, left for the "device"). */
static size_t mk_tso(uint8_t *p, bool v6, uint32_t seq, uint8_t flags,
                     size_t plen, uint16_t id)
{
	size_t ipl = v6 ? 40 : 20, thl = v6 ? 20 : 32, len = ipl + thl + plen;

	memset(p, 0, ipl + thl);
	if (v6) {
		p[0] = 0x60; p[1] = 0x0a; p[2] = 0xbc; p[3] = 0xde;   /* flow label */
		p16(p + 4, (uint16_t)(len - 40));
		p[6] = IPPROTO_TCP; p[7] = 64;
		p[8] = 0xfd; p[11] = 0x89; p[13] = 1; p[23] = 1;      /* fd00:89:1::1 */
		p[24] = 0xfd; p[27] = 0x89; p[29] = 2; p[39] = 1;     /* fd00:89:2::1 */
	} else {
		p[0] = 0x45; p16(p + 2, (uint16_t)len); p16(p + 4, id);
		p[6] = 0x40; p[8] = 64; p[9] = IPPROTO_TCP;
		p[12] = 10; p[13] = 89; p[14] = 1; p[15] = 1;
		p[16] = 10; p[17] = 89; p[18] = 2; p[19] = 1;
		uint16_t ck = (uint16_t)~us_csum_add(0, p, 20);
		p16(p + 10, ck);
	}
	uint8_t *t = p + ipl;
	p16(t, 40000); p16(t + 2, 5201);
	p32(t + 4, seq);
	p32(t + 8, 0xa0b0c0d0);
	t[12] = (uint8_t)((thl / 4) << 4); t[13] = flags;
	p16(t + 14, 501);
	if (thl == 32) {
		t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10;   /* NOP NOP TS */
		p32(t + 24, 0x11223344); p32(t + 28, 0x55667788);
	}
	for (size_t i = 0; i < plen; i++)
		p[ipl + thl + i] = fill(i);
	/* the partial checksum the stack leaves (any value would do: the
	 * segments' are computed afresh) */
	uint8_t ph[40];
	size_t al = v6 ? 16 : 4;
	memcpy(ph, p + (v6 ? 8 : 12), 2 * al);
	memset(ph + 2 * al, 0, 8);
	p32(ph + 2 * al, (uint32_t)(len - ipl));
	ph[2 * al + 7] = IPPROTO_TCP;
	p16(t + 16, (uint16_t)us_csum_add(0, ph, 2 * al + 8));
	return len;
}

static struct virtio_net_hdr tso_hdr(bool v6, size_t hlen, uint16_t mss)
{
	struct virtio_net_hdr h;

	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	h.hdr_len = (uint16_t)hlen;
	h.gso_size = mss;
	h.csum_start = v6 ? 40 : 20;
	h.csum_offset = 16;
	return h;
}

/* Cut pkt and check every segment against what it must be. */
static void check_segments(const uint8_t *pkt, size_t len, bool v6, size_t mss,
                           size_t want_n, uint8_t flags)
{
	static uint8_t buf[70000], seg[70000];
	size_t ipl = v6 ? 40 : 20, thl = v6 ? 20 : 32, hlen = ipl + thl;
	size_t plen = len - hlen, got_payload = 0;
	struct virtio_net_hdr h = tso_hdr(v6, hlen, (uint16_t)mss);
	us_gso_t g;

	memcpy(buf, pkt, len);
	ck_assert_int_eq(us_vnet_parse(&h, buf, len, hlen + mss, &g), US_VNET_OK);
	ck_assert_mem_eq(buf, pkt, len);              /* left untouched */
	ck_assert_uint_eq(g.n, want_n);
	ck_assert_int_eq(g.family, v6 ? AF_INET6 : AF_INET);
	ck_assert_uint_eq(g.hlen, hlen);
	ck_assert_uint_eq(g.mss, mss);
	uint32_t seq0 = g32(pkt + ipl + 4);
	for (size_t k = 0; k < g.n; k++) {
		size_t want_pl = k + 1 < g.n ? mss : plen - k * mss;
		memset(seg, 0xee, hlen + mss + 16);
		size_t sl = us_gso_segment(&g, buf, k, seg);
		ck_assert_uint_eq(sl, hlen + want_pl);
		ck_assert_uint_eq(seg[hlen + mss], 0xee);   /* nothing beyond */
		if (v6) {
			ck_assert_uint_eq(g16(seg + 4), sl - 40);
			ck_assert_mem_eq(seg, pkt, 4);            /* flow label */
			ck_assert_mem_eq(seg + 6, pkt + 6, 34);   /* nh, hops, addrs */
		} else {
			ck_assert_uint_eq(g16(seg + 2), sl);
			ck_assert_uint_eq(g16(seg + 4), (uint16_t)(g16(pkt + 4) + k));
			ck_assert_uint_eq(us_csum_add(0, seg, 20), 0xffff);
			ck_assert_mem_eq(seg + 6, pkt + 6, 4);    /* DF, TTL, proto */
			ck_assert_mem_eq(seg + 12, pkt + 12, 8);
		}
		const uint8_t *t = seg + ipl, *ot = pkt + ipl;
		ck_assert_mem_eq(t, ot, 4);                   /* ports */
		ck_assert_uint_eq(g32(t + 4), (uint32_t)(seq0 + k * mss));
		ck_assert_mem_eq(t + 8, ot + 8, 5);           /* ACK, offset */
		uint8_t wf = flags;
		if (k + 1 < g.n)
			wf &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (k > 0)
			wf &= (uint8_t)~TCP_CWR;
		ck_assert_uint_eq(t[13], wf);
		ck_assert_mem_eq(t + 14, ot + 14, 2);         /* window */
		ck_assert_mem_eq(t + 18, ot + 18, thl - 18);  /* urg, options */
		ck_assert(l4_csum_ok(seg, sl));
		ck_assert_mem_eq(seg + hlen, pkt + hlen + k * mss, want_pl);
		got_payload += want_pl;
	}
	ck_assert_uint_eq(got_payload, plen);
}

START_TEST(test_tso_ipv4)
{
	static uint8_t p[70000];
	uint8_t all = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR | TCP_ECE;

	/* a short last segment; the sequence number wraps on the way */
	size_t n = mk_tso(p, false, 0xffffff00, all, 5 * 100 + 37, 0xfffe);
	check_segments(p, n, false, 100, 6, all);
	/* the payload an exact multiple: the last segment full */
	n = mk_tso(p, false, 1, TCP_ACK | TCP_PSH, 4 * 1348, 7);
	check_segments(p, n, false, 1348, 4, TCP_ACK | TCP_PSH);
	/* what the stack hands with a 1400-byte MTU: 64 KB, 49 segments */
	n = mk_tso(p, false, 12345, TCP_ACK, 65535 - 52, 100);
	check_segments(p, n, false, 1348, 49, TCP_ACK);
	/* no more than one segment: cut into one, checksum completed */
	n = mk_tso(p, false, 99, TCP_ACK | TCP_FIN, 80, 1);
	check_segments(p, n, false, 100, 1, TCP_ACK | TCP_FIN);
}
END_TEST

START_TEST(test_tso_ipv6)
{
	static uint8_t p[70000];
	uint8_t all = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;

	size_t n = mk_tso(p, true, 0xfffffff0, all, 3 * 1000 + 1, 0);
	check_segments(p, n, true, 1000, 4, all);
	n = mk_tso(p, true, 5, TCP_ACK | TCP_PSH, 3 * 1000, 0);
	check_segments(p, n, true, 1000, 3, TCP_ACK | TCP_PSH);
	n = mk_tso(p, true, 77, TCP_ACK, 65535 - 20, 0);
	check_segments(p, n, true, 1340, 49, TCP_ACK);
}
END_TEST

/* Every malformed header or packet under it is refused, with its reason,
 * before anything is cut from it. */
START_TEST(test_vnet_refused)
{
	static uint8_t p[4096], q[4096];
	struct virtio_net_hdr h;
	us_gso_t g;
	size_t n4 = mk_tso(q, false, 1, TCP_ACK, 500, 1);
#define REFUSED(v6, len, max, want) do {                                   \
	ck_assert_int_eq(us_vnet_parse(&h, p, (len), (max), &g), (want));  \
	ck_assert_uint_eq(g.n, 0);                                          \
} while (0)
#define RESET4() do { memcpy(p, q, n4); h = tso_hdr(false, 52, 100); } while (0)

	RESET4();
	ck_assert_int_eq(us_vnet_parse(&h, p, n4, 1400, &g), US_VNET_OK);
	ck_assert_uint_eq(g.n, 5);
	/* GSO types: UDP (never asked for), unknown, the wrong IP version */
	RESET4(); h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	REFUSED(false, n4, 1400, US_VNET_GSO_TYPE);
	RESET4(); h.gso_type = 5;
	REFUSED(false, n4, 1400, US_VNET_GSO_TYPE);
	RESET4(); h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	REFUSED(false, n4, 1400, US_VNET_GSO_TYPE);
	/* ECN is a flag on TCPv4, accepted */
	RESET4(); h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	ck_assert_int_eq(us_vnet_parse(&h, p, n4, 1400, &g), US_VNET_OK);
	/* the checksum: not partial, or not at TCP's */
	RESET4(); h.flags = 0;
	REFUSED(false, n4, 1400, US_VNET_CSUM);
	RESET4(); h.csum_start = 24;
	REFUSED(false, n4, 1400, US_VNET_CSUM);
	RESET4(); h.csum_offset = 6;
	REFUSED(false, n4, 1400, US_VNET_CSUM);
	/* the IPv4 header: length, fragment, protocol, IHL, cut short */
	RESET4(); p16(p + 2, (uint16_t)(n4 - 1));
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p[6] |= 0x20;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p16(p + 6, 0x0001);
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p[9] = IPPROTO_UDP;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p[0] = 0x44;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4();
	REFUSED(false, 19, 1400, US_VNET_GSO_TYPE);
	RESET4(); p16(p + 2, 30);
	REFUSED(false, 30, 1400, US_VNET_HEADERS);
	/* options: the checksum then is not at 20 */
	RESET4(); p[0] = 0x46;
	REFUSED(false, n4, 1400, US_VNET_CSUM);
	/* TCP: header length below 20 or beyond the packet, no payload,
	 * SYN or RST */
	RESET4(); p[32] = 4 << 4;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p[32] = 15 << 4; p16(p + 2, 70);
	REFUSED(false, 70, 1400, US_VNET_HEADERS);
	RESET4(); p16(p + 2, 52);
	REFUSED(false, 52, 1400, US_VNET_HEADERS);
	RESET4(); p[33] |= TCP_SYN;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	RESET4(); p[33] |= 0x04;
	REFUSED(false, n4, 1400, US_VNET_HEADERS);
	/* the segment size: 0, or segments over the MTU */
	RESET4(); h.gso_size = 0;
	REFUSED(false, n4, 1400, US_VNET_GSO_SIZE);
	RESET4(); h.gso_size = 1349;
	REFUSED(false, n4, 1400, US_VNET_GSO_SIZE);
	RESET4(); h.gso_size = 1348;
	ck_assert_int_eq(us_vnet_parse(&h, p, n4, 1400, &g), US_VNET_OK);
	ck_assert_uint_eq(g.n, 1);

	/* IPv6: a length that disagrees, an extension header first, a
	 * packet too short for the header, TCPv4 on it */
	size_t n6 = mk_tso(q, true, 1, TCP_ACK, 500, 0);
#define RESET6() do { memcpy(p, q, n6); h = tso_hdr(true, 60, 100); } while (0)
	RESET6();
	ck_assert_int_eq(us_vnet_parse(&h, p, n6, 1400, &g), US_VNET_OK);
	ck_assert_uint_eq(g.n, 5);
	RESET6(); p16(p + 4, (uint16_t)(n6 - 41));
	REFUSED(true, n6, 1400, US_VNET_HEADERS);
	RESET6(); p[6] = 0;   /* hop-by-hop options */
	REFUSED(true, n6, 1400, US_VNET_HEADERS);
	RESET6();
	REFUSED(true, 39, 1400, US_VNET_GSO_TYPE);
	RESET6(); h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	REFUSED(true, n6, 1400, US_VNET_GSO_TYPE);
	RESET6(); h.csum_start = 20;
	REFUSED(true, n6, 1400, US_VNET_CSUM);

	/* not GSO, checksum partial: the start or field beyond the packet */
	RESET4(); memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)(n4 + 1);
	REFUSED(false, n4, 1400, US_VNET_CSUM);
	h.csum_start = 20; h.csum_offset = (uint16_t)(n4 - 21);
	REFUSED(false, n4, 1400, US_VNET_CSUM);
#undef REFUSED
#undef RESET4
#undef RESET6
}
END_TEST

/* Through the read call: what a TUN with offload hands over. */
static ssize_t send_vnet(int fd, const struct virtio_net_hdr *h,
                         const uint8_t *p, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)p, .iov_len = len },
	};
	return writev(fd, iov, 2);
}

START_TEST(test_tun_read_offload)
{
	static uint8_t p[70000], buf[70000];
	us_gso_t g;
	us_vnet_err_t why;
	int sv[2];
	int bufsz = 1 << 20;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	/* a TSO packet: its length, and how to cut it */
	size_t n = mk_tso(p, false, 1000, TCP_ACK | TCP_PSH, 30000, 3);
	struct virtio_net_hdr h = tso_hdr(false, 52, 1348);
	ck_assert_int_eq(send_vnet(sv[0], &h, p, n), (ssize_t)(sizeof(h) + n));
	ck_assert_int_eq(us_tun_read(sv[1], buf, sizeof(buf), 1400, &g, &why),
	                 (ssize_t)n);
	ck_assert_int_eq(why, US_VNET_OK);
	ck_assert_uint_eq(g.n, 23);
	ck_assert_uint_eq(g.len, n);
	/* a whole packet with a partial checksum: completed */
	n = mk_tso(p, false, 1000, TCP_ACK | TCP_PSH, 900, 3);
	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 20;
	h.csum_offset = 16;
	ck_assert(!l4_csum_ok(p, n));
	ck_assert_int_eq(send_vnet(sv[0], &h, p, n), (ssize_t)(sizeof(h) + n));
	ck_assert_int_eq(us_tun_read(sv[1], buf, sizeof(buf), 1400, &g, &why),
	                 (ssize_t)n);
	ck_assert_uint_eq(g.n, 0);
	ck_assert(l4_csum_ok(buf, n));
	/* shorter than the header; then a refused GSO type */
	ck_assert_int_eq(write(sv[0], p, 5), 5);
	ck_assert_int_eq(us_tun_read(sv[1], buf, sizeof(buf), 1400, &g, &why), -2);
	ck_assert_int_eq(why, US_VNET_SHORT);
	h = tso_hdr(false, 52, 100);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	ck_assert_int_eq(send_vnet(sv[0], &h, p, n), (ssize_t)(sizeof(h) + n));
	ck_assert_int_eq(us_tun_read(sv[1], buf, sizeof(buf), 1400, &g, &why), -2);
	ck_assert_int_eq(why, US_VNET_GSO_TYPE);
	ck_assert_uint_eq(g.n, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Segments cut from a TSO packet, written back through the coalescing
 * queue, come out as that packet again (the receiver's view): IPv6. */
START_TEST(test_tun_coalesce_ipv6)
{
	static uint8_t p[8192], segs[6][2048], orig[5][2048], m[16384];
	us_wq_t q = { .n = 0 };
	us_gso_t g;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	size_t n = mk_tso(p, true, 7000, TCP_ACK | TCP_PSH, 4 * 1000 + 300, 0);
	struct virtio_net_hdr h = tso_hdr(true, 60, 1000);
	ck_assert_int_eq(us_vnet_parse(&h, p, n, 1400, &g), US_VNET_OK);
	ck_assert_uint_eq(g.n, 5);
	for (size_t k = 0; k < g.n; k++) {
		size_t sl = us_gso_segment(&g, p, k, segs[k]);
		memcpy(orig[k], segs[k], sl);   /* the flush writes the first's */
		ck_assert(us_wq_add(&q, segs[k], sl));
	}
	/* one more of another flow (flow label): alone */
	size_t sl = us_gso_segment(&g, p, 0, segs[5]);
	segs[5][3] ^= 1;
	ck_assert(us_wq_add(&q, segs[5], sl));
	size_t writes = 0, merged = 0;
	ck_assert_uint_eq(us_wq_flush(sv[0], &q, &writes, &merged), 0);
	ck_assert_uint_eq(writes, 2);
	ck_assert_uint_eq(merged, 5);

	ssize_t k = read(sv[1], m, sizeof(m));
	struct virtio_net_hdr w;
	ck_assert_int_eq(k, (ssize_t)(sizeof(w) + n));
	memcpy(&w, m, sizeof(w));
	ck_assert_uint_eq(w.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	ck_assert_uint_eq(w.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(w.gso_size, 1000);
	ck_assert_uint_eq(w.hdr_len, 60);
	ck_assert_uint_eq(w.csum_start, 40);
	ck_assert_uint_eq(w.csum_offset, 16);
	/* the same headers (payload length, PSH, partial checksum = the
	 * pseudo header's sum, as mk_tso leaves it) and payload */
	ck_assert_mem_eq(m + sizeof(w), p, n);
	/* and cutting that again gives the segments back */
	us_gso_t g2;
	ck_assert_int_eq(us_vnet_parse(&w, m + sizeof(w), n, 1400, &g2), US_VNET_OK);
	for (size_t s = 0; s < g2.n; s++) {
		uint8_t again[2048];
		size_t al = us_gso_segment(&g2, m + sizeof(w), s, again);
		ck_assert_mem_eq(again, orig[s], al);
	}
	k = read(sv[1], m, sizeof(m));
	ck_assert_int_eq(k, (ssize_t)(sizeof(w) + sl));
	memcpy(&w, m, sizeof(w));
	ck_assert_uint_eq(w.gso_type | w.flags, 0);
	/* a segment with a bad checksum breaks the run */
	for (size_t s = 0; s < 3; s++) {
		sl = us_gso_segment(&g, p, s, segs[s]);
		ck_assert(us_wq_add(&q, segs[s], sl));
	}
	segs[1][100] ^= 0x40;
	ck_assert_uint_eq(us_wq_flush(sv[0], &q, &writes, &merged), 0);
	ck_assert_uint_eq(writes, 3);
	ck_assert_uint_eq(merged, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("userspace-tso");
	TCase *tc = tcase_create("tso");

	tcase_add_test(tc, test_tso_ipv4);
	tcase_add_test(tc, test_tso_ipv6);
	tcase_add_test(tc, test_vnet_refused);
	tcase_add_test(tc, test_tun_read_offload);
	tcase_add_test(tc, test_tun_coalesce_ipv6);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
