/*
 * test_auth_wait.c - an IKE_AUTH whose certificate check waits for a
 * revocation answer (core/exchange/auth_wait.c) holds no worker: with a
 * pool of one worker, another IKE SA completes meanwhile, the peer's
 * retransmissions are ignored, and the waiting one completes (or is
 * refused) when the answer comes; in the responder's and the initiator's
 * role; an SA deleted while it waits, and an engine destroyed, leave
 * nothing behind when the answer comes late.
 *
 * The certificate check is a stand-in: an authenticator registered here
 * for AUTH method 3 (dss_sig; no certificate plugin is loaded) that says
 * AUTH_VERIFY_PENDING for the peer the test names and keeps the wait, as
 * the gnutls validator does during an OCSP fetch; the test thread plays
 * the fetch thread and calls resume.  Without a wait (the engine's old
 * way) it blocks the calling worker until the test releases it, as the
 * old blocking fetch did: that is what makes the tests fail against an
 * engine that does not park the exchange.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/auth.h>
#include <ikev2d/runtime.h>

#include "exchange/auth_wait.h"
#include "exchange/engine.h"
#include "exchange/engine_priv.h"
#include "pair.h"

/* ------------------------------------------- the stand-in authenticator */

static const uint8_t token[] = "test-auth-ok";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char pend_for[32];         /* pend the verification of this peer ID */
static int pend_budget;           /* that many times (first rounds) */
static cert_wait_t *held;         /* the wait the "fetch" will resume */
static auth_verify_t verdict = AUTH_VERIFY_OK;   /* after the wait */
static bool released;             /* the blocking variant may go on */
static atomic_int blocked_calls, pending_calls, verify_calls;

static bool t_build(const authenticator_t *self, const auth_params_t *p,
                    uint8_t *method, chunk_t *auth)
{
	(void)self; (void)p;
	*method = AUTH_DSS_SIG;
	*auth = chunk_clone(chunk_create((uint8_t *)token, sizeof(token)));
	return true;
}

static auth_verify_t t_verify(const authenticator_t *self,
                              const auth_params_t *p, uint8_t method,
                              chunk_t auth)
{
	(void)self; (void)method;
	atomic_fetch_add(&verify_calls, 1);
	if (auth.len != sizeof(token) || memcmp(auth.ptr, token, auth.len))
		return AUTH_VERIFY_FAILED;
	pthread_mutex_lock(&lock);
	bool mine = pend_for[0] && p->id.len == strlen(pend_for) &&
	            !memcmp(p->id.ptr, pend_for, p->id.len);
	if (!mine) {
		pthread_mutex_unlock(&lock);
		return AUTH_VERIFY_OK;
	}
	if (pend_budget > 0) {
		pend_budget--;
		if (p->wait) {
			held = p->wait;
			atomic_fetch_add(&pending_calls, 1);
			pthread_mutex_unlock(&lock);
			return AUTH_VERIFY_PENDING;
		}
		/* no wait: block this thread, as the blocking fetch did
		 * (which told the pool, so it could start another worker) */
		atomic_fetch_add(&blocked_calls, 1);
		pthread_mutex_unlock(&lock);
		job_blocking_begin();
		pthread_mutex_lock(&lock);
		while (!released)
			pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
		job_blocking_end();
		pthread_mutex_lock(&lock);
	}
	auth_verify_t v = verdict;
	pthread_mutex_unlock(&lock);
	return v;
}

static const authenticator_t test_auth = {
	.method = AUTH_DSS_SIG, .build = t_build, .verify = t_verify,
};

static void pend(const char *peer_id, int rounds, auth_verify_t then)
{
	pthread_mutex_lock(&lock);
	snprintf(pend_for, sizeof(pend_for), "%s", peer_id);
	pend_budget = rounds;
	verdict = then;
	held = NULL;
	released = false;
	pthread_mutex_unlock(&lock);
}

/* The "fetch" ends: resume what waits (from this thread, as the fetch
 * thread would), or release a blocked worker. */
static void answer(void)
{
	pthread_mutex_lock(&lock);
	cert_wait_t *w = held;
	held = NULL;
	released = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	if (w)
		w->resume(w->ctx);
}

static bool is_held(void)
{
	pthread_mutex_lock(&lock);
	bool h = held != NULL;
	pthread_mutex_unlock(&lock);
	return h || atomic_load(&blocked_calls) > 0;
}

/* ---------------------------------------------------------- the pair */

static atomic_int retransmits_ignored;

static void count_lines(const char *msg)
{
	if (strstr(msg, "retransmitted IKE_AUTH request") &&
	    strstr(msg, "ignored: IKE_AUTH waits"))
		atomic_fetch_add(&retransmits_ignored, 1);
}

/* Both rules authenticate with the stand-in, A as a.test, B as b.test. */
static void start_cert_pair(int b_half_open)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.local_id = "{ type = \"fqdn\"; value = \"a.test\"; }";
	b.local_id = "{ type = \"fqdn\"; value = \"b.test\"; }";
	/* A retransmits IKE_AUTH from 200 ms on, doubling, 6 times: it
	 * waits 12 s for the answer */
	a.daemon_extra = b.daemon_extra = "retry_timer_init_ms = 200; "
		"retry_limit = 6; response_wait_time = 15; half_open_timeout_secs = 15;";
	b.half_open_timeout = b_half_open;
	config_t *ca = make_config("a", ADDR_A, ADDR_B, &a);
	config_t *cb = make_config("b", ADDR_B, ADDR_A, &b);
	config_t *both[] = { ca, cb };
	for (int i = 0; i < 2; i++) {
		both[i]->rules[0].auth_method = AUTH_DSS_SIG;
		both[i]->rules[0].remote_auth_method = AUTH_DSS_SIG;
	}
	eng_a = engine_create(ca);
	eng_b = engine_create(cb);
	config_unref(ca);
	config_unref(cb);
	atomic_store(&retransmits_ignored, 0);
	atomic_store(&blocked_calls, 0);
	atomic_store(&pending_calls, 0);
}

/* No worker is running a job for a while (the one of the pool is free). */
static bool workers_idle(int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (runtime_busy_threads() == 0)
			return true;
		usleep(5 * 1000);
	}
	return false;
}

/* After pair_main loaded the plugins (psk, nettle; nothing provides
 * method 3). */
static void setup(void)
{
	ck_assert(auth_register("test", &test_auth));
}

static void teardown(void)
{
	auth_unregister(&test_auth);
}

/* ------------------------------------------------------------- tests */

/* Responder: B's check of A's certificate waits.  Meanwhile B's only
 * worker is free, a second IKE SA of A completes, and A's retransmitted
 * IKE_AUTH requests are ignored; then the answer comes and the first SA
 * completes, CHILD SA included. */
START_TEST(responder_waits_without_a_worker)
{
	start_cert_pair(0);
	pend("a.test", 1, AUTH_VERIFY_OK);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(is_held(), 3000);
	ck_assert_msg(workers_idle(1000), "a worker stays busy while the "
	              "certificate check waits (%d busy of %d)",
	              runtime_busy_threads(), runtime_threads());
	ck_assert_int_eq(atomic_load(&blocked_calls), 0);
	ck_assert_int_eq(atomic_load(&pending_calls), 1);
	ck_assert_uint_eq(auth_wait_parked_count(eng_b), 1);

	/* another SA of the same peer goes through at once */
	uint64_t t0 = time_monotonic_ms();
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).established == 1 && stats(eng_b).established == 1,
	         3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	ck_assert_msg(time_monotonic_ms() - t0 < 2000, "second SA took %llu ms",
	              (unsigned long long)(time_monotonic_ms() - t0));
	ck_assert_uint_eq(stats(eng_b).half_open, 1);   /* the waiting one */

	/* A retransmits its request (after 200, 600 ms): ignored */
	WAIT_FOR(atomic_load(&retransmits_ignored) >= 1, 1500);
	ck_assert_int_ge(atomic_load(&retransmits_ignored), 1);

	answer();
	WAIT_FOR(stats(eng_a).established == 2 && stats(eng_b).established == 2,
	         3000);
	ck_assert_uint_eq(stats(eng_a).established, 2);
	ck_assert_uint_eq(stats(eng_b).established, 2);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 2);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 2);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	ck_assert_uint_eq(auth_wait_parked_count(eng_b), 0);
	stop_pair(0);
}
END_TEST

/* Responder: the answer says no (revoked, or no answer in time): B
 * refuses with AUTHENTICATION_FAILED and A's SA fails. */
START_TEST(responder_refuses_after_the_wait)
{
	start_cert_pair(0);
	pend("a.test", 1, AUTH_VERIFY_FAILED);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(is_held(), 3000);
	ck_assert_int_eq(atomic_load(&pending_calls), 1);
	ck_assert(workers_idle(1000));
	answer();
	WAIT_FOR(stats(eng_a).ike_sas == 0, 3000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);   /* refused, gone */
	ck_assert_uint_eq(stats(eng_a).established, 0);
	ck_assert_uint_eq(stats(eng_b).established, 0);
	WAIT_FOR(stats(eng_b).half_open == 0, 1000);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	ck_assert_uint_eq(auth_wait_parked_count(eng_b), 0);
	stop_pair(0);
}
END_TEST

/* Initiator: A's check of B's certificate (in B's IKE_AUTH response)
 * waits, twice (a chain asking two responders); A's worker is free
 * meanwhile; then A's SA and its CHILD SA come up. */
START_TEST(initiator_waits_two_rounds)
{
	start_cert_pair(0);
	pend("b.test", 2, AUTH_VERIFY_OK);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(is_held(), 3000);
	ck_assert_uint_eq(auth_wait_parked_count(eng_a), 1);
	ck_assert(workers_idle(1000));
	ck_assert_uint_eq(stats(eng_a).established, 0);
	ck_assert_uint_eq(stats(eng_b).established, 1);  /* B has answered */
	answer();
	/* the second round waits again */
	WAIT_FOR(atomic_load(&pending_calls) == 2 && is_held(), 3000);
	ck_assert_int_eq(atomic_load(&pending_calls), 2);
	ck_assert(workers_idle(1000));
	ck_assert_uint_eq(stats(eng_a).established, 0);
	answer();
	WAIT_FOR(stats(eng_a).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	ck_assert_uint_eq(auth_wait_parked_count(eng_a), 0);
	ck_assert_int_eq(atomic_load(&blocked_calls), 0);
	stop_pair(0);
}
END_TEST

/* The SA goes while it waits (B's half-open timeout), and an engine is
 * destroyed while its SA waits: the late answers find nothing to do (the
 * parked messages went with the SA; ASan checks for leaks). */
START_TEST(answer_after_the_sa_is_gone)
{
	start_cert_pair(1);
	pend("a.test", 1, AUTH_VERIFY_OK);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(is_held(), 3000);
	ck_assert_uint_eq(stats(eng_b).half_open, 1);
	WAIT_FOR(stats(eng_b).half_open == 0, 3000);
	ck_assert_uint_eq(stats(eng_b).half_open, 0);
	int calls = atomic_load(&verify_calls);
	answer();
	usleep(300 * 1000);
	ck_assert_int_eq(atomic_load(&verify_calls), calls);  /* not verified again */
	ck_assert_uint_eq(stats(eng_b).established, 0);
	ck_assert_uint_eq(auth_wait_parked_count(eng_b), 0);
	stop_pair(0);

	start_cert_pair(0);
	pend("a.test", 1, AUTH_VERIFY_OK);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(is_held(), 3000);
	ck_assert_int_eq(atomic_load(&pending_calls), 1);
	stop_pair(0);
	calls = atomic_load(&verify_calls);
	answer();
	usleep(200 * 1000);
	ck_assert_int_eq(atomic_load(&verify_calls), calls);
}
END_TEST

int main(void)
{
	/* the smallest pool: one worker, which a waiting check must not take */
	pair_min_threads = pair_max_threads = 1;
	pair_log_hook = count_lines;
	/* the "ignored" lines are verbose (pair_main shows op and above) */
	if (!getenv("ENGINE_TEST_VERBOSE"))
		bus_set_levels(DBG_IKESA, 0);
	Suite *s = suite_create("auth_wait");
	TCase *tc = tcase_create("IKE_AUTH waiting for a revocation answer");
	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, responder_waits_without_a_worker);
	tcase_add_test(tc, responder_refuses_after_the_wait);
	tcase_add_test(tc, initiator_waits_two_rounds);
	tcase_add_test(tc, answer_after_the_sa_is_gone);
	suite_add_tcase(s, tc);
	return pair_main(s);
}
