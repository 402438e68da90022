/*
 * gnutls_rng.c - rng_t (crypto.h) on GnuTLS's generator: its nonce level
 * for RNG_WEAK (IVs, SPIs), its key level for RNG_STRONG.
 */
#include "gnutls_plugin.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	rng_t public;
	gnutls_rnd_level_t level;
} gt_rng_t;

static bool get_bytes(rng_t *public, size_t len, uint8_t *out)
{
	gt_rng_t *this = (gt_rng_t *)public;

	return len == 0 || gnutls_rnd(this->level, out, len) == 0;
}

static void destroy(rng_t *public)
{
	free(public);
}

rng_t *gt_rng_create(rng_quality_t quality)
{
	gt_rng_t *this = xzalloc(sizeof(*this));

	this->public = (rng_t){ .get_bytes = get_bytes, .destroy = destroy };
	this->level = quality == RNG_STRONG ? GNUTLS_RND_KEY : GNUTLS_RND_NONCE;
	return &this->public;
}

/* Not a statistical test: it catches a generator that returns nothing,
 * zeros or the same block twice. */
bool gt_rng_selftest(void)
{
	uint8_t a[32], b[32], zero[32] = { 0 };
	bool ok = false;

	for (int q = RNG_WEAK; q <= RNG_STRONG; q++) {
		rng_t *r = gt_rng_create((rng_quality_t)q);

		ok = r->get_bytes(r, sizeof(a), a) && r->get_bytes(r, sizeof(b), b);
		if (gt_selftest_sabotaged("", "rng"))   /* test hook */
			memcpy(b, a, sizeof(b));
		ok = ok && memcmp(a, b, sizeof(a)) != 0 &&
		     memcmp(a, zero, sizeof(a)) != 0;
		r->destroy(r);
		if (!ok)
			break;
	}
	memwipe(a, sizeof(a));
	memwipe(b, sizeof(b));
	return ok;
}
