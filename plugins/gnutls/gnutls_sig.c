/*
 * gnutls_sig.c - signature schemes in GnuTLS terms: key types, algorithm
 * numbers, and the conversion between the DER (EC)DSA signature GnuTLS
 * produces and the raw r||s that IKEv2 AUTH methods 3 and 9-11 carry.
 */
#define _GNU_SOURCE  /* memmem */
#include "gnutls_plugin.h"

#include <ikev2d/bus.h>

#include <string.h>

void gt_log_error(const char *what, int err)
{
	log_error(DBG_CERT, "gnutls: %s: %s", what, gnutls_strerror(err));
}

key_type_t gt_key_type(gnutls_pk_algorithm_t pk, unsigned bits)
{
	switch (pk) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
		return KEY_RSA;
	case GNUTLS_PK_DSA:
		return KEY_DSA;
	case GNUTLS_PK_ECDSA:
		switch (bits) {
		case 256: return KEY_ECDSA_P256;
		case 384: return KEY_ECDSA_P384;
		case 521: return KEY_ECDSA_P521;
		default:  return KEY_ANY;   /* use gt_pubkey_type */
		}
	case GNUTLS_PK_EDDSA_ED25519:
		return KEY_ED25519;
	case GNUTLS_PK_EDDSA_ED448:
		return KEY_ED448;
	default:
		return KEY_ANY;
	}
}

/* Length of a big-endian unsigned integer without its leading zeros. */
static size_t stripped_len(const uint8_t *p, size_t len, size_t *skip)
{
	size_t i = 0;

	while (i < len && p[i] == 0)
		i++;
	if (skip)
		*skip = i;
	return len - i;
}

key_type_t gt_pubkey_type(gnutls_pubkey_t pub, unsigned *bits)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { 0 }, y = { 0 };
	unsigned b = 0;
	int pk = gnutls_pubkey_get_pk_algorithm(pub, &b);

	if (pk < 0)
		return KEY_ANY;
	if (pk != GNUTLS_PK_ECDSA) {
		*bits = b;
		return gt_key_type(pk, b);
	}
	/* The size GnuTLS reports for P-521 depends on the object (521 or
	 * 528), the curve does not. */
	if (gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0) < 0)
		return KEY_ANY;
	gnutls_free(x.data);
	gnutls_free(y.data);
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		*bits = 256;
		return KEY_ECDSA_P256;
	case GNUTLS_ECC_CURVE_SECP384R1:
		*bits = 384;
		return KEY_ECDSA_P384;
	case GNUTLS_ECC_CURVE_SECP521R1:
		*bits = 521;
		return KEY_ECDSA_P521;
	default:
		return KEY_ANY;
	}
}

size_t gt_rs_size(key_type_t type, gnutls_pubkey_t pub)
{
	switch (type) {
	case KEY_ECDSA_P256:
		return 32;
	case KEY_ECDSA_P384:
		return 48;
	case KEY_ECDSA_P521:
		return 66;
	case KEY_DSA: {
		gnutls_datum_t p = { 0 }, q = { 0 }, g = { 0 }, y = { 0 };
		size_t size = 0;

		if (pub && gnutls_pubkey_export_dsa_raw2(pub, &p, &q, &g, &y,
		                                         0) == 0)
			size = stripped_len(q.data, q.size, NULL);
		gnutls_free(p.data);
		gnutls_free(q.data);
		gnutls_free(g.data);
		gnutls_free(y.data);
		return size;
	}
	default:
		return 0;
	}
}

bool gt_scheme_is_raw_rs(sig_scheme_t scheme)
{
	return scheme == SIG_DSA_SHA1 || scheme == SIG_ECDSA_P256_SHA256 ||
	       scheme == SIG_ECDSA_P384_SHA384 ||
	       scheme == SIG_ECDSA_P521_SHA512;
}

gnutls_sign_algorithm_t gt_sign_algorithm(sig_scheme_t scheme,
                                          gnutls_pk_algorithm_t pk)
{
	bool rsa = pk == GNUTLS_PK_RSA, pss_key = pk == GNUTLS_PK_RSA_PSS;
	bool ec = pk == GNUTLS_PK_ECDSA;

	switch (scheme) {
	case SIG_RSA_PKCS1_SHA1:
		return rsa ? GNUTLS_SIGN_RSA_SHA1 : GNUTLS_SIGN_UNKNOWN;
	case SIG_RSA_PKCS1_SHA256:
		return rsa ? GNUTLS_SIGN_RSA_SHA256 : GNUTLS_SIGN_UNKNOWN;
	case SIG_RSA_PKCS1_SHA384:
		return rsa ? GNUTLS_SIGN_RSA_SHA384 : GNUTLS_SIGN_UNKNOWN;
	case SIG_RSA_PKCS1_SHA512:
		return rsa ? GNUTLS_SIGN_RSA_SHA512 : GNUTLS_SIGN_UNKNOWN;
	/* An rsaEncryption key signs PSS as "RSAE"; an id-RSASSA-PSS key
	 * only does PSS, under the plain PSS numbers. */
	case SIG_RSA_PSS_SHA256:
		return rsa ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 :
		       pss_key ? GNUTLS_SIGN_RSA_PSS_SHA256 : GNUTLS_SIGN_UNKNOWN;
	case SIG_RSA_PSS_SHA384:
		return rsa ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 :
		       pss_key ? GNUTLS_SIGN_RSA_PSS_SHA384 : GNUTLS_SIGN_UNKNOWN;
	case SIG_RSA_PSS_SHA512:
		return rsa ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA512 :
		       pss_key ? GNUTLS_SIGN_RSA_PSS_SHA512 : GNUTLS_SIGN_UNKNOWN;
	case SIG_DSA_SHA1:
		return pk == GNUTLS_PK_DSA ? GNUTLS_SIGN_DSA_SHA1 : GNUTLS_SIGN_UNKNOWN;
	case SIG_ECDSA_P256_SHA256:
	case SIG_ECDSA_SHA256_DER:
		return ec ? GNUTLS_SIGN_ECDSA_SHA256 : GNUTLS_SIGN_UNKNOWN;
	case SIG_ECDSA_P384_SHA384:
	case SIG_ECDSA_SHA384_DER:
		return ec ? GNUTLS_SIGN_ECDSA_SHA384 : GNUTLS_SIGN_UNKNOWN;
	case SIG_ECDSA_P521_SHA512:
	case SIG_ECDSA_SHA512_DER:
		return ec ? GNUTLS_SIGN_ECDSA_SHA512 : GNUTLS_SIGN_UNKNOWN;
	case SIG_ED25519:
		return pk == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_SIGN_EDDSA_ED25519 :
		       GNUTLS_SIGN_UNKNOWN;
	case SIG_ED448:
		return pk == GNUTLS_PK_EDDSA_ED448 ? GNUTLS_SIGN_EDDSA_ED448 :
		       GNUTLS_SIGN_UNKNOWN;
	default:
		return GNUTLS_SIGN_UNKNOWN;
	}
}

bool gt_der_to_raw(const gnutls_datum_t *der, size_t size, chunk_t *raw)
{
	gnutls_datum_t r = { 0 }, s = { 0 };
	size_t rskip, sskip, rlen, slen;
	bool ok = false;

	*raw = chunk_empty;
	if (gnutls_decode_rs_value(der, &r, &s) != 0)
		return false;
	rlen = stripped_len(r.data, r.size, &rskip);
	slen = stripped_len(s.data, s.size, &sskip);
	if (rlen <= size && slen <= size) {
		*raw = chunk_alloc(2 * size);
		memset(raw->ptr, 0, raw->len);
		memcpy(raw->ptr + size - rlen, r.data + rskip, rlen);
		memcpy(raw->ptr + 2 * size - slen, s.data + sskip, slen);
		ok = true;
	}
	gnutls_free(r.data);
	gnutls_free(s.data);
	return ok;
}

bool gt_raw_to_der(chunk_t raw, size_t size, gnutls_datum_t *der)
{
	size_t rskip, sskip, rlen, slen;
	gnutls_datum_t r, s;
	/* One zero octet stands for a zero integer, which then fails to
	 * verify as it must. */
	static uint8_t zero;

	der->data = NULL;
	der->size = 0;
	if (size == 0 || raw.len != 2 * size)
		return false;
	rlen = stripped_len(raw.ptr, size, &rskip);
	slen = stripped_len(raw.ptr + size, size, &sskip);
	r = rlen ? (gnutls_datum_t){ raw.ptr + rskip, (unsigned)rlen } :
	           (gnutls_datum_t){ &zero, 1 };
	s = slen ? (gnutls_datum_t){ raw.ptr + size + sskip, (unsigned)slen } :
	           (gnutls_datum_t){ &zero, 1 };
	return gnutls_encode_rs_value(der, &r, &s) == 0;
}

bool gt_der_is_canonical(chunk_t der)
{
	gnutls_datum_t in = { der.ptr, (unsigned)der.len };
	gnutls_datum_t r = { 0 }, s = { 0 }, again = { 0 };
	bool ok = false;

	if (der.len == 0 || der.len > 65535)
		return false;
	if (gnutls_decode_rs_value(&in, &r, &s) == 0 &&
	    gnutls_encode_rs_value(&again, &r, &s) == 0)
		ok = again.size == der.len &&
		     memcmp(again.data, der.ptr, der.len) == 0;
	gnutls_free(r.data);
	gnutls_free(s.data);
	gnutls_free(again.data);
	return ok;
}

bool gt_is_pem(chunk_t data)
{
	static const char mark[] = "-----BEGIN ";

	if (data.len < sizeof(mark) - 1)
		return false;
	return memmem(data.ptr, data.len, mark, sizeof(mark) - 1) != NULL;
}

/* The group orders L of RFC 8032 §5.1 and §5.2, little-endian as the
 * signature's S is encoded. */
static const uint8_t ed25519_l[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
	0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
static const uint8_t ed448_l[57] = {
	0xf3, 0x44, 0x58, 0xab, 0x92, 0xc2, 0x78, 0x23, 0x55, 0x8f, 0xc5, 0x8d,
	0x72, 0xc2, 0x6c, 0x21, 0x90, 0x36, 0xd6, 0xae, 0x49, 0xdb, 0x4e, 0xc4,
	0xe9, 0x23, 0xca, 0x7c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00,
};

bool gt_eddsa_s_in_range(sig_scheme_t scheme, chunk_t sig)
{
	const uint8_t *l;
	size_t n;

	if (scheme == SIG_ED25519) {
		l = ed25519_l;
		n = sizeof(ed25519_l);
	} else if (scheme == SIG_ED448) {
		l = ed448_l;
		n = sizeof(ed448_l);
	} else {
		return true;
	}
	if (sig.len != 2 * n)
		return false;
	/* Compare S (second half) with L from the most significant octet;
	 * both are public, so an early exit is fine. */
	for (size_t i = n; i-- > 0;) {
		uint8_t b = sig.ptr[n + i];
		if (b != l[i])
			return b < l[i];
	}
	return false;   /* S == L */
}
