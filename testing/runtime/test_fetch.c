/*
 * test_fetch.c - the fetcher registry (fetcher.h): the max_threads bound
 * on concurrent fetches, the slot wait counted in the timeout, a worker
 * blocked in a fetch not holding up other jobs; and the curl plugin
 * against a small HTTP server on loopback (200, 404, a body over the
 * limit, a server that never answers, a closed port, POST, https refused).
 */
#define _GNU_SOURCE  /* strcasestr */
#include "lib/plugin_loader.h"

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
#include <unistd.h>

/* ------------------------------------------------ a fake provider */

static _Atomic int fake_running, fake_peak, fake_calls;
static _Atomic int fake_sleep_ms = 200;

static fetch_status_t fake_fetch(const fetch_request_t *req, chunk_t *body,
                                 char *why, size_t len)
{
	int now = atomic_fetch_add(&fake_running, 1) + 1;
	int prev = atomic_load(&fake_peak);
	while (now > prev && !atomic_compare_exchange_weak(&fake_peak, &prev, now))
		;
	atomic_fetch_add(&fake_calls, 1);
	usleep((useconds_t)atomic_load(&fake_sleep_ms) * 1000);
	atomic_fetch_sub(&fake_running, 1);
	*body = chunk_clone(chunk_create(req->url, strlen(req->url)));
	return FETCH_OK;
}

static _Atomic int fetch_ok, fetch_done, other_done;

static void fetch_job(void *arg)
{
	fetch_request_t r = { .url = "http://192.0.2.1/x.crl", .timeout_ms = 5000 };
	chunk_t body;
	if (fetcher_fetch(&r, &body) == FETCH_OK && body.len == strlen(r.url))
		atomic_fetch_add(&fetch_ok, 1);
	chunk_free(&body);
	atomic_fetch_add(&fetch_done, 1);
}

static void *fetch_thread(void *arg)
{
	fetch_job(arg);
	return NULL;
}

static void other_job(void *arg)
{
	atomic_fetch_add(&other_done, 1);
}

static void wait_for(_Atomic int *v, int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms && atomic_load(v) < want; i++)
		usleep(1000);
}

START_TEST(test_bound_and_pool)
{
	chunk_t body;
	fetch_request_t r = { .url = "http://192.0.2.1/" };

	ck_assert_int_eq(fetcher_fetch(&r, &body), FETCH_NO_FETCHER);
	ck_assert(fetcher_register("fake", fake_fetch));
	ck_assert(!fetcher_register("again", fake_fetch));
	ck_assert_str_eq(fetcher_provider(), "fake");
	r.url = "https://192.0.2.1/";
	ck_assert_int_eq(fetcher_fetch(&r, &body), FETCH_BAD_URL);
	r.url = "file:///etc/passwd";
	ck_assert_int_eq(fetcher_fetch(&r, &body), FETCH_BAD_URL);
	ck_assert_int_eq(atomic_load(&fake_calls), 0);

	/* max_threads 2: the limit of concurrent fetches */
	ck_assert(runtime_init(1, 2));
	ck_assert_int_eq(fetcher_limit(), 2);
	atomic_store(&fake_sleep_ms, 300);
	for (int i = 0; i < 6; i++)
		job_queue(fetch_job, NULL);
	/* both workers the pool may have are in fetches (or waiting for a
	 * slot): a job for another SA still runs at once */
	wait_for(&fake_running, 2, 2000);
	ck_assert_int_eq(atomic_load(&fake_running), 2);
	uint64_t t0 = time_monotonic_ms();
	job_queue(other_job, NULL);
	wait_for(&other_done, 1, 2000);
	ck_assert_int_eq(atomic_load(&other_done), 1);
	ck_assert_msg(time_monotonic_ms() - t0 < 250,
	              "a job waited %llu ms behind blocked fetches",
	              (unsigned long long)(time_monotonic_ms() - t0));
	ck_assert_int_gt(atomic_load(&fake_running), 0);
	wait_for(&fetch_done, 6, 5000);
	ck_assert_int_eq(atomic_load(&fetch_ok), 6);
	ck_assert_int_eq(atomic_load(&fake_peak), 2);
	ck_assert_int_le(fetcher_peak(), 2);
	ck_assert_int_eq(fetcher_active(), 0);
	runtime_deinit();

	/* the wait for a slot counts in the timeout */
	fetcher_set_limit(1);
	atomic_store(&fake_sleep_ms, 1500);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, fetch_thread, NULL), 0);
	wait_for(&fake_running, 1, 2000);
	r.url = "http://192.0.2.1/y.crl";
	r.timeout_ms = 200;
	t0 = time_monotonic_ms();
	ck_assert_int_eq(fetcher_fetch(&r, &body), FETCH_TIMEOUT);
	uint64_t took = time_monotonic_ms() - t0;
	ck_assert_msg(took >= 190 && took < 800, "slot wait took %llu ms",
	              (unsigned long long)took);
	ck_assert_int_eq(body.len, 0);
	pthread_join(t, NULL);
	fetcher_unregister();
	ck_assert_ptr_null(fetcher_provider());
}
END_TEST

/* ------------------------------------------------- the curl plugin */

static int srv_fd = -1;
static int srv_port;
static _Atomic int srv_stop;

/* The client may close first (/big: it stops at its size limit), so the
 * server's sends must not raise SIGPIPE, which would end this test. */
static ssize_t put(int c, const void *buf, size_t len)
{
	return send(c, buf, len, MSG_NOSIGNAL);
}

/* One connection: read the request head (and a POST body), answer by
 * path. */
static void serve_one(int c)
{
	char req[8192];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(req) - 1 && (k = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)k;
		req[n] = '\0';
		char *end = strstr(req, "\r\n\r\n");
		if (!end)
			continue;
		char *cl = strcasestr(req, "Content-Length:");
		size_t want = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
		if (n - (size_t)(end + 4 - req) >= want)
			break;
	}
	char out[8800];
	if (strncmp(req, "GET /ok ", 8) == 0) {
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		         "Connection: close\r\n\r\nhello");
	} else if (strncmp(req, "POST /echo ", 11) == 0) {
		char *body = strstr(req, "\r\n\r\n") + 4;
		int ct = strstr(req, "Content-Type: application/ocsp-request") != NULL;
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
		         "Connection: close\r\n\r\n%s%s", strlen(body) + (ct ? 3 : 0),
		         ct ? "ct:" : "", body);
	} else if (strncmp(req, "GET /big ", 9) == 0) {
		/* no Content-Length: the limit is found while reading */
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		if (put(c, out, strlen(out)) < 0)
			return;
		char blk[4096];
		memset(blk, 'x', sizeof(blk));
		for (int i = 0; i < 64; i++)
			if (put(c, blk, sizeof(blk)) < 0)
				return;
		return;
	} else if (strncmp(req, "GET /slow ", 10) == 0) {
		for (int i = 0; i < 3000 && !atomic_load(&srv_stop); i++)
			usleep(1000);
		return;
	} else if (strncmp(req, "GET /moved ", 11) == 0) {
		snprintf(out, sizeof(out), "HTTP/1.1 302 Found\r\nLocation: "
		         "http://127.0.0.1:%d/ok\r\nContent-Length: 0\r\n\r\n", srv_port);
	} else {
		snprintf(out, sizeof(out), "HTTP/1.1 404 Not Found\r\n"
		         "Content-Length: 0\r\nConnection: close\r\n\r\n");
	}
	if (put(c, out, strlen(out)) < 0)
		return;
}

static void *conn_main(void *arg)
{
	int c = (int)(intptr_t)arg;
	serve_one(c);
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

static int listen_loopback(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static fetch_status_t get(const char *path, unsigned timeout_ms, size_t max,
                          chunk_t *body)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", srv_port, path);
	fetch_request_t r = { .url = url, .timeout_ms = timeout_ms, .max_size = max };
	return fetcher_fetch(&r, body);
}

static bool curl_skipped;

START_TEST(test_curl)
{
	static const char *const names[] = { "curl" };
	chunk_t body;

	if (!plugin_loader_load(names, 1, names, 1)) {
		fprintf(stderr, "SKIP: the curl plugin does not load\n");
		curl_skipped = true;
		return;
	}
	ck_assert_str_eq(fetcher_provider(), "curl");
	fetcher_set_limit(4);
	srv_fd = listen_loopback(&srv_port);
	ck_assert_int_eq(listen(srv_fd, 16), 0);
	pthread_t srv;
	ck_assert_int_eq(pthread_create(&srv, NULL, server_main, NULL), 0);

	ck_assert_int_eq(get("/ok", 3000, 0, &body), FETCH_OK);
	ck_assert_int_eq(body.len, 5);
	ck_assert(memcmp(body.ptr, "hello", 5) == 0);
	chunk_free(&body);

	ck_assert_int_eq(get("/missing", 3000, 0, &body), FETCH_HTTP_ERROR);
	ck_assert_int_eq(body.len, 0);
	/* redirects are not followed */
	ck_assert_int_eq(get("/moved", 3000, 0, &body), FETCH_HTTP_ERROR);
	/* 256 KiB against a 64 KiB limit */
	ck_assert_int_eq(get("/big", 3000, 65536, &body), FETCH_TOO_LARGE);
	ck_assert_int_eq(body.len, 0);
	ck_assert_int_eq(get("/big", 3000, 0, &body), FETCH_OK);
	ck_assert_int_eq(body.len, 64 * 4096);
	chunk_free(&body);

	uint64_t t0 = time_monotonic_ms();
	ck_assert_int_eq(get("/slow", 300, 0, &body), FETCH_TIMEOUT);
	uint64_t took = time_monotonic_ms() - t0;
	ck_assert_msg(took >= 250 && took < 1500, "timeout after %llu ms",
	              (unsigned long long)took);

	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", srv_port);
	fetch_request_t r = { .url = url, .post = chunk_create("abc", 3),
	                      .content_type = "application/ocsp-request",
	                      .timeout_ms = 3000 };
	ck_assert_int_eq(fetcher_fetch(&r, &body), FETCH_OK);
	ck_assert_int_eq(body.len, 6);
	ck_assert(memcmp(body.ptr, "ct:abc", 6) == 0);
	chunk_free(&body);

	/* a port nobody listens on */
	int port, fd = listen_loopback(&port);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x.crl", port);
	fetch_request_t closed = { .url = url, .timeout_ms = 3000 };
	ck_assert_int_eq(fetcher_fetch(&closed, &body), FETCH_UNREACHABLE);

	atomic_store(&srv_stop, 1);
	shutdown(srv_fd, SHUT_RDWR);
	close(srv_fd);
	pthread_join(srv, NULL);
	plugin_loader_unload();
	ck_assert_ptr_null(fetcher_provider());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch");
	TCase *tc = tcase_create("fetch");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bound_and_pool);
#ifdef HAVE_CURL_PLUGIN
	tcase_add_test(tc, test_curl);
#endif
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : curl_skipped ? 77 : EXIT_SUCCESS;
}
