/*
 * test_crypto_order.c - the load-order rule with two real plugins that
 * provide the same features: nettle and gnutls both provide "rng" and
 * "hash:sha1/256/384/512".  Loaded in either order, the earlier plugin in
 * the list provides them: the crypto registry names it, the loader names
 * it, and the instances the core creates really run its code (the address
 * of their methods lies in its module).  The features only gnutls has
 * (credentials) come from gnutls either way.
 */
#define _GNU_SOURCE  /* dladdr */
#include "gt_test.h"

#include "lib/plugin_loader.h"

#include <ikev2d/crypto.h>
#include <ikev2d/plugin.h>

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *const orders[2][2] = {
	{ "nettle", "gnutls" },
	{ "gnutls", "nettle" },
};

static const struct {
	hash_id_t id;
	const char *feature;
	const char *abc;   /* FIPS 180-4 digest of "abc" */
} hashes[] = {
	{ HASH_SHA1, "hash:sha1", "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ HASH_SHA2_256, "hash:sha256", "ba7816bf8f01cfea414140de5dae2223"
	                                "b00361a396177a9cb410ff61f20015ad" },
	{ HASH_SHA2_384, "hash:sha384", "cb00753f45a35e8bb5a03d699ac65007"
	  "272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
	{ HASH_SHA2_512, "hash:sha512", "ddaf35a193617abacc417349ae204131"
	  "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	  "454d4423643ce80e2a9ac94fa54ca49f" },
};

/* Whether the code at fn lives in the module of the named plugin. */
static bool code_in_plugin(const void *fn, const char *plugin)
{
	Dl_info info;
	char want[64];

	if (!dladdr(fn, &info) || !info.dli_fname)
		return false;
	snprintf(want, sizeof(want), "/%s.so", plugin);
	return strstr(info.dli_fname, want) != NULL;
}

START_TEST(test_order)
{
	const char *first = orders[_i][0], *second = orders[_i][1];

	if (!gt_test_load(orders[_i], 2))
		gt_test_dump_log();
	ck_assert(plugin_loader_plugin_loaded(first));
	ck_assert(plugin_loader_plugin_loaded(second));

	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		chunk_t abc = chunk_from_str("abc"), want = chunk_from_hex(hashes[i].abc);
		uint8_t out[64];
		hasher_t *h;

		ck_assert_ptr_nonnull(crypto_hasher_provider(hashes[i].id));
		ck_assert_str_eq(crypto_hasher_provider(hashes[i].id), first);
		ck_assert_str_eq(plugin_feature_provider(hashes[i].feature), first);
		h = crypto_create_hasher(hashes[i].id);
		ck_assert_ptr_nonnull(h);
		ck_assert_msg(code_in_plugin((const void *)h->get_hash, first),
		              "%s hasher does not run %s's code",
		              hashes[i].feature, first);
		ck_assert(h->get_hash(h, &abc, 1, out));
		ck_assert_uint_eq(h->get_hash_size(h), want.len);
		ck_assert(memcmp(out, want.ptr, want.len) == 0);
		h->destroy(h);
		chunk_free(&want);
	}

	rng_t *rng = crypto_create_rng(RNG_STRONG);
	ck_assert_ptr_nonnull(rng);
	ck_assert_str_eq(crypto_rng_provider(), first);
	ck_assert_str_eq(plugin_feature_provider("rng"), first);
	ck_assert(code_in_plugin((const void *)rng->get_bytes, first));
	rng->destroy(rng);

	/* Only gnutls has credentials, only nettle key exchange. */
	ck_assert_str_eq(cred_provider("cert:x509"), "gnutls");
	ck_assert_str_eq(cred_provider("privkey:ecdsa"), "gnutls");
	ck_assert_str_eq(crypto_provider(TRANS_KE, KE_ECP_256), "nettle");
	(void)second;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto load order");
	TCase *tc = tcase_create("order");
	SRunner *sr;
	int failed;

	if (gt_test_sh("test -e \"$top_builddir/plugins/nettle/nettle.la\"") != 0) {
		printf("SKIP: the nettle plugin is not built (--disable-nettle)\n");
		return 77;
	}
	tcase_add_checked_fixture(tc, NULL, gt_test_unload);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_order, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
