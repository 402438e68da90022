/*
 * fetcher.h - fetching a resource by URL: CRLs from their distribution
 * points, OCSP responses from a responder (RFC 6960 appendix A, HTTP).
 *
 * A plugin (plugins/curl) provides the feature "fetcher" and registers one
 * function with fetcher_register(); the core and other plugins call
 * fetcher_fetch(), which is blocking but bounded twice:
 *   - in time: req->timeout_ms covers everything, the wait for a free
 *     slot (below), name resolution, connection, request and answer;
 *   - in number: at most fetcher_limit() fetches run at once, the
 *     daemon's max_threads (the Solaris in.ikev2d(8) contract: "the total
 *     number of concurrent outstanding CRL and OCSP retrieval operations
 *     is limited by max_threads"); a fetch finding every slot taken waits
 *     for one within its timeout.
 * Called from a worker thread, a fetch marks that worker blocked for the
 * pool (runtime.h), which may then start another worker beyond
 * max_threads so that other SAs' exchanges are not held up by it.
 *
 * fetcher_fetch_async() is what the IKE exchanges use (through the
 * validator, cred.h's CERT_PENDING): the fetch runs on a fetch thread of
 * its own, never on a worker, and its callback is called there when it
 * ends, so an exchange waiting for a CRL or an OCSP answer holds no
 * thread of the pool.  The same two bounds apply; fetch threads are
 * started as fetches are asked for, at most FETCH_MAX_THREADS at once
 * (the rest wait their turn in order), and leave when they are done.
 *
 * Only http:// URLs are fetched (CRLs and OCSP responses are signed;
 * RFC 5280 §4.2.1.13 and RFC 6960 use HTTP).  The body of a 200 answer is
 * returned; any other status, a body larger than max_size or a redirect is
 * an error.  Nothing is logged by the plugin's function; fetcher_fetch()
 * logs one verbose line per fetch (group DBG_CERT).
 */
#ifndef IKEV2D_FETCHER_H
#define IKEV2D_FETCHER_H

#include <stdbool.h>
#include <stddef.h>

#include <ikev2d/chunk.h>

typedef enum {
	FETCH_OK = 0,
	FETCH_NO_FETCHER,    /* no plugin provides "fetcher" */
	FETCH_BAD_URL,       /* not an http:// URL, or malformed */
	FETCH_UNREACHABLE,   /* name not resolved, connection refused/failed */
	FETCH_TIMEOUT,       /* timeout_ms passed (slot wait included) */
	FETCH_HTTP_ERROR,    /* the server answered, but not 200 */
	FETCH_TOO_LARGE,     /* the body would exceed max_size */
	FETCH_FAILED,        /* anything else (protocol error, memory) */
} fetch_status_t;

#define FETCH_DEFAULT_TIMEOUT_MS 10000
#define FETCH_DEFAULT_MAX_SIZE   (1024 * 1024)

typedef struct {
	const char *url;            /* "http://host[:port]/path" */
	chunk_t post;               /* empty: GET; else POST these octets */
	const char *content_type;   /* of post ("application/ocsp-request") */
	unsigned timeout_ms;        /* 0: FETCH_DEFAULT_TIMEOUT_MS */
	size_t max_size;            /* 0: FETCH_DEFAULT_MAX_SIZE */
} fetch_request_t;

/*
 * The provider's function: fetch req (timeout_ms and max_size already
 * filled in, timeout_ms being what is left of the caller's), *body freshly
 * allocated on FETCH_OK (chunk_empty otherwise).  On failure it may write
 * a short reason to why (NUL-terminated, at most why_len bytes).  Called
 * from several threads at once.
 */
typedef fetch_status_t (*fetcher_fn_t)(const fetch_request_t *req,
                                       chunk_t *body, char *why,
                                       size_t why_len);

/* From the "fetcher" feature callback; false if one is registered. */
bool fetcher_register(const char *plugin, fetcher_fn_t fn);
/* Waits for fetches in progress to return, the asynchronous ones with
 * their callbacks. */
void fetcher_unregister(void);
/* The providing plugin's name, NULL if none. */
const char *fetcher_provider(void);

/* Fetch (see above); *body freshly allocated on FETCH_OK, else empty. */
fetch_status_t fetcher_fetch(const fetch_request_t *req, chunk_t *body);
const char *fetch_status_name(fetch_status_t status);

/*
 * The end of an asynchronous fetch: status, and on FETCH_OK the body
 * (freshly allocated, the callback's to free).  Called exactly once, on a
 * fetch thread (never inside fetcher_fetch_async()); it may block briefly
 * (take a mutex) but should hand real work to job_queue().
 */
typedef void (*fetch_done_t)(void *ctx, fetch_status_t status, chunk_t body);

#define FETCH_MAX_THREADS 64

/*
 * Start fetching req (copied: the caller's strings and post octets may go
 * when this returns) on a fetch thread; done(ctx, ...) follows.  The
 * timeout counts from this call, the wait for a thread and a slot
 * included.  False (done is not called) only when no fetch thread can be
 * started and none is running to take the request.
 */
bool fetcher_fetch_async(const fetch_request_t *req, fetch_done_t done,
                         void *ctx);
/* Asynchronous fetches started whose callback has not returned yet
 * (tests), and waiting for all of them to end (plugin unload). */
unsigned fetcher_async_pending(void);
void fetcher_async_drain(void);

/* Concurrent fetches allowed (at least 1); runtime_start_threads() sets
 * it to max_threads. */
void fetcher_set_limit(unsigned n);
unsigned fetcher_limit(void);
/* Fetches running now, and the most that ever ran at once (tests). */
unsigned fetcher_active(void);
unsigned fetcher_peak(void);

#endif
