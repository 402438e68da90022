/*
 * test_registry.c - the crypto registry (core/crypto/crypto_registry.c):
 * one provider per algorithm, a second registration refused, unregister,
 * provider names, AEAD classification, and prf+ argument checks.  Uses
 * small fake algorithms, no plugin.
 */
#include <ikev2d/crypto.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

static int created;

static void fake_crypter_destroy(crypter_t *c)
{
	free(c);
}

static crypter_t *fake_crypter(encr_id_t alg, size_t key_bits)
{
	crypter_t *c = xzalloc(sizeof(*c));
	c->destroy = fake_crypter_destroy;
	created++;
	return c;
}

static crypter_t *other_crypter(encr_id_t alg, size_t key_bits)
{
	ck_abort_msg("the second provider was used");
	return NULL;
}

static void fake_aead_destroy(aead_t *a)
{
	free(a);
}

static aead_t *fake_aead(encr_id_t alg, size_t key_bits)
{
	aead_t *a = xzalloc(sizeof(*a));
	a->destroy = fake_aead_destroy;
	return a;
}

START_TEST(test_second_provider_refused)
{
	ck_assert(crypto_register_crypter(ENCR_AES_CBC, "first", fake_crypter));
	ck_assert(!crypto_register_crypter(ENCR_AES_CBC, "second", other_crypter));
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_CBC), "first");

	crypter_t *c = crypto_create_crypter(ENCR_AES_CBC, 128);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(created, 1);
	c->destroy(c);

	/* After the first leaves, the second may take over. */
	crypto_unregister_crypter(ENCR_AES_CBC);
	ck_assert_ptr_null(crypto_provider(TRANS_ENCR, ENCR_AES_CBC));
	ck_assert_ptr_null(crypto_create_crypter(ENCR_AES_CBC, 128));
	ck_assert(crypto_register_crypter(ENCR_AES_CBC, "third", fake_crypter));
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_CBC), "third");
	crypto_unregister_crypter(ENCR_AES_CBC);
}
END_TEST

START_TEST(test_kinds_are_separate)
{
	/* The same number in different kinds are different algorithms. */
	ck_assert(crypto_register_aead(ENCR_AES_GCM_16, "a", fake_aead));
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_GCM_16), "a");
	ck_assert_ptr_null(crypto_create_crypter(ENCR_AES_GCM_16, 128));
	aead_t *a = crypto_create_aead(ENCR_AES_GCM_16, 128);
	ck_assert_ptr_nonnull(a);
	a->destroy(a);
	ck_assert_ptr_null(crypto_provider(TRANS_PRF, ENCR_AES_GCM_16));
	ck_assert_ptr_null(crypto_provider(TRANS_ESN, 0));
	crypto_unregister_aead(ENCR_AES_GCM_16);
}
END_TEST

static hasher_t *fake_hasher(hash_id_t alg)
{
	return NULL;
}

static rng_t *fake_rng(rng_quality_t q)
{
	return NULL;
}

/* Hashers and the RNG have no transform type: their own queries. */
START_TEST(test_hasher_rng_providers)
{
	ck_assert_ptr_null(crypto_hasher_provider(HASH_SHA2_256));
	ck_assert_ptr_null(crypto_rng_provider());
	ck_assert(crypto_register_hasher(HASH_SHA2_256, "h", fake_hasher));
	ck_assert(!crypto_register_hasher(HASH_SHA2_256, "h2", fake_hasher));
	ck_assert(crypto_register_rng("r", fake_rng));
	ck_assert(!crypto_register_rng("r2", fake_rng));
	ck_assert_str_eq(crypto_hasher_provider(HASH_SHA2_256), "h");
	ck_assert_ptr_null(crypto_hasher_provider(HASH_SHA1));
	ck_assert_str_eq(crypto_rng_provider(), "r");
	crypto_unregister_hasher(HASH_SHA2_256);
	crypto_unregister_rng();
	ck_assert_ptr_null(crypto_hasher_provider(HASH_SHA2_256));
	ck_assert_ptr_null(crypto_rng_provider());
}
END_TEST

START_TEST(test_bad_registrations)
{
	ck_assert(!crypto_register_crypter(ENCR_AES_CBC, "x", NULL));
	ck_assert(!crypto_register_crypter((encr_id_t)1024, "x", fake_crypter));
	ck_assert_ptr_null(crypto_create_crypter((encr_id_t)1024, 0));
	ck_assert_ptr_null(crypto_provider(TRANS_ENCR, 60000));
	crypto_unregister_crypter((encr_id_t)1024);   /* harmless */
	ck_assert_ptr_null(crypto_create_prf(PRF_HMAC_SHA2_256));
	ck_assert_ptr_null(crypto_create_ke(KE_ECP_256));
	ck_assert_ptr_null(crypto_create_rng(RNG_STRONG));
	ck_assert_ptr_null(crypto_create_hasher(HASH_SHA2_256));
	ck_assert_ptr_null(crypto_create_signer(INTEG_HMAC_SHA1_96));
}
END_TEST

START_TEST(test_encr_is_aead)
{
	ck_assert(encr_is_aead(ENCR_AES_GCM_8));
	ck_assert(encr_is_aead(ENCR_AES_GCM_16));
	ck_assert(encr_is_aead(ENCR_AES_CCM_12));
	ck_assert(encr_is_aead(ENCR_CHACHA20_POLY1305));
	ck_assert(encr_is_aead(ENCR_NULL_AUTH_AES_GMAC));
	ck_assert(!encr_is_aead(ENCR_AES_CBC));
	ck_assert(!encr_is_aead(ENCR_AES_CTR));
	ck_assert(!encr_is_aead(ENCR_3DES));
	ck_assert(!encr_is_aead(ENCR_NULL));
}
END_TEST

/* A fake PRF: block i of the output is the counter byte repeated, so
 * prf+ must feed T(n-1) | S | n correctly to produce the right pattern. */
typedef struct {
	prf_t public;
	size_t calls;
	size_t last_len;
} fake_prf_t;

static bool fake_get_bytes(prf_t *p, chunk_t seed, uint8_t *out)
{
	fake_prf_t *self = (fake_prf_t *)p;
	self->calls++;
	self->last_len = seed.len;
	memset(out, seed.ptr[seed.len - 1], 4);
	return true;
}

static size_t fake_block_size(prf_t *p)
{
	return 4;
}

START_TEST(test_prf_plus_structure)
{
	fake_prf_t f = { .public = { .get_bytes = fake_get_bytes,
	                             .get_block_size = fake_block_size } };
	uint8_t seed[3] = { 9, 9, 9 };
	uint8_t out[10];

	ck_assert(prf_plus(&f.public, chunk_create(seed, 3), chunk_create(out, 10)));
	ck_assert_int_eq(f.calls, 3);
	ck_assert_int_eq(f.last_len, 4 + 3 + 1);   /* T2 | S | 0x03 */
	static const uint8_t want[10] = { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3 };
	ck_assert(memcmp(out, want, 10) == 0);
	/* More than 255 blocks is impossible. */
	uint8_t big[4 * 256];
	ck_assert(!prf_plus(&f.public, chunk_create(seed, 3), chunk_create(big, sizeof(big))));
	ck_assert(prf_plus(&f.public, chunk_create(seed, 3), chunk_create(big, 4 * 255)));
	ck_assert_int_eq(big[4 * 255 - 1], 255);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("crypto registry");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, test_second_provider_refused);
	tcase_add_test(tc, test_kinds_are_separate);
	tcase_add_test(tc, test_hasher_rng_providers);
	tcase_add_test(tc, test_bad_registrations);
	tcase_add_test(tc, test_encr_is_aead);
	tcase_add_test(tc, test_prf_plus_structure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(registry_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
