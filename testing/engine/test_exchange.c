/*
 * test_exchange.c - two engines in one process, wired through
 * net_set_sender (packets delivered as jobs, optionally dropped) and the
 * null kernel backend: IKE_SA_INIT, IKE_AUTH with PSK, the first CHILD SA,
 * COOKIEs, INVALID_KE_PAYLOAD, wrong keys, proposal and selector mismatches,
 * retransmission, Delete, DPD and garbage input.
 *
 * Needs the nettle and psk plugins built in this tree (IKEV2D_PLUGIN_PATH);
 * exits 77 when they cannot be loaded.
 */
#include <check.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/runtime.h>

#include "codec/message.h"
#include "config/config.h"
#include "exchange/engine.h"
#include "exchange/engine_priv.h"   /* trap_sync, engine_config */
#include "lib/plugin_loader.h"
#include "net/addr.h"
#include "net/packet.h"
#include "pair.h"

static atomic_int collisions;   /* "simultaneous rekey" log lines */
static atomic_int acquire_in_sa;   /* "new CHILD SA in this IKE SA" lines */
static atomic_int spd_refused;     /* require_kernel_policy refusals */

/* ------------------------------------------------------------- tests */

START_TEST(psk_ike_and_child_sa)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	/* two SAs per side in the (shared) null kernel */
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	stop_pair(0);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
}
END_TEST

/* Every ESP transform reaches the kernel described completely (issue 14
 * item 5): the cipher key length without salt (ChaCha20-Poly1305 and 3DES
 * included, which have no key length attribute), the salt bytes at the
 * end of the key and the ICV length.  The null kernel refuses an SA whose
 * description does not match its transform, so the CHILD SA must come up
 * and the recorded line must say exactly this. */
START_TEST(kernel_sa_complete_for_every_transform)
{
	static const struct { const char *esp, *want; } cases[] = {
		{ "{ encr_alg = \"chacha20-poly1305\"; }",
		  "encr=chacha20-poly1305 encr_keylen=256 salt=4 icv=128 integ=none" },
		{ "{ encr_alg = \"aes-gcm\"; encr_keylen = 256; }",
		  "encr=aes-gcm-16 encr_keylen=256 salt=4 icv=128 integ=none" },
		{ "{ encr_alg = \"aes-gcm-8\"; encr_keylen = 128; }",
		  "encr=aes-gcm-8 encr_keylen=128 salt=4 icv=64 integ=none" },
		{ "{ encr_alg = \"aes-ccm-12\"; encr_keylen = 192; }",
		  "encr=aes-ccm-12 encr_keylen=192 salt=3 icv=96 integ=none" },
		{ "{ encr_alg = \"aes-ctr\"; encr_keylen = 128; auth_alg = \"sha256\"; }",
		  "encr=aes-ctr encr_keylen=128 salt=4 icv=128 integ=hmac-sha256-128" },
		{ "{ encr_alg = \"3des\"; auth_alg = \"sha1\"; }",
		  "encr=3des encr_keylen=192 salt=0 icv=96 integ=hmac-sha1-96" },
		{ "{ encr_alg = \"aes\"; encr_keylen = 256; auth_alg = \"sha512\"; }",
		  "encr=aes-cbc encr_keylen=256 salt=0 icv=256 integ=hmac-sha512-256" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		side_t a = side("10.1.0.0/16", "10.2.0.0/16");
		side_t b = side("10.2.0.0/16", "10.1.0.0/16");
		a.esp = b.esp = cases[i].esp;
		start_pair(&a, &b);
		ck_assert(engine_initiate(eng_a, "r"));
		WAIT_FOR(stats(eng_a).child_established_total == 1 &&
		         stats(eng_b).child_established_total == 1, 3000);
		ck_assert_msg(stats(eng_a).child_established_total == 1 &&
		              stats(eng_b).child_established_total == 1,
		              "%s: no CHILD SA", cases[i].esp);
		char *d = kernel_null_dump(kn);
		int n = 0;
		for (char *q = d; (q = strstr(q, cases[i].want)); q++)
			n++;
		ck_assert_msg(n == 4, "%s: %d SAs recorded as '%s':\n%s",
		              cases[i].esp, n, cases[i].want, d);
		free(d);
		stop_pair(0);
	}
}
END_TEST

START_TEST(wrong_psk_fails_both_sides)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	b.key = "a-different-secret";
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_sas == 0 && stats(eng_b).ike_sas == 0, 3000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 0);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, 0);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	stop_pair(0);
}
END_TEST

/* The initiator refuses the responder's identity after the responder sent
 * its AUTH and installed the CHILD SA: the initiator's INFORMATIONAL with
 * AUTHENTICATION_FAILED (RFC 7296 2.21.2) must take the responder's IKE SA
 * and CHILD SA down too. */
START_TEST(initiator_refuses_responder_identity)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.local_id = "{ type = \"fqdn\"; value = \"a.test\"; }";
	/* a pattern: not sent as IDr, so B answers with its own identity */
	a.remote_id = "{ type = \"fqdn\"; value = \"*.other.test\"; }";
	b.local_id = "{ type = \"fqdn\"; value = \"b.test\"; }";
	b.remote_id = "{ type = \"fqdn\"; value = \"a.test\"; }";
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_b).ike_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, 1);
	WAIT_FOR(stats(eng_a).ike_sas == 0 && stats(eng_b).ike_sas == 0, 3000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 0);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
	stop_pair(0);
}
END_TEST

START_TEST(proposal_mismatch)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	b.ike = "{ encr_alg = \"aes\"; encr_keylen = 256; auth_alg = \"sha512\"; dh_group = 20; }";
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_sas == 0, 3000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	stop_pair(0);
}
END_TEST

START_TEST(invalid_ke_retry)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	/* A sends a modp2048 KE first, B wants ecp256. */
	a.ike = "{ encr_alg = \"aes\"; encr_keylen = 128; auth_alg = \"sha256\"; dh_group = [14, 19]; }";
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 5000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	stop_pair(0);
}
END_TEST

START_TEST(cookie_demanded_and_answered)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	b.daemon_extra = "cookie_threshold = 0; retry_timer_init_ms = 200;";
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_ge(stats(eng_b).cookies_sent, 1);
	stop_pair(0);
}
END_TEST

START_TEST(ts_narrowing)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.5.0/24", "10.1.0.0/24");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	/* A's outbound policy is the narrowed 10.1.0.0/24 -> 10.2.5.0/24 */
	kernel_policy_t p = { .dir = KERNEL_DIR_OUT, .action = KERNEL_POLICY_PROTECT };
	p.src_ts.family = p.dst_ts.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.0", p.src_ts.from);
	inet_pton(AF_INET, "10.1.0.255", p.src_ts.to);
	inet_pton(AF_INET, "10.2.5.0", p.dst_ts.from);
	inet_pton(AF_INET, "10.2.5.255", p.dst_ts.to);
	p.src_ts.port_to = p.dst_ts.port_to = 0xffff;
	ck_assert(kernel_null_has_policy(kn, &p));
	stop_pair(0);
}
END_TEST

START_TEST(ts_unacceptable_keeps_ike_sa)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.9.0.0/16", "10.8.0.0/16");
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).established == 1, 3000);
	usleep(100 * 1000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 0);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 0);
	stop_pair(0);
}
END_TEST

/* Drop the first IKE_AUTH request (the first message to B that is not
 * IKE_SA_INIT, i.e. the second one) and B's first IKE_AUTH response. */
static atomic_int n_to_b, n_to_a;
static bool drop_first_auth(const packet_t *p, bool to_b)
{
	int n = atomic_fetch_add(to_b ? &n_to_b : &n_to_a, 1);
	return n == 1;
}

START_TEST(retransmission_recovers_losses)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	atomic_store(&n_to_a, 0);
	atomic_store(&n_to_b, 0);
	drop_fn = drop_first_auth;
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 5000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	/* B answered the retransmitted request from its stored response:
	 * exactly one CHILD SA on B. */
	ck_assert_uint_eq(stats(eng_b).child_established_total, 1);
	stop_pair(0);
}
END_TEST

START_TEST(delete_on_shutdown_reaches_peer)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_b).child_established_total == 1 &&
	         stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	engine_t *a_eng = eng_a;
	engine_destroy(a_eng, 2000);
	eng_a = NULL;   /* B's answer to the Delete goes nowhere */
	WAIT_FOR(stats(eng_b).ike_sas == 0, 2000);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
	engine_destroy(eng_b, 0);
	eng_b = NULL;
	usleep(50 * 1000);
}
END_TEST

static bool drop_all_to_b(const packet_t *p, bool to_b)
{
	(void)p;
	return to_b;
}

START_TEST(dpd_removes_dead_peer)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.rule_extra = "dpd_interval = 1;";
	a.daemon_extra = "retry_limit = 2; retry_timer_init_ms = 100; response_wait_time = 5;";
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	drop_fn = drop_all_to_b;   /* B is gone */
	WAIT_FOR(stats(eng_a).ike_sas == 0, 5000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	stop_pair(0);
}
END_TEST

START_TEST(garbage_is_dropped)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	struct sockaddr_storage src, dst;
	addr_from_str(ADDR_A, 500, &src);
	addr_from_str(ADDR_B, 500, &dst);
	for (int i = 0; i < 2000; i++) {
		packet_t *p = packet_create();
		p->src = src;
		p->dst = dst;
		size_t len = (size_t)(i % 300);
		p->data = chunk_alloc(len);
		if (len)
			ck_assert_int_eq(getrandom(p->data.ptr, len, 0), (ssize_t)len);
		if (len >= 28 && i % 2) {
			/* plausible header: version 2, IKE_SA_INIT, I flag, right length */
			p->data.ptr[8] = 0;   /* SPIr zero */
			memset(p->data.ptr + 8, 0, 8);
			p->data.ptr[17] = 0x20;
			p->data.ptr[18] = EXCH_IKE_SA_INIT;
			p->data.ptr[19] = IKE_FLAG_INITIATOR;
			memset(p->data.ptr + 20, 0, 4);
			p->data.ptr[24] = 0; p->data.ptr[25] = 0;
			p->data.ptr[26] = (uint8_t)(len >> 8);
			p->data.ptr[27] = (uint8_t)len;
		}
		engine_receive(eng_b, p);
	}
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	ck_assert_uint_ge(stats(eng_b).dropped, 1000);
	/* still works afterwards */
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	stop_pair(0);
}
END_TEST

/* An IKE_SA_INIT request from src as an initiator would send it. */
static packet_t *init_request(const char *src, uint64_t spi_i, chunk_t ke_pub,
                              chunk_t cookie, bool critical_junk)
{
	transform_t xf[] = {
		{ TRANS_ENCR, ENCR_AES_CBC, 128, false },
		{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
	};
	proposal_t prop = { .number = 1, .protocol = PROTO_IKE, .num_transforms = 4,
	                    .transforms = xf };
	uint8_t nonce[32];
	ck_assert_int_eq(getrandom(nonce, sizeof(nonce), 0), (ssize_t)sizeof(nonce));
	message_t *m = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, spi_i, 0, 0);
	if (cookie.len)
		message_add_notify(m, PROTO_NONE, chunk_empty, N_COOKIE, cookie);
	message_add_sa(m, &prop, 1);
	message_add_ke(m, KE_ECP_256, ke_pub);
	message_add_nonce(m, chunk_create(nonce, sizeof(nonce)));
	if (critical_junk)
		message_add_raw(m, 200, true, chunk_from_str("junk"));
	packet_t *p = packet_create();
	addr_from_str(src, 500, &p->src);
	addr_from_str(ADDR_B, 500, &p->dst);
	codec_error_t err;
	ck_assert_int_eq(message_generate(m, &p->data, &err), CODEC_OK);
	message_destroy(m);
	return p;
}

START_TEST(init_flood_gets_cookies_and_expires)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	b.daemon_extra = "cookie_threshold = 10; half_open_max_per_peer = 3;";
	b.half_open_timeout = 1;
	start_pair(&a, &b);
	/* B accepts any remote address for this test's sources */
	ke_t *ke = crypto_create_ke(KE_ECP_256);
	chunk_t pub;
	ck_assert(ke->get_public(ke, &pub));
	engine_destroy(eng_b, 0);
	config_t *cb = make_config("b", ADDR_B, "10.0.0.0/8", &b);
	eng_b = engine_create(cb);
	config_unref(cb);
	for (int i = 0; i < 100; i++) {
		char src[32];
		snprintf(src, sizeof(src), "10.5.%d.%d", i / 200, 1 + i % 200);
		engine_receive(eng_b, init_request(src, 0x1000 + i, pub, chunk_empty, false));
	}
	ck_assert_uint_eq(stats(eng_b).half_open, 10);
	ck_assert_uint_eq(stats(eng_b).cookies_sent, 90);
	/* a made-up cookie does not pass */
	uint8_t fake[33] = { 0 };
	engine_receive(eng_b, init_request("10.6.0.2", 0x3000, pub,
	                                   chunk_create(fake, sizeof(fake)), false));
	ck_assert_uint_eq(stats(eng_b).half_open, 10);
	/* an unknown critical payload is named in the answer */
	int strays = n_stray;
	engine_receive(eng_b, init_request("10.6.0.3", 0x4000, pub, chunk_empty, true));
	ck_assert_int_eq(n_stray, strays + 1);
	message_t *ans;
	codec_error_t err;
	pthread_mutex_lock(&held_lock);
	ck_assert_int_eq(message_parse(last_stray, &ans, &err), CODEC_OK);
	pthread_mutex_unlock(&held_lock);
	notify_payload_t *n = message_find_notify(ans, N_UNSUPPORTED_CRITICAL_PAYLOAD);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->data.len, 1);
	ck_assert_uint_eq(n->data.ptr[0], 200);
	message_destroy(ans);
	/* the half-open SAs go after their timeout */
	WAIT_FOR(stats(eng_b).half_open == 0 && stats(eng_b).ike_sas == 0, 4000);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);

	/* Below the cookie threshold, one source still cannot hold more than
	 * half_open_max_per_peer half-open SAs. */
	engine_destroy(eng_b, 0);
	b.daemon_extra = "cookie_threshold = 1000; half_open_max_per_peer = 3;";
	cb = make_config("b", ADDR_B, "10.0.0.0/8", &b);
	eng_b = engine_create(cb);
	config_unref(cb);
	for (int i = 0; i < 6; i++)
		engine_receive(eng_b, init_request("10.6.0.1", 0x2000 + i, pub,
		                                   chunk_empty, false));
	ck_assert_uint_eq(stats(eng_b).half_open, 3);
	ck_assert_uint_eq(stats(eng_b).cookies_sent, 0);
	engine_receive(eng_b, init_request("10.6.0.9", 0x2100, pub, chunk_empty, false));
	ck_assert_uint_eq(stats(eng_b).half_open, 4);
	chunk_free(&pub);
	ke->destroy(ke);
	stop_pair(0);
}
END_TEST

START_TEST(reload_keeps_established_sas)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	/* SIGHUP on B: the new configuration has another key and only a
	 * rule for some other peer. */
	side_t b2 = b;
	b2.key = "the-new-key";
	config_t *nc = make_config("b2", ADDR_B, "10.9.9.9", &b2);
	engine_set_config(eng_b, nc);
	config_unref(nc);
	/* The established SA keeps its rule: a CHILD SA rekey still works. */
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	WAIT_FOR(stats(eng_a).child_rekeyed_total == 1 &&
	         stats(eng_b).child_rekeyed_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).child_rekeyed_total, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	/* A new IKE SA from A meets the new configuration: no rule for it. */
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_sas == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, 1);
	stop_pair(0);
}
END_TEST

START_TEST(acquire_initiates_rule)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	/* An admin's outbound policy without SAs; traffic hits it. */
	kernel_policy_t p = { .dir = KERNEL_DIR_OUT, .action = KERNEL_POLICY_PROTECT,
	                      .reqid = 4242, .protocol = KERNEL_PROTO_ESP };
	p.src_ts.family = p.dst_ts.family = AF_INET;
	inet_pton(AF_INET, "10.1.3.0", p.src_ts.from);
	inet_pton(AF_INET, "10.1.3.255", p.src_ts.to);
	inet_pton(AF_INET, "10.2.0.7", p.dst_ts.from);
	inet_pton(AF_INET, "10.2.0.7", p.dst_ts.to);
	p.src_ts.port_to = p.dst_ts.port_to = 0xffff;
	ck_assert(kernel_add_policy(&p));
	ck_assert(kernel_null_acquire(kn, 4242));
	ck_assert(kernel_null_acquire(kn, 4242));   /* a burst starts one */
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	usleep(200 * 1000);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, 1);
	ck_assert(kernel_del_policy(&p));
	stop_pair(0);
}
END_TEST

/* Count the null kernel's records of A (by its address) matching pat:
 * SAs "sa dir=... src=A" with reqid, and A's policies (out: template
 * source A; in/fwd: template destination A). */
static int a_records(const char *kind, uint32_t reqid)
{
	char *dump = kernel_null_dump(kn), *save = NULL;
	char want[32];
	snprintf(want, sizeof(want), " reqid=%u ", reqid);
	int n = 0;
	for (char *l = strtok_r(dump, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(kind, "sa") == 0 && strncmp(l, "sa ", 3) == 0 && strstr(l, want))
			n++;
		if (strcmp(kind, "policy") == 0 && strncmp(l, "policy ", 7) == 0 &&
		    (!reqid || strstr(l, want)) &&
		    ((strstr(l, "dir=out ") && strstr(l, " tmpl_src=" ADDR_A " ")) ||
		     (!strstr(l, "dir=out ") && strstr(l, " tmpl_dst=" ADDR_A " "))))
			n++;
	}
	free(dump);
	return n;
}

static void kts_set(kernel_ts_t *t, const char *from, const char *to,
                    uint8_t proto)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	inet_pton(AF_INET, from, t->from);
	inet_pton(AF_INET, to, t->to);
	t->proto = proto;
	t->port_to = 0xffff;
}

/* An ACQUIRE for someone else's policy (foreign: an administrator's
 * 10.1.7.0/24 -> 10.2.7.0/24 with a template 10.0.0.1 -> 10.0.0.2, reqid
 * 4343), for a subnet A's rule does not name: the rule is chosen by the
 * template's endpoints, the CHILD SA carries the policy's selectors (the
 * packet's first) and its reqid, its SAs and policies that reqid.
 * The same ACQUIRE with endpoints no rule has starts nothing. */
START_TEST(foreign_policy_acquire)
{
	side_t a = side("10.1.0.0/24", "10.2.0.0/24");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	kernel_event_t ev = { .type = KERNEL_EV_ACQUIRE };
	ev.acquire.foreign = true;
	ev.acquire.reqid = 4343;
	ev.acquire.mode = KERNEL_MODE_TUNNEL;
	kts_set(&ev.acquire.src_ts, "10.1.7.0", "10.1.7.255", 0);
	kts_set(&ev.acquire.dst_ts, "10.2.7.0", "10.2.7.255", 0);
	kts_set(&ev.acquire.pkt_src_ts, "10.1.7.5", "10.1.7.5", 1);
	kts_set(&ev.acquire.pkt_dst_ts, "10.2.7.9", "10.2.7.9", 1);
	/* endpoints of no rule: nothing */
	ck_assert(addr_from_str("10.0.0.9", 0, &ev.acquire.tmpl_src));
	ck_assert(addr_from_str(ADDR_B, 0, &ev.acquire.tmpl_dst));
	kernel_ipsec_raise(&ev);
	usleep(300 * 1000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);

	ck_assert(addr_from_str(ADDR_A, 0, &ev.acquire.tmpl_src));
	kernel_ipsec_raise(&ev);
	kernel_ipsec_raise(&ev);   /* a burst starts one */
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	usleep(200 * 1000);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	/* A's two SAs carry the template's reqid, and so do its policies:
	 * in/out/fwd for each of the 2 x 2 pairs of selectors */
	ck_assert_int_eq(a_records("sa", 4343), 2);
	ck_assert_int_eq(a_records("policy", 0), 12);
	ck_assert_int_eq(a_records("policy", 4343), 12);
	/* B's policies are the narrowed selectors: the packet's and the
	 * policy's (both within B's rule) */
	char *dump = kernel_null_dump(kn);
	ck_assert_msg(strstr(dump, "policy dir=out src=10.2.7.0-10.2.7.255[0/0-65535] "
	                     "dst=10.1.7.0-10.1.7.255[0/0-65535]") != NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "src=10.2.7.9[1/0-65535] dst=10.1.7.5[1/0-65535]") != NULL,
	              "%s", dump);
	free(dump);
	stop_pair(500);
	ck_assert_int_eq(a_records("sa", 4343), 0);
	ck_assert_int_eq(a_records("policy", 0), 0);
}
END_TEST

/* require_kernel_policy on the responder: with no kernel policy holding
 * the narrowed selectors the CHILD SA is refused (TS_UNACCEPTABLE, the IKE
 * SA stays); once one does (an administrator's, wider, reqid 6161) the
 * next is accepted and B's SAs carry that reqid. */
START_TEST(responder_requires_kernel_policy)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	b.child_extra = "require_kernel_policy = true;";
	start_pair(&a, &b);
	atomic_store(&spd_refused, 0);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_established_total == 1 &&
	         atomic_load(&spd_refused) == 1, 3000);
	usleep(200 * 1000);
	ck_assert_int_eq(atomic_load(&spd_refused), 1);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 0);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 0);

	kernel_policy_t p = { .dir = KERNEL_DIR_OUT, .action = KERNEL_POLICY_PROTECT,
	                      .reqid = 6161, .protocol = KERNEL_PROTO_ESP,
	                      .mode = KERNEL_MODE_TUNNEL };
	kts_set(&p.src_ts, "10.2.0.0", "10.3.255.255", 0);
	kts_set(&p.dst_ts, "10.0.0.0", "10.255.255.255", 0);
	ck_assert(kernel_null_add_other_policy(kn, &p));
	{
		/* a policy of the backend's own justifies nothing */
		kernel_policy_t ours = p, w = { .dir = KERNEL_DIR_OUT, .mode = KERNEL_MODE_TUNNEL };
		kts_set(&ours.src_ts, "10.4.0.0", "10.4.255.255", 0);
		ck_assert(kernel_add_policy(&ours));
		kts_set(&w.src_ts, "10.4.1.0", "10.4.1.255", 0);
		kts_set(&w.dst_ts, "10.1.0.0", "10.1.255.255", 0);
		uint32_t rq = 0;
		ck_assert(!kernel_match_policy(&w, &rq));
		ck_assert(kernel_del_policy(&ours));
	}
	{
		kernel_policy_t w = { .dir = KERNEL_DIR_OUT, .mode = KERNEL_MODE_TUNNEL };
		kts_set(&w.src_ts, "10.2.0.0", "10.2.255.255", 0);
		kts_set(&w.dst_ts, "10.1.0.0", "10.1.255.255", 0);
		uint32_t rq = 0;
		ck_assert(kernel_match_policy(&w, &rq));
		ck_assert_uint_eq(rq, 6161);
	}
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 1);
	ck_assert_int_eq(atomic_load(&spd_refused), 1);
	/* B's two SAs have the policy's reqid (A's their own) */
	ck_assert_int_eq(a_records("sa", 6161), 2);
	stop_pair(500);
	ck_assert(!kernel_del_policy(&p));   /* not the backend's */
	ck_assert(kernel_null_del_other_policy(kn, &p));
}
END_TEST

/* on_demand: the trap policy is installed alone, an ACQUIRE for a packet
 * it matches starts the rule once (a burst is rate-limited), the CHILD
 * SA's policies take the trap's place (no second outbound policy), the
 * trap comes back when the SA goes, and a sync without the rule removes
 * it.  The other engine, which owns no trap, starts nothing. */
START_TEST(on_demand_trap)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.rule_extra = "on_demand = true;";
	start_pair(&a, &b);
	size_t pol0 = kernel_null_count_policies(kn);
	config_t *ca = engine_config(eng_a);
	ck_assert(ca->rules[0].on_demand);
	trap_sync(eng_a, ca);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0 + 1);
	kernel_policy_t trap = { .dir = KERNEL_DIR_OUT };
	trap.src_ts.family = trap.dst_ts.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.0", trap.src_ts.from);
	inet_pton(AF_INET, "10.1.255.255", trap.src_ts.to);
	inet_pton(AF_INET, "10.2.0.0", trap.dst_ts.from);
	inet_pton(AF_INET, "10.2.255.255", trap.dst_ts.to);
	trap.src_ts.port_to = trap.dst_ts.port_to = 0xffff;
	ck_assert(kernel_null_has_policy(kn, &trap));
	/* the same sync again keeps it (no second policy, same reqid) */
	trap_sync(eng_a, ca);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0 + 1);

	struct sockaddr_storage src, dst;
	ck_assert(addr_from_str("10.1.3.4", 0, &src));
	ck_assert(addr_from_str("10.2.0.7", 0, &dst));
	ck_assert(kernel_null_acquire_addr(kn, &src, &dst));
	ck_assert(kernel_null_acquire_addr(kn, &src, &dst));   /* rate-limited */
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	usleep(200 * 1000);
	ck_assert_uint_eq(stats(eng_a).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, 1);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	/* A: out (the trap's place), in, fwd; B: its three */
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0 + 6);

	/* the SAs go: the trap is back, alone */
	stop_pair(500);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0 + 1);
	ck_assert(kernel_null_has_policy(kn, &trap));
	/* the rule is no longer on_demand (here: no configuration): gone */
	trap_sync(NULL, NULL);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0);
	config_unref(ca);
}
END_TEST

/* The inbound SA of A's (first) CHILD SA in the null kernel, by its
 * state line "sa dir=in spi=... dst=10.0.0.1[...]"; 0 if none. */
static uint32_t a_inbound_spi(void)
{
	char *dump = kernel_null_dump(kn), *save = NULL;
	uint32_t spi = 0;
	for (char *l = strtok_r(dump, "\n", &save); l && !spi;
	     l = strtok_r(NULL, "\n", &save)) {
		unsigned v;
		if (strncmp(l, "sa dir=in ", 10) == 0 && strstr(l, " dst=" ADDR_A "[") &&
		    sscanf(l, "sa dir=in spi=%x", &v) == 1)
			spi = v;
	}
	free(dump);
	return spi;
}

/* After an IKE SA rekey the trap's IKE SA hint is stale: the ACQUIRE that
 * follows the CHILD SA's hard expiry still finds the rule's (new) IKE SA
 * and makes the CHILD SA in it instead of a new IKE SA. */
START_TEST(on_demand_after_ike_rekey)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.rule_extra = "on_demand = true;";
	start_pair(&a, &b);
	size_t pol0 = kernel_null_count_policies(kn);
	config_t *ca = engine_config(eng_a);
	trap_sync(eng_a, ca);
	struct sockaddr_storage src, dst;
	ck_assert(addr_from_str("10.1.0.9", 0, &src));
	ck_assert(addr_from_str("10.2.0.9", 0, &dst));
	ck_assert(kernel_null_acquire_addr(kn, &src, &dst));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	/* held network: the new IKE SA cannot be up (and rekeyed as well)
	 * while engine_rekey walks the table */
	pause_network();
	ck_assert_uint_eq(engine_rekey(eng_a, "r", true), 1);
	resume_network();
	WAIT_FOR(stats(eng_a).ike_rekeyed_total == 1 && stats(eng_a).ike_sas == 1 &&
	         stats(eng_b).ike_sas == 1, 5000);
	ck_assert_uint_eq(stats(eng_a).ike_rekeyed_total, 1);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	/* the CHILD SA reaches its hard lifetime: deleted, the trap is back */
	uint32_t spi = a_inbound_spi();
	ck_assert_uint_ne(spi, 0);
	kernel_sa_id_t id = { .spi = spi, .protocol = KERNEL_PROTO_ESP };
	ck_assert(addr_from_str(ADDR_A, 0, &id.dst));
	ck_assert(kernel_null_expire(kn, &id, true));
	WAIT_FOR(kernel_null_count_policies(kn) == pol0 + 1, 3000);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0 + 1);
	/* the next packet: a CHILD SA in the rekeyed IKE SA, no new IKE SA
	 * (past the 5 s rate limit of the first ACQUIRE) */
	usleep(5100 * 1000);
	atomic_store(&acquire_in_sa, 0);
	uint64_t ike_b = stats(eng_b).ike_established_total;
	ck_assert(kernel_null_acquire_addr(kn, &src, &dst));
	WAIT_FOR(stats(eng_a).child_established_total == 2, 3000);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 2);
	ck_assert_int_eq(atomic_load(&acquire_in_sa), 1);
	ck_assert_uint_eq(stats(eng_b).ike_established_total, ike_b);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	stop_pair(500);
	trap_sync(NULL, NULL);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol0);
	config_unref(ca);
}
END_TEST

START_TEST(ipv6_transport_mode)
{
	side_t a = side("fd01::/64", "fd02::/64");
	side_t b = side("fd02::/64", "fd01::/64");
	a.local_id = "{ type = \"fqdn\"; value = \"a.example\"; }";
	a.remote_id = "{ type = \"fqdn\"; value = \"*.example\"; }";
	b.local_id = "{ type = \"fqdn\"; value = \"b.example\"; }";
	b.remote_id = "{ type = \"fqdn\"; value = \"a.example\"; }";
	a.child_extra = b.child_extra = "mode = \"transport\";";
	config_t *ca = make_config("a6", ADDR6_A, ADDR6_B, &a);
	config_t *cb = make_config("b6", ADDR6_B, ADDR6_A, &b);
	eng_a = engine_create(ca);
	eng_b = engine_create(cb);
	config_unref(ca);
	config_unref(cb);
	size_t before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before + 4);
	/* transport mode was agreed: no forwarding policy */
	kernel_policy_t p = { .dir = KERNEL_DIR_FWD, .action = KERNEL_POLICY_PROTECT };
	p.src_ts.family = p.dst_ts.family = AF_INET6;
	inet_pton(AF_INET6, "fd02::", p.src_ts.from);
	inet_pton(AF_INET6, "fd02::ffff:ffff:ffff:ffff", p.src_ts.to);
	inet_pton(AF_INET6, "fd01::", p.dst_ts.from);
	inet_pton(AF_INET6, "fd01::ffff:ffff:ffff:ffff", p.dst_ts.to);
	p.src_ts.port_to = p.dst_ts.port_to = 0xffff;
	ck_assert(!kernel_null_has_policy(kn, &p));
	p.dir = KERNEL_DIR_IN;
	ck_assert(kernel_null_has_policy(kn, &p));
	stop_pair(0);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before);
}
END_TEST

static size_t sas_now(void)
{
	return kernel_null_count_sas(kn);
}

START_TEST(child_rekey_one_side)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.child_softlife = 2;
	start_pair(&a, &b);
	size_t before = sas_now();
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_rekeyed_total >= 1 &&
	         stats(eng_b).child_rekeyed_total >= 1, 6000);
	ck_assert_uint_ge(stats(eng_a).child_rekeyed_total, 1);
	ck_assert_uint_ge(stats(eng_b).child_rekeyed_total, 1);
	usleep(500 * 1000);
	/* the old pair is gone: one pair per side again */
	ck_assert_uint_eq(sas_now(), before + 4);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	stop_pair(0);
	ck_assert_uint_eq(sas_now(), before);
}
END_TEST

START_TEST(child_rekey_collision)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.child_extra = b.child_extra = "childsa_pfs = 19;";
	start_pair(&a, &b);
	size_t before = sas_now();
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(sas_now(), before + 4);
	/* Both ends rekey the CHILD SA with their requests crossing. */
	atomic_store(&collisions, 0);
	pause_network();
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	ck_assert_uint_eq(engine_rekey(eng_b, "r", false), 1);
	resume_network();
	/* Usually each side sees the collision and the nonces decide; when
	 * one side finished first and deleted the old SA, the other's rekey
	 * finds it gone.  Either way exactly one new pair must remain. */
	WAIT_FOR(atomic_load(&collisions) == 2, 2000);
	fprintf(stderr, "CHILD rekey collision seen by %d side(s)\n",
	        atomic_load(&collisions));
	WAIT_FOR(sas_now() == before + 4, 3000);
	usleep(300 * 1000);
	/* whatever collided, exactly one pair survives on each side */
	ck_assert_uint_eq(sas_now(), before + 4);
	stop_pair(0);
	ck_assert_uint_eq(sas_now(), before);
}
END_TEST

START_TEST(ike_rekey_keeps_children)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.ike_lifetime = 2;
	start_pair(&a, &b);
	size_t before = sas_now();
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_rekeyed_total >= 1 &&
	         stats(eng_b).ike_rekeyed_total >= 1, 6000);
	ck_assert_uint_ge(stats(eng_a).ike_rekeyed_total, 1);
	ck_assert_uint_ge(stats(eng_b).ike_rekeyed_total, 1);
	WAIT_FOR(stats(eng_a).ike_sas == 1 && stats(eng_b).ike_sas == 1, 2000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 1);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(sas_now(), before + 4);
	/* the new IKE SA works: it can delete the CHILD SAs it inherited */
	stop_pair(2000);
	ck_assert_uint_eq(sas_now(), before);
}
END_TEST

START_TEST(ike_rekey_collision)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t before = sas_now();
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	atomic_store(&collisions, 0);
	pause_network();
	ck_assert_uint_eq(engine_rekey(eng_a, "r", true), 1);
	ck_assert_uint_eq(engine_rekey(eng_b, "r", true), 1);
	resume_network();
	/* Depending on which side handles what first, the nonces decide
	 * (both log it) or one side's rekey is refused; either way: */
	/* (When one side's rekey was cut short, the winner deletes the
	 * loser's SA after 3 s, retrying until it gives up: allow for it.) */
	WAIT_FOR(stats(eng_a).ike_sas == 1 && stats(eng_b).ike_sas == 1 &&
	         stats(eng_a).ike_rekeyed_total >= 1, 9000);
	fprintf(stderr, "IKE rekey collision seen by %d side(s)\n",
	        atomic_load(&collisions));
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 1);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_uint_eq(sas_now(), before + 4);
	/* the survivor carries the CHILD SA on both sides: rekey it */
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	WAIT_FOR(stats(eng_b).child_rekeyed_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).child_rekeyed_total, 1);
	WAIT_FOR(sas_now() == before + 4, 2000);
	ck_assert_uint_eq(sas_now(), before + 4);
	stop_pair(2000);
	ck_assert_uint_eq(sas_now(), before);
}
END_TEST

static void count_lines(const char *msg)
{
	if (strstr(msg, "simultaneous"))
		atomic_fetch_add(&collisions, 1);
	if (strstr(msg, "new CHILD SA in this IKE SA"))
		atomic_fetch_add(&acquire_in_sa, 1);
	if (strstr(msg, "has require_kernel_policy: TS_UNACCEPTABLE"))
		atomic_fetch_add(&spd_refused, 1);
}

int main(void)
{
	pair_log_hook = count_lines;
	Suite *s = suite_create("exchange");
	TCase *tc = tcase_create("two engines");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, psk_ike_and_child_sa);
	tcase_add_test(tc, kernel_sa_complete_for_every_transform);
	tcase_add_test(tc, wrong_psk_fails_both_sides);
	tcase_add_test(tc, initiator_refuses_responder_identity);
	tcase_add_test(tc, proposal_mismatch);
	tcase_add_test(tc, invalid_ke_retry);
	tcase_add_test(tc, cookie_demanded_and_answered);
	tcase_add_test(tc, ts_narrowing);
	tcase_add_test(tc, ts_unacceptable_keeps_ike_sa);
	tcase_add_test(tc, retransmission_recovers_losses);
	tcase_add_test(tc, delete_on_shutdown_reaches_peer);
	tcase_add_test(tc, dpd_removes_dead_peer);
	tcase_add_test(tc, garbage_is_dropped);
	tcase_add_test(tc, init_flood_gets_cookies_and_expires);
	tcase_add_test(tc, reload_keeps_established_sas);
	tcase_add_test(tc, acquire_initiates_rule);
	tcase_add_test(tc, foreign_policy_acquire);
	tcase_add_test(tc, responder_requires_kernel_policy);
	tcase_add_test(tc, on_demand_trap);
	tcase_add_test(tc, on_demand_after_ike_rekey);
	tcase_add_test(tc, ipv6_transport_mode);
	tcase_add_test(tc, child_rekey_one_side);
	tcase_add_test(tc, child_rekey_collision);
	tcase_add_test(tc, ike_rekey_keeps_children);
	tcase_add_test(tc, ike_rekey_collision);
	suite_add_tcase(s, tc);
	return pair_main(s);
}
