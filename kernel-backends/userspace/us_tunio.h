/*
 * us_tunio.h - packets to and from the TUN device, which is opened with
 * IFF_VNET_HDR: every packet carries a struct virtio_net_hdr in front.
 *
 * Reads: no offloads are asked for (TUNSETOFFLOAD is never called), so the
 * kernel hands over whole, checksummed packets; a partial checksum or a
 * GSO packet, should one come anyway, is completed or refused.
 *
 * Writes (decrypted inbound packets) go through a small queue per worker,
 * flushed once per received batch: a run of consecutive TCP/IPv4 segments
 * of one flow (what a bulk transfer is) is written as ONE packet, a GSO
 * packet with gso_size = the segments' payload size, as a NIC's GRO would
 * hand it up: the receiving stack runs once for the run instead of once
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

/* One packet from the TUN into buf (at most max bytes); the length, 0 or
 * -1 (errno) as read(2); -2 for a packet that cannot be taken (a GSO
 * packet: never asked for). */
ssize_t us_tun_read(int fd, uint8_t *buf, size_t max);

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
