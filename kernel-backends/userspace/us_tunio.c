/*
 * us_tunio.c - TUN reads and writes with a virtio_net_hdr, and the
 * coalescing of TCP segments on write (see us_tunio.h).
 */
#include "us_tunio.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "us_flow.h"

_Static_assert(sizeof(struct virtio_net_hdr) == US_VNET_HDR_LEN,
               "virtio_net_hdr size");

#define TCP_ACK 0x10
#define TCP_PSH 0x08
/* a merged packet stays below the IPv4 limit, in segments the kernel takes */
#define MERGE_MAX_LEN 65000
#define MERGE_MAX_SEGS 64

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One's complement sum of len bytes (big-endian 16-bit words), not
 * folded to 16 bits beyond what the 64-bit accumulator needs. */
static uint64_t csum64(const uint8_t *p, size_t len, uint64_t sum)
{
	while (len >= 4) {
		sum += get32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		sum += (uint32_t)get16(p) << 16;
		p += 2;
		len -= 2;
		if (len)
			sum += (uint32_t)p[0] << 8;
	} else if (len) {
		sum += (uint32_t)p[0] << 24;
	}
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ------------------------------------------------------------- read */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_CWR 0x80

bool us_tun_offload(int fd)
{
	return ioctl(fd, TUNSETOFFLOAD,
	             (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) == 0;
}

/* Complete a partial checksum: the field holds the pseudo header's sum. */
static us_vnet_err_t complete_csum(const struct virtio_net_hdr *h, uint8_t *buf,
                                   size_t n)
{
	size_t start = h->csum_start, at = start + h->csum_offset;
	if (start > n || at + 2 > n)
		return US_VNET_CSUM;
	uint16_t ck = (uint16_t)~fold(csum64(buf + start, n - start, 0));
	put16(buf + at, ck);
	return US_VNET_OK;
}

/* A TSO packet: the headers must be what the header says (the kernel's
 * own, but a segment is built from them, so nothing is taken on trust). */
static us_vnet_err_t parse_gso(const struct virtio_net_hdr *h, const uint8_t *p,
                               size_t n, size_t max_seg, us_gso_t *g)
{
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	size_t l4;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return US_VNET_CSUM;
	if (type == VIRTIO_NET_HDR_GSO_TCPV4) {
		if (n < 20 || p[0] >> 4 != 4)
			return US_VNET_GSO_TYPE;
		l4 = (size_t)(p[0] & 0x0f) * 4;
		if (l4 < 20 || l4 > n || p[9] != IPPROTO_TCP ||
		    (get16(p + 6) & 0x3fff) || get16(p + 2) != n)
			return US_VNET_HEADERS;
		g->family = AF_INET;
	} else if (type == VIRTIO_NET_HDR_GSO_TCPV6) {
		if (n < 40 || p[0] >> 4 != 6)
			return US_VNET_GSO_TYPE;
		/* the stack puts no extension header before TCP */
		l4 = 40;
		if (p[6] != IPPROTO_TCP || (size_t)get16(p + 4) + 40 != n)
			return US_VNET_HEADERS;
		g->family = AF_INET6;
	} else {
		return US_VNET_GSO_TYPE;
	}
	if (h->csum_start != l4 || h->csum_offset != 16)
		return US_VNET_CSUM;
	if (l4 + 20 > n)
		return US_VNET_HEADERS;
	size_t thl = (size_t)(p[l4 + 12] >> 4) * 4;
	/* a SYN or RST is never cut; a super-packet carries data */
	if (thl < 20 || l4 + thl >= n || (p[l4 + 13] & (TCP_SYN | TCP_RST)))
		return US_VNET_HEADERS;
	if (!h->gso_size || l4 + thl + h->gso_size > max_seg)
		return US_VNET_GSO_SIZE;
	g->l4 = l4;
	g->hlen = l4 + thl;
	g->mss = h->gso_size;
	g->len = n;
	g->n = (n - g->hlen + g->mss - 1) / g->mss;
	return US_VNET_OK;
}

us_vnet_err_t us_vnet_parse(const struct virtio_net_hdr *h, uint8_t *buf,
                            size_t n, size_t max_seg, us_gso_t *g)
{
	memset(g, 0, sizeof(*g));
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return parse_gso(h, buf, n, max_seg, g);
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return complete_csum(h, buf, n);
	return US_VNET_OK;
}

size_t us_gso_segment(const us_gso_t *g, const uint8_t *pkt, size_t k,
                      uint8_t *out)
{
	size_t off = g->hlen + k * g->mss, plen = g->len - off;
	uint8_t *tcp = out + g->l4;
	uint64_t sum;

	if (plen > g->mss)
		plen = g->mss;
	memcpy(out, pkt, g->hlen);
	memcpy(out + g->hlen, pkt + off, plen);
	size_t len = g->hlen + plen, l4len = len - g->l4;
	if (g->family == AF_INET) {
		put16(out + 2, (uint16_t)len);
		put16(out + 4, (uint16_t)(get16(pkt + 4) + k));   /* IP ID */
		put16(out + 10, 0);
		put16(out + 10, (uint16_t)~fold(csum64(out, g->l4, 0)));
		sum = csum64(out + 12, 8, 0);
	} else {
		put16(out + 4, (uint16_t)(len - 40));
		sum = csum64(out + 8, 32, 0);
	}
	uint32_t seq = get32(pkt + g->l4 + 4) + (uint32_t)(k * g->mss);
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	if (k + 1 < g->n)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (k > 0)
		tcp[13] &= (uint8_t)~TCP_CWR;
	/* the whole checksum: the pseudo header's (RFC 793, RFC 8200 §8.1) */
	sum += IPPROTO_TCP + l4len;
	put16(tcp + 16, 0);
	put16(tcp + 16, (uint16_t)~fold(csum64(tcp, l4len, sum)));
	return len;
}

ssize_t us_tun_read(int fd, uint8_t *buf, size_t max, size_t max_seg,
                    us_gso_t *g, us_vnet_err_t *err)
{
	struct virtio_net_hdr h;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = buf, .iov_len = max },
	};
	ssize_t n = readv(fd, iov, 2);
	us_vnet_err_t e;

	g->n = 0;
	if (n <= 0)
		return n;
	if ((size_t)n < sizeof(h))
		e = US_VNET_SHORT;
	else
		e = us_vnet_parse(&h, buf, (size_t)n - sizeof(h), max_seg, g);
	if (err)
		*err = e;
	if (e != US_VNET_OK)
		return -2;
	return n - (ssize_t)sizeof(h);
}

bool us_tun_write(int fd, const uint8_t *pkt, size_t len)
{
	struct virtio_net_hdr h;
	memset(&h, 0, sizeof(h));
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)pkt, .iov_len = len },
	};
	return writev(fd, iov, 2) >= 0;
}

/* ------------------------------------------------------------ merge */

/* What a merge needs of a TCP segment. */
typedef struct {
	bool tcp;           /* IPv4 without options, not a fragment, or IPv6
	                       without extension headers; TCP */
	bool checked;       /* checksum verified */
	bool csum_ok;
	bool v6;
	size_t ipl;         /* IP header length: 20 or 40 */
	size_t thl;         /* TCP header length */
	size_t plen;        /* payload bytes */
	uint32_t seq;
	uint8_t flags;
} seg_t;

static void parse_seg(const us_wpkt_t *w, seg_t *s)
{
	const uint8_t *p = w->pkt;

	memset(s, 0, sizeof(*s));
	if (w->len >= 40 && p[0] == 0x45 && p[9] == IPPROTO_TCP &&
	    !(get16(p + 6) & 0x3fff) && get16(p + 2) == w->len) {
		s->ipl = 20;
	} else if (w->len >= 60 && p[0] >> 4 == 6 && p[6] == IPPROTO_TCP &&
	           (size_t)get16(p + 4) + 40 == w->len) {
		s->ipl = 40;
		s->v6 = true;
	} else {
		return;
	}
	const uint8_t *t = p + s->ipl;
	size_t thl = (size_t)(t[12] >> 4) * 4;
	if (thl < 20 || s->ipl + thl > w->len)
		return;
	s->thl = thl;
	s->plen = w->len - s->ipl - thl;
	s->seq = get32(t + 4);
	s->flags = t[13];
	s->tcp = true;
}

/* The pseudo header's sum (RFC 793, RFC 8200 §8.1) for l4len bytes. */
static uint64_t pseudo_sum(const uint8_t *p, const seg_t *s, size_t l4len)
{
	uint64_t sum = s->v6 ? csum64(p + 8, 32, 0) : csum64(p + 12, 8, 0);
	return sum + IPPROTO_TCP + l4len;
}

static bool seg_csum_ok(const us_wpkt_t *w, seg_t *s)
{
	if (!s->checked) {
		size_t l4 = w->len - s->ipl;
		uint64_t sum = pseudo_sum(w->pkt, s, l4);
		sum = csum64(w->pkt + s->ipl, l4, sum);
		s->csum_ok = fold(sum) == 0xffff;
		s->checked = true;
	}
	return s->csum_ok;
}

/* Whether segment c continues the run that starts at f and ends at l
 * (same flow, header, options, ACK and window; the next sequence number;
 * the run's segments all of f's size, c no larger). */
static bool continues(const us_wpkt_t *fw, const seg_t *f, const seg_t *l,
                      const us_wpkt_t *cw, const seg_t *c, size_t run_len,
                      int run_n)
{
	const uint8_t *a = fw->pkt, *b = cw->pkt;

	if (!c->tcp || c->v6 != f->v6 || !c->plen || c->thl != f->thl ||
	    l->flags != TCP_ACK ||
	    (c->flags != TCP_ACK && c->flags != (TCP_ACK | TCP_PSH)) ||
	    l->plen != f->plen || c->plen > f->plen ||
	    c->seq != l->seq + (uint32_t)l->plen ||
	    run_len + c->plen > MERGE_MAX_LEN || run_n >= MERGE_MAX_SEGS)
		return false;
	if (f->v6) {
		/* version, traffic class, flow label; hop limit; addresses */
		if (memcmp(a, b, 4) != 0 || a[7] != b[7] ||
		    memcmp(a + 8, b + 8, 32) != 0)
			return false;
	} else if (a[1] != b[1] || a[8] != b[8] || memcmp(a + 12, b + 12, 8) != 0) {
		return false;   /* TOS, TTL, addresses */
	}
	const uint8_t *ta = a + f->ipl, *tb = b + f->ipl;
	/* ports; ACK number; window; options */
	return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 4) == 0 &&
	       memcmp(ta + 14, tb + 14, 2) == 0 &&
	       memcmp(ta + 20, tb + 20, f->thl - 20) == 0;
}

/* Write the run q->p[i..j) (j - i >= 2) as one GSO packet: the first
 * segment's headers with the total length, and the payloads after it. */
static bool write_run(int fd, us_wq_t *q, seg_t *segs, int i, int j)
{
	struct iovec iov[US_WQ_MAX + 1];
	struct virtio_net_hdr h;
	uint8_t *p = q->p[i].pkt;
	const seg_t *f = &segs[i];
	size_t total = q->p[i].len;
	int n = 0;

	iov[n].iov_base = &h;
	iov[n++].iov_len = sizeof(h);
	iov[n].iov_base = p;
	iov[n++].iov_len = q->p[i].len;
	for (int k = i + 1; k < j; k++) {
		iov[n].iov_base = q->p[k].pkt + segs[k].ipl + segs[k].thl;
		iov[n++].iov_len = segs[k].plen;
		total += segs[k].plen;
	}
	if (f->v6) {
		put16(p + 4, (uint16_t)(total - 40));   /* payload length */
	} else {
		/* IPv4 header: total length, checksum */
		put16(p + 2, (uint16_t)total);
		put16(p + 10, 0);
		put16(p + 10, (uint16_t)~fold(csum64(p, 20, 0)));
	}
	uint8_t *t = p + f->ipl;
	/* the last segment's PSH */
	t[13] = segs[j - 1].flags;
	/* a partial checksum: the pseudo header's sum, completed per
	 * segment if the packet is forwarded (segmented), trusted if it is
	 * delivered here (every segment's was verified) */
	put16(t + 16, fold(pseudo_sum(p, f, total - f->ipl)));
	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = f->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	h.hdr_len = (uint16_t)(f->ipl + f->thl);
	h.gso_size = (uint16_t)f->plen;
	h.csum_start = (uint16_t)f->ipl;
	h.csum_offset = 16;
	return writev(fd, iov, n) >= 0;
}

size_t us_wq_flush(int fd, us_wq_t *q, size_t *writes, size_t *merged)
{
	seg_t segs[US_WQ_MAX];
	size_t lost = 0, nw = 0, nm = 0;
	int i = 0;

	for (int k = 0; k < q->n; k++)
		parse_seg(&q->p[k], &segs[k]);
	while (i < q->n) {
		int j = i + 1;
		size_t run_len = q->p[i].len;
		if (segs[i].tcp && segs[i].plen && segs[i].flags == TCP_ACK) {
			while (j < q->n &&
			       continues(&q->p[i], &segs[i], &segs[j - 1], &q->p[j],
			                 &segs[j], run_len, j - i) &&
			       seg_csum_ok(&q->p[i], &segs[i]) &&
			       seg_csum_ok(&q->p[j], &segs[j])) {
				run_len += segs[j].plen;
				j++;
			}
		}
		bool ok;
		if (j - i >= 2) {
			ok = write_run(fd, q, segs, i, j);
			nm += (size_t)(j - i);
		} else
			ok = us_tun_write(fd, q->p[i].pkt, q->p[i].len);
		nw++;
		if (!ok)
			lost += (size_t)(j - i);
		i = j;
	}
	q->n = 0;
	if (writes)
		*writes = nw;
	if (merged)
		*merged = nm;
	return lost;
}
