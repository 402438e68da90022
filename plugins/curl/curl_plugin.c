/*
 * curl_plugin.c - the "fetcher" feature (fetcher.h) on libcurl: HTTP GET
 * and POST, nothing else.
 *
 * One easy handle per fetch (libcurl handles are not shared between
 * threads), restricted to http:// (no redirects, so no switch to another
 * protocol either), no proxy from the environment (http_proxy would send
 * revocation requests somewhere the configuration never named), no
 * signals (NOSIGNAL: timeouts are measured, never SIGALRM), a total
 * timeout and a body limit checked on every block received (and on
 * Content-Length up front).
 */
#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/fetcher.h>
#include <ikev2d/plugin.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	chunk_t data;
	size_t max;
	bool too_large;
} sink_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	sink_t *s = arg;
	size_t n = size * nmemb;

	if (n > s->max - s->data.len) {
		s->too_large = true;
		return 0;   /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	s->data.ptr = xrealloc(s->data.ptr, s->data.len + n + 1);
	memcpy(s->data.ptr + s->data.len, ptr, n);
	s->data.len += n;
	return n;
}

static fetch_status_t status_of(CURLcode rc, const sink_t *s)
{
	if (s->too_large)
		return FETCH_TOO_LARGE;
	switch (rc) {
	case CURLE_OK:
		return FETCH_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return FETCH_UNREACHABLE;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return FETCH_BAD_URL;
	case CURLE_FILESIZE_EXCEEDED:
		return FETCH_TOO_LARGE;
	default:
		return FETCH_FAILED;
	}
}

static fetch_status_t curl_fetch(const fetch_request_t *req, chunk_t *body,
                                 char *why, size_t why_len)
{
	char err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	sink_t sink = { .max = req->max_size };
	fetch_status_t st;
	long code = 0;
	CURL *c;

	*body = chunk_empty;
	if (!(c = curl_easy_init())) {
		snprintf(why, why_len, "curl_easy_init failed");
		return FETCH_FAILED;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_size);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ikev2d");
	if (req->post.len) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s",
		         req->content_type ? req->content_type
		                           : "application/octet-stream");
		headers = curl_slist_append(headers, ct);
		/* no "Expect: 100-continue" round trip */
		headers = curl_slist_append(headers, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req->post.ptr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)req->post.len);
	}
	CURLcode rc = curl_easy_perform(c);
	st = status_of(rc, &sink);
	if (st == FETCH_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			st = FETCH_HTTP_ERROR;
			snprintf(why, why_len, "HTTP status %ld", code);
		}
	} else if (st == FETCH_TOO_LARGE) {
		snprintf(why, why_len, "more than %zu bytes", req->max_size);
	} else {
		snprintf(why, why_len, "%s", err[0] ? err : curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (st == FETCH_OK)
		*body = sink.data;
	else
		chunk_free(&sink.data);
	return st;
}

static bool fetcher_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	if (!load) {
		fetcher_unregister();
		return true;
	}
	return fetcher_register(plugin->name, curl_fetch);
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("fetcher", fetcher_cb, NULL),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **f)
{
	*f = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	curl_global_cleanup();
	free(self);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;
ikev2d_plugin_t *ikev2d_plugin_create(void);

ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	/* Plugins are created at start-up, before any worker thread. */
	CURLcode rc = curl_global_init(CURL_GLOBAL_NOTHING);
	if (rc != CURLE_OK) {
		log_error(DBG_CERT, "curl: initialisation failed: %s",
		          curl_easy_strerror(rc));
		return NULL;
	}
	ikev2d_plugin_t *p = xzalloc(sizeof(*p));
	p->name = "curl";
	p->get_features = get_features;
	p->destroy = destroy;
	return p;
}
