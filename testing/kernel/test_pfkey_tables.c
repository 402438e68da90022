/*
 * test_pfkey_tables.c - kernel-pfkey's record of its SAs, policies and
 * reqids (kernel-backends/pfkey/pfkey_tables.c), without a socket: every
 * entry is found again by its key and only by its key, removals leave
 * the others findable, the walk list holds exactly what is in the table,
 * and with 10,000 entries sharing one destination (what a load run
 * installs) the hash chains stay short: the lookups were list walks
 * before, and the install rate fell as SAs piled up.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

#include "../../kernel-backends/pfkey/pfkey_tables.h"

#define MANY 10000

static struct sockaddr_storage ip4(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage ip6(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	return ss;
}

static sa_ent_t *new_sa(const struct sockaddr_storage *dst, uint32_t spi)
{
	sa_ent_t *e = xzalloc(sizeof(*e));

	e->dst = *dst;
	e->spi = spi;
	e->reqid = spi ^ 0x5a5a;
	return e;
}

static size_t walk_count_sa(const pfk_sa_table_t *t)
{
	size_t n = 0;

	for (const sa_ent_t *e = t->all; e; e = e->next) {
		if (e->next)
			ck_assert_ptr_eq(e->next->prev, e);
		n++;
	}
	return n;
}

static size_t longest_sa_chain(const pfk_sa_table_t *t)
{
	size_t longest = 0;

	for (size_t i = 0; i < t->n_buckets; i++) {
		size_t n = 0;
		for (const sa_ent_t *e = t->buckets[i]; e; e = e->hnext)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

START_TEST(sa_find_insert_remove)
{
	pfk_sa_table_t t;
	struct sockaddr_storage d = ip4("10.93.0.2", 0), other = ip4("10.93.0.1", 0);
	struct sockaddr_storage d6 = ip6("2001:db8::2", 0);

	pfk_sat_init(&t);
	ck_assert_ptr_null(pfk_sat_find(&t, &d, 0x1000));
	/* one destination, MANY SPIs: a load run's inbound SAs */
	for (uint32_t i = 0; i < MANY; i++)
		pfk_sat_insert(&t, new_sa(&d, 0x1000 + i));
	/* the same SPI towards others is another SA */
	pfk_sat_insert(&t, new_sa(&other, 0x1000));
	pfk_sat_insert(&t, new_sa(&d6, 0x1000));
	ck_assert_uint_eq(t.n, MANY + 2);
	ck_assert_uint_eq(walk_count_sa(&t), MANY + 2);

	for (uint32_t i = 0; i < MANY; i++) {
		sa_ent_t *e = pfk_sat_find(&t, &d, 0x1000 + i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->spi, 0x1000 + i);
		ck_assert_uint_eq(e->reqid, (0x1000 + i) ^ 0x5a5a);
	}
	sa_ent_t *a = pfk_sat_find(&t, &other, 0x1000);
	sa_ent_t *b = pfk_sat_find(&t, &d6, 0x1000);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_ne(a, pfk_sat_find(&t, &d, 0x1000));
	ck_assert_ptr_null(pfk_sat_find(&t, &d, 0x1000 + MANY));
	ck_assert_ptr_null(pfk_sat_find(&t, &other, 0x1001));
	/* the port is not part of an SA's name */
	struct sockaddr_storage dp = ip4("10.93.0.2", 4500);
	ck_assert_ptr_eq(pfk_sat_find(&t, &dp, 0x1005), pfk_sat_find(&t, &d, 0x1005));

	/* short chains: the table grew with the entries */
	ck_assert_uint_ge(t.n_buckets, t.n);
	ck_assert_uint_le(longest_sa_chain(&t), 12);

	/* remove every other one, first and last inserted included */
	for (uint32_t i = 0; i < MANY; i += 2) {
		sa_ent_t *e = pfk_sat_find(&t, &d, 0x1000 + i);
		pfk_sat_remove(&t, e);
		free(e);
	}
	pfk_sat_remove(&t, a);
	free(a);
	ck_assert_uint_eq(t.n, MANY / 2 + 1);
	ck_assert_uint_eq(walk_count_sa(&t), MANY / 2 + 1);
	for (uint32_t i = 0; i < MANY; i++) {
		sa_ent_t *e = pfk_sat_find(&t, &d, 0x1000 + i);
		if (i % 2)
			ck_assert_ptr_nonnull(e);
		else
			ck_assert_ptr_null(e);
	}
	ck_assert_ptr_null(pfk_sat_find(&t, &other, 0x1000));
	ck_assert_ptr_eq(pfk_sat_find(&t, &d6, 0x1000), b);
	/* and one can come back */
	pfk_sat_insert(&t, new_sa(&d, 0x1000));
	ck_assert_ptr_nonnull(pfk_sat_find(&t, &d, 0x1000));

	/* emptied through the walk list, as pk_flush does */
	while (t.all) {
		sa_ent_t *e = t.all;
		pfk_sat_remove(&t, e);
		free(e);
	}
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(pfk_sat_find(&t, &d, 0x1001));
	pfk_sat_free(&t);
}
END_TEST

static pfk_prefix_t pfx(const char *ip, uint16_t port, uint8_t plen)
{
	pfk_prefix_t p;

	memset(&p, 0, sizeof(p));
	p.addr = strchr(ip, ':') ? ip6(ip, port) : ip4(ip, port);
	p.plen = plen;
	return p;
}

static pol_ent_t *new_pol(uint8_t dir, pfk_prefix_t s, pfk_prefix_t d,
                          uint8_t proto, uint32_t index)
{
	pol_ent_t *e = xzalloc(sizeof(*e));

	e->dir = dir;
	e->s = s;
	e->d = d;
	e->proto = proto;
	e->index = index;
	e->reqid = index + 7;
	return e;
}

START_TEST(policy_by_selector_and_index)
{
	pfk_pol_table_t t;
	pfk_prefix_t s = pfx("10.93.1.0", 0, 24), d = pfx("10.93.2.0", 0, 24);
	char ip[32];

	pfk_polt_init(&t);
	ck_assert_ptr_null(pfk_polt_find(&t, 2, &s, &d, 0));
	ck_assert_ptr_null(pfk_polt_find_index(&t, 1));
	/* MANY host pairs, both directions */
	for (uint32_t i = 0; i < MANY; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 100 + i / 65536,
		         (i / 256) % 256, i % 256);
		pfk_prefix_t h = pfx(ip, 0, 32);
		pfk_polt_insert(&t, new_pol(1, h, d, 0, 8 * i + 1));
		pfk_polt_insert(&t, new_pol(2, d, h, 0, 8 * i + 2));
	}
	ck_assert_uint_eq(t.n, 2 * MANY);
	for (uint32_t i = 0; i < MANY; i += 97) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 100 + i / 65536,
		         (i / 256) % 256, i % 256);
		pfk_prefix_t h = pfx(ip, 0, 32);
		pol_ent_t *in = pfk_polt_find(&t, 1, &h, &d, 0);
		pol_ent_t *out = pfk_polt_find(&t, 2, &d, &h, 0);
		ck_assert_ptr_nonnull(in);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(in->index, 8 * i + 1);
		ck_assert_uint_eq(out->index, 8 * i + 2);
		ck_assert_ptr_eq(pfk_polt_find_index(&t, 8 * i + 1), in);
		ck_assert_ptr_eq(pfk_polt_find_index(&t, 8 * i + 2), out);
		/* the direction, protocol, prefix length and ports count */
		ck_assert_ptr_null(pfk_polt_find(&t, 2, &h, &d, 0));
		ck_assert_ptr_null(pfk_polt_find(&t, 1, &h, &d, 17));
		pfk_prefix_t h31 = h;
		h31.plen = 31;
		ck_assert_ptr_null(pfk_polt_find(&t, 1, &h31, &d, 0));
		pfk_prefix_t hp = pfx(ip, 500, 32);
		ck_assert_ptr_null(pfk_polt_find(&t, 1, &hp, &d, 0));
	}
	ck_assert_ptr_null(pfk_polt_find_index(&t, 3));

	/* one subnet pair, three policies (the load run's case), v6 too */
	pfk_prefix_t s6 = pfx("2001:db8:1::", 0, 48), d6 = pfx("2001:db8:2::", 0, 48);
	pol_ent_t *in = new_pol(1, d, s, 0, 100001);
	pol_ent_t *out = new_pol(2, s, d, 0, 100002);
	pol_ent_t *fwd = new_pol(3, d, s, 0, 100003);
	pol_ent_t *v6 = new_pol(2, s6, d6, 0, 100004);
	pfk_polt_insert(&t, in);
	pfk_polt_insert(&t, out);
	pfk_polt_insert(&t, fwd);
	pfk_polt_insert(&t, v6);
	ck_assert_ptr_eq(pfk_polt_find(&t, 1, &d, &s, 0), in);
	ck_assert_ptr_eq(pfk_polt_find(&t, 2, &s, &d, 0), out);
	ck_assert_ptr_eq(pfk_polt_find(&t, 3, &d, &s, 0), fwd);
	ck_assert_ptr_eq(pfk_polt_find(&t, 2, &s6, &d6, 0), v6);
	ck_assert_ptr_null(pfk_polt_find(&t, 2, &d6, &s6, 0));

	/* an update the kernel answered with another index: re-filed */
	pfk_polt_set_index(&t, out, 200002);
	ck_assert_ptr_null(pfk_polt_find_index(&t, 100002));
	ck_assert_ptr_eq(pfk_polt_find_index(&t, 200002), out);
	ck_assert_ptr_eq(pfk_polt_find(&t, 2, &s, &d, 0), out);

	pfk_polt_remove(&t, fwd);
	free(fwd);
	ck_assert_ptr_null(pfk_polt_find(&t, 3, &d, &s, 0));
	ck_assert_ptr_null(pfk_polt_find_index(&t, 100003));
	ck_assert_ptr_eq(pfk_polt_find(&t, 1, &d, &s, 0), in);
	ck_assert_uint_eq(t.n, 2 * MANY + 3);
	size_t walked = 0;
	for (pol_ent_t *e = t.all; e; e = e->next)
		walked++;
	ck_assert_uint_eq(walked, t.n);
	ck_assert_uint_ge(t.n_buckets, t.n);
	pfk_polt_free(&t);   /* frees what is left */
}
END_TEST

START_TEST(reqid_map)
{
	static pfk_kreq_table_t t;
	uint16_t a, b, c;

	pfk_kreq_init(&t);
	ck_assert_uint_eq(pfk_kreq_get(&t, 0), 0);
	a = pfk_kreq_get(&t, 1000);
	b = pfk_kreq_get(&t, 1001);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_ne(b, 0);
	ck_assert_uint_ne(a, b);
	/* the same engine reqid, the same kernel one, counted */
	ck_assert_uint_eq(pfk_kreq_get(&t, 1000), a);
	pfk_kreq_put(&t, a);
	ck_assert_uint_eq(pfk_kreq_get(&t, 1000), a);
	pfk_kreq_put(&t, a);
	pfk_kreq_put(&t, a);
	/* released: 1000 may get any slot now, and a is free for others */
	c = pfk_kreq_get(&t, 2000);
	ck_assert_uint_eq(c, a);
	ck_assert_uint_eq(pfk_kreq_get(&t, 1001), b);
	pfk_kreq_put(&t, b);
	pfk_kreq_put(&t, b);
	pfk_kreq_put(&t, c);
	pfk_kreq_put(&t, 0);        /* no-ops */
	pfk_kreq_put(&t, 0x3fff);

	/* all PFK_REQID_MAX in use: the next distinct one gets none */
	pfk_kreq_init(&t);
	for (uint32_t r = 1; r <= PFK_REQID_MAX; r++) {
		uint16_t k = pfk_kreq_get(&t, 0x10000 + r);
		ck_assert_uint_ne(k, 0);
		ck_assert_uint_le(k, PFK_REQID_MAX);
	}
	ck_assert_uint_eq(pfk_kreq_get(&t, 0x9999999), 0);
	/* ... but one in use still maps, and a freed slot is reused */
	uint16_t k7 = pfk_kreq_get(&t, 0x10000 + 7);
	ck_assert_uint_ne(k7, 0);
	pfk_kreq_put(&t, k7);
	pfk_kreq_put(&t, k7);
	uint16_t n = pfk_kreq_get(&t, 0x9999999);
	ck_assert_uint_eq(n, k7);
	for (uint32_t r = 1; r <= PFK_REQID_MAX; r += 13) {
		if (r == 7)
			continue;
		uint16_t k = pfk_kreq_get(&t, 0x10000 + r);
		ck_assert_uint_ne(k, 0);
		ck_assert_uint_eq(t.slot[k].engine, 0x10000 + r);
		ck_assert_uint_eq(t.slot[k].refs, 2);
	}

	/* pinned (someone else's policy's reqid): get gives that slot for
	 * its engine reqid, never to another; the slots skipped below it
	 * and a released one stay usable, a taken one cannot be pinned */
	pfk_kreq_init(&t);
	uint16_t a1 = pfk_kreq_get(&t, 500);   /* slot 1 */
	ck_assert(pfk_kreq_pin(&t, 4000, 0x40000000u | 4000));
	ck_assert(pfk_kreq_pin(&t, 4000, 0x40000000u | 4000));   /* again: ok */
	ck_assert(!pfk_kreq_pin(&t, 4000, 777));
	ck_assert(!pfk_kreq_pin(&t, a1, 0x40000000u | a1));
	ck_assert_uint_eq(pfk_kreq_get(&t, 0x40000000u | 4000), 4000);
	pfk_kreq_put(&t, 4000);                 /* the SA's reference */
	ck_assert_uint_eq(t.slot[4000].refs, 1); /* the pin stays */
	for (uint32_t r = 0; r < 3998; r++) {
		uint16_t k = pfk_kreq_get(&t, 0x20000 + r);
		ck_assert_uint_ne(k, 0);
		ck_assert_uint_ne(k, 4000);
	}
	pfk_kreq_put(&t, a1);
	ck_assert(pfk_kreq_pin(&t, a1, 0x40000000u | a1));   /* released: ok */
	ck_assert_uint_eq(pfk_kreq_get(&t, 0x9999), 4001);
}
END_TEST

static Suite *pfkey_tables_suite(void)
{
	Suite *s = suite_create("pfkey_tables");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, sa_find_insert_remove);
	tcase_add_test(tc, policy_by_selector_and_index);
	tcase_add_test(tc, reqid_map);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pfkey_tables_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
