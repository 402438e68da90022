/*
 * fetch.c - the fetcher registry and the bound on concurrent fetches
 * (fetcher.h).
 *
 * Slots: a counter under a mutex; a fetch waits on a condition variable
 * for a free slot until its own deadline, and what is left of its
 * timeout is what the provider gets.  The provider's function runs under
 * a read lock so that fetcher_unregister() (a write lock) waits for the
 * fetches in progress.
 *
 * Asynchronous fetches (fetcher_fetch_async): each runs fetcher_fetch()
 * on a fetch thread, a plain detached thread that is not one of the
 * pool's workers; a thread that finishes takes the next request waiting
 * for one, or leaves.  At most FETCH_MAX_THREADS exist; requests beyond
 * wait in a FIFO (their timeout still counts from the request).
 */
#define _GNU_SOURCE
#include "runtime_priv.h"

#include <ikev2d/bus.h>
#include <ikev2d/fetcher.h>
#include <ikev2d/runtime.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_rwlock_t reg_lock = PTHREAD_RWLOCK_INITIALIZER;
static fetcher_fn_t provider_fn;
static const char *provider_name;

static pthread_mutex_t slot_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cond;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static unsigned limit = 16, active, peak;

static void slot_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&slot_cond, &ca);
	pthread_condattr_destroy(&ca);
}

bool fetcher_register(const char *plugin, fetcher_fn_t fn)
{
	bool ok = false;

	if (!fn)
		return false;
	pthread_rwlock_wrlock(&reg_lock);
	if (!provider_fn) {
		provider_fn = fn;
		provider_name = plugin;
		ok = true;
	}
	pthread_rwlock_unlock(&reg_lock);
	if (!ok)
		log_error(DBG_CERT, "fetcher: %s already provided by %s",
		          plugin ? plugin : "?", provider_name ? provider_name : "?");
	return ok;
}

void fetcher_unregister(void)
{
	fetcher_async_drain();
	pthread_rwlock_wrlock(&reg_lock);
	provider_fn = NULL;
	provider_name = NULL;
	pthread_rwlock_unlock(&reg_lock);
}

const char *fetcher_provider(void)
{
	pthread_rwlock_rdlock(&reg_lock);
	const char *name = provider_name;
	pthread_rwlock_unlock(&reg_lock);
	return name;
}

void fetcher_set_limit(unsigned n)
{
	pthread_once(&slot_once, slot_init);
	pthread_mutex_lock(&slot_mutex);
	limit = n ? n : 1;
	pthread_cond_broadcast(&slot_cond);
	pthread_mutex_unlock(&slot_mutex);
}

unsigned fetcher_limit(void)
{
	pthread_mutex_lock(&slot_mutex);
	unsigned n = limit;
	pthread_mutex_unlock(&slot_mutex);
	return n;
}

unsigned fetcher_active(void)
{
	pthread_mutex_lock(&slot_mutex);
	unsigned n = active;
	pthread_mutex_unlock(&slot_mutex);
	return n;
}

unsigned fetcher_peak(void)
{
	pthread_mutex_lock(&slot_mutex);
	unsigned n = peak;
	pthread_mutex_unlock(&slot_mutex);
	return n;
}

const char *fetch_status_name(fetch_status_t status)
{
	switch (status) {
	case FETCH_OK:          return "ok";
	case FETCH_NO_FETCHER:  return "no fetcher plugin loaded";
	case FETCH_BAD_URL:     return "unsupported or malformed URL";
	case FETCH_UNREACHABLE: return "server unreachable";
	case FETCH_TIMEOUT:     return "timed out";
	case FETCH_HTTP_ERROR:  return "HTTP error";
	case FETCH_TOO_LARGE:   return "answer too large";
	case FETCH_FAILED:      return "failed";
	}
	return "?";
}

/* Take a slot before deadline (CLOCK_MONOTONIC ms). */
static bool slot_take(uint64_t deadline)
{
	struct timespec until = {
		.tv_sec = (time_t)(deadline / 1000),
		.tv_nsec = (long)(deadline % 1000) * 1000000L,
	};
	bool ok = true;

	pthread_once(&slot_once, slot_init);
	pthread_mutex_lock(&slot_mutex);
	while (active >= limit) {
		if (pthread_cond_timedwait(&slot_cond, &slot_mutex, &until) ==
		    ETIMEDOUT && active >= limit) {
			ok = false;
			break;
		}
	}
	if (ok && ++active > peak)
		peak = active;
	pthread_mutex_unlock(&slot_mutex);
	return ok;
}

static void slot_give(void)
{
	pthread_mutex_lock(&slot_mutex);
	active--;
	pthread_cond_signal(&slot_cond);
	pthread_mutex_unlock(&slot_mutex);
}

/* The URL for a log line: up to the query (an OCSP GET carries the
 * request there; nothing secret, but long). */
static void url_for_log(const char *url, char *buf, size_t len)
{
	size_t n = strcspn(url, "?");

	if (n >= len)
		n = len - 1;
	memcpy(buf, url, n);
	buf[n] = '\0';
}

fetch_status_t fetcher_fetch(const fetch_request_t *req, chunk_t *body)
{
	fetch_request_t r;
	fetch_status_t st;
	char why[160] = "", url[256];
	uint64_t start = time_monotonic_ms(), deadline;

	*body = chunk_empty;
	if (!req || !req->url)
		return FETCH_BAD_URL;
	r = *req;
	if (!r.timeout_ms)
		r.timeout_ms = FETCH_DEFAULT_TIMEOUT_MS;
	if (!r.max_size)
		r.max_size = FETCH_DEFAULT_MAX_SIZE;
	url_for_log(r.url, url, sizeof(url));
	if (strncasecmp(r.url, "http://", 7) != 0 || !r.url[7]) {
		log_verbose(DBG_CERT, "fetch %s: only http:// URLs are fetched", url);
		return FETCH_BAD_URL;
	}
	deadline = start + r.timeout_ms;
	log_verbose(DBG_CERT, "fetch %s: started (timeout %u ms)", url,
	            r.timeout_ms);

	workers_block_begin();
	if (!slot_take(deadline)) {
		workers_block_end();
		log_op(DBG_CERT, "fetch %s: no free fetch slot within %u ms (%u "
		       "running, the limit is max_threads)", url, r.timeout_ms,
		       fetcher_limit());
		return FETCH_TIMEOUT;
	}
	uint64_t now = time_monotonic_ms();
	r.timeout_ms = now < deadline ? (unsigned)(deadline - now) : 1;
	pthread_rwlock_rdlock(&reg_lock);
	if (provider_fn)
		st = provider_fn(&r, body, why, sizeof(why));
	else
		st = FETCH_NO_FETCHER;
	pthread_rwlock_unlock(&reg_lock);
	slot_give();
	workers_block_end();
	if (st != FETCH_OK)
		chunk_free(body);
	log_verbose(DBG_CERT, "fetch %s: %s%s%s (%zu bytes, %llu ms)", url,
	            fetch_status_name(st), why[0] ? ": " : "", why, body->len,
	            (unsigned long long)(time_monotonic_ms() - start));
	return st;
}

/* ------------------------------------------------- asynchronous fetches */

typedef struct async_req {
	struct async_req *next;
	fetch_request_t r;          /* its strings and post point into the copies */
	char *url, *content_type;
	chunk_t post;
	uint64_t deadline;          /* monotonic ms */
	fetch_done_t done;
	void *ctx;
} async_req_t;

static pthread_mutex_t async_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t async_idle = PTHREAD_COND_INITIALIZER;
static async_req_t *async_head, *async_tail;
static unsigned n_async_threads, n_async_pending;

static void async_free(async_req_t *a)
{
	free(a->url);
	free(a->content_type);
	chunk_free(&a->post);
	free(a);
}

static void async_run(async_req_t *a)
{
	chunk_t body = chunk_empty;
	fetch_status_t st;
	uint64_t now = time_monotonic_ms();

	if (now >= a->deadline) {
		char url[256];
		url_for_log(a->url, url, sizeof(url));
		log_op(DBG_CERT, "fetch %s: no fetch thread free within %u ms",
		       url, a->r.timeout_ms);
		st = FETCH_TIMEOUT;
	} else {
		a->r.timeout_ms = (unsigned)(a->deadline - now);
		st = fetcher_fetch(&a->r, &body);
	}
	a->done(a->ctx, st, body);
}

static void *async_thread(void *arg)
{
	async_req_t *a = arg;

	while (a) {
		async_run(a);
		async_free(a);
		pthread_mutex_lock(&async_mutex);
		n_async_pending--;
		a = async_head;
		if (a) {
			async_head = a->next;
			if (!async_head)
				async_tail = NULL;
		} else {
			n_async_threads--;
		}
		pthread_cond_broadcast(&async_idle);
		pthread_mutex_unlock(&async_mutex);
	}
	return NULL;
}

bool fetcher_fetch_async(const fetch_request_t *req, fetch_done_t done,
                         void *ctx)
{
	if (!req || !req->url || !done)
		return false;
	async_req_t *a = xzalloc(sizeof(*a));
	a->r = *req;
	if (!a->r.timeout_ms)
		a->r.timeout_ms = FETCH_DEFAULT_TIMEOUT_MS;
	a->deadline = time_monotonic_ms() + a->r.timeout_ms;
	a->url = strdup(req->url);
	a->r.url = a->url;
	if (req->content_type) {
		a->content_type = strdup(req->content_type);
		a->r.content_type = a->content_type;
	}
	a->post = chunk_clone(req->post);
	a->r.post = a->post;
	a->done = done;
	a->ctx = ctx;

	pthread_mutex_lock(&async_mutex);
	bool ok = true;
	if (n_async_threads < FETCH_MAX_THREADS) {
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		int err = pthread_create(&t, &attr, async_thread, a);
		pthread_attr_destroy(&attr);
		if (!err) {
			n_async_threads++;
			n_async_pending++;
			a = NULL;
		} else if (!n_async_threads) {
			log_error(DBG_CERT, "fetch: cannot start a fetch thread: %s",
			          strerror(err));
			ok = false;
		}
	}
	if (a && ok) {
		/* every fetch thread busy: the first to finish takes it */
		if (async_tail)
			async_tail->next = a;
		else
			async_head = a;
		async_tail = a;
		n_async_pending++;
		a = NULL;
	}
	pthread_mutex_unlock(&async_mutex);
	if (a)
		async_free(a);
	return ok;
}

unsigned fetcher_async_pending(void)
{
	pthread_mutex_lock(&async_mutex);
	unsigned n = n_async_pending;
	pthread_mutex_unlock(&async_mutex);
	return n;
}

void fetcher_async_drain(void)
{
	pthread_mutex_lock(&async_mutex);
	while (n_async_pending || n_async_threads)
		pthread_cond_wait(&async_idle, &async_mutex);
	pthread_mutex_unlock(&async_mutex);
}
