/*
 * test_openssl.c - the openssl plugin as shipped, loaded through the
 * plugin loader before nettle: it provides the ECP groups (and nettle the
 * rest); the RFC 5903 and RFC 5114 vectors through it; peer points off the
 * curve, at (0,0), with coordinates >= p or the wrong size are refused;
 * compute_shared agrees with set_peer_public and leaves the object alone;
 * fresh objects have fresh private values; many threads share one object;
 * with the self-test setting off it still loads; each of its secrets agrees
 * with the nettle plugin's for the same private values.
 */
#include "crypto/ke_reuse.h"
#include "lib/plugin_loader.h"
#include "vector_file.h"

#include <ikev2d/bus.h>

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const both[] = { "openssl", "nettle" };

static void setup(void)
{
	ck_assert_msg(plugin_loader_load(both, 2, both, 2),
	              "openssl/nettle did not load (IKEV2D_PLUGIN_PATH?)");
}

static void teardown(void)
{
	ke_reuse_flush();
	plugin_loader_unload();
}

static const ke_id_t groups[] = {
	KE_ECP_256, KE_ECP_384, KE_ECP_521, KE_ECP_192, KE_ECP_224,
};

START_TEST(test_providers)
{
	for (size_t i = 0; i < 5; i++)
		ck_assert_str_eq(crypto_provider(TRANS_KE, groups[i]), "openssl");
	ck_assert_str_eq(crypto_provider(TRANS_KE, KE_CURVE25519), "nettle");
	ck_assert_str_eq(crypto_provider(TRANS_KE, KE_MODP_2048), "nettle");
	ck_assert(plugin_feature_loaded("ke:ecp256"));
}
END_TEST

static void check_record(ke_id_t group, chunk_t priv_i, chunk_t priv_r,
                         chunk_t pub_i, chunk_t pub_r, chunk_t shared,
                         const char *name)
{
	ke_t *i = crypto_create_ke(group), *r = crypto_create_ke(group);
	chunk_t got, s;

	ck_assert_ptr_nonnull(i);
	ck_assert(i->set_private(i, priv_i) && r->set_private(r, priv_r));
	ck_assert(!i->get_shared_secret(i, &s));
	ck_assert(i->get_public(i, &got));
	ck_assert_msg(chunk_equals(got, pub_i), "%s: initiator public value", name);
	chunk_free(&got);
	ck_assert(r->get_public(r, &got));
	ck_assert_msg(chunk_equals(got, pub_r), "%s: responder public value", name);
	chunk_free(&got);
	ck_assert(i->set_peer_public(i, pub_r) && i->get_shared_secret(i, &s));
	ck_assert_msg(chunk_equals(s, shared), "%s: initiator's secret", name);
	chunk_clear(&s);
	ck_assert(r->compute_shared(r, pub_i, &s));
	ck_assert_msg(chunk_equals(s, shared), "%s: responder's secret", name);
	chunk_clear(&s);
	i->destroy(i);
	r->destroy(r);
}

START_TEST(test_vectors)
{
	vector_file_t *vf = vf_open("dh/rfc5903_ecp_groups_19_20_21.txt");
	int n = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		chunk_t pi = vf_hex(vf, "i"), pr = vf_hex(vf, "r");
		chunk_t ui = vf_hex(vf, "ke_data_i"), ur = vf_hex(vf, "ke_data_r");
		chunk_t sh = vf_hex(vf, "shared_g_ir");
		check_record((ke_id_t)vf_int(vf, "ike_group"), pi, pr, ui, ur, sh,
		             vf_get(vf, "rfc5903_section"));
		chunk_free(&pi); chunk_free(&pr); chunk_free(&ui);
		chunk_free(&ur); chunk_free(&sh);
		n++;
	}
	vf_close(vf);
	ck_assert_int_eq(n, 3);
	vf = vf_open("dh/rfc5114_ecp_groups_25_26_19_20_21.txt");
	ck_assert_ptr_nonnull(vf);
	n = 0;
	while (vf_next(vf)) {
		chunk_t pi = vf_hex(vf, "priv_i"), pr = vf_hex(vf, "priv_r");
		chunk_t ui = vf_hex(vf, "pub_i"), ur = vf_hex(vf, "pub_r");
		chunk_t sh = vf_hex(vf, "shared");
		check_record((ke_id_t)vf_int(vf, "ike_group"), pi, pr, ui, ur, sh,
		             vf_get(vf, "name"));
		chunk_free(&pi); chunk_free(&pr); chunk_free(&ui);
		chunk_free(&ur); chunk_free(&sh);
		n++;
	}
	vf_close(vf);
	ck_assert_int_eq(n, 5);
}
END_TEST

START_TEST(test_invalid_points)
{
	ke_id_t group = groups[_i];
	ke_t *a = crypto_create_ke(group), *b = crypto_create_ke(group);
	chunk_t pub, s;

	ck_assert(b->get_public(b, &pub));
	ck_assert(a->set_peer_public(a, pub));
	ck_assert(a->get_shared_secret(a, &s));
	chunk_t keep = s;
	/* off the curve: y + 1 (compute_shared leaves the stored secret) */
	pub.ptr[pub.len - 1] ^= 0x01;
	ck_assert(!a->compute_shared(a, pub, &s));
	ck_assert_ptr_null(s.ptr);
	ck_assert(a->get_shared_secret(a, &s));
	ck_assert(chunk_equals(s, keep));
	chunk_clear(&s);
	ck_assert(!a->set_peer_public(a, pub));
	ck_assert(!a->get_shared_secret(a, &s));
	/* (0, 0), all-ones (>= p), the X9.62 form, half, nothing */
	memset(pub.ptr, 0, pub.len);
	ck_assert(!a->set_peer_public(a, pub));
	memset(pub.ptr, 0xff, pub.len);
	ck_assert(!a->set_peer_public(a, pub));
	chunk_t longer = chunk_alloc(pub.len + 1);
	memset(longer.ptr, 0x04, longer.len);
	ck_assert(!a->set_peer_public(a, longer));
	chunk_free(&longer);
	ck_assert(!a->set_peer_public(a, chunk_create(pub.ptr, pub.len / 2)));
	ck_assert(!a->set_peer_public(a, chunk_empty));
	/* bad private values */
	ck_assert(!a->set_private(a, chunk_empty));
	uint8_t zero[1] = { 0 };
	ck_assert(!a->set_private(a, chunk_create(zero, 1)));
	chunk_t big = chunk_alloc(pub.len / 2);
	memset(big.ptr, 0xff, big.len);                /* >= the order */
	ck_assert(!a->set_private(a, big));
	chunk_free(&big);
	chunk_clear(&keep);
	chunk_free(&pub);
	a->destroy(a);
	b->destroy(b);
}
END_TEST

START_TEST(test_fresh)
{
	ke_id_t group = groups[_i];
	ke_t *a = crypto_create_ke(group), *b = crypto_create_ke(group);
	chunk_t pa, pb, sa, sb;

	ck_assert(a->get_public(a, &pa) && b->get_public(b, &pb));
	ck_assert(!chunk_equals(pa, pb));
	ck_assert(a->set_peer_public(a, pb) && b->set_peer_public(b, pa));
	ck_assert(a->get_shared_secret(a, &sa) && b->get_shared_secret(b, &sb));
	ck_assert(chunk_equals(sa, sb));
	chunk_free(&pa); chunk_free(&pb); chunk_clear(&sa); chunk_clear(&sb);
	a->destroy(a);
	b->destroy(b);
}
END_TEST

#define THREADS 4
#define ROUNDS 50
static ke_t *shared_ke;

static void *thread_main(void *arg)
{
	chunk_t mine;
	bool ok = shared_ke->get_public(shared_ke, &mine);

	for (int i = 0; i < ROUNDS && ok; i++) {
		ke_t *p = crypto_create_ke(KE_ECP_256);
		chunk_t pp, s, t;
		ok = p && p->get_public(p, &pp);
		if (!ok)
			break;
		ok = shared_ke->compute_shared(shared_ke, pp, &s) &&
		     p->compute_shared(p, mine, &t) && chunk_equals(s, t);
		chunk_free(&pp); chunk_clear(&s); chunk_clear(&t);
		p->destroy(p);
	}
	chunk_free(&mine);
	return ok ? arg : NULL;
}

/* One object, many threads at once (as ke_reuse uses it). */
START_TEST(test_threads)
{
	pthread_t t[THREADS];

	shared_ke = crypto_create_ke(KE_ECP_256);
	static int ids[THREADS];
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_main, &ids[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		ck_assert_msg(r != NULL, "thread %d: secrets disagree", i);
	}
	shared_ke->destroy(shared_ke);
}
END_TEST

/* The same private values give the same secret with nettle's ECP. */
START_TEST(test_agrees_with_nettle)
{
	static const char *const only_nettle[] = { "nettle" };
	ke_id_t group = groups[_i];
	ke_t *a = crypto_create_ke(group), *b = crypto_create_ke(group);
	uint8_t priv[2][8] = { { 1, 2, 3, 4, 5, 6, 7, 8 }, { 9, 8, 7, 6, 5, 4, 3, 2 } };
	chunk_t pa, pb, s1, s2;

	ck_assert(a->set_private(a, chunk_create(priv[0], 8)));
	ck_assert(b->set_private(b, chunk_create(priv[1], 8)));
	ck_assert(b->get_public(b, &pb));
	ck_assert(a->set_peer_public(a, pb) && a->get_shared_secret(a, &s1));
	ck_assert(a->get_public(a, &pa));
	a->destroy(a);
	b->destroy(b);
	plugin_loader_unload();
	ck_assert(plugin_loader_load(only_nettle, 1, only_nettle, 1));
	ck_assert_str_eq(crypto_provider(TRANS_KE, group), "nettle");
	b = crypto_create_ke(group);
	ck_assert(b->set_private(b, chunk_create(priv[1], 8)));
	ck_assert(b->set_peer_public(b, pa) && b->get_shared_secret(b, &s2));
	ck_assert(chunk_equals(s1, s2));
	chunk_t nb;
	ck_assert(b->get_public(b, &nb));
	ck_assert(chunk_equals(nb, pb));
	b->destroy(b);
	chunk_free(&pa); chunk_free(&pb); chunk_free(&nb);
	chunk_clear(&s1); chunk_clear(&s2);
}
END_TEST

static Suite *openssl_suite(void)
{
	Suite *s = suite_create("openssl");
	TCase *tc = tcase_create("ecp");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_providers);
	tcase_add_test(tc, test_vectors);
	tcase_add_loop_test(tc, test_invalid_points, 0, 5);
	tcase_add_loop_test(tc, test_fresh, 0, 5);
	tcase_add_test(tc, test_threads);
	tcase_add_loop_test(tc, test_agrees_with_nettle, 0, 5);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(openssl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
