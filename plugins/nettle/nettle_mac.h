/*
 * nettle_mac.h - the keyed MACs under both the integrity algorithms
 * (signers, truncated output) and the PRFs (full output): HMAC-SHA1/2,
 * AES-XCBC (RFC 3566, not in Nettle) and AES-CMAC.
 */
#ifndef NETTLE_MAC_H
#define NETTLE_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/aes.h>
#include <nettle/cmac.h>
#include <nettle/hmac.h>

#include <ikev2d/chunk.h>

typedef enum {
	MAC_HMAC_SHA1,
	MAC_HMAC_SHA256,
	MAC_HMAC_SHA384,
	MAC_HMAC_SHA512,
	MAC_AES_XCBC,
	MAC_AES_CMAC,
} nettle_mac_alg_t;

#define NETTLE_MAC_MAX_SIZE 64
#define NETTLE_AES_MAC_KEY_SIZE 16

/* AES-XCBC-MAC state: AES under K1, and the derived subkeys K2, K3. */
struct xcbc_aes128_ctx {
	struct aes128_ctx k1;
	uint8_t k2[AES_BLOCK_SIZE];
	uint8_t k3[AES_BLOCK_SIZE];
};

typedef struct {
	/* Nettle's contexts first, 16-byte aligned (measurably faster). */
	_Alignas(16) union {
		struct hmac_sha1_ctx sha1;
		struct hmac_sha256_ctx sha256;
		struct hmac_sha512_ctx sha512;   /* also SHA-384 */
		struct cmac_aes128_ctx cmac;
		struct xcbc_aes128_ctx xcbc;
	} u;
	nettle_mac_alg_t alg;
	bool keyed;
} nettle_mac_t;

/* Full output size of the MAC. */
size_t nettle_mac_size(nettle_mac_alg_t alg);
/* Natural key size: the hash output for HMAC (RFC 2104/4868), 16 for AES. */
size_t nettle_mac_key_size(nettle_mac_alg_t alg);

void nettle_mac_init(nettle_mac_t *mac, nettle_mac_alg_t alg);
/* HMAC takes any key length.  The AES MACs take exactly 16 bytes here;
 * see nettle_mac_set_prf_key for the RFC 4434/4615 variable-length rule. */
bool nettle_mac_set_key(nettle_mac_t *mac, chunk_t key);
/* AES-XCBC-PRF-128 / AES-CMAC-PRF-128 keying (RFC 4434 / RFC 4615): a key
 * longer than 16 bytes (for CMAC: any other length) is replaced by its MAC
 * under the all-zero key; a shorter XCBC key is zero-padded.  HMAC keys
 * are taken as they are. */
bool nettle_mac_set_prf_key(nettle_mac_t *mac, chunk_t key);
/* Write nettle_mac_size() bytes of MAC(data) to out; the state is ready
 * for the next message afterwards. */
bool nettle_mac_compute(nettle_mac_t *mac, chunk_t data, uint8_t *out);
/* Wipe the key schedule. */
void nettle_mac_wipe(nettle_mac_t *mac);

/* AES-XCBC-MAC primitives (RFC 3566), exposed for the benchmark. */
void xcbc_aes128_set_key(struct xcbc_aes128_ctx *ctx, const uint8_t *key);
void xcbc_aes128_mac(const struct xcbc_aes128_ctx *ctx, size_t len,
                     const uint8_t *data, uint8_t *out);

#endif
