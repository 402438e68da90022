/*
 * test_sa_table.c - the IKE SA table: insert, O(1) lookup by SPI, exclusive
 * checkout under contention, init index, half-open counting, removal.
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>

#include "sa/sa_table.h"

typedef struct {
	sa_entry_t entry;
	int counter;        /* modified only while checked out */
	bool in_use;        /* detects two threads inside at once */
} test_sa_t;

static atomic_int destroyed;

static void destroy_cb(sa_entry_t *e, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&destroyed, 1);
	free(e);
}

static struct sockaddr_in v4(const char *a)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(500) };
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static test_sa_t *new_sa(sa_table_t *t, const char *peer, uint64_t peer_spi,
                         bool half_open)
{
	test_sa_t *s = calloc(1, sizeof(*s));
	sa_entry_init(t, &s->entry);
	struct sockaddr_in a = v4(peer);
	sa_table_insert(t, &s->entry, peer_spi, (struct sockaddr *)&a, half_open);
	return s;
}

START_TEST(insert_lookup_remove)
{
	atomic_store(&destroyed, 0);
	sa_table_t *t = sa_table_create(destroy_cb, NULL);
	enum { N = 5000 };
	uint64_t *spis = calloc(N, sizeof(uint64_t));
	uint64_t last_id = 0;
	for (int i = 0; i < N; i++) {
		test_sa_t *s = new_sa(t, "10.0.0.1", i + 1, false);
		ck_assert_uint_ne(s->entry.local_spi, 0);
		ck_assert_uint_gt(s->entry.unique_id, last_id);
		last_id = s->entry.unique_id;
		spis[i] = s->entry.local_spi;
		sa_table_checkin(t, &s->entry);   /* drops the creator's reference */
	}
	ck_assert_uint_eq(sa_table_count(t), N);
	ck_assert_uint_eq(sa_table_half_open(t), 0);
	for (int i = 0; i < N; i++) {
		sa_entry_t *e = sa_table_checkout(t, spis[i]);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->local_spi, spis[i]);
		ck_assert_uint_eq(e->peer_spi, (uint64_t)i + 1);
		if (i % 2)
			sa_table_remove(t, e);
		else
			sa_table_checkin(t, e);
	}
	ck_assert_uint_eq(sa_table_count(t), N / 2);
	ck_assert_int_eq(atomic_load(&destroyed), N / 2);
	ck_assert_ptr_null(sa_table_checkout(t, spis[1]));
	ck_assert_ptr_null(sa_table_checkout(t, 0x1234));
	sa_table_destroy(t);
	ck_assert_int_eq(atomic_load(&destroyed), N);
	free(spis);
}
END_TEST

START_TEST(half_open_counts_and_init_index)
{
	sa_table_t *t = sa_table_create(destroy_cb, NULL);
	test_sa_t *a = new_sa(t, "10.0.0.1", 0xaaaa, true);
	sa_table_checkin(t, &a->entry);
	test_sa_t *b = new_sa(t, "10.0.0.1", 0xbbbb, true);
	sa_table_checkin(t, &b->entry);
	test_sa_t *c = new_sa(t, "10.0.0.2", 0xaaaa, true);
	sa_table_checkin(t, &c->entry);

	struct sockaddr_in p1 = v4("10.0.0.1"), p2 = v4("10.0.0.2"), p3 = v4("10.0.0.3");
	ck_assert_uint_eq(sa_table_half_open(t), 3);
	ck_assert_uint_eq(sa_table_half_open_from(t, (struct sockaddr *)&p1), 2);
	ck_assert_uint_eq(sa_table_half_open_from(t, (struct sockaddr *)&p2), 1);
	ck_assert_uint_eq(sa_table_half_open_from(t, (struct sockaddr *)&p3), 0);

	/* Same initiator SPI from two addresses: two different SAs. */
	sa_entry_t *e = sa_table_checkout_init(t, 0xaaaa, (struct sockaddr *)&p2);
	ck_assert_ptr_eq(e, &c->entry);
	sa_table_set_established(t, e);
	sa_table_checkin(t, e);
	ck_assert_ptr_null(sa_table_checkout_init(t, 0xaaaa, (struct sockaddr *)&p2));
	ck_assert_uint_eq(sa_table_half_open(t), 2);
	ck_assert_uint_eq(sa_table_half_open_from(t, (struct sockaddr *)&p2), 0);

	e = sa_table_checkout_init(t, 0xaaaa, (struct sockaddr *)&p1);
	ck_assert_ptr_eq(e, &a->entry);
	sa_table_remove(t, e);
	ck_assert_uint_eq(sa_table_half_open(t), 1);
	ck_assert_uint_eq(sa_table_half_open_from(t, (struct sockaddr *)&p1), 1);
	ck_assert_uint_eq(sa_table_count(t), 2);

	sa_table_destroy(t);
}
END_TEST

/* Many threads check the same few SAs out: never two inside one at once. */
typedef struct {
	sa_table_t *t;
	uint64_t spis[4];
	int failures;
} race_t;

static void *racer(void *arg)
{
	race_t *r = arg;
	for (int i = 0; i < 20000; i++) {
		sa_entry_t *e = sa_table_checkout(r->t, r->spis[i % 4]);
		if (!e) {
			__atomic_add_fetch(&r->failures, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		test_sa_t *s = (test_sa_t *)e;
		if (s->in_use)
			__atomic_add_fetch(&r->failures, 1, __ATOMIC_SEQ_CST);
		s->in_use = true;
		s->counter++;
		s->in_use = false;
		sa_table_checkin(r->t, e);
	}
	return NULL;
}

START_TEST(exclusive_checkout)
{
	race_t r = { .t = sa_table_create(destroy_cb, NULL) };
	test_sa_t *sas[4];
	for (int i = 0; i < 4; i++) {
		sas[i] = new_sa(r.t, "10.0.0.9", i, false);
		r.spis[i] = sas[i]->entry.local_spi;
		sa_table_checkin(r.t, &sas[i]->entry);
	}
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, racer, &r);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(r.failures, 0);
	int total = 0;
	for (int i = 0; i < 4; i++) {
		total += sas[i]->counter;
	}
	ck_assert_int_eq(total, 4 * 20000);
	sa_table_destroy(r.t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sa_table");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, insert_lookup_remove);
	tcase_add_test(tc, half_open_counts_and_init_index);
	tcase_add_test(tc, exclusive_checkout);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
