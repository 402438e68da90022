/*
 * nat.c - NAT detection hashes (see nat.h).
 */
#include <netinet/in.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <net/addr.h>
#include <net/nat.h>

bool natd_hash(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
               const struct sockaddr_storage *addr, uint8_t out[NATD_HASH_LEN])
{
	uint8_t port[2];
	uint16_t p = addr_get_port(addr);
	chunk_t parts[4];
	hasher_t *h;
	bool ok;

	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		return false;
	h = crypto_create_hasher(HASH_SHA1);
	if (!h) {
		log_error(DBG_NET, "net: NAT detection needs SHA-1, which no "
		          "loaded plugin provides");
		return false;
	}
	port[0] = p >> 8;
	port[1] = p & 0xff;
	parts[0] = chunk_create(spi_i, IKE_SPI_LEN);
	parts[1] = chunk_create(spi_r, IKE_SPI_LEN);
	parts[2] = addr_bytes(addr);
	parts[3] = chunk_create(port, sizeof(port));
	ok = h->get_hash_size(h) == NATD_HASH_LEN &&
	     h->get_hash(h, parts, 4, out);
	h->destroy(h);
	return ok;
}

bool natd_matches(chunk_t data, const uint8_t spi_i[IKE_SPI_LEN],
                  const uint8_t spi_r[IKE_SPI_LEN],
                  const struct sockaddr_storage *addr)
{
	uint8_t h[NATD_HASH_LEN];

	if (data.len != NATD_HASH_LEN || !natd_hash(spi_i, spi_r, addr, h))
		return false;
	return memcmp(h, data.ptr, NATD_HASH_LEN) == 0;
}

bool natd_evaluate(const chunk_t *src_hashes, int n_src, chunk_t dst_hash,
                   const uint8_t spi_i[IKE_SPI_LEN],
                   const uint8_t spi_r[IKE_SPI_LEN],
                   const struct sockaddr_storage *peer,
                   const struct sockaddr_storage *local,
                   bool *peer_behind_nat, bool *local_behind_nat)
{
	uint8_t h[NATD_HASH_LEN];
	bool src_match = false;

	if (n_src <= 0 || dst_hash.len == 0)
		return false;
	/* One hash of each address, compared with every notify. */
	if (!natd_hash(spi_i, spi_r, peer, h))
		return false;
	for (int i = 0; i < n_src; i++)
		if (src_hashes[i].len == NATD_HASH_LEN &&
		    memcmp(src_hashes[i].ptr, h, NATD_HASH_LEN) == 0)
			src_match = true;
	if (!natd_hash(spi_i, spi_r, local, h))
		return false;
	*peer_behind_nat = !src_match;
	*local_behind_nat = !(dst_hash.len == NATD_HASH_LEN &&
	                      memcmp(dst_hash.ptr, h, NATD_HASH_LEN) == 0);
	return true;
}
