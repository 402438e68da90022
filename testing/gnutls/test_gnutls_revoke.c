/*
 * test_gnutls_revoke.c - revocation over HTTP in the gnutls validator
 * (gnutls_ocsp.c, gnutls_revoke.c) with the curl fetcher, against a small
 * HTTP server in this process that answers each OCSP request with a
 * response made for it by `openssl ocsp` (certificates from mkocsp.sh):
 *   good / revoked, signed by the issuer or by a delegated responder
 *   (id-kp-OCSPSigning), refused when signed by another CA or by a
 *   certificate of the issuer without that EKU (accepted with
 *   ocsp_ignore_response_sign), a response replayed for another request
 *   (nonce), past nextUpdate, older than ocsp_response_lifetime, a
 *   responder that does not know the certificate, garbage, a silent
 *   responder (timeout) and a closed port (fail closed; fail open with
 *   ignore_cert_revoke_responder_timeout; a failed responder is not asked
 *   again at once), the cache (one request for two verifications), the
 *   certificate's own responder (authorityInfoAccess), and CRLs from the
 *   certificate's distribution point.
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include <ikev2d/fetcher.h>
#include <ikev2d/runtime.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static int srv_fd = -1, port;
static _Atomic int requests, stopping;
static pthread_mutex_t ossl_lock = PTHREAD_MUTEX_INITIALIZER;

static char *path(const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static certificate_t *cert(const char *name)
{
	char *p = path(name);
	certificate_t *c = cred_load_certificate_file(p);
	if (!c) {
		gt_test_dump_log();
		fprintf(stderr, "cannot load %s\n", name);
		exit(1);
	}
	free(p);
	return c;
}

/* openssl ocsp for the request in req: signer NAME (its .pem/.key), index
 * file, extra options; the response DER (chunk_empty on failure). */
static chunk_t ocsp_answer(chunk_t req, const char *signer, const char *index,
                           const char *extra)
{
	pthread_mutex_lock(&ossl_lock);
	char *rq = path("req.der"), *rs = path("resp.der");
	chunk_t out = chunk_empty;
	unlink(rs);
	if (gt_test_write(rq, req) &&
	    gt_test_sh("cd '%s' && openssl ocsp -index %s -CA ca.pem -rsigner %s.pem "
	               "-rkey %s.key -reqin req.der -respout resp.der %s "
	               ">/dev/null 2>>openssl.log", dir, index, signer, signer,
	               extra) == 0)
		out = gt_test_read(rs);
	free(rq);
	free(rs);
	pthread_mutex_unlock(&ossl_lock);
	return out;
}

static chunk_t replayed;

/* The answer for a path (see the file comment). */
static chunk_t answer(const char *p, chunk_t req, bool *silent)
{
	if (!strcmp(p, "/direct") || !strcmp(p, "/aia") || !strcmp(p, "/lifetime"))
		return ocsp_answer(req, "ca", "index.txt", "-nmin 10");
	if (!strcmp(p, "/delegated"))
		return ocsp_answer(req, "resp", "index.txt", "-nmin 10");
	if (!strcmp(p, "/noeku"))
		return ocsp_answer(req, "respnoeku", "index.txt", "-nmin 10");
	if (!strcmp(p, "/other"))
		return ocsp_answer(req, "other", "index.txt", "-nmin 10");
	if (!strcmp(p, "/unknown"))
		return ocsp_answer(req, "ca", "empty.txt", "-nmin 10");
	if (!strcmp(p, "/replay1")) {
		chunk_t a = ocsp_answer(req, "ca", "index.txt", "-nmin 10");
		chunk_free(&replayed);
		replayed = chunk_clone(a);
		return a;
	}
	if (!strcmp(p, "/replay2"))
		return chunk_clone(replayed);
	if (!strcmp(p, "/garbage"))
		return chunk_clone(chunk_create("\x30\x03\x0a\x01\x00", 5));
	if (!strcmp(p, "/crl")) {
		char *c = path("crl.der");
		chunk_t d = gt_test_read(c);
		free(c);
		return d;
	}
	if (!strcmp(p, "/silent"))
		*silent = true;
	return chunk_empty;
}

static void *conn_main(void *arg)
{
	int c = (int)(intptr_t)arg;
	char buf[16384];
	size_t n = 0;
	ssize_t k;
	char *end = NULL;
	size_t want = 0;

	while (n < sizeof(buf) - 1 && (k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)k;
		buf[n] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "Content-Length:");
			want = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
		}
		if (end && n - (size_t)(end + 4 - buf) >= want)
			break;
	}
	atomic_fetch_add(&requests, 1);
	char method[8] = "", p[128] = "";
	sscanf(buf, "%7s %127s", method, p);
	chunk_t req = end ? chunk_create(end + 4, want) : chunk_empty;
	bool silent = false;
	chunk_t body = answer(p, req, &silent);
	if (silent) {
		for (int i = 0; i < 5000 && !atomic_load(&stopping); i++)
			usleep(1000);
	} else {
		char head[200];
		int hl = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: "
		                  "%zu\r\nContent-Type: application/ocsp-response\r\n"
		                  "Connection: close\r\n\r\n",
		                  body.len ? "200 OK" : "404 Not Found", body.len);
		if (write(c, head, (size_t)hl) == hl && body.len) {
			ssize_t w = write(c, body.ptr, body.len);
			(void)w;
		}
	}
	chunk_free(&body);
	close(c);
	return NULL;
}

static void *server_main(void *arg)
{
	for (;;) {
		int c = accept(srv_fd, NULL, NULL);
		if (c < 0)
			break;
		pthread_t t;
		if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
	return NULL;
}

static int bind_loopback(int *p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		abort();
	*p = ntohs(sin.sin_port);
	return fd;
}

static cert_validator_t *validator;
static certificate_t *ca, *good, *revoked;

static void policy_for(cert_policy_t *pol, const char *url_path)
{
	cert_policy_default(pol);
	pol->responder_timeout = 2;
	if (url_path)
		snprintf(pol->ocsp_responder, sizeof(pol->ocsp_responder),
		         "http://127.0.0.1:%d%s", port, url_path);
}

static cert_status_t check(certificate_t *leaf, const cert_policy_t *pol)
{
	gt_test_clear_log();
	cert_status_t st = validator->verify(validator, leaf, NULL, 0, pol, NULL);
	return st;
}

#define ck_status(leaf, pol, want, logged) do { \
	cert_status_t st_ = check(leaf, pol); \
	if (st_ != (want) || ((logged) && !gt_test_logged(logged))) \
		gt_test_dump_log(); \
	ck_assert_msg(st_ == (want), "status %s, expected %s", \
	              cert_status_name(st_), cert_status_name(want)); \
	if (logged) \
		ck_assert_msg(gt_test_logged(logged), "not logged: %s", \
		              (const char *)(logged)); \
} while (0)

START_TEST(test_ocsp)
{
	cert_policy_t pol;

	policy_for(&pol, "/direct");
	int before = atomic_load(&requests);
	ck_status(good, &pol, CERT_OK, "certificate serial 1001 good");
	ck_status(revoked, &pol, CERT_REVOKED, "certificate serial 1002 revoked");
	/* answers are cached until nextUpdate: no request this time */
	ck_status(good, &pol, CERT_OK, "(cached): good");
	ck_assert_int_eq(atomic_load(&requests) - before, 2);

	policy_for(&pol, "/delegated");
	ck_status(good, &pol, CERT_OK, "good");
	ck_status(revoked, &pol, CERT_REVOKED, NULL);

	policy_for(&pol, "/other");
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN,
	          "not signed by the certificate's issuer");
	pol.ocsp_ignore_response_sign = true;
	ck_status(good, &pol, CERT_OK, NULL);

	policy_for(&pol, "/noeku");
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "without id-kp-OCSPSigning");

	policy_for(&pol, "/unknown");
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "does not know the certificate");
	pol.ignore_responder_timeout = true;
	ck_status(good, &pol, CERT_OK, "accepted (ignore_cert_revoke_responder_timeout)");

	policy_for(&pol, "/garbage");
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "not an OCSP response");

	/* a good answer to another request: its nonce is not ours */
	policy_for(&pol, "/replay1");
	ck_status(good, &pol, CERT_OK, NULL);
	policy_for(&pol, "/replay2");
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "nonce is not our request's");

	/* two days on, the cached answer and a fresh one (nextUpdate in 10
	 * minutes) are both too old */
	policy_for(&pol, "/direct");
	pol.now = time(NULL) + 2 * 86400;
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "past its nextUpdate");
	policy_for(&pol, "/lifetime");
	pol.ocsp_response_lifetime = 60;
	pol.now = time(NULL) + 120;
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "older than ocsp_response_lifetime");
	pol.now = 0;
	ck_status(good, &pol, CERT_OK, NULL);

	/* the responder the certificate names */
	policy_for(&pol, NULL);
	pol.ocsp_use_cert_responder = true;
	ck_status(revoked, &pol, CERT_REVOKED, "/aia: certificate serial 1002 revoked");
}
END_TEST

START_TEST(test_unreachable)
{
	cert_policy_t pol;

	/* a responder that never answers: refused after the timeout */
	policy_for(&pol, "/silent");
	pol.responder_timeout = 1;
	uint64_t t0 = time_monotonic_ms();
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "timed out");
	uint64_t took = time_monotonic_ms() - t0;
	ck_assert_msg(took >= 900 && took < 2500, "took %llu ms",
	              (unsigned long long)took);
	/* asked again at once: the failure is remembered, no new wait */
	t0 = time_monotonic_ms();
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "not retried");
	ck_assert_int_lt(time_monotonic_ms() - t0, 500);

	int closed, fd = bind_loopback(&closed);
	close(fd);
	cert_policy_default(&pol);
	snprintf(pol.ocsp_responder, sizeof(pol.ocsp_responder),
	         "http://127.0.0.1:%d/", closed);
	ck_status(good, &pol, CERT_REVOCATION_UNKNOWN, "server unreachable");
	pol.ignore_responder_timeout = true;
	ck_status(revoked, &pol, CERT_OK, "accepted (ignore_cert_revoke_responder_timeout)");
}
END_TEST

START_TEST(test_crl_uri)
{
	cert_policy_t pol;

	policy_for(&pol, NULL);
	pol.crl_get_crl_uri = true;
	int before = atomic_load(&requests);
	ck_status(good, &pol, CERT_OK, "/crl fetched: not listed");
	ck_status(revoked, &pol, CERT_REVOKED, "(cached): revoked");
	ck_assert_int_eq(atomic_load(&requests) - before, 1);
	/* without the setting nothing is fetched */
	cert_policy_default(&pol);
	ck_status(revoked, &pol, CERT_OK, NULL);
	ck_assert_int_eq(atomic_load(&requests) - before, 1);
}
END_TEST

int main(void)
{
	static const char *const names[] = { "gnutls", "curl" };
	char *script;

	if (gt_test_sh("command -v openssl >/dev/null && command -v certtool "
	               ">/dev/null") != 0) {
		fprintf(stderr, "SKIP: openssl or certtool (gnutls-bin) missing\n");
		return 77;
	}
	if (!gt_test_load(names, 2) || !fetcher_provider()) {
		fprintf(stderr, "SKIP: the gnutls and curl plugins do not load\n");
		return 77;
	}
	srv_fd = bind_loopback(&port);
	if (listen(srv_fd, 32) < 0)
		abort();
	dir = gt_test_tmpdir("revoke");
	script = gt_test_srcpath("testing/gnutls/mkocsp.sh");
	if (gt_test_sh("sh '%s' '%s' %d", script, dir, port) != 0) {
		fprintf(stderr, "mkocsp.sh failed\n");
		return 1;
	}
	free(script);
	pthread_t srv;
	pthread_create(&srv, NULL, server_main, NULL);
	validator = cred_create_validator();
	ca = cert("ca.pem");
	good = cert("good.pem");
	revoked = cert("revoked.pem");
	if (!validator || !validator->add_anchor(validator, ca)) {
		gt_test_dump_log();
		return 1;
	}

	Suite *s = suite_create("gnutls_revoke");
	TCase *tc = tcase_create("revoke");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ocsp);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_crl_uri);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	atomic_store(&stopping, 1);
	shutdown(srv_fd, SHUT_RDWR);
	close(srv_fd);
	pthread_join(srv, NULL);
	good->destroy(good);
	revoked->destroy(revoked);
	ca->destroy(ca);
	validator->destroy(validator);
	chunk_free(&replayed);
	gt_test_unload();
	gt_test_rmdir(dir);
	free(dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
