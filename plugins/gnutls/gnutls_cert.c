/*
 * gnutls_cert.c - certificate_t over gnutls_x509_crt_t.
 *
 * Everything the engine asks for on each IKE_AUTH (DER, DNs, SANs, serial)
 * is extracted once at load time, so the getters are cheap and cannot
 * fail.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
	san_type_t type;
	chunk_t value;
} san_t;

typedef struct {
	certificate_t public;
	gnutls_x509_crt_t crt;
	chunk_t der, subject, issuer, serial;
	san_t *sans;
	unsigned n_sans;
	time_t not_before, not_after;
	bool ca;
	bool have_fp;
	uint8_t fp[GT_FP_SIZE];         /* SHA-256 of der, for issued_by */
} gt_cert_t;

static char *dn_text(gnutls_x509_crt_t crt, bool subject)
{
	gnutls_datum_t out = { 0 };
	char *text;
	int rc;

	rc = subject ? gnutls_x509_crt_get_dn3(crt, &out, 0) :
	               gnutls_x509_crt_get_issuer_dn3(crt, &out, 0);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return xstrdup("");      /* an empty Name */
	if (rc < 0)
		return NULL;
	text = xmalloc(out.size + 1);
	memcpy(text, out.data, out.size);
	text[out.size] = '\0';
	gnutls_free(out.data);
	return text;
}

static char *get_subject(certificate_t *public)
{
	return dn_text(((gt_cert_t *)public)->crt, true);
}

static char *get_issuer(certificate_t *public)
{
	return dn_text(((gt_cert_t *)public)->crt, false);
}

static chunk_t get_subject_der(certificate_t *public)
{
	return ((gt_cert_t *)public)->subject;
}

static chunk_t get_issuer_der(certificate_t *public)
{
	return ((gt_cert_t *)public)->issuer;
}

static bool get_san(certificate_t *public, unsigned idx, san_type_t *type,
                    chunk_t *value)
{
	gt_cert_t *this = (gt_cert_t *)public;

	if (idx >= this->n_sans)
		return false;
	*type = this->sans[idx].type;
	*value = this->sans[idx].value;
	return true;
}

static chunk_t get_serial(certificate_t *public)
{
	return ((gt_cert_t *)public)->serial;
}

static void get_validity(certificate_t *public, time_t *not_before,
                         time_t *not_after)
{
	gt_cert_t *this = (gt_cert_t *)public;

	if (not_before)
		*not_before = this->not_before;
	if (not_after)
		*not_after = this->not_after;
}

static bool is_ca(certificate_t *public)
{
	return ((gt_cert_t *)public)->ca;
}

static bool issued_by(certificate_t *public, certificate_t *issuer)
{
	gt_cert_t *this = (gt_cert_t *)public, *by = (gt_cert_t *)issuer;
	gnutls_x509_crt_t ca;
	unsigned status = 0;

	if (!issuer)
		return false;
	/* GnuTLS's issuer check starts with the raw issuer and subject
	 * names, octet for octet: a pair that differs there is refused
	 * without parsing extensions (the keystore asks this of every
	 * anchor for its own certificate on each IKE_AUTH). */
	if (!chunk_equals(this->issuer, by->subject))
		return false;
	/* The same pair of certificates proven before: a responder sees the
	 * same peer chains and its own again on every IKE_AUTH.  Only pairs
	 * that passed both the issuer check (names, key identifiers) and the
	 * signature enter the set, and both are pure functions of the two
	 * DER encodings the key covers, so the answer is the one below; this
	 * skips the key identifier extensions' DER parsing too. */
	/* Keyed by the two certificates' own fingerprints (taken at load),
	 * under a label of its own, so no certificate is hashed again here. */
	static const char label[] = "issued_by";
	chunk_t pair[3] = { chunk_create((uint8_t *)label, sizeof(label) - 1),
	                    chunk_create(this->fp, GT_FP_SIZE),
	                    chunk_create(by->fp, GT_FP_SIZE) };
	uint8_t fp[GT_FP_SIZE];
	bool have_fp = this->have_fp && by->have_fp && gt_fp_of(pair, 3, fp);
	if (have_fp && gt_fpcache_has(gt_sig_cache(), fp))
		return true;
	ca = by->crt;
	if (!gnutls_x509_crt_check_issuer(this->crt, ca))
		return false;
	/* The signature only: dates and CA flags are the validator's job. */
	if (gnutls_x509_crt_verify(this->crt, &ca, 1,
	                           GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                           GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	                           GNUTLS_VERIFY_DISABLE_CA_SIGN |
	                           GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
	                           &status) < 0 || status != 0)
		return false;
	if (have_fp)
		gt_fpcache_add(gt_sig_cache(), fp);
	return true;
}

static public_key_t *get_public_key(certificate_t *public)
{
	gt_cert_t *this = (gt_cert_t *)public;
	gnutls_pubkey_t pub;
	int rc;

	if (gnutls_pubkey_init(&pub) < 0)
		return NULL;
	rc = gnutls_pubkey_import_x509(pub, this->crt, 0);
	if (rc < 0) {
		gt_log_error("certificate public key", rc);
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	return gt_pubkey_wrap(pub);
}

static chunk_t get_encoding(certificate_t *public)
{
	return ((gt_cert_t *)public)->der;
}

static void destroy(certificate_t *public)
{
	gt_cert_t *this = (gt_cert_t *)public;

	gnutls_x509_crt_deinit(this->crt);
	chunk_free(&this->der);
	chunk_free(&this->subject);
	chunk_free(&this->issuer);
	chunk_free(&this->serial);
	for (unsigned i = 0; i < this->n_sans; i++)
		chunk_free(&this->sans[i].value);
	free(this->sans);
	free(this);
}

gnutls_x509_crt_t gt_cert_handle(certificate_t *cert)
{
	return ((gt_cert_t *)cert)->crt;
}

/* Collect the subjectAltNames IKE identities can match; others (URIs,
 * directory names, otherName) are skipped. */
static bool read_sans(gt_cert_t *this)
{
	for (unsigned seq = 0; ; seq++) {
		unsigned kind = 0;
		size_t size = 0;
		san_type_t type;
		chunk_t value;
		int rc;

		rc = gnutls_x509_crt_get_subject_alt_name2(this->crt, seq, NULL,
		                                            &size, &kind, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return true;
		if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER && rc < 0) {
			gt_log_error("reading subjectAltName", rc);
			return false;
		}
		switch (kind) {
		case GNUTLS_SAN_DNSNAME:
			type = SAN_FQDN;
			break;
		case GNUTLS_SAN_RFC822NAME:
			type = SAN_EMAIL;
			break;
		case GNUTLS_SAN_IPADDRESS:
			type = SAN_IPV4;   /* refined by length below */
			break;
		default:
			continue;
		}
		/* size includes room for a terminating NUL on text names. */
		value = chunk_alloc(size + 1);
		rc = gnutls_x509_crt_get_subject_alt_name2(this->crt, seq,
		                                            value.ptr, &size,
		                                            &kind, NULL);
		if (rc < 0) {
			chunk_free(&value);
			gt_log_error("reading subjectAltName", rc);
			return false;
		}
		value.len = size;
		if (kind == GNUTLS_SAN_IPADDRESS) {
			if (size == 16) {
				type = SAN_IPV6;
			} else if (size != 4) {
				chunk_free(&value);
				continue;   /* not an address (e.g. a CIDR) */
			}
		}
		this->sans = xrealloc(this->sans,
		                      (this->n_sans + 1) * sizeof(*this->sans));
		this->sans[this->n_sans++] = (san_t){ type, value };
	}
}

/* A datum from a GnuTLS getter as an owned chunk. */
static chunk_t take_datum(gnutls_datum_t *d)
{
	chunk_t c = chunk_clone(chunk_create(d->data, d->size));

	gnutls_free(d->data);
	d->data = NULL;
	return c;
}

certificate_t *gt_cert_load(chunk_t data)
{
	gnutls_datum_t d = { data.ptr, (unsigned)data.len }, out;
	uint8_t serial[64];
	size_t serial_len = sizeof(serial);
	unsigned critical = 0;
	gt_cert_t *this;
	int rc;

	if (data.len == 0 || data.len > UINT32_MAX) {
		log_error(DBG_CERT, "gnutls: certificate: no data");
		return NULL;
	}
	this = xzalloc(sizeof(*this));
	this->public = (certificate_t){
		.get_subject = get_subject,
		.get_issuer = get_issuer,
		.get_subject_der = get_subject_der,
		.get_issuer_der = get_issuer_der,
		.get_san = get_san,
		.get_serial = get_serial,
		.get_validity = get_validity,
		.is_ca = is_ca,
		.issued_by = issued_by,
		.get_public_key = get_public_key,
		.get_encoding = get_encoding,
		.destroy = destroy,
	};
	if (gnutls_x509_crt_init(&this->crt) < 0) {
		free(this);
		return NULL;
	}
	rc = gnutls_x509_crt_import(this->crt, &d, gt_is_pem(data) ?
	                            GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gt_log_error("parsing X.509 certificate", rc);
		goto fail;
	}
	if ((rc = gnutls_x509_crt_export2(this->crt, GNUTLS_X509_FMT_DER,
	                                  &out)) < 0) {
		gt_log_error("encoding certificate", rc);
		goto fail;
	}
	this->der = take_datum(&out);
	this->have_fp = gt_fp_of(&this->der, 1, this->fp);
	if ((rc = gnutls_x509_crt_get_raw_dn(this->crt, &out)) < 0) {
		gt_log_error("certificate subject", rc);
		goto fail;
	}
	this->subject = take_datum(&out);
	if ((rc = gnutls_x509_crt_get_raw_issuer_dn(this->crt, &out)) < 0) {
		gt_log_error("certificate issuer", rc);
		goto fail;
	}
	this->issuer = take_datum(&out);
	if ((rc = gnutls_x509_crt_get_serial(this->crt, serial,
	                                     &serial_len)) < 0) {
		gt_log_error("certificate serial number", rc);
		goto fail;
	}
	this->serial = chunk_clone(chunk_create(serial, serial_len));
	this->not_before = gnutls_x509_crt_get_activation_time(this->crt);
	this->not_after = gnutls_x509_crt_get_expiration_time(this->crt);
	if (this->not_before == (time_t)-1 || this->not_after == (time_t)-1) {
		log_error(DBG_CERT, "gnutls: certificate has an unreadable "
		          "validity period");
		goto fail;
	}
	rc = gnutls_x509_crt_get_basic_constraints(this->crt, &critical,
	                                           NULL, NULL);
	this->ca = rc > 0;
	if (!read_sans(this))
		goto fail;
	return &this->public;

fail:
	destroy(&this->public);
	return NULL;
}
