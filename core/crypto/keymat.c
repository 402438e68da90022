/*
 * keymat.c - IKEv2 key derivation: SKEYSEED, the SK_* split, CHILD SA
 * keying material and rekeyed SKEYSEED (see keymat.h for the formulas).
 * SKEYSEED, the SK_* keys, KEYMAT and the seeds holding g^ir live in
 * secure memory (core/lib/secmem.h: mlocked, out of core dumps, wiped).
 */
#include "crypto/keymat.h"

#include <stdlib.h>
#include <string.h>

/* AES-XCBC-PRF-128 and AES-CMAC-PRF-128 take only 64 bits of each nonce for
 * SKEYSEED (RFC 7296 §2.14). */
#define FIXED_KEY_NONCE_BITS 64

static bool prf_has_fixed_key(prf_id_t prf)
{
	return prf == PRF_AES128_XCBC || prf == PRF_AES128_CMAC;
}

bool keymat_sizes(const keymat_algs_t *algs, keymat_sizes_t *sizes)
{
	bool aead = encr_is_aead(algs->encr);

	*sizes = (keymat_sizes_t){ 0 };
	if (aead != (algs->integ == INTEG_NONE))
		return false;
	if (algs->prf) {
		prf_t *prf = crypto_create_prf(algs->prf);
		if (!prf)
			return false;
		sizes->prf_key = prf->get_key_size(prf);
		prf->destroy(prf);
	}
	if (aead) {
		aead_t *a = crypto_create_aead(algs->encr, algs->encr_key_bits);
		if (!a)
			return false;
		sizes->encr_key = a->get_key_size(a);
		a->destroy(a);
	} else {
		/* ENCR_NULL has no crypter and a zero-length key. */
		if (algs->encr != ENCR_NULL) {
			crypter_t *c = crypto_create_crypter(algs->encr,
			                                     algs->encr_key_bits);
			if (!c)
				return false;
			sizes->encr_key = c->get_key_size(c);
			c->destroy(c);
		}
		signer_t *s = crypto_create_signer(algs->integ);
		if (!s)
			return false;
		sizes->integ_key = s->get_key_size(s);
		s->destroy(s);
	}
	return true;
}

/* The parts concatenated into secure memory (seeds holding g^ir). */
static chunk_t cat_secure(size_t n, const chunk_t *parts)
{
	size_t len = 0, off = 0;
	for (size_t i = 0; i < n; i++)
		len += parts[i].len;
	chunk_t c = chunk_alloc_secure(len);
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len)
			memcpy(c.ptr + off, parts[i].ptr, parts[i].len);
		off += parts[i].len;
	}
	return c;
}

/* Create a PRF keyed with key, or NULL. */
static prf_t *keyed_prf(prf_id_t alg, chunk_t key)
{
	prf_t *prf = crypto_create_prf(alg);

	if (prf && !prf->set_key(prf, key)) {
		prf->destroy(prf);
		prf = NULL;
	}
	return prf;
}

/* out = prf(key, seed), freshly allocated. */
static bool prf_once(prf_id_t alg, chunk_t key, chunk_t seed, chunk_t *out)
{
	prf_t *prf = keyed_prf(alg, key);
	bool ok = false;

	*out = chunk_empty;
	if (!prf)
		return false;
	*out = chunk_alloc_secure(prf->get_block_size(prf));
	ok = prf->get_bytes(prf, seed, out->ptr);
	prf->destroy(prf);
	if (!ok)
		chunk_clear(out);
	return ok;
}

bool keymat_skeyseed(prf_id_t prf, chunk_t ni, chunk_t nr, chunk_t g_ir,
                     chunk_t *skeyseed)
{
	const size_t half = FIXED_KEY_NONCE_BITS / 8;
	chunk_t parts[2] = { ni, nr };
	chunk_t key;
	bool ok;

	*skeyseed = chunk_empty;
	if (ni.len < half || nr.len < half || !g_ir.len)
		return false;
	if (prf_has_fixed_key(prf)) {
		parts[0].len = half;
		parts[1].len = half;
	}
	/* The nonces are public, but the key buffer is wiped anyway so no
	 * caller has to think about it. */
	key = chunk_cat(2, parts);
	ok = prf_once(prf, key, g_ir, skeyseed);
	chunk_clear(&key);
	return ok;
}

bool keymat_skeyseed_rekey(prf_id_t old_prf, chunk_t old_sk_d, chunk_t g_ir,
                           chunk_t ni, chunk_t nr, chunk_t *skeyseed)
{
	chunk_t parts[3] = { g_ir, ni, nr };
	chunk_t seed;
	bool ok;

	*skeyseed = chunk_empty;
	if (!old_sk_d.len || !g_ir.len || !ni.len || !nr.len)
		return false;
	seed = cat_secure(3, parts);
	ok = prf_once(old_prf, old_sk_d, seed, skeyseed);
	chunk_clear(&seed);
	return ok;
}

/* Cut the next len bytes of stream into a fresh chunk (empty for none:
 * AEAD ciphers have no integrity keys). */
static chunk_t take(chunk_t stream, size_t *pos, size_t len)
{
	if (!len)
		return chunk_empty;
	chunk_t c = chunk_clone_secure(chunk_create(stream.ptr + *pos, len));
	*pos += len;
	return c;
}

bool keymat_ike_keys(prf_id_t prf_alg, chunk_t skeyseed, chunk_t ni, chunk_t nr,
                     const uint8_t spi_i[KEYMAT_SPI_SIZE],
                     const uint8_t spi_r[KEYMAT_SPI_SIZE],
                     const keymat_sizes_t *sz, keymat_ike_keys_t *keys)
{
	chunk_t parts[4] = {
		ni, nr,
		chunk_create(spi_i, KEYMAT_SPI_SIZE),
		chunk_create(spi_r, KEYMAT_SPI_SIZE),
	};
	size_t total = 3 * sz->prf_key + 2 * sz->integ_key + 2 * sz->encr_key;
	size_t pos = 0;
	chunk_t seed, dkm;
	prf_t *prf;
	bool ok;

	*keys = (keymat_ike_keys_t){ 0 };
	if (!sz->prf_key || !skeyseed.len)
		return false;
	prf = keyed_prf(prf_alg, skeyseed);
	if (!prf)
		return false;
	seed = chunk_cat(4, parts);
	dkm = chunk_alloc_secure(total);
	ok = prf_plus(prf, seed, dkm);
	prf->destroy(prf);
	chunk_free(&seed);
	if (ok) {
		keys->sk_d  = take(dkm, &pos, sz->prf_key);
		keys->sk_ai = take(dkm, &pos, sz->integ_key);
		keys->sk_ar = take(dkm, &pos, sz->integ_key);
		keys->sk_ei = take(dkm, &pos, sz->encr_key);
		keys->sk_er = take(dkm, &pos, sz->encr_key);
		keys->sk_pi = take(dkm, &pos, sz->prf_key);
		keys->sk_pr = take(dkm, &pos, sz->prf_key);
	}
	chunk_clear(&dkm);
	return ok;
}

bool keymat_derive_ike(const keymat_algs_t *algs, chunk_t g_ir,
                       chunk_t ni, chunk_t nr,
                       const uint8_t spi_i[KEYMAT_SPI_SIZE],
                       const uint8_t spi_r[KEYMAT_SPI_SIZE],
                       keymat_ike_keys_t *keys)
{
	keymat_sizes_t sizes;
	chunk_t skeyseed;
	bool ok;

	*keys = (keymat_ike_keys_t){ 0 };
	if (!algs->prf || !keymat_sizes(algs, &sizes))
		return false;
	if (!keymat_skeyseed(algs->prf, ni, nr, g_ir, &skeyseed))
		return false;
	ok = keymat_ike_keys(algs->prf, skeyseed, ni, nr, spi_i, spi_r,
	                     &sizes, keys);
	chunk_clear(&skeyseed);
	return ok;
}

/* SKEYSEED with old_prf, then prf+ with plus_prf; sizes of the new SA. */
static bool derive_rekey(prf_id_t old_prf, prf_id_t plus_prf, chunk_t old_sk_d,
                         const keymat_algs_t *algs, chunk_t g_ir,
                         chunk_t ni, chunk_t nr,
                         const uint8_t spi_i[KEYMAT_SPI_SIZE],
                         const uint8_t spi_r[KEYMAT_SPI_SIZE],
                         keymat_ike_keys_t *keys)
{
	keymat_sizes_t sizes;
	chunk_t skeyseed;
	bool ok;

	*keys = (keymat_ike_keys_t){ 0 };
	if (!algs->prf || !keymat_sizes(algs, &sizes))
		return false;
	if (!keymat_skeyseed_rekey(old_prf, old_sk_d, g_ir, ni, nr, &skeyseed))
		return false;
	ok = keymat_ike_keys(plus_prf, skeyseed, ni, nr, spi_i, spi_r,
	                     &sizes, keys);
	chunk_clear(&skeyseed);
	return ok;
}

bool keymat_derive_ike_rekey(prf_id_t old_prf, chunk_t old_sk_d,
                             const keymat_algs_t *algs, chunk_t g_ir,
                             chunk_t ni, chunk_t nr,
                             const uint8_t spi_i[KEYMAT_SPI_SIZE],
                             const uint8_t spi_r[KEYMAT_SPI_SIZE],
                             keymat_ike_keys_t *keys)
{
	return derive_rekey(old_prf, algs->prf, old_sk_d, algs, g_ir, ni, nr,
	                    spi_i, spi_r, keys);
}

bool keymat_derive_ike_rekey_old_prf(prf_id_t old_prf, chunk_t old_sk_d,
                                     const keymat_algs_t *algs, chunk_t g_ir,
                                     chunk_t ni, chunk_t nr,
                                     const uint8_t spi_i[KEYMAT_SPI_SIZE],
                                     const uint8_t spi_r[KEYMAT_SPI_SIZE],
                                     keymat_ike_keys_t *keys)
{
	return derive_rekey(old_prf, old_prf, old_sk_d, algs, g_ir, ni, nr,
	                    spi_i, spi_r, keys);
}

bool keymat_child_stream(prf_id_t prf_alg, chunk_t sk_d, chunk_t g_ir,
                         chunk_t ni, chunk_t nr, chunk_t out)
{
	chunk_t parts[3] = { g_ir, ni, nr };
	chunk_t seed;
	prf_t *prf;
	bool ok;

	if (!sk_d.len || !ni.len || !nr.len)
		return false;
	prf = keyed_prf(prf_alg, sk_d);
	if (!prf)
		return false;
	/* With PFS the seed holds g^ir: secure, wiped. */
	seed = cat_secure(3, parts);
	ok = prf_plus(prf, seed, out);
	prf->destroy(prf);
	chunk_clear(&seed);
	return ok;
}

bool keymat_child_keys(prf_id_t prf, chunk_t sk_d, chunk_t g_ir,
                       chunk_t ni, chunk_t nr, const keymat_sizes_t *sz,
                       keymat_child_keys_t *keys)
{
	size_t total = 2 * (sz->encr_key + sz->integ_key);
	size_t pos = 0;
	chunk_t stream;
	bool ok;

	*keys = (keymat_child_keys_t){ 0 };
	if (!total)
		return false;
	stream = chunk_alloc_secure(total);
	ok = keymat_child_stream(prf, sk_d, g_ir, ni, nr, stream);
	if (ok) {
		keys->encr_i  = take(stream, &pos, sz->encr_key);
		keys->integ_i = take(stream, &pos, sz->integ_key);
		keys->encr_r  = take(stream, &pos, sz->encr_key);
		keys->integ_r = take(stream, &pos, sz->integ_key);
	}
	chunk_clear(&stream);
	return ok;
}

void keymat_ike_keys_clear(keymat_ike_keys_t *keys)
{
	chunk_clear(&keys->sk_d);
	chunk_clear(&keys->sk_ai);
	chunk_clear(&keys->sk_ar);
	chunk_clear(&keys->sk_ei);
	chunk_clear(&keys->sk_er);
	chunk_clear(&keys->sk_pi);
	chunk_clear(&keys->sk_pr);
}

void keymat_child_keys_clear(keymat_child_keys_t *keys)
{
	chunk_clear(&keys->encr_i);
	chunk_clear(&keys->integ_i);
	chunk_clear(&keys->encr_r);
	chunk_clear(&keys->integ_r);
}
