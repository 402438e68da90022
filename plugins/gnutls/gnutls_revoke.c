/*
 * gnutls_revoke.c - revocation over HTTP for the validator: CRLs from a
 * certificate's cRLDistributionPoints, and OCSP (RFC 6960) from the
 * configured responder or the one in its authorityInfoAccess.  What the
 * policy asks is in cert_policy_t (cred.h); fetches go through
 * fetcher_fetch() (fetcher.h), which bounds their number and time.
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
 *     its result (within their own timeout) instead of fetching it again.
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

typedef struct entry {
	struct entry *next;
	entry_kind_t kind;
	char key[URL_MAX + 80];     /* URL (CRL), or URL + issuer/serial (OCSP) */
	bool busy;                  /* a fetch for it is in progress */
	crl_t *crl;                 /* E_CRL */
	cert_status_t status;       /* E_OCSP: CERT_OK or CERT_REVOKED */
	time_t expires;             /* wall clock: good until */
	time_t failed_until;        /* a failed fetch is not retried before */
} entry_t;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static entry_t *entries;
static size_t n_entries;

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
 * when there are too many. */
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

/* Wait until nobody fetches e, at most until the wall-clock deadline
 * (monotonic ms); false on timeout.  Under the mutex. */
static bool wait_idle(entry_t *e, uint64_t deadline)
{
	bool blocked = false;

	if (e->busy) {
		job_blocking_begin();   /* takes the pool's mutex, not ours */
		blocked = true;
	}
	while (e->busy) {
		uint64_t now = time_monotonic_ms();
		if (now >= deadline) {
			job_blocking_end();
			return false;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t left = deadline - now;
		ts.tv_sec += (time_t)(left / 1000);
		ts.tv_nsec += (long)(left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&done, &mutex, &ts);
	}
	if (blocked)
		job_blocking_end();
	return true;
}

static unsigned timeout_ms(const cert_policy_t *policy)
{
	return (unsigned)(policy->responder_timeout > 0 ?
	                  policy->responder_timeout : 10) * 1000u;
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

/*
 * The verdict of the CRL at url on cert: CERT_OK (listed not), CERT_REVOKED,
 * or CERT_REVOCATION_UNKNOWN (no usable CRL).
 */
static cert_status_t crl_from(const char *url, certificate_t *cert,
                              certificate_t *issuer,
                              const cert_policy_t *policy, time_t now)
{
	uint64_t deadline = time_monotonic_ms() + timeout_ms(policy);
	cert_status_t st = CERT_REVOCATION_UNKNOWN;
	entry_t *e;

	pthread_mutex_lock(&mutex);
	e = entry_get(E_CRL, url);
	if (!wait_idle(e, deadline)) {
		pthread_mutex_unlock(&mutex);
		log_op(DBG_CERT, "CRL %s: another fetch of it did not finish in "
		       "time", url);
		return st;
	}
	if (e->crl && (!e->expires || now <= e->expires) &&
	    gt_crl_signed_by(e->crl, issuer)) {
		st = e->crl->is_revoked(e->crl, cert->get_serial(cert)) ?
		     CERT_REVOKED : CERT_OK;
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "CRL %s (cached): %s", url,
		            st == CERT_REVOKED ? "revoked" : "not listed");
		return st;
	}
	if (e->failed_until && now < e->failed_until) {
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "CRL %s: its last fetch failed, not retried "
		            "before %ds have passed", url, FAIL_HOLD_S);
		return st;
	}
	e->busy = true;
	pthread_mutex_unlock(&mutex);

	fetch_request_t req = { .url = url, .timeout_ms = timeout_ms(policy) };
	chunk_t body;
	fetch_status_t fs = fetcher_fetch(&req, &body);
	crl_t *crl = NULL;
	if (fs == FETCH_OK)
		crl = crl_accept(body, url, issuer, policy, now);
	else
		log_op(DBG_CERT, "CRL %s: fetch failed: %s", url,
		       fetch_status_name(fs));
	chunk_free(&body);

	pthread_mutex_lock(&mutex);
	e->busy = false;
	if (crl) {
		time_t tu, nu;
		crl->get_update_times(crl, &tu, &nu);
		if (e->crl)
			e->crl->destroy(e->crl);
		e->crl = crl;
		e->expires = nu ? nu : now + CRL_DEFAULT_KEEP;
		e->failed_until = 0;
		st = crl->is_revoked(crl, cert->get_serial(cert)) ? CERT_REVOKED
		                                                  : CERT_OK;
	} else {
		e->failed_until = now + FAIL_HOLD_S;
	}
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&mutex);
	if (crl)
		log_op(DBG_CERT, "CRL %s fetched: %s", url,
		       st == CERT_REVOKED ? "revoked" : "not listed");
	return st;
}

/* ---------------------------------------------------------------- OCSP */

static void hex(chunk_t c, char *out, size_t len)
{
	size_t i;
	for (i = 0; i < c.len && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", c.ptr[i]);
	out[2 * i] = '\0';
}

static cert_status_t ocsp_from(const char *url, certificate_t *cert,
                               certificate_t *issuer,
                               const cert_policy_t *policy, time_t now)
{
	uint64_t deadline = time_monotonic_ms() + timeout_ms(policy);
	cert_status_t st = CERT_REVOCATION_UNKNOWN;
	char key[sizeof(((entry_t *)0)->key)], serial[80], ikey[41];
	uint8_t fp[GT_FP_SIZE];
	chunk_t sp = issuer->get_subject_der(issuer);
	entry_t *e;

	/* one cached answer per responder, issuer and serial */
	if (!gt_fp_of(&sp, 1, fp))
		return st;
	hex(chunk_create(fp, 20), ikey, sizeof(ikey));
	hex(cert->get_serial(cert), serial, sizeof(serial));
	snprintf(key, sizeof(key), "%s %s %s", url, ikey, serial);

	pthread_mutex_lock(&mutex);
	e = entry_get(E_OCSP, key);
	if (!wait_idle(e, deadline)) {
		pthread_mutex_unlock(&mutex);
		log_op(DBG_CERT, "OCSP %s: another request for this certificate "
		       "did not finish in time", url);
		return st;
	}
	if (e->expires && now <= e->expires) {
		st = e->status;
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "OCSP %s (cached): %s", url,
		            st == CERT_REVOKED ? "revoked" : "good");
		return st;
	}
	if (e->failed_until && now < e->failed_until) {
		pthread_mutex_unlock(&mutex);
		log_verbose(DBG_CERT, "OCSP %s: its last request failed, not "
		            "retried before %ds have passed", url, FAIL_HOLD_S);
		return st;
	}
	e->busy = true;
	pthread_mutex_unlock(&mutex);

	chunk_t req = chunk_empty, nonce = chunk_empty, body = chunk_empty;
	time_t expires = 0;
	fetch_status_t fs = FETCH_FAILED;
	if (gt_ocsp_request(cert, issuer, &req, &nonce)) {
		fetch_request_t r = { .url = url, .post = req,
		                      .content_type = "application/ocsp-request",
		                      .timeout_ms = timeout_ms(policy),
		                      .max_size = 64 * 1024 };
		fs = fetcher_fetch(&r, &body);
		if (!policy->now)
			now = time(NULL);   /* the fetch took time */
		if (fs == FETCH_OK) {
			char why[160] = "";
			st = gt_ocsp_check(body, cert, issuer, nonce, policy, now,
			                   &expires, why, sizeof(why));
			if (st == CERT_REVOCATION_UNKNOWN)
				log_op(DBG_CERT, "OCSP %s: response not usable: %s", url,
				       why);
		} else {
			log_op(DBG_CERT, "OCSP %s: request failed: %s", url,
			       fetch_status_name(fs));
		}
	}
	chunk_free(&req);
	chunk_free(&nonce);
	chunk_free(&body);

	pthread_mutex_lock(&mutex);
	e->busy = false;
	if (st != CERT_REVOCATION_UNKNOWN) {
		e->status = st;
		e->expires = expires;
		e->failed_until = 0;
	} else if (fs != FETCH_OK) {
		/* an unusable answer is asked again; no answer is not */
		e->failed_until = now + FAIL_HOLD_S;
	}
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&mutex);
	if (st != CERT_REVOCATION_UNKNOWN)
		log_op(DBG_CERT, "OCSP %s: certificate serial %s %s", url, serial,
		       st == CERT_REVOKED ? "revoked" : "good");
	return st;
}

/* ----------------------------------------------------------- the check */

cert_status_t gt_revoke_check(certificate_t *cert, certificate_t *issuer,
                              const cert_policy_t *policy, time_t now,
                              bool have_crl)
{
	char uris[MAX_URIS][URL_MAX];
	bool asked = false;
	size_t n;

	if (policy->ocsp_use_cert_responder) {
		n = ocsp_uris(cert, uris);
		for (size_t i = 0; i < n; i++) {
			cert_status_t st = ocsp_from(uris[i], cert, issuer, policy, now);
			asked = true;
			if (st != CERT_REVOCATION_UNKNOWN)
				return st;
		}
	}
	if (policy->ocsp_responder[0]) {
		cert_status_t st = ocsp_from(policy->ocsp_responder, cert, issuer,
		                             policy, now);
		asked = true;
		if (st != CERT_REVOCATION_UNKNOWN)
			return st;
	}
	if (policy->crl_get_crl_uri && !have_crl) {
		n = crl_uris(cert, uris);
		for (size_t i = 0; i < n; i++) {
			cert_status_t st = crl_from(uris[i], cert, issuer, policy, now);
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
