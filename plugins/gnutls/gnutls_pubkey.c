/*
 * gnutls_pubkey.c - public_key_t over gnutls_pubkey_t: verification in
 * every IKEv2 signature form, SubjectPublicKeyInfo and fingerprints.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
	public_key_t public;
	gnutls_pubkey_t pub;
	gnutls_pk_algorithm_t pk;
	key_type_t type;
	unsigned bits;
	size_t rs_size;     /* raw r||s half size, 0 if not (EC)DSA */
} gt_pubkey_t;

static key_type_t get_type(public_key_t *public)
{
	return ((gt_pubkey_t *)public)->type;
}

static size_t get_keysize(public_key_t *public)
{
	return ((gt_pubkey_t *)public)->bits;
}

static bool verify(public_key_t *public, sig_scheme_t scheme, chunk_t data,
                   chunk_t sig)
{
	gt_pubkey_t *this = (gt_pubkey_t *)public;
	gnutls_sign_algorithm_t algo;
	gnutls_datum_t d = { data.ptr, (unsigned)data.len };
	gnutls_datum_t s = { sig.ptr, (unsigned)sig.len };
	gnutls_datum_t der = { 0 };
	int rc;

	if (!sig_scheme_fits_key(scheme, this->type))
		return false;
	algo = gt_sign_algorithm(scheme, this->pk);
	if (algo == GNUTLS_SIGN_UNKNOWN || data.len > UINT32_MAX ||
	    sig.len == 0 || sig.len > 65536)
		return false;

	if (gt_scheme_is_raw_rs(scheme)) {
		/* Exactly two integers of the group order's size. */
		if (!gt_raw_to_der(sig, this->rs_size, &der))
			return false;
		s = der;
	} else if (scheme == SIG_ECDSA_SHA256_DER ||
	           scheme == SIG_ECDSA_SHA384_DER ||
	           scheme == SIG_ECDSA_SHA512_DER) {
		/* Only the one DER encoding of (r, s): no BER variants, no
		 * trailing octets, no negative or padded integers. */
		if (!gt_der_is_canonical(sig))
			return false;
	} else if (!gt_eddsa_s_in_range(scheme, sig)) {
		return false;
	}
	rc = gnutls_pubkey_verify_data2(this->pub, algo, 0, &d, &s);
	gnutls_free(der.data);
	if (rc < 0 && rc != GNUTLS_E_PK_SIG_VERIFY_FAILED)
		log_verbose(DBG_CERT, "gnutls: %s verification failed: %s",
		            sig_scheme_name(scheme), gnutls_strerror(rc));
	return rc >= 0;
}

static bool get_encoding(public_key_t *public, chunk_t *spki)
{
	gt_pubkey_t *this = (gt_pubkey_t *)public;
	gnutls_datum_t out;
	int rc;

	*spki = chunk_empty;
	rc = gnutls_pubkey_export2(this->pub, GNUTLS_X509_FMT_DER, &out);
	if (rc < 0) {
		gt_log_error("exporting public key", rc);
		return false;
	}
	*spki = chunk_clone(chunk_create(out.data, out.size));
	gnutls_free(out.data);
	return true;
}

static bool get_fingerprint(public_key_t *public,
                            uint8_t fp[PUBKEY_FINGERPRINT_SIZE])
{
	chunk_t spki;
	int rc;

	if (!get_encoding(public, &spki))
		return false;
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.ptr, spki.len, fp);
	chunk_free(&spki);
	return rc == 0;
}

static bool equals(public_key_t *public, public_key_t *other)
{
	uint8_t a[PUBKEY_FINGERPRINT_SIZE], b[PUBKEY_FINGERPRINT_SIZE];

	if (!other)
		return false;
	if (public == other)
		return true;
	return public->get_type(public) == other->get_type(other) &&
	       get_fingerprint(public, a) && other->get_fingerprint(other, b) &&
	       memcmp(a, b, sizeof(a)) == 0;
}

static void destroy(public_key_t *public)
{
	gt_pubkey_t *this = (gt_pubkey_t *)public;

	gnutls_pubkey_deinit(this->pub);
	free(this);
}

gnutls_pubkey_t gt_pubkey_handle(public_key_t *key)
{
	return ((gt_pubkey_t *)key)->pub;
}

public_key_t *gt_pubkey_wrap(gnutls_pubkey_t pub)
{
	gt_pubkey_t *this;
	unsigned bits = 0;
	int pk;

	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (pk < 0 || gt_pubkey_type(pub, &bits) == KEY_ANY) {
		log_error(DBG_CERT, "gnutls: unsupported public key algorithm %s "
		          "(%u bits)", pk < 0 ? "?" : gnutls_pk_get_name(pk), bits);
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	this = xzalloc(sizeof(*this));
	this->public = (public_key_t){
		.get_type = get_type,
		.get_keysize = get_keysize,
		.verify = verify,
		.get_encoding = get_encoding,
		.get_fingerprint = get_fingerprint,
		.equals = equals,
		.destroy = destroy,
	};
	this->pub = pub;
	this->pk = pk;
	this->bits = bits;
	this->type = gt_pubkey_type(pub, &bits);
	this->rs_size = gt_rs_size(this->type, pub);
	if (this->type == KEY_DSA && this->rs_size == 0) {
		log_error(DBG_CERT, "gnutls: cannot read the DSA group order");
		destroy(&this->public);
		return NULL;
	}
	return &this->public;
}

public_key_t *gt_pubkey_load(key_type_t type, chunk_t data)
{
	gnutls_datum_t d = { data.ptr, (unsigned)data.len };
	gnutls_pubkey_t pub;
	public_key_t *key;
	int rc;

	if (data.len == 0 || data.len > UINT32_MAX) {
		log_error(DBG_CERT, "gnutls: public key: no data");
		return NULL;
	}
	if (gnutls_pubkey_init(&pub) < 0)
		return NULL;
	rc = gnutls_pubkey_import(pub, &d, gt_is_pem(data) ?
	                          GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gt_log_error("parsing public key (SubjectPublicKeyInfo)", rc);
		gnutls_pubkey_deinit(pub);
		return NULL;
	}
	key = gt_pubkey_wrap(pub);
	if (key && type != KEY_ANY && key->get_type(key) != type) {
		log_error(DBG_CERT, "gnutls: public key is %s, expected %s",
		          key_type_name(key->get_type(key)), key_type_name(type));
		key->destroy(key);
		return NULL;
	}
	return key;
}
