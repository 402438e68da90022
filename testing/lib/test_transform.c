/*
 * test_transform.c - transform names: every id has a name, names map back
 * to their id, unknown ids and names are refused.
 */
#include <ikev2d/transform.h>

#include <check.h>
#include <stdlib.h>

typedef struct {
	transform_type_t type;
	int id;
	const char *name;
} expect_t;

/* The names are part of the plugin API (feature names): pin them. */
static const expect_t expected[] = {
	{ TRANS_ENCR, ENCR_AES_CBC, "aes-cbc" }, { TRANS_ENCR, ENCR_AES_CTR, "aes-ctr" },
	{ TRANS_ENCR, ENCR_AES_CCM_8, "aes-ccm-8" }, { TRANS_ENCR, ENCR_AES_CCM_12, "aes-ccm-12" },
	{ TRANS_ENCR, ENCR_AES_CCM_16, "aes-ccm-16" }, { TRANS_ENCR, ENCR_AES_GCM_8, "aes-gcm-8" },
	{ TRANS_ENCR, ENCR_AES_GCM_12, "aes-gcm-12" }, { TRANS_ENCR, ENCR_AES_GCM_16, "aes-gcm-16" },
	{ TRANS_ENCR, ENCR_CHACHA20_POLY1305, "chacha20-poly1305" },
	{ TRANS_ENCR, ENCR_3DES, "3des" }, { TRANS_ENCR, ENCR_NULL, "null" },
	{ TRANS_ENCR, ENCR_NULL_AUTH_AES_GMAC, "aes-gmac" },
	{ TRANS_PRF, PRF_HMAC_MD5, "hmac-md5" }, { TRANS_PRF, PRF_HMAC_SHA1, "hmac-sha1" },
	{ TRANS_PRF, PRF_AES128_XCBC, "aes128-xcbc" }, { TRANS_PRF, PRF_HMAC_SHA2_256, "hmac-sha256" },
	{ TRANS_PRF, PRF_HMAC_SHA2_384, "hmac-sha384" }, { TRANS_PRF, PRF_HMAC_SHA2_512, "hmac-sha512" },
	{ TRANS_PRF, PRF_AES128_CMAC, "aes128-cmac" },
	{ TRANS_INTEG, INTEG_HMAC_SHA1_96, "hmac-sha1-96" },
	{ TRANS_INTEG, INTEG_HMAC_SHA1_160, "hmac-sha1-160" },
	{ TRANS_INTEG, INTEG_AES_XCBC_96, "aes-xcbc-96" },
	{ TRANS_INTEG, INTEG_AES_CMAC_96, "aes-cmac-96" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, "hmac-sha256-128" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_384_192, "hmac-sha384-192" },
	{ TRANS_INTEG, INTEG_HMAC_SHA2_512_256, "hmac-sha512-256" },
	{ TRANS_INTEG, INTEG_NONE, "none" }, { TRANS_INTEG, INTEG_HMAC_MD5_96, "hmac-md5-96" },
	{ TRANS_KE, KE_MODP_768, "modp768" }, { TRANS_KE, KE_MODP_1024, "modp1024" },
	{ TRANS_KE, KE_MODP_1536, "modp1536" }, { TRANS_KE, KE_MODP_2048, "modp2048" },
	{ TRANS_KE, KE_MODP_3072, "modp3072" }, { TRANS_KE, KE_MODP_4096, "modp4096" },
	{ TRANS_KE, KE_MODP_6144, "modp6144" }, { TRANS_KE, KE_MODP_8192, "modp8192" },
	{ TRANS_KE, KE_ECP_256, "ecp256" }, { TRANS_KE, KE_ECP_384, "ecp384" },
	{ TRANS_KE, KE_ECP_521, "ecp521" }, { TRANS_KE, KE_MODP_1024_160, "modp1024s160" },
	{ TRANS_KE, KE_MODP_2048_224, "modp2048s224" }, { TRANS_KE, KE_MODP_2048_256, "modp2048s256" },
	{ TRANS_KE, KE_ECP_192, "ecp192" }, { TRANS_KE, KE_ECP_224, "ecp224" },
	{ TRANS_KE, KE_CURVE25519, "curve25519" }, { TRANS_KE, KE_CURVE448, "curve448" },
	{ TRANS_ESN, ESN_NO, "no-esn" }, { TRANS_ESN, ESN_YES, "esn" },
};

START_TEST(test_known)
{
	const expect_t *e = &expected[_i];
	const char *name = transform_name(e->type, (uint16_t)e->id);
	ck_assert_msg(name != NULL, "no name for type %d id %d", e->type, e->id);
	ck_assert_str_eq(name, e->name);
	ck_assert_int_eq(transform_from_name(e->type, e->name), e->id);
}
END_TEST

START_TEST(test_unknown)
{
	ck_assert_ptr_null(transform_name(TRANS_ENCR, 999));
	ck_assert_ptr_null(transform_name(TRANS_KE, 3));
	ck_assert_ptr_null(transform_name((transform_type_t)9, ENCR_AES_CBC));
	ck_assert_int_eq(transform_from_name(TRANS_ENCR, "aes-ecb"), -1);
	ck_assert_int_eq(transform_from_name(TRANS_ENCR, ""), -1);
	ck_assert_int_eq(transform_from_name(TRANS_ENCR, NULL), -1);
	/* a name of another type is not accepted */
	ck_assert_int_eq(transform_from_name(TRANS_PRF, "ecp256"), -1);
	ck_assert_int_eq(transform_from_name(TRANS_KE, "ECP256"), KE_ECP_256);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transform");
	TCase *tc = tcase_create("names");
	tcase_add_loop_test(tc, test_known, 0, sizeof(expected) / sizeof(expected[0]));
	tcase_add_test(tc, test_unknown);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
