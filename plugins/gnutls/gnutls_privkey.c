/*
 * gnutls_privkey.c - private_key_t over gnutls_privkey_t (files and PKCS#11
 * alike): signing in every IKEv2 signature form.
 */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

typedef struct {
	private_key_t public;
	gnutls_privkey_t priv;
	gnutls_pk_algorithm_t pk;
	key_type_t type;
	unsigned bits;
	size_t rs_size;
	chunk_t spki;       /* DER SubjectPublicKeyInfo of the public half */
	void *ctx;          /* freed with the key (PKCS#11 PIN context) */
	void (*ctx_free)(void *ctx);
} gt_privkey_t;

static key_type_t get_type(private_key_t *public)
{
	return ((gt_privkey_t *)public)->type;
}

static size_t get_keysize(private_key_t *public)
{
	return ((gt_privkey_t *)public)->bits;
}

static bool sign(private_key_t *public, sig_scheme_t scheme, chunk_t data,
                 chunk_t *sig)
{
	gt_privkey_t *this = (gt_privkey_t *)public;
	gnutls_sign_algorithm_t algo;
	gnutls_datum_t d = { data.ptr, (unsigned)data.len }, out = { 0 };
	bool ok;
	int rc;

	*sig = chunk_empty;
	if (!sig_scheme_fits_key(scheme, this->type)) {
		log_error(DBG_CERT, "gnutls: a %s key cannot sign %s",
		          key_type_name(this->type),
		          sig_scheme_name(scheme) ? sig_scheme_name(scheme) : "?");
		return false;
	}
	algo = gt_sign_algorithm(scheme, this->pk);
	if (algo == GNUTLS_SIGN_UNKNOWN || data.len > UINT32_MAX) {
		log_error(DBG_CERT, "gnutls: cannot sign %s with this %s key",
		          sig_scheme_name(scheme), gnutls_pk_get_name(this->pk));
		return false;
	}
	rc = gnutls_privkey_sign_data2(this->priv, algo, 0, &d, &out);
	if (rc < 0) {
		gt_log_error(sig_scheme_name(scheme), rc);
		return false;
	}
	if (gt_scheme_is_raw_rs(scheme)) {
		ok = gt_der_to_raw(&out, this->rs_size, sig);
		if (!ok)
			log_error(DBG_CERT, "gnutls: %s signature does not fit "
			          "r||s", sig_scheme_name(scheme));
	} else {
		*sig = chunk_clone(chunk_create(out.data, out.size));
		ok = true;
	}
	gnutls_free(out.data);
	return ok;
}

static public_key_t *get_public_key(private_key_t *public)
{
	gt_privkey_t *this = (gt_privkey_t *)public;

	return gt_pubkey_load(this->type, this->spki);
}

static void destroy(private_key_t *public)
{
	gt_privkey_t *this = (gt_privkey_t *)public;

	/* GnuTLS wipes the key material it holds when deinitialised. */
	gnutls_privkey_deinit(this->priv);
	if (this->ctx_free)
		this->ctx_free(this->ctx);
	chunk_free(&this->spki);
	free(this);
}

private_key_t *gt_privkey_wrap(gnutls_privkey_t priv, gnutls_pubkey_t pub,
                               const char *what)
{
	return gt_privkey_wrap_ctx(priv, pub, what, NULL, NULL);
}

private_key_t *gt_privkey_wrap_ctx(gnutls_privkey_t priv, gnutls_pubkey_t pub,
                                   const char *what, void *ctx,
                                   void (*ctx_free)(void *ctx))
{
	gt_privkey_t *this;
	gnutls_datum_t spki = { 0 };
	key_type_t type;
	unsigned bits = 0;
	int pk, rc;

	pk = gnutls_privkey_get_pk_algorithm(priv, &bits);
	if (pk < 0) {
		gt_log_error(what, pk);
		goto fail;
	}
	if (!pub) {
		if (gnutls_pubkey_init(&pub) < 0)
			goto fail;
		rc = gnutls_pubkey_import_privkey(pub, priv, 0, 0);
		if (rc < 0) {
			log_error(DBG_CERT, "gnutls: %s: cannot derive the public "
			          "key: %s", what, gnutls_strerror(rc));
			goto fail;
		}
	}
	type = gt_pubkey_type(pub, &bits);
	if (type == KEY_ANY) {
		log_error(DBG_CERT, "gnutls: %s: unsupported key algorithm %s "
		          "(%u bits)", what, gnutls_pk_get_name(pk), bits);
		goto fail;
	}
	rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki);
	if (rc < 0) {
		log_error(DBG_CERT, "gnutls: %s: cannot encode the public key: %s",
		          what, gnutls_strerror(rc));
		goto fail;
	}

	this = xzalloc(sizeof(*this));
	this->public = (private_key_t){
		.get_type = get_type,
		.get_keysize = get_keysize,
		.sign = sign,
		.get_public_key = get_public_key,
		.destroy = destroy,
	};
	this->priv = priv;
	this->ctx = ctx;
	this->ctx_free = ctx_free;
	this->pk = pk;
	this->bits = bits;
	this->type = type;
	this->rs_size = gt_rs_size(this->type, pub);
	this->spki = chunk_clone(chunk_create(spki.data, spki.size));
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	if (this->type == KEY_DSA && this->rs_size == 0) {
		log_error(DBG_CERT, "gnutls: %s: cannot read the DSA group order",
		          what);
		destroy(&this->public);
		return NULL;
	}
	return &this->public;

fail:
	if (pub)
		gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	if (ctx_free)
		ctx_free(ctx);
	return NULL;
}

private_key_t *gt_privkey_load(key_type_t type, chunk_t data)
{
	gnutls_datum_t d = { data.ptr, (unsigned)data.len };
	gnutls_privkey_t priv;
	private_key_t *key;
	int rc;

	if (data.len == 0 || data.len > UINT32_MAX) {
		log_error(DBG_CERT, "gnutls: private key: no data");
		return NULL;
	}
	if (gnutls_privkey_init(&priv) < 0)
		return NULL;
	/* PKCS#8 or the traditional per-algorithm forms; no passphrase:
	 * an encrypted key is refused with GnuTLS's reason. */
	rc = gnutls_privkey_import_x509_raw(priv, &d, gt_is_pem(data) ?
	                                    GNUTLS_X509_FMT_PEM :
	                                    GNUTLS_X509_FMT_DER, NULL, 0);
	if (rc < 0) {
		gt_log_error("parsing private key", rc);
		gnutls_privkey_deinit(priv);
		return NULL;
	}
	key = gt_privkey_wrap(priv, NULL, "private key");
	if (key && type != KEY_ANY && key->get_type(key) != type) {
		log_error(DBG_CERT, "gnutls: private key is %s, expected %s",
		          key_type_name(key->get_type(key)), key_type_name(type));
		key->destroy(key);
		return NULL;
	}
	return key;
}
