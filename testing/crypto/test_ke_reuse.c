/*
 * test_ke_reuse.c - reuse of Diffie-Hellman private values (RFC 7296
 * §2.12, core/crypto/ke_reuse.c) with the nettle plugin: compute_shared
 * agrees with set_peer_public and leaves the object alone, refuses what
 * set_peer_public refuses; a reused key is replaced after max_uses and
 * after its time (on use, and by the timer when its thread is idle) and
 * at once when a reload lowers either limit, is
 * dropped by a flush and when its thread exits, and is wiped (no key
 * left alive) once the last handle is gone; many threads at once agree
 * with their peers.
 */
#include "crypto/ke_reuse.h"
#include "nettle_load.h"

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void setup(void)
{
	nettle_load();
}

static void teardown(void)
{
	ke_reuse_flush();
	nettle_unload();
}

static const ke_id_t groups[] = {
	KE_ECP_256, KE_ECP_384, KE_CURVE25519, KE_CURVE448, KE_MODP_2048,
	KE_MODP_2048_256,
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* compute_shared gives what set_peer_public + get_shared_secret give, for
 * both sides, and does not disturb the object's own stored secret. */
START_TEST(test_compute_shared)
{
	ke_id_t group = groups[_i];
	ke_t *a = crypto_create_ke(group), *b = crypto_create_ke(group);
	chunk_t pa, pb, s1, s2, s3;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(a->compute_shared);
	ck_assert(a->get_public(a, &pa));
	ck_assert(b->get_public(b, &pb));
	ck_assert(a->set_peer_public(a, pb));
	ck_assert(a->compute_shared(a, pb, &s1));
	ck_assert(b->compute_shared(b, pa, &s2));
	ck_assert(chunk_equals(s1, s2));
	ck_assert(a->get_shared_secret(a, &s3));
	ck_assert(chunk_equals(s1, s3));
	chunk_clear(&s3);
	/* A bad value: refused, nothing returned, the stored secret kept. */
	chunk_t bad = chunk_clone(pb);
	if (group == KE_MODP_2048 || group == KE_MODP_2048_256) {
		memset(bad.ptr, 0, bad.len);
		bad.ptr[bad.len - 1] = 1;            /* y = 1 */
	} else if (group == KE_CURVE25519 || group == KE_CURVE448) {
		memset(bad.ptr, 0, bad.len);         /* all-zero secret */
	} else {
		bad.ptr[bad.len - 1] ^= 1;           /* off the curve */
	}
	ck_assert(!a->compute_shared(a, bad, &s3));
	ck_assert_ptr_null(s3.ptr);
	ck_assert(!a->compute_shared(a, chunk_create(pb.ptr, pb.len - 1), &s3));
	ck_assert(!a->compute_shared(a, chunk_empty, &s3));
	ck_assert(a->get_shared_secret(a, &s3));
	ck_assert(chunk_equals(s1, s3));
	chunk_free(&bad);
	chunk_free(&pa); chunk_free(&pb);
	chunk_clear(&s1); chunk_clear(&s2); chunk_clear(&s3);
	a->destroy(a);
	b->destroy(b);
}
END_TEST

/* Off: a fresh private value every time. */
START_TEST(test_off_is_fresh)
{
	ke_t *a = ke_reuse_create(KE_ECP_256, 0, 100);
	ke_t *b = ke_reuse_create(KE_ECP_256, 0, 100);
	chunk_t pa, pb;

	ck_assert(a->get_public(a, &pa) && b->get_public(b, &pb));
	ck_assert(!chunk_equals(pa, pb));
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
	/* A fresh object still takes a known private value. */
	ck_assert(a->set_private(a, chunk_from_str("\x01")));
	chunk_free(&pa); chunk_free(&pb);
	a->destroy(a);
	b->destroy(b);
}
END_TEST

/* One key for max_uses exchanges, each with its own secret agreeing with
 * its peer's; then a new key; wiped when the last handle goes. */
START_TEST(test_max_uses)
{
	ke_id_t group = groups[_i];
	ke_t *h[4], *peer[4];
	chunk_t pub[4];

	for (int i = 0; i < 4; i++) {
		h[i] = ke_reuse_create(group, 60, 3);
		ck_assert_ptr_nonnull(h[i]);
		ck_assert_int_eq(h[i]->get_group(h[i]), group);
		ck_assert(h[i]->get_public(h[i], &pub[i]));
		peer[i] = crypto_create_ke(group);
	}
	ck_assert(chunk_equals(pub[0], pub[1]) && chunk_equals(pub[1], pub[2]));
	ck_assert(!chunk_equals(pub[2], pub[3]));
	for (int i = 0; i < 4; i++) {
		chunk_t pp, s, t;
		ck_assert(peer[i]->get_public(peer[i], &pp));
		ck_assert(h[i]->set_peer_public(h[i], pp));
		ck_assert(peer[i]->set_peer_public(peer[i], pub[i]));
		ck_assert(h[i]->get_shared_secret(h[i], &s));
		ck_assert(peer[i]->get_shared_secret(peer[i], &t));
		ck_assert(chunk_equals(s, t));
		/* Two handles on one key keep their own secrets. */
		if (i > 0 && i < 3) {
			chunk_t prev;
			ck_assert(h[i - 1]->get_shared_secret(h[i - 1], &prev));
			ck_assert(!chunk_equals(prev, s));
			chunk_clear(&prev);
		}
		chunk_free(&pp); chunk_clear(&s); chunk_clear(&t);
	}
	/* Known-answer injection makes no sense on a shared key. */
	ck_assert(!h[0]->set_private(h[0], chunk_from_str("\x01")));
	ck_assert_uint_eq(ke_reuse_live_keys(), 2);
	for (int i = 0; i < 4; i++) {
		h[i]->destroy(h[i]);
		peer[i]->destroy(peer[i]);
		chunk_free(&pub[i]);
	}
	/* The second key is still kept by this thread; the first is gone. */
	ck_assert_uint_eq(ke_reuse_live_keys(), 1);
	ke_reuse_flush();
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
}
END_TEST

/* A key past its time is replaced on the next use; a lower limit after a
 * reload counts too; a flush starts afresh. */
START_TEST(test_expiry_and_flush)
{
	ke_t *a = ke_reuse_create(KE_ECP_256, 1, 100), *b, *c, *d;
	chunk_t pa, pb, pc, pd;

	ck_assert(a->get_public(a, &pa));
	usleep(1100 * 1000);
	b = ke_reuse_create(KE_ECP_256, 1, 100);
	ck_assert(b->get_public(b, &pb));
	ck_assert(!chunk_equals(pa, pb));
	c = ke_reuse_create(KE_ECP_256, 1, 100);
	ck_assert(c->get_public(c, &pc));
	ck_assert(chunk_equals(pb, pc));
	ke_reuse_flush();
	d = ke_reuse_create(KE_ECP_256, 1, 100);
	ck_assert(d->get_public(d, &pd));
	ck_assert(!chunk_equals(pc, pd));
	/* Handles outlive a flush: their key stays until they go. */
	chunk_t s;
	ke_t *peer = crypto_create_ke(KE_ECP_256);
	chunk_t pp;
	ck_assert(peer->get_public(peer, &pp));
	ck_assert(c->set_peer_public(c, pp) && c->get_shared_secret(c, &s));
	chunk_clear(&s);
	/* Keys for a, b/c, d (a's kept by its handle). */
	ck_assert_uint_eq(ke_reuse_live_keys(), 3);
	a->destroy(a); b->destroy(b); c->destroy(c);
	ck_assert_uint_eq(ke_reuse_live_keys(), 1);
	d->destroy(d);
	peer->destroy(peer);
	chunk_free(&pa); chunk_free(&pb); chunk_free(&pc); chunk_free(&pd);
	chunk_free(&pp);
	ke_reuse_flush();
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
}
END_TEST

/* With the scheduler running, an idle thread's expired key is dropped
 * without any further use. */
START_TEST(test_timer_drops_idle_key)
{
	ck_assert(runtime_init(1, 1));
	ke_t *a = ke_reuse_create(KE_CURVE25519, 1, 100);
	ck_assert_ptr_nonnull(a);
	a->destroy(a);
	ck_assert_uint_eq(ke_reuse_live_keys(), 1);
	for (int i = 0; i < 30 && ke_reuse_live_keys(); i++)
		usleep(100 * 1000);
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
	runtime_deinit();
}
END_TEST

#define THREADS 4
#define PER_THREAD 60

static void *worker(void *arg)
{
	ke_t **peers = arg;
	chunk_t first = chunk_empty;
	bool ok = true;

	for (int i = 0; i < PER_THREAD && ok; i++) {
		ke_t *h = ke_reuse_create(KE_ECP_256, 60, 1000);
		ke_t *p = peers[i];
		chunk_t hp, pp, s, t;
		ok = h && h->get_public(h, &hp) && p->get_public(p, &pp);
		if (!ok)
			break;
		if (!first.ptr)
			first = chunk_clone(hp);
		/* Each thread keeps its own key for all its exchanges. */
		ok = chunk_equals(first, hp) && h->set_peer_public(h, pp) &&
		     p->compute_shared(p, hp, &t) && h->get_shared_secret(h, &s) &&
		     chunk_equals(s, t);
		chunk_free(&hp); chunk_free(&pp);
		chunk_clear(&s); chunk_clear(&t);
		h->destroy(h);
	}
	chunk_free(&first);
	return ok ? arg : NULL;
}

/* Threads share nothing but may share peers; when they exit, their keys
 * are dropped (the thread-exit destructor). */
START_TEST(test_threads)
{
	pthread_t t[THREADS];
	ke_t *peers[PER_THREAD];

	for (int i = 0; i < PER_THREAD; i++)
		peers[i] = crypto_create_ke(KE_ECP_256);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, peers), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		ck_assert_msg(r != NULL, "thread %d disagreed with its peer", i);
	}
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
	for (int i = 0; i < PER_THREAD; i++)
		peers[i]->destroy(peers[i]);
}
END_TEST

/* A reload that lowers ke_reuse_secs or ke_reuse_max_uses applies to the
 * key in use at once: the next exchange gets a new key. */
START_TEST(test_lowered_limits)
{
	ke_t *a = ke_reuse_create(KE_CURVE25519, 60, 100);
	ke_t *b = ke_reuse_create(KE_CURVE25519, 5, 100);    /* secs lowered */
	ke_t *c = ke_reuse_create(KE_CURVE25519, 5, 100);
	ke_t *d = ke_reuse_create(KE_CURVE25519, 5, 2);      /* uses lowered */
	chunk_t pa, pb, pc, pd;

	ck_assert(a->get_public(a, &pa) && b->get_public(b, &pb));
	ck_assert(c->get_public(c, &pc) && d->get_public(d, &pd));
	ck_assert(!chunk_equals(pa, pb));
	ck_assert(chunk_equals(pb, pc));
	ck_assert(!chunk_equals(pc, pd));
	chunk_free(&pa); chunk_free(&pb); chunk_free(&pc); chunk_free(&pd);
	a->destroy(a); b->destroy(b); c->destroy(c); d->destroy(d);
	ke_reuse_flush();
	ck_assert_uint_eq(ke_reuse_live_keys(), 0);
}
END_TEST

static Suite *reuse_suite(void)
{
	Suite *s = suite_create("ke_reuse");
	TCase *tc = tcase_create("reuse");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_compute_shared, 0, N_GROUPS);
	tcase_add_test(tc, test_off_is_fresh);
	tcase_add_loop_test(tc, test_max_uses, 0, N_GROUPS);
	tcase_add_test(tc, test_expiry_and_flush);
	tcase_add_test(tc, test_lowered_limits);
	tcase_add_test(tc, test_timer_drops_idle_key);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reuse_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
