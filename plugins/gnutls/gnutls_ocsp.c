/*
 * gnutls_ocsp.c - OCSP (RFC 6960) requests and the checks of a response,
 * on GnuTLS's gnutls_ocsp_* API.  Fetching and caching are in
 * gnutls_revoke.c.
 *
 * A response is used only if all of these hold:
 *   - it parses and its responseStatus is successful;
 *   - unless ocsp_ignore_response_sign: it is signed by the certificate's
 *     issuer, or by a responder certificate the response carries that the
 *     issuer signed and that has id-kp-OCSPSigning (RFC 6960 §4.2.2.2),
 *     valid now;
 *   - a SingleResponse is about this certificate (serial and issuer);
 *   - if it carries a nonce, the nonce is the one of our request (none is
 *     accepted: pre-produced responses have none, and are bounded by their
 *     dates);
 *   - unless ignore_date: thisUpdate not in the future, nextUpdate (if
 *     any) not past, and with ocsp_response_lifetime not older than that;
 *     validity_adjusttime forgives clock skew as for certificates, and
 *     thisUpdate may be up to a minute ahead of our clock.
 * The answer: good (CERT_OK), revoked (CERT_REVOKED); "unknown" and every
 * failed check are CERT_REVOCATION_UNKNOWN with the reason in why.
 */
#define _GNU_SOURCE
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <gnutls/ocsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OID_OCSP_SIGNING "1.3.6.1.5.5.7.3.9"
/* A responder's clock a little ahead of ours is not an error: thisUpdate
 * may be this many seconds in the future (plus validity_adjusttime). */
#define OCSP_SKEW 60

bool gt_ocsp_request(certificate_t *cert, certificate_t *issuer,
                     chunk_t *req_der, chunk_t *nonce)
{
	gnutls_ocsp_req_t req;
	gnutls_datum_t d = { 0 }, n = { 0 };
	bool ok = false;

	*req_der = *nonce = chunk_empty;
	if (gnutls_ocsp_req_init(&req) < 0)
		return false;
	int rc = gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1,
	                                  gt_cert_handle(issuer),
	                                  gt_cert_handle(cert));
	if (rc >= 0)
		rc = gnutls_ocsp_req_randomize_nonce(req);
	if (rc >= 0)
		rc = gnutls_ocsp_req_get_nonce(req, NULL, &n);
	if (rc >= 0)
		rc = gnutls_ocsp_req_export(req, &d);
	if (rc >= 0) {
		*req_der = chunk_clone(chunk_create(d.data, d.size));
		*nonce = chunk_clone(chunk_create(n.data, n.size));
		ok = true;
	} else {
		gt_log_error("building an OCSP request", rc);
	}
	gnutls_free(d.data);
	gnutls_free(n.data);
	gnutls_ocsp_req_deinit(req);
	return ok;
}

static bool has_ocsp_signing(gnutls_x509_crt_t crt)
{
	for (unsigned i = 0; ; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL);
		if (rc < 0)
			return false;
		if (strcmp(oid, OID_OCSP_SIGNING) == 0)
			return true;
	}
}

static bool signed_directly(gnutls_ocsp_resp_t resp, gnutls_x509_crt_t signer)
{
	unsigned verify = 0;
	return gnutls_ocsp_resp_verify_direct(resp, signer, &verify, 0) == 0 &&
	       verify == 0;
}

/* Signed by the issuer or by a responder the issuer delegated to. */
static bool signature_ok(gnutls_ocsp_resp_t resp, certificate_t *issuer,
                         const cert_policy_t *policy, time_t now,
                         char *why, size_t len)
{
	gnutls_x509_crt_t ca = gt_cert_handle(issuer);
	gnutls_x509_crt_t *certs = NULL;
	size_t n = 0;
	bool ok = false;

	if (signed_directly(resp, ca))
		return true;
	if (gnutls_ocsp_resp_get_certs(resp, &certs, &n) < 0)
		n = 0;
	snprintf(why, len, "not signed by the certificate's issuer%s",
	         n ? " nor by a responder certificate it issued for OCSP" : "");
	for (size_t i = 0; i < n && !ok; i++) {
		unsigned vs = 0;
		time_t nb = gnutls_x509_crt_get_activation_time(certs[i]);
		time_t na = gnutls_x509_crt_get_expiration_time(certs[i]);
		int adj = policy->validity_adjusttime;

		if (!gnutls_x509_crt_check_issuer(certs[i], ca) ||
		    gnutls_x509_crt_verify(certs[i], &ca, 1,
		                           GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &vs) < 0 ||
		    vs != 0)
			continue;
		if (!has_ocsp_signing(certs[i])) {
			snprintf(why, len, "signed by a certificate of the issuer "
			         "without id-kp-OCSPSigning");
			continue;
		}
		if (!policy->ignore_date && (now + adj < nb || now - adj > na)) {
			snprintf(why, len, "the responder's certificate is not "
			         "valid now");
			continue;
		}
		ok = signed_directly(resp, certs[i]);
	}
	for (size_t i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	return ok;
}

cert_status_t gt_ocsp_check(chunk_t body, certificate_t *cert,
                            certificate_t *issuer, chunk_t nonce,
                            const cert_policy_t *policy, time_t now,
                            time_t *expires, char *why, size_t len)
{
	cert_status_t st = CERT_REVOCATION_UNKNOWN;
	gnutls_datum_t d = { body.ptr, (unsigned)body.len }, rn = { 0 };
	gnutls_ocsp_resp_t resp;
	int rc, idx = -1;

	*expires = 0;
	snprintf(why, len, "?");
	if (body.len == 0 || body.len > 65536) {
		snprintf(why, len, "empty or oversized");
		return st;
	}
	if (gnutls_ocsp_resp_init(&resp) < 0)
		return st;
	if ((rc = gnutls_ocsp_resp_import(resp, &d)) < 0) {
		snprintf(why, len, "not an OCSP response (%s)", gnutls_strerror(rc));
		goto out;
	}
	if ((rc = gnutls_ocsp_resp_get_status(resp)) != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		snprintf(why, len, "responseStatus %d, not successful", rc);
		goto out;
	}
	if (!policy->ocsp_ignore_response_sign &&
	    !signature_ok(resp, issuer, policy, now, why, len))
		goto out;
	for (unsigned i = 0; i < 16 && idx < 0; i++) {
		rc = gnutls_ocsp_resp_check_crt(resp, i, gt_cert_handle(cert));
		if (rc == 0)
			idx = (int)i;
		else if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
	}
	if (idx < 0) {
		snprintf(why, len, "no answer about this certificate in it");
		goto out;
	}
	rc = gnutls_ocsp_resp_get_nonce(resp, NULL, &rn);
	if (rc >= 0) {
		bool same = rn.size == nonce.len &&
		            memcmp(rn.data, nonce.ptr, nonce.len) == 0;
		gnutls_free(rn.data);
		if (!same) {
			snprintf(why, len, "its nonce is not our request's");
			goto out;
		}
	} else if (rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		snprintf(why, len, "unreadable nonce");
		goto out;
	}
	unsigned cs = 0;
	time_t tu = 0, nu = 0, rt = 0;
	unsigned reason = 0;
	if ((rc = gnutls_ocsp_resp_get_single(resp, (unsigned)idx, NULL, NULL,
	                                      NULL, NULL, &cs, &tu, &nu, &rt,
	                                      &reason)) < 0) {
		snprintf(why, len, "unreadable SingleResponse");
		goto out;
	}
	int adj = policy->validity_adjusttime;
	if (!policy->ignore_date) {
		if (tu > now + adj + OCSP_SKEW) {
			snprintf(why, len, "thisUpdate is in the future");
			goto out;
		}
		if (nu != (time_t)-1 && nu < now - adj) {
			snprintf(why, len, "past its nextUpdate");
			goto out;
		}
		if (policy->ocsp_response_lifetime &&
		    now - adj - tu > policy->ocsp_response_lifetime) {
			snprintf(why, len, "older than ocsp_response_lifetime (%ds)",
			         policy->ocsp_response_lifetime);
			goto out;
		}
	}
	if (nu != (time_t)-1)
		*expires = nu;
	if (policy->ocsp_response_lifetime &&
	    (!*expires || tu + policy->ocsp_response_lifetime < *expires))
		*expires = tu + policy->ocsp_response_lifetime;
	switch (cs) {
	case GNUTLS_OCSP_CERT_GOOD:
		st = CERT_OK;
		break;
	case GNUTLS_OCSP_CERT_REVOKED:
		st = CERT_REVOKED;
		break;
	default:
		snprintf(why, len, "the responder does not know the certificate");
		break;
	}
out:
	gnutls_ocsp_resp_deinit(resp);
	return st;
}
