/*
 * gnutls_revoke.c - revocation over HTTP for the validator: CRLs from a
 * certificate's cRLDistributionPoints, and OCSP (RFC 6960) from the
 * configured responder or the one in its authorityInfoAccess.  What the
 * policy asks is in cert_policy_t (cred.h); fetches go through
 * fetcher_fetch_async() (fetcher.h), which bounds their number and time.
 *
 * Nothing here waits: a check that needs a fetch starts it, puts the
 * caller's cert_wait_t on the entry's list of waiters and returns
 * CERT_PENDING; the fetch's callback (on a fetch thread) stores the
 * answer and calls every waiter's resume, and the caller verifies again.
 * The validator's blocking verify() waits for that itself.
 *
 * Caches (process-wide, under one mutex):
 *   - CRLs by URL, kept until their nextUpdate (an hour when they have
 *     none); a CRL whose signature does not verify under the issuer or
 *     that is not current is not kept;
 *   - OCSP answers (good or revoked) by (issuer key hash, serial), kept
 *     until the response's nextUpdate, or thisUpdate plus
 *     ocsp_response_lifetime, whichever comes first (not at all if it has
 *     neither);
 *   - a failed fetch of a URL is remembered for FAIL_HOLD_S seconds, so
 *     that a flood of IKE_AUTHs naming an unreachable responder costs one
 *     timeout, not one each;
 *   - one fetch per URL at a time: others needing the same URL wait for
 *     its result instead of fetching it again;
 *   - every answer (an unusable one, one not to be cached, a failure)
 *     carries a sequence number: a verification's later rounds take the
 *     answers that came after its first round as they are (cert_wait_t's
 *     seq), so each verification asks each URL at most once.
 */
#define _GNU_SOURCE
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>
#include <ikev2d/fetcher.h>
#include <ikev2d/runtime.h>

#include <gnutls/ocsp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL_HOLD_S       5
#define CRL_DEFAULT_KEEP  3600
#define MAX_ENTRIES       256
#define MAX_URIS          4
#define URL_MAX           256

typedef enum { E_CRL, E_OCSP } entry_kind_t;

typedef struct waiter {
	struct waiter *next;
	cert_wait_t *wait;
} waiter_t;

typedef struct entry {
	struct entry *next;
	entry_kind_t kind;
	char key[URL_MAX + 80];     /* URL (CRL), or URL + issuer/serial (OCSP) */
	bool busy;                  /* a fetch for it is in progress */
	waiter_t *waiters;          /* verifications waiting for that fetch */
	crl_t *crl;                 /* E_CRL */
	cert_status_t status;       /* E_OCSP: CERT_OK or CERT_REVOKED */
	time_t expires;             /* wall clock: good until */
	time_t failed_until;        /* a failed fetch is not retried before */
	uint64_t answer_seq;        /* of the last answer (0: none yet) */
	cert_status_t last;         /* E_OCSP: that answer, unusable included */
} entry_t;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static entry_t *entries;
static size_t n_entries;
static uint64_t answer_seq = 2;    /* the next answer's (a wait's seq is
                                    * at least 1: 0 means unset) */

static void entry_free(entry_t *e)
{
	if (e->crl)
		e->crl->destroy(e->crl);
	free(e);
}

void gt_revoke_flush(void)
{
	pthread_mutex_lock(&mutex);
	for (entry_t **p = &entries; *p; ) {
		entry_t *e = *p;
		if (e->busy) {
			p = &e->next;
			continue;
		}
		*p = e->next;
		entry_free(e);
		n_entries--;
	}
	pthread_mutex_unlock(&mutex);
}

/* The entry for key (created), under the mutex.  Old idle entries go
 * when there are too many (a busy one stays: its fetch's callback holds
 * it). */
static entry_t *entry_get(entry_kind_t kind, const char *key)
{
	for (entry_t *e = entries; e; e = e->next)
		if (e->kind == kind && strcmp(e->key, key) == 0)
			return e;
	if (n_entries >= MAX_ENTRIES) {
		for (entry_t **p = &entries; *p; ) {
			if (!(*p)->busy) {
				entry_t *e = *p;
				*p = e->next;
				entry_free(e);
				n_entries--;
				break;
			}
			p = &(*p)->next;
		}
	}
	entry_t *e = xzalloc(sizeof(*e));
	e->kind = kind;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->next = entries;
	entries = e;
	n_entries++;
	return e;
}

/* Under the mutex: wait for e's fetch (in progress, or about to start). */
static void add_waiter(entry_t *e, cert_wait_t *wait)
{
	waiter_t *w = xzalloc(sizeof(*w));
	w->wait = wait;
	w->next = e->waiters;
	e->waiters = w;
}

/* Under the mutex: e has its answer; the waiters are returned (to be
 * resumed once the mutex is released). */
static waiter_t *answered(entry_t *e)
{
	waiter_t *w = e->waiters;
	e->waiters = NULL;
	e->busy = false;
	e->answer_seq = answer_seq++;
	return w;
}

static void resume_all(waiter_t *w)
{
	while (w) {
		waiter_t *next = w->next;
		w->wait->resume(w->wait->ctx);
		free(w);
		w = next;
	}
}

/* Whether e was answered after the verification of wait began. */
static bool answered_for(const entry_t *e, const cert_wait_t *wait)
{
	return e->answer_seq && e->answer_seq > wait->seq;
}

static unsigned timeout_ms(const cert_policy_t *policy)
{
	return (unsigned)(policy->responder_timeout > 0 ?
	                  policy->responder_timeout : 10) * 1000u;
}

/* What a fetch's callback needs: copies, since the caller's certificates
 * and policy are gone by then. */
typedef struct {
	entry_t *e;
	char url[URL_MAX];
	certificate_t *cert, *issuer;
	cert_policy_t policy;
	time_t now;                 /* the policy's time, 0: the clock's */
	chunk_t nonce;              /* OCSP */
	char serial[80];            /* OCSP, for the log */
} fetch_ctx_t;

static fetch_ctx_t *ctx_new(entry_t *e, const char *url, certificate_t *cert,
                            certificate_t *issuer, const cert_policy_t *policy)
{
	fetch_ctx_t *c = xzalloc(sizeof(*c));
	c->e = e;
	snprintf(c->url, sizeof(c->url), "%s", url);
	c->cert = gt_cert_load(cert->get_encoding(cert));
	c->issuer = gt_cert_load(issuer->get_encoding(issuer));
	c->policy = *policy;
	c->now = policy->now;
	return c;
}

static void ctx_free(fetch_ctx_t *c)
{
	if (c->cert)
		c->cert->destroy(c->cert);
	if (c->issuer)
		c->issuer->destroy(c->issuer);
	chunk_free(&c->nonce);
	free(c);
}

static time_t ctx_now(const fetch_ctx_t *c)
{
	return c->now ? c->now : time(NULL);
}

/* ----------------------------------------------------------------- CRL */

/* The http:// URIs of cert's cRLDistributionPoints (or AIA OCSP). */
static size_t crl_uris(certificate_t *cert, char uris[MAX_URIS][URL_MAX])
{
	size_t n = 0;

	for (unsigned seq = 0; n < MAX_URIS; seq++) {
		char buf[URL_MAX];
		size_t size = sizeof(buf) - 1;
		int rc = gnutls_x509_crt_get_crl_dist_points(gt_cert_handle(cert),
		                                             seq, buf, &size,
		                                             NULL, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;      /* a URI too long for us: skipped */
		if (rc < 0)
			break;
		if (rc != GNUTLS_SAN_URI)
			continue;
		buf[size] = '\0';
		if (strncasecmp(buf, "http://", 7) != 0 || strlen(buf) != size)
			continue;
		memcpy(uris[n++], buf, size + 1);
	}
	return n;
}

static size_t ocsp_uris(certificate_t *cert, char uris[MAX_URIS][URL_MAX])
{
	size_t n = 0;

	for (unsigned seq = 0; n < MAX_URIS; seq++) {
		gnutls_datum_t d = { 0 };
		int rc = gnutls_x509_crt_get_authority_info_access(
			gt_cert_handle(cert), seq, GNUTLS_IA_OCSP_URI, &d, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			/* an access method other than OCSP at this index */
			if (rc == GNUTLS_E_UNKNOWN_ALGORITHM)
				continue;
			break;
		}
		if (d.size < URL_MAX && d.size > 7 &&
		    strncasecmp((char *)d.data, "http://", 7) == 0 &&
		    !memchr(d.data, 0, d.size)) {
			memcpy(uris[n], d.data, d.size);
			uris[n++][d.size] = '\0';
		}
		gnutls_free(d.data);
	}
	return n;
}

/* A CRL fetched from url for issuer: parsed, signed by issuer, current.
 * NULL (logged) if not. */
static crl_t *crl_accept(chunk_t body, const char *url, certificate_t *issuer,
                         const cert_policy_t *policy, time_t now)
{
	crl_t *crl = gt_crl_load(body);
	time_t tu, nu;

	if (!crl) {
		log_op(DBG_CERT, "CRL from %s: not a CRL", url);
		return NULL;
	}
	if (!gt_crl_signed_by(crl, issuer)) {
		log_op(DBG_CERT, "CRL from %s: not signed by the certificate's "
		       "issuer: ignored", url);
		crl->destroy(crl);
		return NULL;
	}
	crl->get_update_times(crl, &tu, &nu);
	if (!policy->ignore_date &&
	    (tu > now + policy->validity_adjusttime ||
	     (nu && nu < now - policy->validity_adjusttime))) {
		log_op(DBG_CERT, "CRL from %s: not current (thisUpdate %lld, "
		       "nextUpdate %lld): ignored", url, (long long)tu,
		       (long long)nu);
		crl->destroy(crl);
		return NULL;
	}
	return crl;
}

/* The end of a CRL fetch (fetch thread). */
static void crl_done(void *arg, fetch_status_t fs, chunk_t body)
{
	fetch_ctx_t *c = arg;
	time_t now = ctx_now(c);
	crl_t *crl = NULL;

	if (fs == FETCH_OK && c->issuer)
		crl = crl_accept(body, c->url, c->issuer, &c->policy, now);
	else if (fs != FETCH_OK)
		log_op(DBG_CERT, "CRL %s: fetch failed: %s", c->url,
		       fetch_status_name(fs));
	chunk_free(&body);

	pthread_mutex_lock(&mutex);
	entry_t *e = c->e;
	if (crl) {
		time_t tu, nu;
		crl->get_update_times(crl, &tu, &nu);
		if (e->crl)
			e->crl->destroy(e->crl);
		e->crl = crl;
		e->expires = nu ? nu : now + CRL_DEFAULT_KEEP;
		e->failed_until = 0;
	} else {
		e->failed_until = now + FAIL_HOLD_S;
	}
	waiter_t *w = answered(e);
	pthread_mutex_unlock(&mutex);
	ctx_free(c);
	resume_all(w);
}

/* Under the mutex: e's CRL (current) on cert, or -1. */
static int crl_verdict(entry_t *e, certificate_t *cert, certificate_t *issuer,
                       time_t now)
{
	if (!e->crl || (e->expires && now > e->expires) ||
	    !gt_crl_signed_by(e->crl, issuer))
		return -1;
	return e->crl->is_revoked(e->crl, cert->get_serial(cert)) ?
	       CERT_REVOKED : CERT_OK;
}

/*
 * The verdict of the CRL at url on cert: CERT_OK (listed not), CERT_REVOKED,
 * CERT_REVOCATION_UNKNOWN (no usable CRL), or CERT_PENDING (fetching it).
 */
static cert_status_t crl_from(const char *url, certificate_t *cert,
                              certificate_t *issuer,
                              const cert_policy_t *policy, time_t now,
                              cert_wait_t *wait)
{
	entry_t *e;

	pthread_mutex_lock(&mutex);
	e = entry_get(E_CRL, url);
	if (e->busy) {
		add_waiter(e, wait);
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "CRL %s: waiting for the fetch in progress",
		            url);
		return CERT_PENDING;
	}
	int v = crl_verdict(e, cert, issuer, now);
	if (v >= 0) {
		bool fresh = answered_for(e, wait);
		pthread_mutex_unlock(&mutex);
		const char *what = v == CERT_REVOKED ? "revoked" : "not listed";
		if (fresh)   /* fetched for this verification */
			log_op(DBG_CERT, "CRL %s fetched: %s", url, what);
		else
			log_verbose(DBG_CERT, "CRL %s (cached): %s", url, what);
		return (cert_status_t)v;
	}
	if (answered_for(e, wait)) {
		pthread_mutex_unlock(&mutex);
		return CERT_REVOCATION_UNKNOWN;   /* this verification's fetch failed */
	}
	if (e->failed_until && now < e->failed_until) {
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "CRL %s: its last fetch failed, not retried "
		            "before %ds have passed", url, FAIL_HOLD_S);
		return CERT_REVOCATION_UNKNOWN;
	}
	e->busy = true;
	add_waiter(e, wait);
	pthread_mutex_unlock(&mutex);

	fetch_ctx_t *c = ctx_new(e, url, cert, issuer, policy);
	fetch_request_t req = { .url = url, .timeout_ms = timeout_ms(policy) };
	if (!fetcher_fetch_async(&req, crl_done, c))
		crl_done(c, FETCH_FAILED, chunk_empty);
	return CERT_PENDING;
}

/* ---------------------------------------------------------------- OCSP */

static void hex(chunk_t c, char *out, size_t len)
{
	size_t i;
	for (i = 0; i < c.len && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", c.ptr[i]);
	out[2 * i] = '\0';
}

/* The end of an OCSP request (fetch thread). */
static void ocsp_done(void *arg, fetch_status_t fs, chunk_t body)
{
	fetch_ctx_t *c = arg;
	time_t now = ctx_now(c);     /* the fetch took time */
	cert_status_t st = CERT_REVOCATION_UNKNOWN;
	time_t expires = 0;

	if (fs == FETCH_OK && c->cert && c->issuer) {
		char why[160] = "";
		st = gt_ocsp_check(body, c->cert, c->issuer, c->nonce, &c->policy,
		                   now, &expires, why, sizeof(why));
		if (st == CERT_REVOCATION_UNKNOWN)
			log_op(DBG_CERT, "OCSP %s: response not usable: %s", c->url,
			       why);
	} else if (fs != FETCH_OK) {
		log_op(DBG_CERT, "OCSP %s: request failed: %s", c->url,
		       fetch_status_name(fs));
	}
	chunk_free(&body);

	pthread_mutex_lock(&mutex);
	entry_t *e = c->e;
	e->last = st;
	if (st != CERT_REVOCATION_UNKNOWN) {
		e->status = st;
		e->expires = expires;
		e->failed_until = 0;
	} else if (fs != FETCH_OK) {
		/* an unusable answer is asked again (by the next
		 * verification); no answer is not */
		e->failed_until = now + FAIL_HOLD_S;
	}
	waiter_t *w = answered(e);
	pthread_mutex_unlock(&mutex);
	if (st != CERT_REVOCATION_UNKNOWN)
		log_op(DBG_CERT, "OCSP %s: certificate serial %s %s", c->url,
		       c->serial, st == CERT_REVOKED ? "revoked" : "good");
	ctx_free(c);
	resume_all(w);
}

static cert_status_t ocsp_from(const char *url, certificate_t *cert,
                               certificate_t *issuer,
                               const cert_policy_t *policy, time_t now,
                               cert_wait_t *wait)
{
	char key[sizeof(((entry_t *)0)->key)], serial[80], ikey[41];
	uint8_t fp[GT_FP_SIZE];
	chunk_t sp = issuer->get_subject_der(issuer);
	entry_t *e;

	/* one cached answer per responder, issuer and serial */
	if (!gt_fp_of(&sp, 1, fp))
		return CERT_REVOCATION_UNKNOWN;
	hex(chunk_create(fp, 20), ikey, sizeof(ikey));
	hex(cert->get_serial(cert), serial, sizeof(serial));
	snprintf(key, sizeof(key), "%s %s %s", url, ikey, serial);

	pthread_mutex_lock(&mutex);
	e = entry_get(E_OCSP, key);
	if (e->busy) {
		add_waiter(e, wait);
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "OCSP %s: waiting for the request in "
		            "progress for this certificate", url);
		return CERT_PENDING;
	}
	if (answered_for(e, wait)) {
		/* this verification's answer, cacheable or not */
		cert_status_t st = e->last;
		pthread_mutex_unlock(&mutex);
		return st;
	}
	if (e->expires && now <= e->expires) {
		cert_status_t st = e->status;
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "OCSP %s (cached): %s", url,
		            st == CERT_REVOKED ? "revoked" : "good");
		return st;
	}
	if (e->failed_until && now < e->failed_until) {
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "OCSP %s: its last request failed, not "
		            "retried before %ds have passed", url, FAIL_HOLD_S);
		return CERT_REVOCATION_UNKNOWN;
	}
	e->busy = true;
	add_waiter(e, wait);
	pthread_mutex_unlock(&mutex);

	fetch_ctx_t *c = ctx_new(e, url, cert, issuer, policy);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	chunk_t req = chunk_empty;
	bool started = false;
	if (gt_ocsp_request(cert, issuer, &req, &c->nonce)) {
		fetch_request_t r = { .url = url, .post = req,
		                      .content_type = "application/ocsp-request",
		                      .timeout_ms = timeout_ms(policy),
		                      .max_size = 64 * 1024 };
		started = fetcher_fetch_async(&r, ocsp_done, c);
	}
	chunk_free(&req);
	if (!started)
		ocsp_done(c, FETCH_FAILED, chunk_empty);
	return CERT_PENDING;
}

/* ----------------------------------------------------------- the check */

void gt_revoke_begin(cert_wait_t *wait)
{
	pthread_mutex_lock(&mutex);
	if (!wait->seq)
		wait->seq = answer_seq - 1;   /* the answers so far */
	pthread_mutex_unlock(&mutex);
}

cert_status_t gt_revoke_check(certificate_t *cert, certificate_t *issuer,
                              const cert_policy_t *policy, time_t now,
                              bool have_crl, cert_wait_t *wait)
{
	char uris[MAX_URIS][URL_MAX];
	bool asked = false;
	size_t n;

	if (policy->ocsp_use_cert_responder) {
		n = ocsp_uris(cert, uris);
		for (size_t i = 0; i < n; i++) {
			cert_status_t st = ocsp_from(uris[i], cert, issuer, policy,
			                             now, wait);
			asked = true;
			if (st != CERT_REVOCATION_UNKNOWN)
				return st;
		}
	}
	if (policy->ocsp_responder[0]) {
		cert_status_t st = ocsp_from(policy->ocsp_responder, cert, issuer,
		                             policy, now, wait);
		asked = true;
		if (st != CERT_REVOCATION_UNKNOWN)
			return st;
	}
	if (policy->crl_get_crl_uri && !have_crl) {
		n = crl_uris(cert, uris);
		for (size_t i = 0; i < n; i++) {
			cert_status_t st = crl_from(uris[i], cert, issuer, policy, now,
			                            wait);
			asked = true;
			if (st != CERT_REVOCATION_UNKNOWN)
				return st;
		}
	}
	if (!asked)
		return CERT_OK;   /* nothing to ask about this certificate */
	char *subject = cert->get_subject(cert);
	if (policy->ignore_responder_timeout) {
		log_op(DBG_CERT, "certificate '%s': no revocation answer; "
		       "accepted (ignore_cert_revoke_responder_timeout)",
		       subject ? subject : "?");
		free(subject);
		return CERT_OK;
	}
	log_op(DBG_CERT, "certificate '%s': no revocation answer from any "
	       "responder or distribution point: refused", subject ? subject : "?");
	free(subject);
	return CERT_REVOCATION_UNKNOWN;
}
