/*
 * test_psk.c - the psk plugin's AUTH value (RFC 7296 §2.15):
 *   AUTH = prf(prf(key, "Key Pad for IKEv2"), octets)
 * against values computed independently (Python's hmac module:
 *   k = hmac.new(key, b"Key Pad for IKEv2", sha).digest()
 *   hmac.new(k, octets, sha).hexdigest()),
 * verification in both directions, and refusals.  Needs the nettle and psk
 * plugins (exits 77 without them).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <ikev2d/auth.h>
#include <ikev2d/plugin.h>

#include "lib/plugin_loader.h"

static const char *OCTETS = "signed octets of the test";

static auth_params_t params(prf_id_t prf, const char *key)
{
	return (auth_params_t){
		.prf = prf, .octets = chunk_from_str(OCTETS), .id_type = ID_FQDN,
		.id = chunk_from_str("a.example"), .psk = chunk_from_str(key),
		.rule = "test", .sa_id = 1,
	};
}

static void check_kat(prf_id_t prf, const char *key, const char *hex)
{
	const authenticator_t *a = auth_get(AUTH_PSK);
	ck_assert_ptr_nonnull(a);
	auth_params_t p = params(prf, key);
	chunk_t out;
	uint8_t m = 0;
	ck_assert(a->build(a, &p, &m, &out));
	ck_assert_int_eq(m, AUTH_PSK);
	chunk_t expect = chunk_from_hex(hex);
	ck_assert(chunk_equals(out, expect));
	ck_assert(a->verify(a, &p, AUTH_PSK, expect));
	/* one bit off, one byte short, another key: refused */
	out.ptr[3] ^= 0x10;
	ck_assert(!a->verify(a, &p, AUTH_PSK, out));
	out.ptr[3] ^= 0x10;
	ck_assert(!a->verify(a, &p, AUTH_PSK, chunk_create(out.ptr, out.len - 1)));
	auth_params_t q = params(prf, "another key");
	ck_assert(!a->verify(a, &q, AUTH_PSK, out));
	chunk_free(&out);
	chunk_free(&expect);
}

START_TEST(kat_hmac_sha256)
{
	check_kat(PRF_HMAC_SHA2_256, "secret",
	          "810e0d8fb708b938f587c5a82efc08d7ce336869140ced36a8411d7876868a82");
}
END_TEST

START_TEST(kat_hmac_sha1_asymmetric)
{
	/* the side being checked uses its own key (remote_key) */
	check_kat(PRF_HMAC_SHA1, "other side key",
	          "8580b078670807a4adb29f671e3dd6d3f323e9f4");
}
END_TEST

START_TEST(no_key_no_auth)
{
	const authenticator_t *a = auth_get(AUTH_PSK);
	auth_params_t p = params(PRF_HMAC_SHA2_256, "");
	chunk_t out;
	uint8_t m;
	ck_assert(!a->build(a, &p, &m, &out));
	ck_assert(!a->verify(a, &p, AUTH_PSK, chunk_from_str("anything")));
}
END_TEST

int main(void)
{
	const char *path = getenv("IKEV2D_PLUGIN_PATH");
	if (!path) {
		fprintf(stderr, "IKEV2D_PLUGIN_PATH not set: skipping\n");
		return 77;
	}
	plugin_loader_set_path(path);
	const char *names[] = { "nettle", "psk" };
	if (!plugin_loader_load(names, 2, NULL, 0) || !plugin_feature_loaded("auth:psk")) {
		fprintf(stderr, "nettle/psk plugins not loadable: skipping\n");
		return 77;
	}
	Suite *s = suite_create("psk");
	TCase *tc = tcase_create("auth");
	tcase_add_test(tc, kat_hmac_sha256);
	tcase_add_test(tc, kat_hmac_sha1_asymmetric);
	tcase_add_test(tc, no_key_no_auth);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	plugin_loader_unload();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
