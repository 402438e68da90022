/*
 * test_kdf.c - prf+ and the IKEv2 key derivation (core/crypto/keymat.c)
 * with the nettle plugin's PRFs, against the NIST CAVS SP 800-135 IKEv2
 * vectors (SKEYSEED, the whole DKM stream and its split, CHILD SA keying
 * material with and without PFS, rekeyed SKEYSEED) and the strongSwan prf
 * and prf+ vectors, plus the RFC 7296 §2.14 rule for the AES PRFs.
 */
#include "crypto/keymat.h"
#include "nettle_load.h"
#include "../lib/locked_mem.h"
#include "vector_file.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static prf_id_t prf_by_name(const char *name)
{
	static const struct { const char *name; prf_id_t id; } map[] = {
		{ "PRF_HMAC_SHA1", PRF_HMAC_SHA1 },
		{ "PRF_HMAC_SHA2_256", PRF_HMAC_SHA2_256 },
		{ "PRF_HMAC_SHA2_384", PRF_HMAC_SHA2_384 },
		{ "PRF_HMAC_SHA2_512", PRF_HMAC_SHA2_512 },
		{ "PRF_AES128_XCBC", PRF_AES128_XCBC },
		{ "PRF_AES128_CMAC", PRF_AES128_CMAC },
	};
	ck_assert_ptr_nonnull(name);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return map[i].id;
	ck_abort_msg("unknown PRF %s", name);
	return 0;
}

static void setup(void)
{
	nettle_load();
}

static void teardown(void)
{
	nettle_unload();
}

static void assert_chunk_eq(chunk_t got, chunk_t want, const char *what, int line)
{
	ck_assert_msg(chunk_equals(got, want), "%s differs (record at line %d)",
	              what, line);
}

static size_t prf_size(prf_id_t alg)
{
	prf_t *prf = crypto_create_prf(alg);
	ck_assert_ptr_nonnull(prf);
	size_t n = prf->get_block_size(prf);
	prf->destroy(prf);
	return n;
}

/* Everything the NIST CAVS records give, one record at a time. */
START_TEST(test_nist_cavs)
{
	vector_file_t *vf = vf_open("kdf/nist_cavs_ikev2_kdf_subset.txt");
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		prf_id_t alg = prf_by_name(vf_get(vf, "prf"));
		chunk_t ni = vf_hex(vf, "ni"), nr = vf_hex(vf, "nr");
		chunk_t gir = vf_hex(vf, "gir"), gir_new = vf_hex(vf, "gir_new");
		chunk_t spi_i = vf_hex(vf, "spi_i"), spi_r = vf_hex(vf, "spi_r");
		chunk_t want_seed = vf_hex(vf, "skeyseed"), want_dkm = vf_hex(vf, "dkm");
		chunk_t want_child = vf_hex(vf, "dkm_child");
		chunk_t want_child_dh = vf_hex(vf, "dkm_child_dh");
		chunk_t want_rekey = vf_hex(vf, "skeyseed_rekey");
		size_t bs = prf_size(alg);
		chunk_t seed, rekey, out;
		int line = vf->line;

		ck_assert_int_eq(spi_i.len, KEYMAT_SPI_SIZE);
		ck_assert_int_eq(spi_r.len, KEYMAT_SPI_SIZE);
		ck_assert_int_eq(want_dkm.len, vf_int(vf, "dkm_bytes"));

		/* SKEYSEED = prf(Ni | Nr, g^ir) */
		ck_assert(keymat_skeyseed(alg, ni, nr, gir, &seed));
		assert_chunk_eq(seed, want_seed, "SKEYSEED", line);

		/* The whole DKM stream: prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
		chunk_t parts[4] = { ni, nr, spi_i, spi_r };
		chunk_t s = chunk_cat(4, parts);
		prf_t *prf = crypto_create_prf(alg);
		ck_assert(prf->set_key(prf, seed));
		out = chunk_alloc(want_dkm.len);
		ck_assert(prf_plus(prf, s, out));
		assert_chunk_eq(out, want_dkm, "DKM", line);
		prf->destroy(prf);
		chunk_free(&s);
		chunk_clear(&out);

		/* The split: sizes chosen so that all seven keys come out of
		 * the vector's DKM, each a slice at its place. */
		keymat_sizes_t sz = { .prf_key = bs, .integ_key = 20, .encr_key = 16 };
		if (3 * sz.prf_key + 2 * sz.integ_key + 2 * sz.encr_key <= want_dkm.len) {
			keymat_ike_keys_t k;
			size_t p = 0;
			ck_assert(keymat_ike_keys(alg, seed, ni, nr, spi_i.ptr, spi_r.ptr,
			                          &sz, &k));
			chunk_t *order[] = { &k.sk_d, &k.sk_ai, &k.sk_ar, &k.sk_ei,
			                     &k.sk_er, &k.sk_pi, &k.sk_pr };
			size_t lens[] = { bs, 20, 20, 16, 16, bs, bs };
			for (size_t i = 0; i < 7; i++) {
				ck_assert_int_eq(order[i]->len, lens[i]);
				ck_assert_msg(memcmp(order[i]->ptr, want_dkm.ptr + p,
				                     lens[i]) == 0,
				              "SK key %zu differs (line %d)", i, line);
				p += lens[i];
			}
			keymat_ike_keys_clear(&k);
			ck_assert_ptr_null(k.sk_d.ptr);
		}

		/* CHILD SA: SK_d is the first PRF-size bytes of the DKM. */
		chunk_t sk_d = chunk_create(want_dkm.ptr, bs);
		out = chunk_alloc(want_child.len);
		ck_assert(keymat_child_stream(alg, sk_d, chunk_empty, ni, nr, out));
		assert_chunk_eq(out, want_child, "child DKM (no PFS)", line);
		chunk_clear(&out);
		out = chunk_alloc(want_child_dh.len);
		ck_assert(keymat_child_stream(alg, sk_d, gir_new, ni, nr, out));
		assert_chunk_eq(out, want_child_dh, "child DKM (PFS)", line);
		chunk_clear(&out);

		/* The child split: ENCR_i | INTEG_i | ENCR_r | INTEG_r */
		keymat_sizes_t csz = { .encr_key = 16, .integ_key = 20 };
		keymat_child_keys_t ck;
		ck_assert(keymat_child_keys(alg, sk_d, gir_new, ni, nr, &csz, &ck));
		ck_assert(memcmp(ck.encr_i.ptr, want_child_dh.ptr, 16) == 0);
		ck_assert(memcmp(ck.integ_i.ptr, want_child_dh.ptr + 16, 20) == 0);
		ck_assert(memcmp(ck.encr_r.ptr, want_child_dh.ptr + 36, 16) == 0);
		ck_assert(memcmp(ck.integ_r.ptr, want_child_dh.ptr + 52, 20) == 0);
		keymat_child_keys_clear(&ck);

		/* Rekey: prf(SK_d (old), g^ir (new) | Ni | Nr) */
		ck_assert(keymat_skeyseed_rekey(alg, sk_d, gir_new, ni, nr, &rekey));
		assert_chunk_eq(rekey, want_rekey, "rekey SKEYSEED", line);

		chunk_clear(&seed);
		chunk_clear(&rekey);
		chunk_free(&ni); chunk_free(&nr); chunk_free(&gir);
		chunk_free(&gir_new); chunk_free(&spi_i); chunk_free(&spi_r);
		chunk_free(&want_seed); chunk_free(&want_dkm);
		chunk_free(&want_child); chunk_free(&want_child_dh);
		chunk_free(&want_rekey);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, 18);
}
END_TEST

/* strongSwan's prf vectors: out = prf(salt, key) with salt = Ni | Nr. */
START_TEST(test_prf_vectors)
{
	vector_file_t *vf = vf_open("kdf/strongswan_kdf_prf.txt");
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		prf_id_t alg = prf_by_name(vf_get(vf, "arg.prf"));
		chunk_t key = vf_hex(vf, "key"), salt = vf_hex(vf, "salt");
		chunk_t want = vf_hex(vf, "out");
		prf_t *prf = crypto_create_prf(alg);
		uint8_t out[64];

		ck_assert(prf->set_key(prf, salt));
		ck_assert(prf->get_bytes(prf, key, out));
		ck_assert_int_eq(prf->get_block_size(prf), want.len);
		ck_assert_msg(memcmp(out, want.ptr, want.len) == 0, "%s",
		              vf_get(vf, "name"));
		/* The same through keymat_skeyseed, splitting the salt. */
		chunk_t seed;
		chunk_t ni = chunk_create(salt.ptr, salt.len / 2);
		chunk_t nr = chunk_create(salt.ptr + ni.len, salt.len - ni.len);
		ck_assert(keymat_skeyseed(alg, ni, nr, key, &seed));
		ck_assert(chunk_equals(seed, want));
		chunk_clear(&seed);
		prf->destroy(prf);
		chunk_free(&key); chunk_free(&salt); chunk_free(&want);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, 6);
}
END_TEST

START_TEST(test_prf_plus_vectors)
{
	vector_file_t *vf = vf_open("kdf/strongswan_kdf_prf_plus.txt");
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		prf_id_t alg = prf_by_name(vf_get(vf, "arg.prf"));
		chunk_t key = vf_hex(vf, "key"), salt = vf_hex(vf, "salt");
		chunk_t want = vf_hex(vf, "out");
		prf_t *prf = crypto_create_prf(alg);
		chunk_t out = chunk_alloc(want.len);

		ck_assert(prf->set_key(prf, key));
		ck_assert(prf_plus(prf, salt, out));
		ck_assert_msg(chunk_equals(out, want), "%s", vf_get(vf, "name"));
		/* A shorter request is a prefix of the stream. */
		chunk_t part = chunk_alloc(want.len - 7);
		ck_assert(prf_plus(prf, salt, part));
		ck_assert(memcmp(part.ptr, want.ptr, part.len) == 0);
		chunk_free(&part);
		prf->destroy(prf);
		chunk_free(&out); chunk_free(&key); chunk_free(&salt); chunk_free(&want);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, 7);
}
END_TEST

/* prf+ has a one-octet counter: 255 blocks at most. */
START_TEST(test_prf_plus_limit)
{
	prf_t *prf = crypto_create_prf(PRF_HMAC_SHA2_256);
	uint8_t key[32] = { 1 };
	chunk_t ok = chunk_alloc(255 * 32), too_long = chunk_alloc(255 * 32 + 1);

	ck_assert(prf->set_key(prf, chunk_create(key, sizeof(key))));
	ck_assert(prf_plus(prf, chunk_from_str("seed"), ok));
	ck_assert(!prf_plus(prf, chunk_from_str("seed"), too_long));
	ck_assert(!prf_plus(NULL, chunk_from_str("seed"), ok));
	ck_assert(prf_plus(prf, chunk_from_str("seed"), chunk_empty));
	prf->destroy(prf);
	chunk_free(&ok);
	chunk_free(&too_long);
}
END_TEST

/* RFC 7296 §2.14: with AES-XCBC-PRF-128 and AES-CMAC-PRF-128, SKEYSEED is
 * keyed with the first 64 bits of each nonce only. */
START_TEST(test_skeyseed_aes_prf)
{
	static const prf_id_t algs[] = { PRF_AES128_XCBC, PRF_AES128_CMAC };
	uint8_t ni[32], nr[32], gir[64], key[16], want[16];

	for (size_t i = 0; i < sizeof(ni); i++) {
		ni[i] = (uint8_t)i;
		nr[i] = (uint8_t)(0xa0 + i);
	}
	memset(gir, 0x5c, sizeof(gir));
	memcpy(key, ni, 8);
	memcpy(key + 8, nr, 8);
	for (size_t a = 0; a < 2; a++) {
		prf_t *prf = crypto_create_prf(algs[a]);
		chunk_t seed;

		ck_assert(prf->set_key(prf, chunk_create(key, sizeof(key))));
		ck_assert(prf->get_bytes(prf, chunk_create(gir, sizeof(gir)), want));
		ck_assert(keymat_skeyseed(algs[a], chunk_create(ni, sizeof(ni)),
		                          chunk_create(nr, sizeof(nr)),
		                          chunk_create(gir, sizeof(gir)), &seed));
		ck_assert_int_eq(seed.len, 16);
		ck_assert(memcmp(seed.ptr, want, 16) == 0);
		chunk_clear(&seed);
		/* HMAC keys with the whole nonces instead: a different value. */
		ck_assert(keymat_skeyseed(PRF_HMAC_SHA2_256, chunk_create(ni, sizeof(ni)),
		                          chunk_create(nr, sizeof(nr)),
		                          chunk_create(gir, sizeof(gir)), &seed));
		ck_assert_int_eq(seed.len, 32);
		chunk_clear(&seed);
		prf->destroy(prf);
	}
	/* Nonces shorter than 64 bits cannot key it. */
	chunk_t seed;
	ck_assert(!keymat_skeyseed(PRF_AES128_XCBC, chunk_create(ni, 7),
	                           chunk_create(nr, 16), chunk_create(gir, 8), &seed));
	ck_assert_ptr_null(seed.ptr);
}
END_TEST

/* keymat_sizes and the whole derivation for real algorithm sets. */
/* Keys live in secure memory: pages the kernel shows locked (mlock) and
 * left out of core dumps (core/lib/secmem.c). */
static void assert_key_memory(chunk_t key, const char *what)
{
	ck_assert_msg(key.ptr && key.len, "%s is empty", what);
	mem_flags_t f = mem_flags(key.ptr);
	ck_assert_msg(f.found && f.locked && f.locked_kb > 0,
	              "%s is not in locked memory (Locked: %lu kB)", what, f.locked_kb);
	ck_assert_msg(f.dontdump, "%s would be in a core dump", what);
	mem_flags_t e = mem_flags(key.ptr + key.len - 1);
	ck_assert_msg(e.locked, "the end of %s is not in locked memory", what);
}

START_TEST(test_derive_ike)
{
	uint8_t ni[32], nr[32], gir[256], spi_i[8], spi_r[8];
	keymat_ike_keys_t k, again;
	keymat_sizes_t sz;

	memset(ni, 1, sizeof(ni));
	memset(nr, 2, sizeof(nr));
	memset(gir, 3, sizeof(gir));
	memset(spi_i, 4, sizeof(spi_i));
	memset(spi_r, 5, sizeof(spi_r));

	keymat_algs_t cbc = { PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256,
	                      INTEG_HMAC_SHA2_256_128 };
	ck_assert(keymat_sizes(&cbc, &sz));
	ck_assert_int_eq(sz.prf_key, 32);
	ck_assert_int_eq(sz.integ_key, 32);
	ck_assert_int_eq(sz.encr_key, 32);

	keymat_algs_t gcm = { PRF_HMAC_SHA2_384, ENCR_AES_GCM_16, 128, INTEG_NONE };
	ck_assert(keymat_sizes(&gcm, &sz));
	ck_assert_int_eq(sz.prf_key, 48);
	ck_assert_int_eq(sz.integ_key, 0);
	ck_assert_int_eq(sz.encr_key, 20);    /* key + 4-byte salt */

	keymat_algs_t ccm = { PRF_AES128_XCBC, ENCR_AES_CCM_8, 256, INTEG_NONE };
	ck_assert(keymat_sizes(&ccm, &sz));
	ck_assert_int_eq(sz.prf_key, 16);
	ck_assert_int_eq(sz.encr_key, 35);    /* key + 3-byte salt */

	keymat_algs_t ctr = { PRF_HMAC_SHA1, ENCR_AES_CTR, 192, INTEG_AES_XCBC_96 };
	ck_assert(keymat_sizes(&ctr, &sz));
	ck_assert_int_eq(sz.encr_key, 28);    /* key + 4-byte nonce */
	ck_assert_int_eq(sz.integ_key, 16);

	/* CHILD SA sets: no PRF; ESP with NULL encryption has no cipher key. */
	keymat_algs_t esp_null = { 0, ENCR_NULL, 0, INTEG_HMAC_SHA2_256_128 };
	ck_assert(keymat_sizes(&esp_null, &sz));
	ck_assert_int_eq(sz.prf_key, 0);
	ck_assert_int_eq(sz.encr_key, 0);
	ck_assert_int_eq(sz.integ_key, 32);
	keymat_algs_t esp_gcm = { 0, ENCR_AES_GCM_16, 256, INTEG_NONE };
	ck_assert(keymat_sizes(&esp_gcm, &sz));
	ck_assert_int_eq(sz.encr_key, 36);
	keymat_child_keys_t ck;
	uint8_t skd[32] = { 9 };
	ck_assert(keymat_child_keys(PRF_HMAC_SHA2_256, chunk_create(skd, 32),
	                            chunk_empty, chunk_create(ni, 32),
	                            chunk_create(nr, 32), &sz, &ck));
	ck_assert_int_eq(ck.encr_i.len, 36);
	ck_assert_int_eq(ck.encr_r.len, 36);
	ck_assert_ptr_null(ck.integ_i.ptr);
	assert_key_memory(ck.encr_i, "KEYMAT encr_i");
	assert_key_memory(ck.encr_r, "KEYMAT encr_r");
	ck_assert(!chunk_equals(ck.encr_i, ck.encr_r));
	keymat_child_keys_clear(&ck);
	/* Without SK_d, no keys. */
	ck_assert(!keymat_child_keys(PRF_HMAC_SHA2_256, chunk_empty, chunk_empty,
	                             chunk_create(ni, 32), chunk_create(nr, 32),
	                             &sz, &ck));

	/* Inconsistent sets are refused. */
	keymat_algs_t aead_integ = { PRF_HMAC_SHA2_256, ENCR_AES_GCM_16, 128,
	                             INTEG_HMAC_SHA2_256_128 };
	ck_assert(!keymat_sizes(&aead_integ, &sz));
	keymat_algs_t cbc_none = { PRF_HMAC_SHA2_256, ENCR_AES_CBC, 128, INTEG_NONE };
	ck_assert(!keymat_sizes(&cbc_none, &sz));
	keymat_algs_t bad_len = { PRF_HMAC_SHA2_256, ENCR_AES_CBC, 100,
	                          INTEG_HMAC_SHA2_256_128 };
	ck_assert(!keymat_sizes(&bad_len, &sz));

	chunk_t g = chunk_create(gir, sizeof(gir));
	chunk_t cni = chunk_create(ni, sizeof(ni)), cnr = chunk_create(nr, sizeof(nr));
	ck_assert(keymat_derive_ike(&gcm, g, cni, cnr, spi_i, spi_r, &k));
	ck_assert_int_eq(k.sk_d.len, 48);
	ck_assert_int_eq(k.sk_ai.len, 0);
	ck_assert_ptr_null(k.sk_ai.ptr);
	ck_assert_int_eq(k.sk_ei.len, 20);
	ck_assert_int_eq(k.sk_pr.len, 48);
	ck_assert(!chunk_equals(k.sk_ei, k.sk_er));
	assert_key_memory(k.sk_d, "SK_d");
	assert_key_memory(k.sk_ei, "SK_ei");
	assert_key_memory(k.sk_er, "SK_er");
	assert_key_memory(k.sk_pi, "SK_pi");
	assert_key_memory(k.sk_pr, "SK_pr");

	/* Deterministic; and equal to SKEYSEED + split done by hand. */
	chunk_t seed;
	ck_assert(keymat_skeyseed(gcm.prf, cni, cnr, g, &seed));
	assert_key_memory(seed, "SKEYSEED");
	ck_assert(keymat_sizes(&gcm, &sz));
	ck_assert(keymat_ike_keys(gcm.prf, seed, cni, cnr, spi_i, spi_r, &sz, &again));
	ck_assert(chunk_equals(k.sk_d, again.sk_d));
	ck_assert(chunk_equals(k.sk_er, again.sk_er));
	ck_assert(chunk_equals(k.sk_pr, again.sk_pr));
	keymat_ike_keys_clear(&again);
	chunk_clear(&seed);

	/* Rekey with the old SA's SK_d and PRF into a CBC SA. */
	keymat_ike_keys_t r;
	ck_assert(keymat_derive_ike_rekey(gcm.prf, k.sk_d, &cbc, g, cnr, cni,
	                                  spi_r, spi_i, &r));
	ck_assert_int_eq(r.sk_d.len, 32);
	ck_assert_int_eq(r.sk_ai.len, 32);
	assert_key_memory(r.sk_ai, "SK_ai (rekeyed)");
	assert_key_memory(r.sk_ar, "SK_ar (rekeyed)");
	ck_assert(keymat_skeyseed_rekey(gcm.prf, k.sk_d, g, cnr, cni, &seed));
	ck_assert_int_eq(seed.len, 48);
	ck_assert(keymat_sizes(&cbc, &sz));
	ck_assert(keymat_ike_keys(cbc.prf, seed, cnr, cni, spi_r, spi_i, &sz, &again));
	ck_assert(chunk_equals(r.sk_ai, again.sk_ai));
	ck_assert(chunk_equals(r.sk_pr, again.sk_pr));
	keymat_ike_keys_clear(&again);
	keymat_ike_keys_clear(&r);
	chunk_clear(&seed);
	keymat_ike_keys_clear(&k);

	/* An unregistered PRF derives nothing. */
	keymat_algs_t md5 = { PRF_HMAC_MD5, ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96 };
	ck_assert(!keymat_derive_ike(&md5, g, cni, cnr, spi_i, spi_r, &k));
	ck_assert_ptr_null(k.sk_d.ptr);
	/* No shared secret, no keys. */
	ck_assert(!keymat_derive_ike(&cbc, chunk_empty, cni, cnr, spi_i, spi_r, &k));
}
END_TEST

/* Issue 14 item 4: an IKE SA rekey that changes the PRF (HMAC-SHA1 to
 * HMAC-SHA2-256).  RFC 7296 §2.18: SKEYSEED with the old PRF, prf+ with the
 * new; strongSwan's keymat_v2: the old PRF for both, the key sizes still
 * the new PRF's (32 bytes of SK_d).  Known values computed independently
 * (Python hmac/hashlib, prf+ as in §2.13). */
static chunk_t hexc(const char *h)
{
	size_t n = strlen(h) / 2;
	chunk_t c = chunk_alloc(n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert(sscanf(h + 2 * i, "%2x", &v) == 1);
		c.ptr[i] = (uint8_t)v;
	}
	return c;
}

static void assert_hex(chunk_t got, const char *want)
{
	chunk_t w = hexc(want);
	ck_assert_msg(chunk_equals(got, w), "key differs from %s", want);
	chunk_free(&w);
}

START_TEST(test_rekey_prf_change)
{
	uint8_t old_skd[20], gir[32], ni[16], nr[16];
	const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t spi_r[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	for (int i = 0; i < 20; i++)
		old_skd[i] = (uint8_t)(0x10 + i);
	memset(gir, 0xa5, sizeof(gir));
	for (int i = 0; i < 16; i++) {
		ni[i] = (uint8_t)(0x20 + i);
		nr[i] = (uint8_t)(0x30 + i);
	}
	chunk_t skd = chunk_create(old_skd, 20), g = chunk_create(gir, 32);
	chunk_t cni = chunk_create(ni, 16), cnr = chunk_create(nr, 16);
	keymat_algs_t next = { PRF_HMAC_SHA2_256, ENCR_AES_CBC, 128,
	                       INTEG_HMAC_SHA2_256_128 };
	chunk_t seed;
	ck_assert(keymat_skeyseed_rekey(PRF_HMAC_SHA1, skd, g, cni, cnr, &seed));
	assert_hex(seed, "a44877107253ae9289ff09d4f3ddfd671ade0001");
	chunk_clear(&seed);

	keymat_ike_keys_t rfc, old;
	ck_assert(keymat_derive_ike_rekey(PRF_HMAC_SHA1, skd, &next, g, cni, cnr,
	                                  spi_i, spi_r, &rfc));
	assert_hex(rfc.sk_d, "df560b19df19a4095ce689c5ecc498f1c0e66bb79ba3b07ca57987c98d9026de");
	assert_hex(rfc.sk_ei, "aecf89f32a0692496924c9b4b2a5a657");
	assert_hex(rfc.sk_pr, "fb31f4c86962f9754887e5124f08eb915262dc13f7b4977a2b28ad0b1b9e9cf8");
	ck_assert(keymat_derive_ike_rekey_old_prf(PRF_HMAC_SHA1, skd, &next, g, cni,
	                                          cnr, spi_i, spi_r, &old));
	ck_assert_int_eq(old.sk_d.len, 32);
	assert_hex(old.sk_d, "4585c81c99d96639aef2cca29d645e1adcfea9d4a1af7f96b242a36940855e5b");
	assert_hex(old.sk_ei, "49aee748d732c42da48078212053cedb");
	assert_hex(old.sk_pr, "c4a9839c07041aca58071ab55f4ec0ee426fa5dee0167570051bb4f651fcfb12");
	keymat_ike_keys_clear(&rfc);
	keymat_ike_keys_clear(&old);

	/* the same PRF both times: the two ways agree */
	keymat_algs_t same = next;
	same.prf = PRF_HMAC_SHA1;
	ck_assert(keymat_derive_ike_rekey(PRF_HMAC_SHA1, skd, &same, g, cni, cnr,
	                                  spi_i, spi_r, &rfc));
	ck_assert(keymat_derive_ike_rekey_old_prf(PRF_HMAC_SHA1, skd, &same, g, cni,
	                                          cnr, spi_i, spi_r, &old));
	ck_assert(chunk_equals(rfc.sk_d, old.sk_d) && chunk_equals(rfc.sk_er, old.sk_er));
	keymat_ike_keys_clear(&rfc);
	keymat_ike_keys_clear(&old);
}
END_TEST

static Suite *kdf_suite(void)
{
	Suite *s = suite_create("kdf");
	TCase *tc = tcase_create("vectors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nist_cavs);
	tcase_add_test(tc, test_prf_vectors);
	tcase_add_test(tc, test_prf_plus_vectors);
	tcase_add_test(tc, test_prf_plus_limit);
	tcase_add_test(tc, test_skeyseed_aes_prf);
	tcase_add_test(tc, test_derive_ike);
	tcase_add_test(tc, test_rekey_prf_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kdf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
