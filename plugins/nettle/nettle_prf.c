/*
 * nettle_prf.c - IKEv2 PRFs: HMAC-SHA1 and HMAC-SHA2-256/384/512 (RFC 4868,
 * any key length), AES-XCBC-PRF-128 (RFC 4434) and AES-CMAC-PRF-128
 * (RFC 4615), whose keys of any length are fitted to 128 bits.
 */
#include "nettle_plugin.h"
#include "nettle_mac.h"

#include <stdlib.h>

typedef struct {
	prf_t public;
	nettle_mac_t mac;
} nettle_prf_t;

static bool get_bytes(prf_t *p, chunk_t seed, uint8_t *out)
{
	nettle_prf_t *self = (nettle_prf_t *)p;

	return out && nettle_mac_compute(&self->mac, seed, out);
}

static size_t get_block_size(prf_t *p)
{
	return nettle_mac_size(((nettle_prf_t *)p)->mac.alg);
}

static size_t get_key_size(prf_t *p)
{
	return nettle_mac_key_size(((nettle_prf_t *)p)->mac.alg);
}

static bool set_key(prf_t *p, chunk_t key)
{
	return nettle_mac_set_prf_key(&((nettle_prf_t *)p)->mac, key);
}

static void destroy(prf_t *p)
{
	nettle_prf_t *self = (nettle_prf_t *)p;

	nettle_mac_wipe(&self->mac);
	xfree_secure(self);
}

prf_t *nettle_prf_create(prf_id_t alg)
{
	nettle_mac_alg_t mac;

	switch (alg) {
	case PRF_HMAC_SHA1:     mac = MAC_HMAC_SHA1;   break;
	case PRF_HMAC_SHA2_256: mac = MAC_HMAC_SHA256; break;
	case PRF_HMAC_SHA2_384: mac = MAC_HMAC_SHA384; break;
	case PRF_HMAC_SHA2_512: mac = MAC_HMAC_SHA512; break;
	case PRF_AES128_XCBC:   mac = MAC_AES_XCBC;    break;
	case PRF_AES128_CMAC:   mac = MAC_AES_CMAC;    break;
	default:
		return NULL;
	}
	/* The MAC state follows the object, sized for this algorithm. */
	/* Keyed state (SK_d, SK_p, ...): locked, out of core dumps. */
	nettle_prf_t *self = xzalloc_secure(nettle_mac_alloc_size(sizeof(*self), mac));
	self->public = (prf_t){
		.get_bytes = get_bytes,
		.get_block_size = get_block_size,
		.get_key_size = get_key_size,
		.set_key = set_key,
		.destroy = destroy,
	};
	nettle_mac_init(&self->mac, mac,
	                nettle_mac_ctx_at(self, sizeof(*self)));
	return &self->public;
}
