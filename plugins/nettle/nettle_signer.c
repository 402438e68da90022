/*
 * nettle_signer.c - IKEv2 integrity algorithms: HMAC-SHA1-96/160,
 * HMAC-SHA2-256-128/384-192/512-256 (RFC 4868), AES-XCBC-96 (RFC 3566) and
 * AES-CMAC-96 (RFC 4494): a MAC with its output truncated.
 */
#include "nettle_plugin.h"
#include "nettle_mac.h"

#include <stdlib.h>

typedef struct {
	signer_t public;
	nettle_mac_t mac;
	size_t trunc;   /* bytes of the MAC that are sent */
} nettle_signer_t;

static bool get_signature(signer_t *s, chunk_t data, uint8_t *out)
{
	nettle_signer_t *self = (nettle_signer_t *)s;
	uint8_t full[NETTLE_MAC_MAX_SIZE];

	if (!out || !nettle_mac_compute(&self->mac, data, full))
		return false;
	memcpy(out, full, self->trunc);
	memwipe(full, sizeof(full));
	return true;
}

static bool verify_signature(signer_t *s, chunk_t data, chunk_t sig)
{
	nettle_signer_t *self = (nettle_signer_t *)s;
	uint8_t full[NETTLE_MAC_MAX_SIZE];
	bool ok;

	if (sig.len != self->trunc || !sig.ptr ||
	    !nettle_mac_compute(&self->mac, data, full))
		return false;
	ok = memeq_const(full, sig.ptr, self->trunc);
	memwipe(full, sizeof(full));
	return ok;
}

static size_t get_block_size(signer_t *s)
{
	return ((nettle_signer_t *)s)->trunc;
}

static size_t get_key_size(signer_t *s)
{
	return nettle_mac_key_size(((nettle_signer_t *)s)->mac.alg);
}

/* Integrity keys have exactly the algorithm's key size (RFC 4868 §2.1.1,
 * RFC 3566 §4, RFC 4494 §2.1): IKE always derives that many bytes. */
static bool set_key(signer_t *s, chunk_t key)
{
	nettle_signer_t *self = (nettle_signer_t *)s;

	if (key.len != nettle_mac_key_size(self->mac.alg))
		return false;
	return nettle_mac_set_key(&self->mac, key);
}

static void destroy(signer_t *s)
{
	nettle_signer_t *self = (nettle_signer_t *)s;

	nettle_mac_wipe(&self->mac);
	xfree_secure(self);
}

signer_t *nettle_signer_create(integ_id_t alg)
{
	nettle_mac_alg_t mac;
	size_t trunc;

	switch (alg) {
	case INTEG_HMAC_SHA1_96:      mac = MAC_HMAC_SHA1;   trunc = 12; break;
	case INTEG_HMAC_SHA1_160:     mac = MAC_HMAC_SHA1;   trunc = 20; break;
	case INTEG_HMAC_SHA2_256_128: mac = MAC_HMAC_SHA256; trunc = 16; break;
	case INTEG_HMAC_SHA2_384_192: mac = MAC_HMAC_SHA384; trunc = 24; break;
	case INTEG_HMAC_SHA2_512_256: mac = MAC_HMAC_SHA512; trunc = 32; break;
	case INTEG_AES_XCBC_96:       mac = MAC_AES_XCBC;    trunc = 12; break;
	case INTEG_AES_CMAC_96:       mac = MAC_AES_CMAC;    trunc = 12; break;
	default:
		return NULL;
	}
	/* The MAC state follows the object, sized for this algorithm. */
	/* Keyed state (SK_a, ESP's integrity key): locked, out of core dumps. */
	nettle_signer_t *self = xzalloc_secure(nettle_mac_alloc_size(sizeof(*self), mac));
	self->public = (signer_t){
		.get_signature = get_signature,
		.verify_signature = verify_signature,
		.get_block_size = get_block_size,
		.get_key_size = get_key_size,
		.set_key = set_key,
		.destroy = destroy,
	};
	nettle_mac_init(&self->mac, mac,
	                nettle_mac_ctx_at(self, sizeof(*self)));
	self->trunc = trunc;
	return &self->public;
}
