/*
 * codec_bench.c - messages per second through the codec on one core:
 * parse and generate of a typical IKE_SA_INIT request (SA with two
 * proposals, KE ECP-256, nonce, NAT-D, fragmentation and signature-hash
 * notifies, a vendor ID: 316 bytes) and IKE_AUTH request (IDi, IDr, AUTH,
 * CERT, ESP SA, TSi/TSr, notifies; inside SK).  SK uses a null AEAD (no
 * ICV, identity), so the figures are the codec's own cost, without crypto.
 * Rates are per second of this thread's CPU time (not wall time).
 *
 *   codec_bench [SECONDS_PER_CASE]   (default 1.0)
 *   codec_bench -n N                 each case exactly N times (for callgrind)
 */
#include "samples.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CPU time of this thread: the machine may be busy with other work, and
 * what we want is the codec's cost per message on one core. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
	chunk_t wire;
	sk_ctx_t *sk;
	sample_t which;
} ctx_t;

static volatile size_t sink;

static void do_parse(ctx_t *c)
{
	message_t *m;
	codec_error_t err;
	if (message_parse(c->wire, &m, &err) != CODEC_OK)
		abort();
	if (c->sk && message_decrypt(m, c->sk, &err) != CODEC_OK)
		abort();
	sink += m->count;
	message_destroy(m);
}

static void do_generate(ctx_t *c)
{
	message_t *m = sample_build(c->which);
	chunk_t out;
	codec_error_t err;
	codec_status_t st = c->sk ? message_generate_sk(m, c->sk, &out, &err)
	                          : message_generate(m, &out, &err);
	if (st != CODEC_OK)
		abort();
	sink += out.len;
	chunk_free(&out);
	message_destroy(m);
}

/* One function per case, so that callgrind can attribute instructions to
 * each (codec-bench.sh --instructions). */
static ctx_t *c_init, *c_auth;
static void parse_init(void) { do_parse(c_init); }
static void generate_init(void) { do_generate(c_init); }
static void parse_auth(void) { do_parse(c_auth); }
static void generate_auth(void) { do_generate(c_auth); }

static long fixed_count;   /* -n N: run each case exactly N times */

static double run(const char *name, void (*fn)(ctx_t *), ctx_t *c, double secs)
{
	if (fixed_count) {
		void (*f)(void) = fn == do_parse ? (c == c_init ? parse_init : parse_auth)
		                                 : (c == c_init ? generate_init : generate_auth);
		for (long i = 0; i < fixed_count; i++)
			f();
		printf("%-40s %ld runs\n", name, fixed_count);
		return 0;
	}
	size_t n = 0, batch = 1000;
	for (size_t i = 0; i < batch; i++)  /* warm up */
		fn(c);
	double t0 = now(), t;
	do {
		for (size_t i = 0; i < batch; i++)
			fn(c);
		n += batch;
		t = now();
	} while (t - t0 < secs);
	double rate = n / (t - t0);
	printf("%-40s %10.0f msg/s  %7.1f ns/msg\n", name, rate, 1e9 / rate);
	return rate;
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	if (argc > 2 && !strcmp(argv[1], "-n"))
		fixed_count = atol(argv[2]);
	else if (argc > 1)
		secs = atof(argv[1]);
	aead_t *a = null_aead_create();
	sk_ctx_t sk = { .aead = a };
	codec_error_t err;

	message_t *init = sample_build(SAMPLE_INIT_REQ);
	message_t *auth = sample_build(SAMPLE_AUTH_REQ);
	ctx_t ci = { .which = SAMPLE_INIT_REQ };
	ctx_t ca = { .which = SAMPLE_AUTH_REQ, .sk = &sk };
	if (message_generate(init, &ci.wire, &err) != CODEC_OK ||
	    message_generate_sk(auth, &sk, &ca.wire, &err) != CODEC_OK) {
		fprintf(stderr, "cannot build samples: %s\n", err.text);
		return 1;
	}
	c_init = &ci;
	c_auth = &ca;
	printf("IKE_SA_INIT request %zu bytes, %zu payloads; IKE_AUTH request "
	       "%zu bytes, %zu inner payloads\n", ci.wire.len, init->count,
	       ca.wire.len, auth->count);
	double r = run("IKE_SA_INIT request parse", do_parse, &ci, secs);
	run("IKE_SA_INIT request build+generate", do_generate, &ci, secs);
	run("IKE_AUTH request parse+SK decrypt(null)", do_parse, &ca, secs);
	run("IKE_AUTH request build+generate SK(null)", do_generate, &ca, secs);
	if (!fixed_count)
		printf("target >= 1000000 IKE_SA_INIT parses/s: %s\n",
		       r >= 1e6 ? "met" : "NOT met");
	chunk_free(&ci.wire);
	chunk_free(&ca.wire);
	message_destroy(init);
	message_destroy(auth);
	a->destroy(a);
	return 0;
}
