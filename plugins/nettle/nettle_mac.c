/*
 * nettle_mac.c - HMAC-SHA1/2 and AES-CMAC from Nettle, and AES-XCBC-MAC
 * (RFC 3566) built on Nettle's AES, behind one small interface that the
 * signers and PRFs share.
 */
#include "nettle_mac.h"

#include <stddef.h>

#include <nettle/memxor.h>

size_t nettle_mac_size(nettle_mac_alg_t alg)
{
	switch (alg) {
	case MAC_HMAC_SHA1:   return SHA1_DIGEST_SIZE;
	case MAC_HMAC_SHA256: return SHA256_DIGEST_SIZE;
	case MAC_HMAC_SHA384: return SHA384_DIGEST_SIZE;
	case MAC_HMAC_SHA512: return SHA512_DIGEST_SIZE;
	case MAC_AES_XCBC:
	case MAC_AES_CMAC:    return AES_BLOCK_SIZE;
	}
	return 0;
}

size_t nettle_mac_key_size(nettle_mac_alg_t alg)
{
	switch (alg) {
	case MAC_AES_XCBC:
	case MAC_AES_CMAC:
		return NETTLE_AES_MAC_KEY_SIZE;
	default:
		return nettle_mac_size(alg);
	}
}

void xcbc_aes128_set_key(struct xcbc_aes128_ctx *ctx, const uint8_t *key)
{
	struct aes128_ctx k;
	uint8_t k1[AES_BLOCK_SIZE];
	uint8_t c[AES_BLOCK_SIZE];

	/* K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..) */
	aes128_set_encrypt_key(&k, key);
	memset(c, 0x01, sizeof(c));
	aes128_encrypt(&k, AES_BLOCK_SIZE, k1, c);
	memset(c, 0x02, sizeof(c));
	aes128_encrypt(&k, AES_BLOCK_SIZE, ctx->k2, c);
	memset(c, 0x03, sizeof(c));
	aes128_encrypt(&k, AES_BLOCK_SIZE, ctx->k3, c);
	aes128_set_encrypt_key(&ctx->k1, k1);
	memwipe(&k, sizeof(k));
	memwipe(k1, sizeof(k1));
}

void xcbc_aes128_mac(const struct xcbc_aes128_ctx *ctx, size_t len,
                     const uint8_t *data, uint8_t *out)
{
	/* Aligned: Nettle's memxor is much faster on aligned words. */
	_Alignas(16) uint8_t e[AES_BLOCK_SIZE] = { 0 };

	/* All blocks but the last (a complete last block is kept back, as it
	 * is XORed with K2 rather than padded and XORed with K3). */
	while (len > AES_BLOCK_SIZE) {
		memxor(e, data, AES_BLOCK_SIZE);
		aes128_encrypt(&ctx->k1, AES_BLOCK_SIZE, e, e);
		data += AES_BLOCK_SIZE;
		len -= AES_BLOCK_SIZE;
	}
	if (len == AES_BLOCK_SIZE) {
		memxor(e, data, AES_BLOCK_SIZE);
		memxor(e, ctx->k2, AES_BLOCK_SIZE);
	} else {
		/* len < 16, including the empty message: pad 0x80 00.. */
		memxor(e, data, len);
		e[len] ^= 0x80;
		memxor(e, ctx->k3, AES_BLOCK_SIZE);
	}
	aes128_encrypt(&ctx->k1, AES_BLOCK_SIZE, out, e);
	memwipe(e, sizeof(e));
}

/* An HMAC object keeps only the keyed outer and inner hash states (the
 * first two members of Nettle's hmac_*_ctx); the third, the working state
 * of one message, is made on the stack from the inner one for each
 * message and wiped after.  A third less memory per HMAC object: an IKE SA
 * keeps two (SK_ai, SK_ar), 224 bytes less with HMAC-SHA256. */
typedef union {
	struct hmac_sha1_ctx sha1;
	struct hmac_sha256_ctx sha256;
	struct hmac_sha512_ctx sha512;
} hmac_full_t;

#define HMAC_KEPT(type) offsetof(type, state)

static bool is_hmac(nettle_mac_alg_t alg)
{
	return alg == MAC_HMAC_SHA1 || alg == MAC_HMAC_SHA256 ||
	       alg == MAC_HMAC_SHA384 || alg == MAC_HMAC_SHA512;
}

/* Size of Nettle's whole HMAC context (what the stack copy needs). */
static size_t hmac_full_size(nettle_mac_alg_t alg)
{
	switch (alg) {
	case MAC_HMAC_SHA1:   return sizeof(struct hmac_sha1_ctx);
	case MAC_HMAC_SHA256: return sizeof(struct hmac_sha256_ctx);
	default:              return sizeof(struct hmac_sha512_ctx);
	}
}

size_t nettle_mac_ctx_size(nettle_mac_alg_t alg)
{
	switch (alg) {
	case MAC_HMAC_SHA1:   return HMAC_KEPT(struct hmac_sha1_ctx);
	case MAC_HMAC_SHA256: return HMAC_KEPT(struct hmac_sha256_ctx);
	case MAC_HMAC_SHA384:
	case MAC_HMAC_SHA512: return HMAC_KEPT(struct hmac_sha512_ctx);
	case MAC_AES_XCBC:    return sizeof(struct xcbc_aes128_ctx);
	case MAC_AES_CMAC:    return sizeof(struct cmac_aes128_ctx);
	}
	return 0;
}

static size_t ctx_offset(size_t obj_size)
{
	return (obj_size + NETTLE_MAC_CTX_ALIGN - 1) &
	       ~(size_t)(NETTLE_MAC_CTX_ALIGN - 1);
}

size_t nettle_mac_alloc_size(size_t obj_size, nettle_mac_alg_t alg)
{
	return ctx_offset(obj_size) + nettle_mac_ctx_size(alg);
}

void *nettle_mac_ctx_at(void *obj, size_t obj_size)
{
	return (uint8_t *)obj + ctx_offset(obj_size);
}

void nettle_mac_init(nettle_mac_t *mac, nettle_mac_alg_t alg, void *ctx)
{
	mac->ctx = ctx;
	mac->alg = alg;
	mac->keyed = false;
	memset(ctx, 0, nettle_mac_ctx_size(alg));
}

/* Key an HMAC: Nettle fills a whole context on the stack; we keep its
 * outer and inner states. */
static void hmac_set_key_kept(nettle_mac_t *mac, chunk_t key)
{
	hmac_full_t f;

	switch (mac->alg) {
	case MAC_HMAC_SHA1:
		hmac_sha1_set_key(&f.sha1, key.len, key.ptr);
		break;
	case MAC_HMAC_SHA256:
		hmac_sha256_set_key(&f.sha256, key.len, key.ptr);
		break;
	case MAC_HMAC_SHA384:
		hmac_sha384_set_key(&f.sha512, key.len, key.ptr);
		break;
	default:
		hmac_sha512_set_key(&f.sha512, key.len, key.ptr);
		break;
	}
	memcpy(mac->ctx, &f, nettle_mac_ctx_size(mac->alg));
	memwipe(&f, sizeof(f));
}

bool nettle_mac_set_key(nettle_mac_t *mac, chunk_t key)
{
	if (key.len && !key.ptr)
		return false;
	switch (mac->alg) {
	case MAC_HMAC_SHA1:
	case MAC_HMAC_SHA256:
	case MAC_HMAC_SHA384:
	case MAC_HMAC_SHA512:
		hmac_set_key_kept(mac, key);
		break;
	case MAC_AES_XCBC:
		if (key.len != NETTLE_AES_MAC_KEY_SIZE)
			return false;
		xcbc_aes128_set_key(mac->ctx, key.ptr);
		break;
	case MAC_AES_CMAC:
		if (key.len != NETTLE_AES_MAC_KEY_SIZE)
			return false;
		cmac_aes128_set_key(mac->ctx, key.ptr);
		break;
	default:
		return false;
	}
	mac->keyed = true;
	return true;
}

bool nettle_mac_set_prf_key(nettle_mac_t *mac, chunk_t key)
{
	uint8_t k[NETTLE_AES_MAC_KEY_SIZE] = { 0 };
	bool ok;

	if (mac->alg != MAC_AES_XCBC && mac->alg != MAC_AES_CMAC)
		return nettle_mac_set_key(mac, key);
	if (key.len && !key.ptr)
		return false;
	/* RFC 4434 §2 (XCBC) pads a shorter key with zeros; RFC 4615 §3
	 * (CMAC) derives every key that is not 128 bits long. */
	if (key.len == sizeof(k) ||
	    (mac->alg == MAC_AES_XCBC && key.len < sizeof(k))) {
		if (key.len)
			memcpy(k, key.ptr, key.len);
	} else {
		/* K' = MAC(0^128, K) */
		if (!nettle_mac_set_key(mac, chunk_create(k, sizeof(k))) ||
		    !nettle_mac_compute(mac, key, k))
			return false;
	}
	ok = nettle_mac_set_key(mac, chunk_create(k, sizeof(k)));
	memwipe(k, sizeof(k));
	return ok;
}

/* One HMAC over data with a stack copy of the kept states, whose working
 * state starts as the inner one (as hmac_*_set_key leaves it). */
static void hmac_compute_kept(const nettle_mac_t *mac, chunk_t data,
                              uint8_t *out)
{
	hmac_full_t f;

	memcpy(&f, mac->ctx, nettle_mac_ctx_size(mac->alg));
	switch (mac->alg) {
	case MAC_HMAC_SHA1:
		f.sha1.state = f.sha1.inner;
		hmac_sha1_update(&f.sha1, data.len, data.ptr);
		hmac_sha1_digest(&f.sha1, SHA1_DIGEST_SIZE, out);
		break;
	case MAC_HMAC_SHA256:
		f.sha256.state = f.sha256.inner;
		hmac_sha256_update(&f.sha256, data.len, data.ptr);
		hmac_sha256_digest(&f.sha256, SHA256_DIGEST_SIZE, out);
		break;
	case MAC_HMAC_SHA384:
		f.sha512.state = f.sha512.inner;
		hmac_sha384_update(&f.sha512, data.len, data.ptr);
		hmac_sha384_digest(&f.sha512, SHA384_DIGEST_SIZE, out);
		break;
	default:
		f.sha512.state = f.sha512.inner;
		hmac_sha512_update(&f.sha512, data.len, data.ptr);
		hmac_sha512_digest(&f.sha512, SHA512_DIGEST_SIZE, out);
		break;
	}
	memwipe(&f, hmac_full_size(mac->alg));
}

bool nettle_mac_compute(nettle_mac_t *mac, chunk_t data, uint8_t *out)
{
	if (!mac->keyed || (data.len && !data.ptr))
		return false;
	if (is_hmac(mac->alg)) {
		hmac_compute_kept(mac, data, out);
		return true;
	}
	switch (mac->alg) {
	case MAC_AES_XCBC:
		xcbc_aes128_mac(mac->ctx, data.len, data.ptr, out);
		return true;
	case MAC_AES_CMAC:
		cmac_aes128_update(mac->ctx, data.len, data.ptr);
		cmac_aes128_digest(mac->ctx, CMAC128_DIGEST_SIZE, out);
		return true;
	default:
		return false;
	}
}

void nettle_mac_wipe(nettle_mac_t *mac)
{
	memwipe(mac->ctx, nettle_mac_ctx_size(mac->alg));
	mac->keyed = false;
}
