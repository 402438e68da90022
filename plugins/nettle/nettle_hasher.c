/*
 * nettle_hasher.c - SHA-1 and SHA-2 (256/384/512) hashers, numbered as
 * RFC 7427 (used for signature hashes and NAT detection).
 */
#include "nettle_plugin.h"

#include <stdlib.h>

#include <nettle/sha1.h>
#include <nettle/sha2.h>

typedef struct {
	hasher_t public;
	hash_id_t alg;
} nettle_hasher_t;

static size_t get_hash_size(hasher_t *h)
{
	switch (((nettle_hasher_t *)h)->alg) {
	case HASH_SHA1:     return SHA1_DIGEST_SIZE;
	case HASH_SHA2_256: return SHA256_DIGEST_SIZE;
	case HASH_SHA2_384: return SHA384_DIGEST_SIZE;
	case HASH_SHA2_512: return SHA512_DIGEST_SIZE;
	}
	return 0;
}

static bool get_hash(hasher_t *h, const chunk_t *parts, size_t n, uint8_t *out)
{
	nettle_hasher_t *self = (nettle_hasher_t *)h;
	union {
		struct sha1_ctx sha1;
		struct sha256_ctx sha256;
		struct sha512_ctx sha512;
	} ctx;

	if (!out || (n && !parts))
		return false;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && !parts[i].ptr)
			return false;
	switch (self->alg) {
	case HASH_SHA1:
		sha1_init(&ctx.sha1);
		for (size_t i = 0; i < n; i++)
			sha1_update(&ctx.sha1, parts[i].len, parts[i].ptr);
		sha1_digest(&ctx.sha1, SHA1_DIGEST_SIZE, out);
		break;
	case HASH_SHA2_256:
		sha256_init(&ctx.sha256);
		for (size_t i = 0; i < n; i++)
			sha256_update(&ctx.sha256, parts[i].len, parts[i].ptr);
		sha256_digest(&ctx.sha256, SHA256_DIGEST_SIZE, out);
		break;
	case HASH_SHA2_384:
		sha384_init(&ctx.sha512);
		for (size_t i = 0; i < n; i++)
			sha384_update(&ctx.sha512, parts[i].len, parts[i].ptr);
		sha384_digest(&ctx.sha512, SHA384_DIGEST_SIZE, out);
		break;
	case HASH_SHA2_512:
		sha512_init(&ctx.sha512);
		for (size_t i = 0; i < n; i++)
			sha512_update(&ctx.sha512, parts[i].len, parts[i].ptr);
		sha512_digest(&ctx.sha512, SHA512_DIGEST_SIZE, out);
		break;
	default:
		return false;
	}
	/* The input may have been secret (AUTH octets, keys). */
	memwipe(&ctx, sizeof(ctx));
	return true;
}

static void destroy(hasher_t *h)
{
	free(h);
}

hasher_t *nettle_hasher_create(hash_id_t alg)
{
	switch (alg) {
	case HASH_SHA1:
	case HASH_SHA2_256:
	case HASH_SHA2_384:
	case HASH_SHA2_512:
		break;
	default:
		return NULL;
	}
	nettle_hasher_t *self = xzalloc(sizeof(*self));
	self->public = (hasher_t){
		.get_hash = get_hash,
		.get_hash_size = get_hash_size,
		.destroy = destroy,
	};
	self->alg = alg;
	return &self->public;
}
