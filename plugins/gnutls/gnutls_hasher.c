/*
 * gnutls_hasher.c - hasher_t (crypto.h) on GnuTLS digests, and its
 * known-answer self-test.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
	hasher_t public;
	gnutls_hash_hd_t h;   /* reused: gnutls_hash_output resets it */
	size_t size;
} gt_hasher_t;

static gnutls_digest_algorithm_t digest_of(hash_id_t alg)
{
	switch (alg) {
	case HASH_SHA1:     return GNUTLS_DIG_SHA1;
	case HASH_SHA2_256: return GNUTLS_DIG_SHA256;
	case HASH_SHA2_384: return GNUTLS_DIG_SHA384;
	case HASH_SHA2_512: return GNUTLS_DIG_SHA512;
	default:            return GNUTLS_DIG_UNKNOWN;
	}
}

static bool get_hash(hasher_t *public, const chunk_t *parts, size_t n,
                     uint8_t *out)
{
	gt_hasher_t *this = (gt_hasher_t *)public;

	for (size_t i = 0; i < n; i++) {
		if (parts[i].len && gnutls_hash(this->h, parts[i].ptr,
		                                parts[i].len) < 0) {
			/* Leave no partial input behind for the next call. */
			gnutls_hash_output(this->h, out);
			return false;
		}
	}
	gnutls_hash_output(this->h, out);
	return true;
}

static size_t get_hash_size(hasher_t *public)
{
	return ((gt_hasher_t *)public)->size;
}

static void destroy(hasher_t *public)
{
	gt_hasher_t *this = (gt_hasher_t *)public;

	gnutls_hash_deinit(this->h, NULL);
	free(this);
}

hasher_t *gt_hasher_create(hash_id_t alg)
{
	gnutls_digest_algorithm_t d = digest_of(alg);
	gt_hasher_t *this;

	if (d == GNUTLS_DIG_UNKNOWN)
		return NULL;
	this = xzalloc(sizeof(*this));
	this->public = (hasher_t){
		.get_hash = get_hash,
		.get_hash_size = get_hash_size,
		.destroy = destroy,
	};
	this->size = gnutls_hash_get_len(d);
	if (gnutls_hash_init(&this->h, d) < 0) {
		free(this);
		return NULL;
	}
	return &this->public;
}

/* FIPS 180-4 examples: the digests of "abc". */
static const struct {
	hash_id_t alg;
	const char *abc;
} kat[] = {
	{ HASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ HASH_SHA2_256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9c"
	                 "b410ff61f20015ad" },
	{ HASH_SHA2_384, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	                 "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
	{ HASH_SHA2_512, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea2"
	                 "0a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	                 "454d4423643ce80e2a9ac94fa54ca49f" },
};

bool gt_hasher_selftest(hash_id_t alg, const char *feature)
{
	/* In one part, then split, then again to prove the reset. */
	const chunk_t whole = chunk_from_str("abc");
	const chunk_t split[] = { chunk_from_str("a"), chunk_empty,
	                          chunk_from_str("bc") };
	uint8_t out[64];
	hasher_t *h;
	chunk_t want = chunk_empty;
	bool ok;

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++)
		if (kat[i].alg == alg)
			want = chunk_from_hex(kat[i].abc);
	if (!want.len || !(h = gt_hasher_create(alg))) {
		chunk_free(&want);
		return false;
	}
	if (gt_selftest_sabotaged("", feature))   /* test hook */
		want.ptr[0] ^= 0x01;
	ok = h->get_hash_size(h) == want.len &&
	     h->get_hash(h, &whole, 1, out) && memcmp(out, want.ptr, want.len) == 0 &&
	     h->get_hash(h, split, 3, out) && memcmp(out, want.ptr, want.len) == 0 &&
	     h->get_hash(h, &whole, 1, out) && memcmp(out, want.ptr, want.len) == 0;
	h->destroy(h);
	chunk_free(&want);
	return ok;
}
