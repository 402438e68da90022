/*
 * us_tunio.c - TUN reads and writes with a virtio_net_hdr, and the
 * coalescing of TCP segments on write (see us_tunio.h).
 */
#include "us_tunio.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
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

ssize_t us_tun_read(int fd, uint8_t *buf, size_t max)
{
	struct virtio_net_hdr h;
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = buf, .iov_len = max },
	};
	ssize_t n = readv(fd, iov, 2);

	if (n <= 0)
		return n;
	if ((size_t)n < sizeof(h))
		return -2;
	n -= (ssize_t)sizeof(h);
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return -2;
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* the field holds the pseudo header's sum: complete it */
		size_t start = h.csum_start, at = start + h.csum_offset;
		if (start > (size_t)n || at + 2 > (size_t)n)
			return -2;
		uint16_t ck = (uint16_t)~fold(csum64(buf + start, (size_t)n - start, 0));
		put16(buf + at, ck);
	}
	return n;
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

/* What a merge needs of a TCP/IPv4 segment. */
typedef struct {
	bool tcp4;          /* IPv4 without options, not a fragment, TCP */
	bool checked;       /* checksum verified */
	bool csum_ok;
	size_t thl;         /* TCP header length */
	size_t plen;        /* payload bytes */
	uint32_t seq;
	uint8_t flags;
} seg_t;

static void parse_seg(const us_wpkt_t *w, seg_t *s)
{
	const uint8_t *p = w->pkt;

	memset(s, 0, sizeof(*s));
	if (w->len < 40 || p[0] != 0x45 || p[9] != IPPROTO_TCP ||
	    (get16(p + 6) & 0x3fff) || get16(p + 2) != w->len)
		return;
	size_t thl = (size_t)(p[32] >> 4) * 4;
	if (thl < 20 || 20 + thl > w->len)
		return;
	s->thl = thl;
	s->plen = w->len - 20 - thl;
	s->seq = get32(p + 24);
	s->flags = p[33];
	s->tcp4 = true;
}

static bool seg_csum_ok(const us_wpkt_t *w, seg_t *s)
{
	if (!s->checked) {
		const uint8_t *p = w->pkt;
		size_t l4 = w->len - 20;
		uint64_t sum = csum64(p + 12, 8, 0);     /* addresses */
		sum += IPPROTO_TCP + l4;
		sum = csum64(p + 20, l4, sum);
		s->csum_ok = fold(sum) == 0xffff;
		s->checked = true;
	}
	return s->csum_ok;
}

/* Whether segment c continues the run that starts at f and ends at l
 * (same flow, header, options, ACK and window; the next sequence number;
 * the run's segments all of f's size, c no larger). */
static bool continues(const us_wpkt_t *fw, const seg_t *f,
                      const us_wpkt_t *lw, const seg_t *l,
                      const us_wpkt_t *cw, const seg_t *c, size_t run_len,
                      int run_n)
{
	const uint8_t *a = fw->pkt, *b = cw->pkt;

	(void)lw;
	if (!c->tcp4 || !c->plen || c->thl != f->thl || l->flags != TCP_ACK ||
	    (c->flags != TCP_ACK && c->flags != (TCP_ACK | TCP_PSH)) ||
	    l->plen != f->plen || c->plen > f->plen ||
	    c->seq != l->seq + (uint32_t)l->plen ||
	    run_len + c->plen > MERGE_MAX_LEN || run_n >= MERGE_MAX_SEGS)
		return false;
	/* TOS, TTL, addresses; ports; ACK number; window; options */
	return a[1] == b[1] && a[8] == b[8] && memcmp(a + 12, b + 12, 8) == 0 &&
	       memcmp(a + 20, b + 20, 4) == 0 && memcmp(a + 28, b + 28, 4) == 0 &&
	       memcmp(a + 34, b + 34, 2) == 0 &&
	       memcmp(a + 40, b + 40, f->thl - 20) == 0;
}

/* Write the run q->p[i..j) (j - i >= 2) as one GSO packet: the first
 * segment's headers with the total length, and the payloads after it. */
static bool write_run(int fd, us_wq_t *q, seg_t *segs, int i, int j)
{
	struct iovec iov[US_WQ_MAX + 1];
	struct virtio_net_hdr h;
	uint8_t *p = q->p[i].pkt;
	size_t total = q->p[i].len;
	int n = 0;

	iov[n].iov_base = &h;
	iov[n++].iov_len = sizeof(h);
	iov[n].iov_base = p;
	iov[n++].iov_len = q->p[i].len;
	for (int k = i + 1; k < j; k++) {
		iov[n].iov_base = q->p[k].pkt + 20 + segs[k].thl;
		iov[n++].iov_len = segs[k].plen;
		total += segs[k].plen;
	}
	/* IPv4 header: total length, checksum */
	put16(p + 2, (uint16_t)total);
	put16(p + 10, 0);
	put16(p + 10, (uint16_t)~fold(csum64(p, 20, 0)));
	/* the last segment's PSH */
	p[33] = segs[j - 1].flags;
	/* a partial checksum: the pseudo header's sum, completed per
	 * segment if the packet is forwarded (segmented), trusted if it is
	 * delivered here (every segment's was verified) */
	uint64_t ph = csum64(p + 12, 8, 0) + IPPROTO_TCP + (total - 20);
	put16(p + 36, fold(ph));
	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.hdr_len = (uint16_t)(20 + segs[i].thl);
	h.gso_size = (uint16_t)segs[i].plen;
	h.csum_start = 20;
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
		if (segs[i].tcp4 && segs[i].plen && segs[i].flags == TCP_ACK) {
			while (j < q->n &&
			       continues(&q->p[i], &segs[i], &q->p[j - 1], &segs[j - 1],
			                 &q->p[j], &segs[j], run_len, j - i) &&
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
