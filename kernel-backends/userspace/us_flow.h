/*
 * us_flow.h - what a policy lookup needs of an IP packet (addresses,
 * protocol, ports or ICMP type/code) and matching it against traffic
 * selectors.
 */
#ifndef US_FLOW_H
#define US_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

typedef struct {
	int family;          /* AF_INET, AF_INET6 */
	uint8_t src[16], dst[16];
	uint8_t proto;       /* upper-layer protocol */
	bool have_ports;     /* false for non-first fragments, no L4 header */
	uint16_t sport, dport;  /* ICMP: type << 8 | code in both */
	size_t hdr_len;      /* IP header incl. IPv6 extension headers */
	size_t total_len;    /* from the IP header (<= the bytes read) */
} us_flow_t;

/* Parse an IPv4/IPv6 packet of len bytes; false if malformed (too short,
 * bad version, header or total length beyond what was read). */
bool us_flow_parse(const uint8_t *pkt, size_t len, us_flow_t *f);

/* RFC 3948 §3.1.2: a transport-mode packet that arrived in UDP through a
 * NAT carries a TCP or UDP checksum over the sender's own addresses, not
 * the outer ones its rebuilt IP header has: recompute the checksum for
 * the header of f (a parse of pkt; ESP's ICV has vouched for the segment).
 * A UDP checksum of zero (none, IPv4) stays zero; fragments and other
 * protocols are left alone.  False if the segment is too short. */
bool us_fix_l4_checksum(uint8_t *pkt, const us_flow_t *f);

/* The same through the NAT original addresses (RFC 3948 §3.1.2, the
 * incremental way of RFC 1624 eqn. 3): the sender's checksum covered
 * oa_src/oa_dst (f's family's length), the header now has f's
 * addresses; only the difference is added, so the segment is not read.
 * Applies to first fragments too (the checksum field is in them); other
 * fragments and protocols, and a UDP checksum of zero, are left alone.
 * False if the L4 header is too short. */
bool us_adjust_l4_checksum(uint8_t *pkt, const us_flow_t *f,
                           const uint8_t *oa_src, const uint8_t *oa_dst);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted,
 * added to sum. */
uint32_t us_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Whether f's source/destination side is inside ts. */
bool us_ts_match_src(const kernel_ts_t *ts, const us_flow_t *f);
bool us_ts_match_dst(const kernel_ts_t *ts, const us_flow_t *f);

/* A number that is smaller for a more specific selector pair (fewer
 * addresses, a protocol, fewer ports), for ordering policies. */
double us_ts_breadth(const kernel_ts_t *src, const kernel_ts_t *dst);

/* Split [from, to] (family's byte length) into the prefixes covering it
 * exactly: up to max of (address, prefix length); returns how many (or
 * max + 1 when more are needed). */
typedef struct {
	uint8_t addr[16];
	uint8_t plen;
} us_prefix_t;
int us_range_to_prefixes(int family, const uint8_t *from, const uint8_t *to,
                         us_prefix_t *out, int max);

#endif
