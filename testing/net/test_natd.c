/*
 * test_natd.c - NAT detection hashes (RFC 7296 §2.23) with SHA-1 from the
 * nettle plugin as built: known values (computed independently with
 * Python's hashlib), and the evaluation of a peer's notifies.
 */
#include <check.h>
#include <string.h>

#include <net/addr.h>
#include <net/nat.h>

#include "../crypto/nettle_load.h"

static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_zero[8];
static const uint8_t spi_r[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };

static struct sockaddr_storage ss(const char *ip, uint16_t port)
{
	struct sockaddr_storage a;

	ck_assert(addr_from_str(ip, port, &a));
	return a;
}

static void check_hash(const uint8_t *si, const uint8_t *sr, const char *ip,
                       uint16_t port, const char *hex)
{
	struct sockaddr_storage a = ss(ip, port);
	uint8_t h[NATD_HASH_LEN];
	char out[2 * NATD_HASH_LEN + 1];

	ck_assert(natd_hash(si, sr, &a, h));
	ck_assert_str_eq(chunk_to_hex(chunk_create(h, sizeof(h)), out), hex);
	ck_assert(natd_matches(chunk_create(h, sizeof(h)), si, sr, &a));
	/* another port, another hash */
	addr_set_port(&a, port + 1);
	ck_assert(!natd_matches(chunk_create(h, sizeof(h)), si, sr, &a));
}

START_TEST(test_known_hashes)
{
	check_hash(spi_i, spi_zero, "10.1.2.3", 500,
	           "5979a49c9ff8aaef08ace8e319de18d0880213af");
	check_hash(spi_i, spi_r, "fe80::1", 4500,
	           "c464b24ff6fcece998350d799b03781f11cf6d29");
}
END_TEST

START_TEST(test_bad_input)
{
	struct sockaddr_storage none;
	uint8_t h[NATD_HASH_LEN];
	struct sockaddr_storage a = ss("10.1.2.3", 500);

	memset(&none, 0, sizeof(none));
	ck_assert(!natd_hash(spi_i, spi_zero, &none, h));
	ck_assert(natd_hash(spi_i, spi_zero, &a, h));
	/* wrong lengths never match */
	ck_assert(!natd_matches(chunk_create(h, 19), spi_i, spi_zero, &a));
	ck_assert(!natd_matches(chunk_empty, spi_i, spi_zero, &a));
}
END_TEST

START_TEST(test_evaluate)
{
	struct sockaddr_storage peer = ss("10.9.9.9", 4500), local = ss("10.1.2.3", 500);
	struct sockaddr_storage other = ss("10.7.7.7", 500);
	uint8_t hp[NATD_HASH_LEN], hl[NATD_HASH_LEN], ho[NATD_HASH_LEN];
	bool peer_nat, local_nat;

	ck_assert(natd_hash(spi_i, spi_zero, &peer, hp));
	ck_assert(natd_hash(spi_i, spi_zero, &local, hl));
	ck_assert(natd_hash(spi_i, spi_zero, &other, ho));

	/* no NAT: the peer's source hash is of where it came from, its
	 * destination hash of where it arrived */
	chunk_t src[2] = { chunk_create(ho, 20), chunk_create(hp, 20) };
	ck_assert(natd_evaluate(src, 2, chunk_create(hl, 20), spi_i, spi_zero,
	                        &peer, &local, &peer_nat, &local_nat));
	ck_assert(!peer_nat);
	ck_assert(!local_nat);

	/* the peer is translated: none of its source hashes matches */
	ck_assert(natd_evaluate(src, 1, chunk_create(hl, 20), spi_i, spi_zero,
	                        &peer, &local, &peer_nat, &local_nat));
	ck_assert(peer_nat);
	ck_assert(!local_nat);

	/* we are translated: its destination hash is not of our address */
	ck_assert(natd_evaluate(src + 1, 1, chunk_create(ho, 20), spi_i, spi_zero,
	                        &peer, &local, &peer_nat, &local_nat));
	ck_assert(!peer_nat);
	ck_assert(local_nat);

	/* a truncated destination hash is a mismatch, not a crash */
	ck_assert(natd_evaluate(src + 1, 1, chunk_create(hl, 5), spi_i, spi_zero,
	                        &peer, &local, &peer_nat, &local_nat));
	ck_assert(local_nat);

	/* no NAT detection from the peer: nothing to say */
	ck_assert(!natd_evaluate(src, 0, chunk_create(hl, 20), spi_i, spi_zero,
	                         &peer, &local, &peer_nat, &local_nat));
	ck_assert(!natd_evaluate(src, 1, chunk_empty, spi_i, spi_zero,
	                         &peer, &local, &peer_nat, &local_nat));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("natd");
	TCase *tc = tcase_create("natd");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, nettle_load, nettle_unload);
	tcase_add_test(tc, test_known_hashes);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_evaluate);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
