/*
 * test_keys.c - the engine <-> keys process messages (core/cred/keys_msg.c):
 * round trips over a socketpair, every kind of malformed message, and the
 * keys process's checks of what it signs: IKE_AUTH octets (RFC 7296 §2.15)
 * pass, anything else (a certificate's TBS, a hash, an IKE message of
 * another exchange, bad lengths) is refused; schemes must fit the rule's
 * method and the key.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cred/keys_msg.h"

static uint8_t buf[KSM_MSG_MAX + 1];
static char why[256];

/* An IKE_SA_INIT request (SA, KE, Nonce) of n_payload_bytes payload
 * octets, then trailer octets: what the initiator signs. */
static size_t init_octets(uint8_t *d, bool response, size_t trailer)
{
	size_t n = 28;
	memset(d, 0, 1024);
	memset(d, 0x11, 8);                     /* SPIi */
	if (response)
		memset(d + 8, 0x22, 8);             /* SPIr */
	d[16] = 33;                             /* SA */
	d[17] = 0x20;
	d[18] = 34;
	d[19] = response ? 0x20 : 0x08;
	/* SA (44 octets), KE (40), Nonce (36) */
	const uint8_t types[3][2] = { { 34, 44 }, { 40, 40 }, { 0, 36 } };
	for (int i = 0; i < 3; i++) {
		d[n] = types[i][0];
		d[n + 3] = types[i][1];
		memset(d + n + 4, 0x30 + i, types[i][1] - 4);
		n += types[i][1];
	}
	d[26] = (uint8_t)(n >> 8);
	d[27] = (uint8_t)n;
	memset(d + n, 0x5a, trailer);
	return n + trailer;
}

START_TEST(octets)
{
	uint8_t d[1024];
	size_t n = init_octets(d, false, 32 + 32);
	ck_assert_msg(ksm_octets_ok(d, n, why, sizeof(why)), "%s", why);
	n = init_octets(d, true, 16 + 16);
	ck_assert_msg(ksm_octets_ok(d, n, why, sizeof(why)), "%s", why);
	n = init_octets(d, true, 256 + 64);
	ck_assert_msg(ksm_octets_ok(d, n, why, sizeof(why)), "%s", why);

	/* trailer too short / too long */
	n = init_octets(d, false, 31);
	ck_assert(!ksm_octets_ok(d, n, why, sizeof(why)));
	n = init_octets(d, false, 256 + 64 + 1);
	ck_assert(!ksm_octets_ok(d, n, why, sizeof(why)));

	/* each header field spoiled in turn */
	static const struct { size_t off; uint8_t val; } spoil[] = {
		{ 17, 0x10 },     /* IKEv1 */
		{ 18, 35 },       /* IKE_AUTH */
		{ 18, 37 },       /* INFORMATIONAL */
		{ 19, 0x28 },     /* I and R */
		{ 19, 0x00 },     /* request without I */
		{ 19, 0x0c },     /* reserved flag */
		{ 23, 1 },        /* message ID 1 */
		{ 27, 200 },      /* length not the payloads' end */
		{ 16, 0 },        /* no payloads though the header has more */
		{ 28, 40 },       /* SA says Nonce follows: KE missing */
		{ 31, 200 },      /* a payload past the message */
		{ 31, 2 },        /* a payload shorter than its header */
		{ 9, 0x22 },      /* a request with SPIr */
	};
	for (size_t i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
		n = init_octets(d, false, 64);
		d[spoil[i].off] = spoil[i].val;
		ck_assert_msg(!ksm_octets_ok(d, n, why, sizeof(why)),
		              "spoil %zu accepted", i);
		ck_assert(why[0]);
	}
	n = init_octets(d, false, 64);
	memset(d, 0, 8);                        /* SPIi zero */
	ck_assert(!ksm_octets_ok(d, n, why, sizeof(why)));
	n = init_octets(d, true, 64);
	memset(d + 8, 0, 8);                    /* a response without SPIr */
	ck_assert(!ksm_octets_ok(d, n, why, sizeof(why)));

	/* what an attacker would want signed: a certificate's TBS, a bare
	 * SHA-256 value, nothing */
	uint8_t tbs[600];
	memset(tbs, 0x41, sizeof(tbs));
	tbs[0] = 0x30; tbs[1] = 0x82; tbs[2] = 0x02; tbs[3] = 0x54;
	ck_assert(!ksm_octets_ok(tbs, sizeof(tbs), why, sizeof(why)));
	ck_assert(!ksm_octets_ok(tbs, 32, why, sizeof(why)));
	ck_assert(!ksm_octets_ok(tbs, 0, why, sizeof(why)));
	/* a TBS dressed up as an IKE header but without the payload chain */
	n = init_octets(d, false, 64);
	memset(d + 28, 0xff, n - 28 - 64);
	ck_assert(!ksm_octets_ok(d, n, why, sizeof(why)));
}
END_TEST

START_TEST(schemes)
{
	ck_assert(ksm_scheme_ok(AUTH_RSA_SIG, KEY_RSA, SIG_RSA_PKCS1_SHA1));
	ck_assert(ksm_scheme_ok(AUTH_RSA_SIG, KEY_RSA, SIG_RSA_PSS_SHA256));
	ck_assert(!ksm_scheme_ok(AUTH_RSA_SIG, KEY_RSA, SIG_ECDSA_P256_SHA256));
	ck_assert(!ksm_scheme_ok(AUTH_RSA_SIG, KEY_ECDSA_P256, SIG_ECDSA_P256_SHA256));
	ck_assert(ksm_scheme_ok(AUTH_ECDSA_256, KEY_ECDSA_P256, SIG_ECDSA_P256_SHA256));
	ck_assert(ksm_scheme_ok(AUTH_ECDSA_256, KEY_ECDSA_P384, SIG_ECDSA_SHA384_DER));
	ck_assert(!ksm_scheme_ok(AUTH_ECDSA_256, KEY_ED25519, SIG_ED25519));
	ck_assert(ksm_scheme_ok(AUTH_DIGITAL_SIG, KEY_ED25519, SIG_ED25519));
	ck_assert(!ksm_scheme_ok(AUTH_DIGITAL_SIG, KEY_ED25519, SIG_RSA_PKCS1_SHA256));
	ck_assert(ksm_scheme_ok(AUTH_DSS_SIG, KEY_DSA, SIG_DSA_SHA1));
	/* a PSK rule names no key at all */
	ck_assert(!ksm_scheme_ok(AUTH_PSK, KEY_RSA, SIG_RSA_PKCS1_SHA256));
	ck_assert(!ksm_scheme_ok(AUTH_DIGITAL_SIG, KEY_RSA, SIG_UNKNOWN));
	ck_assert(!ksm_scheme_ok(AUTH_DIGITAL_SIG, KEY_RSA, SIG_SCHEME_MAX));
}
END_TEST

/* Send over a socketpair and decode what arrives. */
static bool pass(int sv[2], uint16_t type, const void *body, size_t blen,
                 const void *v1, size_t l1, const void *v2, size_t l2, ksm_msg_t *m)
{
	ck_assert(ksm_send(sv[0], type, 7, body, blen, v1, l1, v2, l2));
	ssize_t n = recv(sv[1], buf, sizeof(buf), MSG_TRUNC);
	ck_assert(n > 0);
	return ksm_decode(buf, (size_t)n, (size_t)n > KSM_MSG_MAX, m, why, sizeof(why));
}

START_TEST(round_trip)
{
	int sv[2];
	ksm_msg_t m;
	ck_assert(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	int big = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));

	ck_assert(pass(sv, KSM_STORE, NULL, 0, NULL, 0, NULL, 0, &m));
	ck_assert_int_eq(m.hdr.type, KSM_STORE);
	ck_assert_int_eq(m.hdr.seq, 7);

	uint8_t data[100];
	memset(data, 9, sizeof(data));
	ksm_sign_t s = { .gen = 3, .index = 1, .scheme = SIG_ED25519,
	                 .data_len = sizeof(data) };
	ck_assert_msg(pass(sv, KSM_SIGN, &s, sizeof(s), data, sizeof(data), NULL, 0, &m),
	              "%s", why);
	ck_assert_int_eq(m.u.sign.gen, 3);
	ck_assert_int_eq(m.var_len, sizeof(data));
	ck_assert(memcmp(m.var, data, sizeof(data)) == 0);

	ksm_token_t t = { .uri_len = 12, .pin_len = 4 };
	ck_assert(pass(sv, KSM_LOGIN, &t, sizeof(t), "pkcs11:token", 12, "1234", 4, &m));
	ck_assert_int_eq(m.u.token.pin_len, 4);

	ksm_item_t it = { .gen = 1, .kind = KSM_OWN, .has_key = 1,
	                  .key_type = KEY_RSA, .keysize = 2048, .source_len = 5,
	                  .der_len = 3 };
	ck_assert(pass(sv, KSM_ITEM, &it, sizeof(it), "a.pem", 5, "\x30\x01\x00", 3, &m));
	ck_assert_int_eq(m.u.item.keysize, 2048);

	ksm_result_t r = { .ok = 1, .sig_len = 4 };
	ck_assert(pass(sv, KSM_SIG, &r, sizeof(r), "sig!", 4, NULL, 0, &m));
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(malformed)
{
	int sv[2];
	ksm_msg_t m;
	ck_assert(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	int big = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));

	/* unknown types: there is none that hands out a key */
	ck_assert(!pass(sv, 99, NULL, 0, NULL, 0, NULL, 0, &m));
	ck_assert(!pass(sv, 0, NULL, 0, NULL, 0, NULL, 0, &m));
	/* sign: bad scheme, a length that is not what came, too much */
	uint8_t data[64] = { 0 };
	ksm_sign_t s = { .scheme = 0, .data_len = sizeof(data) };
	ck_assert(!pass(sv, KSM_SIGN, &s, sizeof(s), data, sizeof(data), NULL, 0, &m));
	s.scheme = SIG_SCHEME_MAX;
	ck_assert(!pass(sv, KSM_SIGN, &s, sizeof(s), data, sizeof(data), NULL, 0, &m));
	s.scheme = SIG_ED25519;
	s.data_len = sizeof(data) + 1;
	ck_assert(!pass(sv, KSM_SIGN, &s, sizeof(s), data, sizeof(data), NULL, 0, &m));
	s.data_len = KSM_SIGN_MAX + 1;
	ck_assert(!pass(sv, KSM_SIGN, &s, sizeof(s), data, sizeof(data), NULL, 0, &m));
	ck_assert(!pass(sv, KSM_SIGN, &s, 8, NULL, 0, NULL, 0, &m));
	/* tokens: PIN rules, NULs */
	ksm_token_t t = { .uri_len = 3, .pin_len = 0 };
	ck_assert(!pass(sv, KSM_LOGIN, &t, sizeof(t), "abc", 3, NULL, 0, &m));
	t.pin_len = 2;
	ck_assert(!pass(sv, KSM_LOGOUT, &t, sizeof(t), "abc", 3, "12", 2, &m));
	ck_assert(!pass(sv, KSM_LOGIN, &t, sizeof(t), "a\0c", 3, "12", 2, &m));
	/* a result with a signature, a failed signature with octets */
	ksm_result_t r = { .ok = 1, .sig_len = 2 };
	ck_assert(!pass(sv, KSM_RESULT, &r, sizeof(r), "xx", 2, NULL, 0, &m));
	r.ok = 0;
	ck_assert(!pass(sv, KSM_SIG, &r, sizeof(r), "xx", 2, NULL, 0, &m));
	r.ok = 2;
	r.sig_len = 0;
	ck_assert(!pass(sv, KSM_RESULT, &r, sizeof(r), NULL, 0, NULL, 0, &m));
	/* items: a key on an anchor, an unknown kind */
	ksm_item_t it = { .kind = KSM_ANCHOR, .has_key = 1, .der_len = 1 };
	ck_assert(!pass(sv, KSM_ITEM, &it, sizeof(it), "\x30", 1, NULL, 0, &m));
	it.kind = 9;
	it.has_key = 0;
	ck_assert(!pass(sv, KSM_ITEM, &it, sizeof(it), "\x30", 1, NULL, 0, &m));

	/* raw: short, header length lies, reserved set, truncated */
	ksm_hdr_t h = { .type = KSM_STORE, .len = sizeof(h) + 1 };
	memcpy(buf, &h, sizeof(h));
	ck_assert(!ksm_decode(buf, sizeof(h), false, &m, why, sizeof(why)));
	ck_assert(!ksm_decode(buf, 3, false, &m, why, sizeof(why)));
	h.len = sizeof(h);
	h.reserved = 1;
	memcpy(buf, &h, sizeof(h));
	ck_assert(!ksm_decode(buf, sizeof(h), false, &m, why, sizeof(why)));
	h.reserved = 0;
	memcpy(buf, &h, sizeof(h));
	ck_assert(ksm_decode(buf, sizeof(h), false, &m, why, sizeof(why)));
	ck_assert(!ksm_decode(buf, sizeof(h), true, &m, why, sizeof(why)));
	/* too large to send at all */
	ck_assert(!ksm_send(sv[0], KSM_SIGN, 1, &s, sizeof(s), buf, KSM_MSG_MAX,
	                    NULL, 0));
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, octets);
	tcase_add_test(tc, schemes);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
