/*
 * gnutls_crl.c - crl_t over gnutls_x509_crl_t.  The revoked serial numbers
 * are read once, normalised (no leading zero octets) and sorted, so a
 * lookup is a binary search.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
	crl_t public;
	gnutls_x509_crl_t crl;
	chunk_t der, issuer;
	chunk_t *serials;
	size_t n_serials;
	time_t this_update, next_update;
} gt_crl_t;

/* An INTEGER's octets without redundant leading zeros. */
static chunk_t serial_norm(chunk_t s)
{
	while (s.len > 1 && s.ptr[0] == 0)
		s = chunk_create(s.ptr + 1, s.len - 1);
	return s;
}

static int serial_cmp(const void *a, const void *b)
{
	const chunk_t *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->len ? memcmp(x->ptr, y->ptr, x->len) : 0;
}

static char *get_issuer(crl_t *public)
{
	gt_crl_t *this = (gt_crl_t *)public;
	gnutls_datum_t out = { 0 };
	char *text;

	if (gnutls_x509_crl_get_issuer_dn3(this->crl, &out, 0) < 0)
		return NULL;
	text = xmalloc(out.size + 1);
	memcpy(text, out.data, out.size);
	text[out.size] = '\0';
	gnutls_free(out.data);
	return text;
}

static chunk_t get_issuer_der(crl_t *public)
{
	return ((gt_crl_t *)public)->issuer;
}

static void get_update_times(crl_t *public, time_t *this_update,
                             time_t *next_update)
{
	gt_crl_t *this = (gt_crl_t *)public;

	if (this_update)
		*this_update = this->this_update;
	if (next_update)
		*next_update = this->next_update;
}

static bool is_revoked(crl_t *public, chunk_t serial)
{
	gt_crl_t *this = (gt_crl_t *)public;
	chunk_t key = serial_norm(serial);

	if (!this->n_serials || !key.len)
		return false;
	return bsearch(&key, this->serials, this->n_serials,
	               sizeof(chunk_t), serial_cmp) != NULL;
}

static chunk_t get_encoding(crl_t *public)
{
	return ((gt_crl_t *)public)->der;
}

static void destroy(crl_t *public)
{
	gt_crl_t *this = (gt_crl_t *)public;

	gnutls_x509_crl_deinit(this->crl);
	for (size_t i = 0; i < this->n_serials; i++)
		chunk_free(&this->serials[i]);
	free(this->serials);
	chunk_free(&this->der);
	chunk_free(&this->issuer);
	free(this);
}

gnutls_x509_crl_t gt_crl_handle(crl_t *crl)
{
	return ((gt_crl_t *)crl)->crl;
}

static bool read_serials(gt_crl_t *this)
{
	gnutls_x509_crl_iter_t iter = NULL;
	uint8_t serial[128];    /* RFC 5280 serials are at most 20 octets */
	size_t size;
	time_t when;
	int rc;

	for (;;) {
		size = sizeof(serial);
		rc = gnutls_x509_crl_iter_crt_serial(this->crl, &iter, serial,
		                                     &size, &when);
		if (rc < 0)
			break;
		chunk_t s = serial_norm(chunk_create(serial, size));

		this->serials = xrealloc(this->serials, (this->n_serials + 1) *
		                         sizeof(chunk_t));
		this->serials[this->n_serials++] = chunk_clone(s);
	}
	gnutls_x509_crl_iter_deinit(iter);
	if (rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		gt_log_error("reading revoked serial numbers", rc);
		return false;
	}
	if (this->n_serials)
		qsort(this->serials, this->n_serials, sizeof(chunk_t),
		      serial_cmp);
	return true;
}

crl_t *gt_crl_load(chunk_t data)
{
	gnutls_datum_t d = { data.ptr, (unsigned)data.len }, out;
	gt_crl_t *this;
	int rc;

	if (data.len == 0 || data.len > UINT32_MAX) {
		log_error(DBG_CERT, "gnutls: CRL: no data");
		return NULL;
	}
	this = xzalloc(sizeof(*this));
	this->public = (crl_t){
		.get_issuer = get_issuer,
		.get_issuer_der = get_issuer_der,
		.get_update_times = get_update_times,
		.is_revoked = is_revoked,
		.get_encoding = get_encoding,
		.destroy = destroy,
	};
	if (gnutls_x509_crl_init(&this->crl) < 0) {
		free(this);
		return NULL;
	}
	rc = gnutls_x509_crl_import(this->crl, &d, gt_is_pem(data) ?
	                            GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gt_log_error("parsing X.509 CRL", rc);
		goto fail;
	}
	if ((rc = gnutls_x509_crl_export2(this->crl, GNUTLS_X509_FMT_DER,
	                                  &out)) < 0) {
		gt_log_error("encoding CRL", rc);
		goto fail;
	}
	this->der = chunk_clone(chunk_create(out.data, out.size));
	gnutls_free(out.data);
	if ((rc = gnutls_x509_crl_get_raw_issuer_dn(this->crl, &out)) < 0) {
		gt_log_error("CRL issuer", rc);
		goto fail;
	}
	this->issuer = chunk_clone(chunk_create(out.data, out.size));
	gnutls_free(out.data);
	this->this_update = gnutls_x509_crl_get_this_update(this->crl);
	this->next_update = gnutls_x509_crl_get_next_update(this->crl);
	if (this->next_update == (time_t)-1)
		this->next_update = 0;
	if (this->this_update == (time_t)-1) {
		log_error(DBG_CERT, "gnutls: CRL has no readable thisUpdate");
		goto fail;
	}
	if (!read_serials(this))
		goto fail;
	return &this->public;

fail:
	destroy(&this->public);
	return NULL;
}
