/*
 * us_flow.c - IP header parsing for policy lookups and selector matching
 * (see us_flow.h).
 */
#include "us_flow.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IP6_HDR_LEN 40
/* IPv6 extension headers skipped before the upper layer, at most. */
#define IP6_MAX_EXT 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ports (or ICMP type/code) of the upper layer at l4, if present. */
static void parse_ports(us_flow_t *f, const uint8_t *l4, size_t left)
{
	switch (f->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (left >= 4) {
			f->sport = get16(l4);
			f->dport = get16(l4 + 2);
			f->have_ports = true;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* RFC 7296 §3.13.1: type and code as one 16-bit "port" */
		if (left >= 2) {
			f->sport = f->dport = get16(l4);
			f->have_ports = true;
		}
		break;
	default:
		break;
	}
}

static bool parse_v4(const uint8_t *pkt, size_t len, us_flow_t *f)
{
	size_t ihl, total;

	if (len < 20)
		return false;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total = get16(pkt + 2);
	if (ihl < 20 || total < ihl || total > len)
		return false;
	f->family = AF_INET;
	memcpy(f->src, pkt + 12, 4);
	memcpy(f->dst, pkt + 16, 4);
	f->proto = pkt[9];
	f->hdr_len = ihl;
	f->total_len = total;
	/* a non-first fragment has no upper-layer header */
	if ((get16(pkt + 6) & 0x1fff) == 0)
		parse_ports(f, pkt + ihl, total - ihl);
	return true;
}

static bool parse_v6(const uint8_t *pkt, size_t len, us_flow_t *f)
{
	size_t total, off = IP6_HDR_LEN;
	uint8_t nh;
	bool first_frag = true;

	if (len < IP6_HDR_LEN)
		return false;
	total = IP6_HDR_LEN + get16(pkt + 4);
	if (total > len)
		return false;
	f->family = AF_INET6;
	memcpy(f->src, pkt + 8, 16);
	memcpy(f->dst, pkt + 24, 16);
	nh = pkt[6];
	for (int i = 0; i < IP6_MAX_EXT; i++) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS) {
			if (off + 8 > total)
				return false;
			size_t elen = ((size_t)pkt[off + 1] + 1) * 8;
			nh = pkt[off];
			off += elen;
			if (off > total)
				return false;
		} else if (nh == IPPROTO_FRAGMENT) {
			if (off + 8 > total)
				return false;
			first_frag = (get16(pkt + off + 2) & 0xfff8) == 0;
			nh = pkt[off];
			off += 8;
		} else {
			break;
		}
	}
	f->proto = nh;
	f->hdr_len = off;
	f->total_len = total;
	if (first_frag)
		parse_ports(f, pkt + off, total - off);
	return true;
}

bool us_flow_parse(const uint8_t *pkt, size_t len, us_flow_t *f)
{
	memset(f, 0, sizeof(*f));
	if (len < 1)
		return false;
	switch (pkt[0] >> 4) {
	case 4: return parse_v4(pkt, len, f);
	case 6: return parse_v6(pkt, len, f);
	default: return false;
	}
}

static bool ts_match(const kernel_ts_t *ts, const us_flow_t *f,
                     const uint8_t *addr, uint16_t port)
{
	size_t al = f->family == AF_INET6 ? 16 : 4;

	if (ts->family != f->family)
		return false;
	if (memcmp(addr, ts->from, al) < 0 || memcmp(addr, ts->to, al) > 0)
		return false;
	if (ts->proto && ts->proto != f->proto)
		return false;
	if (ts->port_from == 0 && ts->port_to == 0xffff)
		return true;
	/* a selector narrowed to ports needs a packet that has them */
	return f->have_ports && port >= ts->port_from && port <= ts->port_to;
}

bool us_ts_match_src(const kernel_ts_t *ts, const us_flow_t *f)
{
	return ts_match(ts, f, f->src, f->sport);
}

bool us_ts_match_dst(const kernel_ts_t *ts, const us_flow_t *f)
{
	return ts_match(ts, f, f->dst, f->dport);
}

/* log2 of the number of addresses in [from, to], roughly: 8 bits per byte
 * from the first that differs. */
static double addr_breadth(const kernel_ts_t *ts)
{
	size_t al = ts->family == AF_INET6 ? 16 : 4;

	for (size_t i = 0; i < al; i++)
		if (ts->from[i] != ts->to[i]) {
			unsigned d = (unsigned)(ts->to[i] - ts->from[i]) + 1;
			double b = 0;
			while (d > 1) {
				d >>= 1;
				b += 1;
			}
			return b + 8.0 * (double)(al - i - 1);
		}
	return 0;
}

double us_ts_breadth(const kernel_ts_t *src, const kernel_ts_t *dst)
{
	/* destination first (the route), then source, protocol, ports */
	double b = addr_breadth(dst) * 1000.0 + addr_breadth(src) * 4.0;
	if (!dst->proto)
		b += 2;
	if (dst->port_to - dst->port_from == 0xffff)
		b += 1;
	if (src->port_to - src->port_from == 0xffff)
		b += 1;
	return b;
}

typedef unsigned __int128 u128;

static u128 load_addr(const uint8_t *a, size_t al)
{
	u128 v = 0;
	for (size_t i = 0; i < al; i++)
		v = v << 8 | a[i];
	return v;
}

static void store_addr(u128 v, uint8_t *a, size_t al)
{
	for (size_t i = al; i-- > 0;) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static u128 low_mask(unsigned k)
{
	return k >= 128 ? ~(u128)0 : ((u128)1 << k) - 1;
}

int us_range_to_prefixes(int family, const uint8_t *from, const uint8_t *to,
                         us_prefix_t *out, int max)
{
	size_t al = family == AF_INET6 ? 16 : 4;
	unsigned bits = (unsigned)al * 8;
	u128 cur = load_addr(from, al), end = load_addr(to, al);
	int n = 0;

	if (cur > end)
		return 0;
	for (;;) {
		unsigned k = 0;
		/* the largest aligned block starting at cur that ends by end */
		while (k < bits && !(cur & low_mask(k + 1)) &&
		       (cur | low_mask(k + 1)) <= end)
			k++;
		if (n >= max)
			return max + 1;
		store_addr(cur, out[n].addr, al);
		out[n].plen = (uint8_t)(bits - k);
		n++;
		u128 last = cur | low_mask(k);
		if (last >= end)
			break;
		cur = last + 1;
	}
	return n;
}

uint32_t us_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

bool us_fix_l4_checksum(uint8_t *pkt, const us_flow_t *f)
{
	size_t off, l4len = f->total_len - f->hdr_len, al;
	uint8_t *l4 = pkt + f->hdr_len, pseudo[8];
	uint32_t sum;

	if (f->proto == IPPROTO_TCP) {
		off = 16;
		if (l4len < 20)
			return false;
	} else if (f->proto == IPPROTO_UDP) {
		off = 6;
		if (l4len < 8)
			return false;
		if (f->family == AF_INET && l4[6] == 0 && l4[7] == 0)
			return true;   /* no checksum */
	} else {
		return true;
	}
	if (f->family == AF_INET) {
		/* a non-first fragment holds no L4 header; a first one only
		 * part of the segment: the receiver must reassemble first */
		uint16_t frag = get16(pkt + 6);
		if (frag & 0x3fff)
			return true;
	} else if (!f->have_ports) {
		return true;
	}
	al = f->family == AF_INET ? 4 : 16;
	l4[off] = l4[off + 1] = 0;
	sum = us_csum_add(0, f->src, al);
	sum = us_csum_add(sum, f->dst, al);
	/* pseudo header: length and protocol (RFC 793, RFC 8200 §8.1) */
	pseudo[0] = (uint8_t)(l4len >> 24);
	pseudo[1] = (uint8_t)(l4len >> 16);
	pseudo[2] = (uint8_t)(l4len >> 8);
	pseudo[3] = (uint8_t)l4len;
	pseudo[4] = pseudo[5] = pseudo[6] = 0;
	pseudo[7] = f->proto;
	sum = us_csum_add(sum, pseudo, 8);
	sum = us_csum_add(sum, l4, l4len);
	uint16_t ck = (uint16_t)~sum;
	if (ck == 0 && f->proto == IPPROTO_UDP)
		ck = 0xffff;   /* zero means "none" for UDP */
	l4[off] = (uint8_t)(ck >> 8);
	l4[off + 1] = (uint8_t)ck;
	return true;
}

bool us_adjust_l4_checksum(uint8_t *pkt, const us_flow_t *f,
                           const uint8_t *oa_src, const uint8_t *oa_dst)
{
	size_t off, l4len = f->total_len - f->hdr_len;
	size_t al = f->family == AF_INET ? 4 : 16;
	uint8_t *l4 = pkt + f->hdr_len;

	if (f->proto == IPPROTO_TCP)
		off = 16;
	else if (f->proto == IPPROTO_UDP)
		off = 6;
	else
		return true;
	if (f->family == AF_INET) {
		if (get16(pkt + 6) & 0x1fff)
			return true;   /* not the first fragment: no L4 header */
	} else if (!f->have_ports) {
		return true;
	}
	if (l4len < off + 2)
		return false;
	uint16_t hc = get16(l4 + off);
	if (f->proto == IPPROTO_UDP && f->family == AF_INET && hc == 0)
		return true;   /* no checksum */
	uint32_t old = us_csum_add(us_csum_add(0, oa_src, al), oa_dst, al);
	uint32_t now = us_csum_add(us_csum_add(0, f->src, al), f->dst, al);
	if (old == now)
		return true;
	/* HC' = ~(~HC + ~m + m') */
	uint32_t sum = (uint32_t)(uint16_t)~hc + (uint16_t)~old + now;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t ck = (uint16_t)~sum;
	if (ck == 0 && f->proto == IPPROTO_UDP)
		ck = 0xffff;   /* zero means "none" for UDP */
	l4[off] = (uint8_t)(ck >> 8);
	l4[off + 1] = (uint8_t)ck;
	return true;
}
