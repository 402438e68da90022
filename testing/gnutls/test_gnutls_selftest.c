/*
 * test_gnutls_selftest.c - the registration self-tests of the gnutls
 * plugin: with the test hook corrupting one key type's (or hash's, or the
 * RNG's) check, that one is not registered and the log says why, the
 * others are; with plugins.gnutls.selftest = false nothing is checked, so
 * the corrupted one is registered after all.
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include "config/config.h"

#include <ikev2d/crypto.h>
#include <ikev2d/plugin.h>
#include <ikev2d/settings.h>

#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#define HOOK "IKEV2D_TEST_SELFTEST_FAIL"

static void teardown(void)
{
	gt_test_unload();
	unsetenv(HOOK);
}

/* P-384 fails: the ECDSA feature stays (P-256, P-521 pass), P-384 keys are
 * refused with a reason. */
START_TEST(test_one_curve)
{
	setenv(HOOK, "key:ecdsa-p384", 1);
	ck_assert(gt_test_load_gnutls());
	ck_assert(gt_test_logged("ecdsa-p384 keys failed their self-test"));
	ck_assert(plugin_feature_loaded("privkey:ecdsa"));
	ck_assert(plugin_feature_loaded("pubkey:ecdsa"));
	ck_assert_str_eq(cred_provider("privkey:ecdsa"), "gnutls");
	/* The DER SPKI of a P-384 and of a P-256 key from Wycheproof. */
	chunk_t p384 = chunk_from_hex(
		"3076301006072a8648ce3d020106052b810400220362000429bdb76d5fa741bf"
		"d70233cb3a66cc7d44beb3b0663d92a8136650478bcefb61ef182e155a54345a"
		"5e8e5e88f064e5bc9a525ab7f764dad3dae1468c2b419f3b62b9ba917d5e8c4f"
		"b1ec47404a3fc76474b2713081be9db4c00e043ada9fc4a3");
	chunk_t p256 = chunk_from_hex(
		"3059301306072a8648ce3d020106082a8648ce3d030107034200042927b10512ba"
		"e3eddcfe467828128bad2903269919f7086069c8c4df6c732838c7787964eaac00"
		"e5921fb1498a60f4606766b3d9685001558d1a974e7341513e");
	public_key_t *k;

	ck_assert_uint_gt(p384.len, 0);
	gt_test_clear_log();
	ck_assert_ptr_null(cred_load_public_key(KEY_ANY, p384));
	ck_assert(gt_test_logged("ecdsa-p384 keys are not enabled"));
	k = cred_load_public_key(KEY_ANY, p256);
	ck_assert_ptr_nonnull(k);
	k->destroy(k);
	chunk_free(&p384);
	chunk_free(&p256);
}
END_TEST

/* A feature with a single key type fails as a whole. */
START_TEST(test_whole_feature)
{
	setenv(HOOK, "key:ed448", 1);
	ck_assert(gt_test_load_gnutls());
	ck_assert(!plugin_feature_loaded("privkey:ed448"));
	ck_assert(!plugin_feature_loaded("pubkey:ed448"));
	ck_assert_ptr_null(cred_provider("privkey:ed448"));
	ck_assert(plugin_feature_loaded("privkey:ed25519"));
}
END_TEST

START_TEST(test_hash_and_rng)
{
	setenv(HOOK, _i ? "rng" : "hash:sha384", 1);
	ck_assert(gt_test_load_gnutls());
	if (_i) {
		ck_assert(!plugin_feature_loaded("rng"));
		ck_assert_ptr_null(crypto_rng_provider());
		ck_assert(gt_test_logged("rng failed its self-test"));
	} else {
		ck_assert(!plugin_feature_loaded("hash:sha384"));
		ck_assert_ptr_null(crypto_hasher_provider(HASH_SHA2_384));
		ck_assert_str_eq(crypto_hasher_provider(HASH_SHA2_512), "gnutls");
		ck_assert(gt_test_logged("hash:sha384 failed its self-test"));
	}
}
END_TEST

/* plugins.gnutls.selftest = false: no self-tests, so the corrupted one is
 * registered. */
START_TEST(test_setting_off)
{
	char path[] = "/tmp/gnutls-selftest-XXXXXX";
	static const char text[] =
		"plugins = { load = [ \"gnutls\" ]; gnutls = { selftest = false; }; };\n";
	int fd = mkstemp(path), errors = -1;
	config_t *cfg;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	setenv(HOOK, "key:ed448", 1);
	/* The plugin must be loaded for its setting to be known. */
	ck_assert(gt_test_load_gnutls());
	ck_assert(!plugin_feature_loaded("privkey:ed448"));
	gt_test_unload();

	cfg = config_load(path, &errors);
	unlink(path);
	ck_assert_msg(cfg, "configuration did not load (%d errors)", errors);
	config_set_current(cfg);
	ck_assert(!settings_get_bool("plugins.gnutls.selftest", true));
	ck_assert(gt_test_load_gnutls());
	ck_assert(plugin_feature_loaded("privkey:ed448"));
	config_set_current(NULL);
	config_unref(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gnutls self-tests");
	TCase *tc = tcase_create("selftest");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_curve);
	tcase_add_test(tc, test_whole_feature);
	tcase_add_loop_test(tc, test_hash_and_rng, 0, 2);
	tcase_add_test(tc, test_setting_off);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
