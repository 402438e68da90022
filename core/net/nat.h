/*
 * nat.h - NAT detection (RFC 7296 §2.23): the NAT_DETECTION_SOURCE_IP and
 * NAT_DETECTION_DESTINATION_IP notification data, and checking what the
 * peer sent.
 *
 * The data is SHA-1(SPIi | SPIr | IP address | port): the IKE SPIs as the
 * 8 bytes they are in the IKE header (SPIr all zero in the IKE_SA_INIT
 * request), the address as 4 or 16 bytes and the port as 2 bytes, network
 * order.  SHA-1 comes from whichever plugin provides "hash:sha1".
 *
 * Owner: core/net.
 */
#ifndef IKEV2D_NET_NAT_H
#define IKEV2D_NET_NAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/chunk.h>

#define NATD_HASH_LEN 20
#define IKE_SPI_LEN 8

/* Compute the hash of addr (address and port); false when SHA-1 is not
 * available (logged) or addr is not IPv4/IPv6. */
bool natd_hash(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
               const struct sockaddr_storage *addr, uint8_t out[NATD_HASH_LEN]);

/* Whether notify data equals the hash of addr.  Data of the wrong length
 * never matches. */
bool natd_matches(chunk_t data, const uint8_t spi_i[IKE_SPI_LEN],
                  const uint8_t spi_r[IKE_SPI_LEN],
                  const struct sockaddr_storage *addr);

/* Evaluate the peer's notifies.  src_hashes: the data of every
 * NAT_DETECTION_SOURCE_IP it sent (a host with several addresses may send
 * several); dst_hash: its NAT_DETECTION_DESTINATION_IP data.  peer is the
 * address/port the message came from, local the address/port it arrived
 * on.  Sets *peer_behind_nat when no source hash matches peer, and
 * *local_behind_nat when dst_hash does not match local.  Returns false
 * (nothing set) when the peer sent no NAT detection at all, or SHA-1 is
 * missing. */
bool natd_evaluate(const chunk_t *src_hashes, int n_src, chunk_t dst_hash,
                   const uint8_t spi_i[IKE_SPI_LEN],
                   const uint8_t spi_r[IKE_SPI_LEN],
                   const struct sockaddr_storage *peer,
                   const struct sockaddr_storage *local,
                   bool *peer_behind_nat, bool *local_behind_nat);

#endif
