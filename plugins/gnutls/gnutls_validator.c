/*
 * gnutls_validator.c - cert_validator_t: path building from an end entity
 * through untrusted intermediates to a trust anchor, then the checks of
 * cert_policy_t.
 *
 * Division of labour: we build the path (peers send CERT payloads in any
 * order, with extras), check dates against the policy's clock, path
 * lengths, the IKE extended key usage (RFC 4945 §5.1.3.12) and CRLs
 * ourselves, because each of those has a policy knob; GnuTLS's trust list
 * checks what has none: signatures, CA flags and key usage, name
 * constraints, algorithm strength.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	cert_validator_t public;
	pthread_rwlock_t lock;          /* add_* vs verify */
	gnutls_x509_trust_list_t tl;    /* anchors, for GnuTLS's checks */
	certificate_t **anchors;
	size_t n_anchors;
	crl_t **crls;
	size_t n_crls;
	certificate_t **locals;         /* add_intermediate() */
	size_t n_locals;
	gt_fpcache_t *chains;           /* paths GnuTLS accepted (check_gnutls) */
} gt_validator_t;

/* A private copy of a certificate (the caller keeps and destroys theirs). */
static certificate_t *cert_copy(certificate_t *cert)
{
	return gt_cert_load(cert->get_encoding(cert));
}

static bool add_anchor(cert_validator_t *public, certificate_t *ca)
{
	gt_validator_t *this = (gt_validator_t *)public;
	certificate_t *mine;
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
	int rc;

	if (!ca || !(mine = cert_copy(ca)))
		return false;
	/* The trust list owns what it is given, so it gets its own. */
	if (gnutls_x509_crt_init(&crt) < 0) {
		mine->destroy(mine);
		return false;
	}
	der = (gnutls_datum_t){ mine->get_encoding(mine).ptr,
	                        (unsigned)mine->get_encoding(mine).len };
	if ((rc = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER)) < 0) {
		gt_log_error("trust anchor", rc);
		gnutls_x509_crt_deinit(crt);
		mine->destroy(mine);
		return false;
	}
	pthread_rwlock_wrlock(&this->lock);
	gt_fpcache_flush(this->chains);
	rc = gnutls_x509_trust_list_add_cas(this->tl, &crt, 1, 0);
	if (rc == 1) {
		this->anchors = xrealloc(this->anchors, (this->n_anchors + 1) *
		                         sizeof(*this->anchors));
		this->anchors[this->n_anchors++] = mine;
	}
	pthread_rwlock_unlock(&this->lock);
	if (rc != 1) {
		log_error(DBG_CERT, "gnutls: trust anchor not added");
		gnutls_x509_crt_deinit(crt);
		mine->destroy(mine);
		return false;
	}
	return true;
}

static bool add_crl(cert_validator_t *public, crl_t *crl)
{
	gt_validator_t *this = (gt_validator_t *)public;
	crl_t *mine;

	if (!crl || !(mine = gt_crl_load(crl->get_encoding(crl))))
		return false;
	pthread_rwlock_wrlock(&this->lock);
	gt_fpcache_flush(this->chains);
	this->crls = xrealloc(this->crls, (this->n_crls + 1) *
	                      sizeof(*this->crls));
	this->crls[this->n_crls++] = mine;
	pthread_rwlock_unlock(&this->lock);
	return true;
}

static bool add_intermediate(cert_validator_t *public, certificate_t *ca)
{
	gt_validator_t *this = (gt_validator_t *)public;
	certificate_t *mine;

	if (!ca || !ca->is_ca(ca) || !(mine = cert_copy(ca)))
		return false;
	pthread_rwlock_wrlock(&this->lock);
	gt_fpcache_flush(this->chains);
	this->locals = xrealloc(this->locals, (this->n_locals + 1) *
	                        sizeof(*this->locals));
	this->locals[this->n_locals++] = mine;
	pthread_rwlock_unlock(&this->lock);
	return true;
}

/* ------------------------------------------------------- path building */

typedef struct {
	certificate_t *certs[16];   /* leaf first, then CAs; anchor not here */
	size_t len;
	certificate_t *anchor;
} path_t;

#define PATH_MAX_CERTS (sizeof(((path_t *)0)->certs) / sizeof(certificate_t *))

/* Whether issuer's subject is cert's issuer name (no signature check). */
static bool names_issuer(certificate_t *cert, certificate_t *issuer)
{
	return chunk_equals(cert->get_issuer_der(cert),
	                    issuer->get_subject_der(issuer));
}

/*
 * From leaf up: an anchor ends the path as soon as one signed the current
 * certificate; else the next link is one of the peer's intermediates or
 * our local ones.  Under trust_intermediate_cas a local intermediate ends
 * the path like an anchor; under ignore_trust_anchor the path ends where
 * no issuer is found, its top certificate standing in for the anchor.
 */
static cert_status_t build_path(gt_validator_t *this, certificate_t *leaf,
                                certificate_t *const *inter, size_t n,
                                const cert_policy_t *policy, path_t *path)
{
	bool used[2 * PATH_MAX_CERTS] = { false }, name_seen = false;
	bool top_seen = false;    /* an issuer name seen for the last cur */
	certificate_t *cand[2 * PATH_MAX_CERTS];
	size_t n_cand = 0, n_local;
	certificate_t *cur = leaf;

	if (n > PATH_MAX_CERTS)
		n = PATH_MAX_CERTS;    /* more would exceed any sane path */
	/* ours first, so a local CA the caller also lists among the
	 * untrusted ones is still recognised as ours */
	for (size_t i = 0; i < this->n_locals && n_cand < PATH_MAX_CERTS; i++)
		cand[n_cand++] = this->locals[i];
	n_local = n_cand;
	for (size_t i = 0; i < n; i++)
		cand[n_cand++] = inter[i];
	path->len = 0;
	path->anchor = NULL;
	path->certs[path->len++] = leaf;
	while (path->len <= PATH_MAX_CERTS) {
		certificate_t *next = NULL;

		top_seen = false;
		/* An anchor ends the path as soon as one signed cur. */
		for (size_t i = 0; i < this->n_anchors; i++) {
			if (!names_issuer(cur, this->anchors[i]))
				continue;
			name_seen = top_seen = true;
			if (cur->issued_by(cur, this->anchors[i])) {
				path->anchor = this->anchors[i];
				return CERT_OK;
			}
		}
		for (size_t i = 0; i < n_cand && !next; i++) {
			if (used[i] || !cand[i] || !names_issuer(cur, cand[i]))
				continue;
			name_seen = top_seen = true;
			if (cur->issued_by(cur, cand[i])) {
				used[i] = true;
				next = cand[i];
				if (i < n_local && policy->trust_intermediate_cas) {
					path->anchor = next;
					return CERT_OK;
				}
			}
		}
		if (!next || path->len == PATH_MAX_CERTS)
			break;
		path->certs[path->len++] = cur = next;
	}
	if (policy->ignore_trust_anchor && !top_seen) {
		/* no issuer at all above cur: let it stand in for the anchor */
		if (path->len > 1) {
			path->anchor = path->certs[--path->len];
		} else {
			path->anchor = leaf;
		}
		return CERT_OK;
	}
	return name_seen ? CERT_BAD_SIGNATURE : CERT_NO_ISSUER;
}

/* ------------------------------------------------------------ checks */

static cert_status_t check_dates(path_t *path, time_t now, int adjust)
{
	for (size_t i = 0; i < path->len; i++) {
		time_t nb, na;

		path->certs[i]->get_validity(path->certs[i], &nb, &na);
		if (now + adjust < nb)
			return CERT_NOT_YET_VALID;
		if (now - adjust > na)
			return CERT_EXPIRED;
	}
	return CERT_OK;
}

/* basicConstraints pathLenConstraint of every CA on the path, anchor
 * included: the number of intermediates below it may not exceed it. */
static cert_status_t check_path_len(path_t *path, int max)
{
	size_t n_inter = path->len - 1;

	if (max >= 0 && n_inter > (size_t)max)
		return CERT_PATH_TOO_LONG;
	for (size_t i = 1; i <= path->len; i++) {
		certificate_t *ca = i < path->len ? path->certs[i] : path->anchor;
		unsigned critical = 0, ca_flag = 0;
		int pathlen = -1;

		if (gnutls_x509_crt_get_basic_constraints(gt_cert_handle(ca),
		                                          &critical, &ca_flag,
		                                          &pathlen) <= 0)
			continue;   /* not a CA: GnuTLS rejects it below */
		if (pathlen >= 0 && i - 1 > (size_t)pathlen)
			return CERT_PATH_TOO_LONG;
	}
	return CERT_OK;
}

static cert_status_t check_gnutls(gt_validator_t *this, path_t *path)
{
	gnutls_x509_crt_t crts[PATH_MAX_CERTS];
	unsigned status = 0;
	int rc;

	gnutls_x509_trust_list_t tl = this->tl, own = NULL;
	bool anchored = false;

	for (size_t i = 0; i < this->n_anchors; i++)
		anchored |= this->anchors[i] == path->anchor;
	/* A path GnuTLS accepted before is accepted again: with time checks
	 * off and no CRLs in its trust list, its verdict depends only on
	 * these certificates and the validator's anchors (the set is emptied
	 * when those change).  Dates, path length, EKU and CRLs are ours and
	 * checked on every call. */
	chunk_t parts[PATH_MAX_CERTS + 2];
	uint8_t fp[GT_FP_SIZE], how = anchored;
	size_t n_parts = 0;
	for (size_t i = 0; i < path->len; i++)
		parts[n_parts++] = path->certs[i]->get_encoding(path->certs[i]);
	parts[n_parts++] = path->anchor->get_encoding(path->anchor);
	parts[n_parts++] = chunk_create(&how, 1);
	bool have_fp = gt_fp_of(parts, n_parts, fp);
	if (have_fp && gt_fpcache_has(this->chains, fp))
		return CERT_OK;
	if (!anchored) {
		/* a trusted intermediate or ignore_trust_anchor's stand-in:
		 * GnuTLS checks the links below it against it alone */
		gnutls_x509_crt_t top;
		chunk_t enc = path->anchor->get_encoding(path->anchor);
		gnutls_datum_t der = { enc.ptr, (unsigned)enc.len };

		if (gnutls_x509_trust_list_init(&own, 0) < 0)
			return CERT_INVALID;
		if (gnutls_x509_crt_init(&top) < 0 ||
		    gnutls_x509_crt_import(top, &der, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_trust_list_add_cas(own, &top, 1, 0) != 1) {
			gnutls_x509_trust_list_deinit(own, 1);
			return CERT_INVALID;
		}
		tl = own;
	}
	for (size_t i = 0; i < path->len; i++)
		crts[i] = gt_cert_handle(path->certs[i]);
	rc = gnutls_x509_trust_list_verify_crt2(tl, crts, path->len,
	                                        NULL, 0,
	                                        GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                                        GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                                        GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN,
	                                        &status, NULL);
	if (own)
		gnutls_x509_trust_list_deinit(own, 1);
	if (rc < 0) {
		gt_log_error("chain verification", rc);
		return CERT_INVALID;
	}
	if (status == 0) {
		if (have_fp)
			gt_fpcache_add(this->chains, fp);
		return CERT_OK;
	}
	if (bus_log_enabled(DBG_CERT, LVL_VERBOSE)) {
		gnutls_datum_t text = { 0 };
		if (gnutls_certificate_verification_status_print(
		        status, GNUTLS_CRT_X509, &text, 0) == 0) {
			log_verbose(DBG_CERT, "gnutls: %s", (char *)text.data);
			gnutls_free(text.data);
		}
	}
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return CERT_BAD_SIGNATURE;
	if (status & GNUTLS_CERT_SIGNER_NOT_CA)
		return CERT_NOT_CA;
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return CERT_NO_ISSUER;
	if (status & GNUTLS_CERT_REVOKED)
		return CERT_REVOKED;
	return CERT_INVALID;
}

/* extendedKeyUsage OIDs that make a certificate fit for IKE. */
static const char *const eku_fit[] = {
	"2.5.29.37.0",             /* anyExtendedKeyUsage */
	"1.3.6.1.5.5.7.3.17",      /* id-kp-ipsecIKE (RFC 4945) */
	"1.3.6.1.5.5.7.3.1",       /* serverAuth (common in practice) */
	"1.3.6.1.5.5.7.3.2",       /* clientAuth */
};
/* Known purposes that are not IKE: these fail even with
 * ignore-unknown-eku, since they are known, not unknown. */
static const char *const eku_unfit[] = {
	"1.3.6.1.5.5.7.3.3",       /* codeSigning */
	"1.3.6.1.5.5.7.3.4",       /* emailProtection */
	"1.3.6.1.5.5.7.3.8",       /* timeStamping */
	"1.3.6.1.5.5.7.3.9",       /* OCSPSigning */
};

static bool oid_in(const char *oid, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(oid, list[i]) == 0)
			return true;
	return false;
}

static cert_status_t check_eku(certificate_t *leaf, bool ignore_unknown)
{
	bool any = false, known_unfit = false;

	for (unsigned i = 0; ; i++) {
		char oid[128];
		size_t size = sizeof(oid);
		int rc;

		rc = gnutls_x509_crt_get_key_purpose_oid(gt_cert_handle(leaf), i,
		                                         oid, &size, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0) {
			gt_log_error("reading extendedKeyUsage", rc);
			return CERT_BAD_EKU;
		}
		any = true;
		if (oid_in(oid, eku_fit, sizeof(eku_fit) / sizeof(eku_fit[0])))
			return CERT_OK;
		if (oid_in(oid, eku_unfit, sizeof(eku_unfit) / sizeof(eku_unfit[0])))
			known_unfit = true;
	}
	if (!any)
		return CERT_OK;    /* no extension: any purpose */
	if (ignore_unknown && !known_unfit)
		return CERT_OK;
	return CERT_BAD_EKU;
}

/* Whether issuer signed the CRL (its dates are judged by the caller). */
bool gt_crl_signed_by(crl_t *crl, certificate_t *issuer)
{
	gnutls_x509_crt_t ca = gt_cert_handle(issuer);
	unsigned status = 0;

	if (!chunk_equals(crl->get_issuer_der(crl),
	                  issuer->get_subject_der(issuer)))
		return false;
	/* As for certificates (gnutls_cert.c): a CRL's signature by this
	 * issuer, once verified, is not verified again. */
	chunk_t pair[2] = { crl->get_encoding(crl), issuer->get_encoding(issuer) };
	uint8_t fp[GT_FP_SIZE];
	bool have_fp = gt_fp_of(pair, 2, fp);
	if (have_fp && gt_fpcache_has(gt_sig_cache(), fp))
		return true;
	if (gnutls_x509_crl_verify(gt_crl_handle(crl), &ca, 1, 0, &status) < 0)
		return false;
	status &= ~(unsigned)(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	                      GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE);
	if (status != 0)
		return false;
	if (have_fp)
		gt_fpcache_add(gt_sig_cache(), fp);
	return true;
}

static cert_status_t check_crls(gt_validator_t *this, path_t *path,
                                const cert_policy_t *policy, time_t now,
                                bool *have_crl)
{
	if (policy->crl_check == CRL_CHECK_NONE)
		return CERT_OK;
	for (size_t i = 0; i < path->len; i++) {
		certificate_t *cert = path->certs[i];
		certificate_t *issuer = i + 1 < path->len ? path->certs[i + 1] :
		                                            path->anchor;
		bool current = false;

		for (size_t c = 0; c < this->n_crls; c++) {
			crl_t *crl = this->crls[c];
			time_t tu, nu;

			if (!gt_crl_signed_by(crl, issuer))
				continue;
			/* A revocation stays true in an outdated CRL. */
			if (crl->is_revoked(crl, cert->get_serial(cert)))
				return CERT_REVOKED;
			crl->get_update_times(crl, &tu, &nu);
			if (policy->ignore_date ||
			    (tu <= now && (nu == 0 || now <= nu)))
				current = true;
		}
		if (!current && policy->crl_check == CRL_CHECK_STRICT &&
		    !policy->crl_get_crl_uri)
			return CERT_CRL_MISSING;
		have_crl[i] = current;
	}
	return CERT_OK;
}

/* OCSP and CRL distribution points (gnutls_revoke.c), for every
 * certificate below the anchor, leaf first.  Under CRL_CHECK_STRICT with
 * crl_get_crl_uri, a certificate without a current local CRL needs one
 * fetched (its distribution points are asked even if OCSP answered). */
static cert_status_t check_network(path_t *path, const cert_policy_t *policy,
                                   time_t now, const bool *have_crl,
                                   cert_wait_t *wait)
{
	if (!policy->crl_get_crl_uri && !policy->ocsp_responder[0] &&
	    !policy->ocsp_use_cert_responder)
		return CERT_OK;
	gt_revoke_begin(wait);
	for (size_t i = 0; i < path->len; i++) {
		certificate_t *cert = path->certs[i];
		certificate_t *issuer = i + 1 < path->len ? path->certs[i + 1] :
		                                            path->anchor;
		if (cert == issuer)
			continue;   /* ignore_trust_anchor's stand-in for itself */
		cert_status_t st = gt_revoke_check(cert, issuer, policy, now,
		                                   have_crl[i], wait);
		if (st != CERT_OK)
			return st;
	}
	return CERT_OK;
}

static cert_status_t verify_async(cert_validator_t *public,
                                  certificate_t *leaf,
                                  certificate_t *const *intermediates,
                                  size_t n, const cert_policy_t *policy,
                                  int *path_len, cert_wait_t *wait)
{
	gt_validator_t *this = (gt_validator_t *)public;
	cert_policy_t def;
	cert_status_t st;
	path_t path;
	time_t now;

	if (!leaf)
		return CERT_INVALID;
	if (!policy) {
		cert_policy_default(&def);
		policy = &def;
	}
	now = policy->now ? policy->now : time(NULL);

	pthread_rwlock_rdlock(&this->lock);
	st = build_path(this, leaf, intermediates, intermediates ? n : 0,
	                policy, &path);
	if (st == CERT_OK && !policy->ignore_date)
		st = check_dates(&path, now, policy->validity_adjusttime);
	if (st == CERT_OK)
		st = check_path_len(&path, policy->max_path_length);
	if (st == CERT_OK)
		st = check_gnutls(this, &path);
	if (st == CERT_OK)
		st = check_eku(leaf, policy->ignore_unknown_eku);
	bool have_crl[PATH_MAX_CERTS] = { false };
	if (st == CERT_OK)
		st = check_crls(this, &path, policy, now, have_crl);
	/* may start a fetch and return CERT_PENDING (never waits) */
	if (st == CERT_OK)
		st = check_network(&path, policy, now, have_crl, wait);
	pthread_rwlock_unlock(&this->lock);

	if (st == CERT_OK && path_len)
		*path_len = (int)path.len - 1;
	if (st != CERT_OK) {
		char *subject = leaf->get_subject(leaf);
		log_verbose(DBG_CERT, "certificate '%s': %s",
		            subject ? subject : "?", cert_status_name(st));
		free(subject);
	}
	return st;
}

/* The blocking verify(): a round of verify_async, and while it is
 * CERT_PENDING a wait on this thread for its resume (a worker says it is
 * blocked, so the pool may start another meanwhile), then the next. */
typedef struct {
	cert_wait_t wait;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool resumed;
} sync_wait_t;

static void sync_resume(void *ctx)
{
	sync_wait_t *w = ctx;
	pthread_mutex_lock(&w->mutex);
	w->resumed = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mutex);
}

static cert_status_t verify(cert_validator_t *public, certificate_t *leaf,
                            certificate_t *const *intermediates, size_t n,
                            const cert_policy_t *policy, int *path_len)
{
	sync_wait_t w = { .wait = { .resume = sync_resume } };
	cert_status_t st;

	w.wait.ctx = &w;
	pthread_mutex_init(&w.mutex, NULL);
	pthread_cond_init(&w.cond, NULL);
	for (;;) {
		st = verify_async(public, leaf, intermediates, n, policy, path_len,
		                  &w.wait);
		if (st != CERT_PENDING)
			break;
		/* every fetch ends within its timeout: resume always comes */
		job_blocking_begin();
		pthread_mutex_lock(&w.mutex);
		while (!w.resumed)
			pthread_cond_wait(&w.cond, &w.mutex);
		w.resumed = false;
		pthread_mutex_unlock(&w.mutex);
		job_blocking_end();
	}
	pthread_mutex_destroy(&w.mutex);
	pthread_cond_destroy(&w.cond);
	return st;
}

static void destroy(cert_validator_t *public)
{
	gt_validator_t *this = (gt_validator_t *)public;

	gnutls_x509_trust_list_deinit(this->tl, 1);
	for (size_t i = 0; i < this->n_anchors; i++)
		this->anchors[i]->destroy(this->anchors[i]);
	for (size_t i = 0; i < this->n_crls; i++)
		this->crls[i]->destroy(this->crls[i]);
	for (size_t i = 0; i < this->n_locals; i++)
		this->locals[i]->destroy(this->locals[i]);
	free(this->locals);
	free(this->anchors);
	free(this->crls);
	gt_fpcache_destroy(this->chains);
	pthread_rwlock_destroy(&this->lock);
	free(this);
}

cert_validator_t *gt_validator_create(void)
{
	gt_validator_t *this = xzalloc(sizeof(*this));

	this->public = (cert_validator_t){
		.add_anchor = add_anchor,
		.add_crl = add_crl,
		.add_intermediate = add_intermediate,
		.verify = verify,
		.verify_async = verify_async,
		.destroy = destroy,
	};
	if (gnutls_x509_trust_list_init(&this->tl, 0) < 0) {
		free(this);
		return NULL;
	}
	pthread_rwlock_init(&this->lock, NULL);
	this->chains = gt_fpcache_create();
	return &this->public;
}
