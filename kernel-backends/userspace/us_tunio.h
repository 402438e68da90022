/*
 * us_tunio.h - packets to and from the TUN device, which is opened with
 * IFF_VNET_HDR: every packet carries a struct virtio_net_hdr in front.
 *
 * Reads: the TUN is asked for checksum and TCP segmentation offload
 * (TUNSETOFFLOAD, TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6), so the stack hands
 * over TCP super-packets of up to 64 KB, built once, instead of one
 * packet per MSS, and leaves checksums partial.  A partial checksum is
 * completed here; a TSO packet is checked (its virtio_net_hdr against
 * its headers) and then cut into its MSS-sized segments here, as a NIC
 * would: each with its own IP length (IPv4: ID + k and header checksum),
 * TCP sequence number, full TCP checksum, and FIN/PSH only on the last,
 * CWR only on the first.  Each segment becomes its own ESP packet; the
 * run of them leaves in one UDP GSO send.
 *
 * Writes (decrypted inbound packets) go through a small queue per worker,
 * flushed once per received batch: a run of consecutive TCP segments of
 * one flow (what a bulk transfer is; IPv4 without options, or IPv6 without
 * extension headers) is written as ONE packet, a GSO packet with
 * gso_size = the segments' payload size, as a NIC's GRO would hand it
 * up: the receiving stack runs once for the run instead of once
 * per segment, and acknowledges it once.  Each segment's checksum is
 * verified before it joins a run (the merged packet is marked partial,
 * so the kernel does not check it again); one that fails, and everything
 * else, is written alone and checked by the kernel as before.
 */
#ifndef US_TUNIO_H
#define US_TUNIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define US_VNET_HDR_LEN 10      /* struct virtio_net_hdr */
#define US_WQ_MAX 64

typedef struct {
	uint8_t *pkt;
	size_t len;
} us_wpkt_t;

typedef struct {
	us_wpkt_t p[US_WQ_MAX];
	int n;
} us_wq_t;

struct virtio_net_hdr;

/* A TSO packet read from the TUN: how it is cut (us_gso_segment). */
typedef struct {
	int family;        /* AF_INET, AF_INET6 */
	size_t l4;         /* TCP header offset */
	size_t hlen;       /* all headers: l4 + TCP header */
	size_t mss;        /* payload bytes per segment (the last: up to) */
	size_t n;          /* segments; 0: not a TSO packet */
	size_t len;        /* the whole packet */
} us_gso_t;

/* Why a virtio_net_hdr (or the packet under it) was refused. */
typedef enum {
	US_VNET_OK = 0,
	US_VNET_SHORT,        /* shorter than the header */
	US_VNET_GSO_TYPE,     /* not TCPv4/TCPv6, or the wrong IP version */
	US_VNET_CSUM,         /* csum_start/offset outside or not TCP's */
	US_VNET_HEADERS,      /* IP/TCP headers malformed for segmentation */
	US_VNET_GSO_SIZE,     /* gso_size 0, or a segment over max_seg */
} us_vnet_err_t;

/* Check the header h the kernel put before the n bytes at buf: a partial
 * checksum is completed in buf; a TSO packet fills *g (g->n segments of
 * at most max_seg bytes each), anything else leaves g->n 0. */
us_vnet_err_t us_vnet_parse(const struct virtio_net_hdr *h, uint8_t *buf,
                            size_t n, size_t max_seg, us_gso_t *g);

/* Segment k (< g->n) of the TSO packet pkt into out (room for g->hlen +
 * g->mss bytes); its length. */
size_t us_gso_segment(const us_gso_t *g, const uint8_t *pkt, size_t k,
                      uint8_t *out);

/* One packet from the TUN into buf (at most max bytes): its length, 0 or
 * -1 (errno) as read(2), -2 for one refused (*err says why, if not NULL);
 * g as us_vnet_parse with max_seg. */
ssize_t us_tun_read(int fd, uint8_t *buf, size_t max, size_t max_seg,
                    us_gso_t *g, us_vnet_err_t *err);

/* Ask the TUN queue fd for checksum and TCP segmentation offload; false
 * (errno) when the kernel refuses it. */
bool us_tun_offload(int fd);

/* One packet to the TUN; false (errno) if the write failed. */
bool us_tun_write(int fd, const uint8_t *pkt, size_t len);

/* Queue pkt (it must stay valid, and may be changed, until the flush). */
static inline bool us_wq_add(us_wq_t *q, uint8_t *pkt, size_t len)
{
	if (q->n == US_WQ_MAX)
		return false;
	q->p[q->n].pkt = pkt;
	q->p[q->n].len = len;
	q->n++;
	return true;
}

/* Write the queued packets to fd (coalescing as above) and empty the
 * queue; how many packets a failed write lost.  *writes and *merged (if
 * not NULL) get the number of write calls made and of packets that went
 * in coalesced ones. */
size_t us_wq_flush(int fd, us_wq_t *q, size_t *writes, size_t *merged);

#endif
