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

/* Alignment of the state storage (Nettle's contexts run measurably
 * faster 16-byte aligned). */
#define NETTLE_MAC_CTX_ALIGN 16

/* The state (Nettle's context) is allocated with exactly the chosen
 * algorithm's size, normally at the end of the signer or PRF object
 * (nettle_mac_alloc_size): a union of all of them would make every
 * HMAC-SHA256 signer as large as an HMAC-SHA512 one, and an IKE SA
 * holds several. */
typedef struct {
	void *ctx;       /* nettle_mac_ctx_size(alg) bytes, owned by the caller */
	nettle_mac_alg_t alg;
	bool keyed;
} nettle_mac_t;

/* Full output size of the MAC. */
size_t nettle_mac_size(nettle_mac_alg_t alg);
/* Natural key size: the hash output for HMAC (RFC 2104/4868), 16 for AES. */
size_t nettle_mac_key_size(nettle_mac_alg_t alg);

/* Bytes of state the algorithm needs (0 for an unknown one). */
size_t nettle_mac_ctx_size(nettle_mac_alg_t alg);
/* Bytes to allocate for an object of obj_size bytes followed by the MAC
 * state of alg; nettle_mac_ctx_at gives where that state starts.  The
 * object must come from malloc (aligned for any type). */
size_t nettle_mac_alloc_size(size_t obj_size, nettle_mac_alg_t alg);
void *nettle_mac_ctx_at(void *obj, size_t obj_size);

/* ctx: nettle_mac_ctx_size(alg) bytes, NETTLE_MAC_CTX_ALIGN aligned. */
void nettle_mac_init(nettle_mac_t *mac, nettle_mac_alg_t alg, void *ctx);
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
