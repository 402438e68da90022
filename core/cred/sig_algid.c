/*
 * sig_algid.c - RFC 7427 signature AlgorithmIdentifiers: the DER prefix of
 * AUTH method 14, built and parsed without any ASN.1 library.
 *
 * Encoding follows RFC 7427 Appendix A: PKCS#1 with a NULL parameter,
 * ECDSA and EdDSA with none, RSASSA-PSS with explicit hash, MGF1 and salt
 * length (the trailer field is left at its DEFAULT, so DER omits it).
 * Parsing is strict about structure and lengths but accepts the variants
 * real peers send: a NULL or an absent hash parameter, and an explicit
 * trailerField of 1.
 */
#include <ikev2d/cred.h>

#include "cred/der.h"

/* OID contents octets (without tag and length). */
static const uint8_t oid_sha1_rsa[]   = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05 };
static const uint8_t oid_sha256_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
static const uint8_t oid_sha384_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c };
static const uint8_t oid_sha512_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d };
static const uint8_t oid_rsa_pss[]    = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const uint8_t oid_mgf1[]       = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08 };
static const uint8_t oid_sha256[]     = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const uint8_t oid_sha384[]     = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const uint8_t oid_sha512[]     = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 };
static const uint8_t oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t oid_ecdsa_sha384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t oid_ecdsa_sha512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t oid_ed25519[]    = { 0x2b, 0x65, 0x70 };
static const uint8_t oid_ed448[]      = { 0x2b, 0x65, 0x71 };

#define OID(o) { (uint8_t *)(o), sizeof(o) }

typedef enum { PARAM_NONE, PARAM_NULL, PARAM_PSS } param_kind_t;

/* The schemes that have an AlgorithmIdentifier, and how it is encoded. */
static const struct {
	sig_scheme_t scheme;
	chunk_t oid;
	param_kind_t params;
} algids[] = {
	{ SIG_RSA_PKCS1_SHA1,   OID(oid_sha1_rsa),     PARAM_NULL },
	{ SIG_RSA_PKCS1_SHA256, OID(oid_sha256_rsa),   PARAM_NULL },
	{ SIG_RSA_PKCS1_SHA384, OID(oid_sha384_rsa),   PARAM_NULL },
	{ SIG_RSA_PKCS1_SHA512, OID(oid_sha512_rsa),   PARAM_NULL },
	{ SIG_RSA_PSS_SHA256,   OID(oid_rsa_pss),      PARAM_PSS },
	{ SIG_RSA_PSS_SHA384,   OID(oid_rsa_pss),      PARAM_PSS },
	{ SIG_RSA_PSS_SHA512,   OID(oid_rsa_pss),      PARAM_PSS },
	{ SIG_ECDSA_SHA256_DER, OID(oid_ecdsa_sha256), PARAM_NONE },
	{ SIG_ECDSA_SHA384_DER, OID(oid_ecdsa_sha384), PARAM_NONE },
	{ SIG_ECDSA_SHA512_DER, OID(oid_ecdsa_sha512), PARAM_NONE },
	{ SIG_ED25519,          OID(oid_ed25519),      PARAM_NONE },
	{ SIG_ED448,            OID(oid_ed448),        PARAM_NONE },
};

/* The SHA-2 hash of a PSS scheme: OID and output length (= salt length). */
static bool pss_hash(sig_scheme_t scheme, chunk_t *oid, size_t *len)
{
	*oid = chunk_empty;
	*len = 0;
	switch (scheme) {
	case SIG_RSA_PSS_SHA256:
		*oid = (chunk_t)OID(oid_sha256);
		*len = 32;
		return true;
	case SIG_RSA_PSS_SHA384:
		*oid = (chunk_t)OID(oid_sha384);
		*len = 48;
		return true;
	case SIG_RSA_PSS_SHA512:
		*oid = (chunk_t)OID(oid_sha512);
		*len = 64;
		return true;
	default:
		return false;
	}
}

/* SEQUENCE { OID hash, NULL } */
static void put_hash_algid(der_buf_t *b, chunk_t oid)
{
	size_t seq = der_begin(b, DER_SEQUENCE);
	der_put(b, DER_OID, oid);
	der_put(b, DER_NULL, chunk_empty);
	der_end(b, seq);
}

static void put_pss_params(der_buf_t *b, sig_scheme_t scheme)
{
	chunk_t hash;
	size_t hlen;
	uint8_t salt;

	pss_hash(scheme, &hash, &hlen);
	salt = (uint8_t)hlen;

	size_t params = der_begin(b, DER_SEQUENCE);
	size_t a0 = der_begin(b, DER_CONTEXT(0));
	put_hash_algid(b, hash);
	der_end(b, a0);

	size_t a1 = der_begin(b, DER_CONTEXT(1));
	size_t mgf = der_begin(b, DER_SEQUENCE);
	der_put(b, DER_OID, (chunk_t)OID(oid_mgf1));
	put_hash_algid(b, hash);
	der_end(b, mgf);
	der_end(b, a1);

	size_t a2 = der_begin(b, DER_CONTEXT(2));
	der_put(b, DER_INTEGER, chunk_create(&salt, 1));
	der_end(b, a2);
	der_end(b, params);
}

bool sig_algid_encode(sig_scheme_t scheme, chunk_t *algid)
{
	for (size_t i = 0; i < sizeof(algids) / sizeof(algids[0]); i++) {
		if (algids[i].scheme != scheme)
			continue;
		der_buf_t b;
		der_buf_init(&b);
		size_t seq = der_begin(&b, DER_SEQUENCE);
		der_put(&b, DER_OID, algids[i].oid);
		if (algids[i].params == PARAM_NULL)
			der_put(&b, DER_NULL, chunk_empty);
		else if (algids[i].params == PARAM_PSS)
			put_pss_params(&b, scheme);
		der_end(&b, seq);
		*algid = der_buf_take(&b);
		return true;
	}
	*algid = chunk_empty;
	return false;
}

/* A hash AlgorithmIdentifier: SEQUENCE { OID, [NULL] } naming oid. */
static bool is_hash_algid(chunk_t der, chunk_t oid)
{
	chunk_t seq, got, null;

	if (!der_get(&der, DER_SEQUENCE, &seq) || der.len)
		return false;
	if (!der_get(&seq, DER_OID, &got) || !chunk_equals(got, oid))
		return false;
	if (seq.len && (!der_get(&seq, DER_NULL, &null) || null.len))
		return false;
	return seq.len == 0;
}

/* A small non-negative INTEGER (salt length, trailer field). */
static bool get_small_int(chunk_t *in, uint32_t *value)
{
	chunk_t v;

	if (!der_get(in, DER_INTEGER, &v) || v.len == 0 || v.len > 4)
		return false;
	if (v.ptr[0] & 0x80)
		return false;                      /* negative */
	if (v.len > 1 && v.ptr[0] == 0 && !(v.ptr[1] & 0x80))
		return false;                      /* not minimal */
	*value = 0;
	for (size_t i = 0; i < v.len; i++)
		*value = (*value << 8) | v.ptr[i];
	return true;
}

/* RSASSA-PSS-params naming exactly the hash of one of our PSS schemes. */
static sig_scheme_t parse_pss_params(chunk_t params)
{
	static const sig_scheme_t pss[] = {
		SIG_RSA_PSS_SHA256, SIG_RSA_PSS_SHA384, SIG_RSA_PSS_SHA512,
	};
	chunk_t seq, a0, a1, a2, a3, mgf, mgf_oid;
	uint32_t salt, trailer;

	if (!der_get(&params, DER_SEQUENCE, &seq) || params.len)
		return SIG_UNKNOWN;
	/* Every field is needed: the defaults mean SHA-1, which no PSS
	 * scheme of ours uses. */
	if (!der_get(&seq, DER_CONTEXT(0), &a0) ||
	    !der_get(&seq, DER_CONTEXT(1), &a1) ||
	    !der_get(&seq, DER_CONTEXT(2), &a2))
		return SIG_UNKNOWN;
	if (!get_small_int(&a2, &salt) || a2.len)
		return SIG_UNKNOWN;
	if (seq.len) {
		if (!der_get(&seq, DER_CONTEXT(3), &a3) ||
		    !get_small_int(&a3, &trailer) || a3.len || trailer != 1 ||
		    seq.len)
			return SIG_UNKNOWN;
	}
	if (!der_get(&a1, DER_SEQUENCE, &mgf) || a1.len ||
	    !der_get(&mgf, DER_OID, &mgf_oid) ||
	    !chunk_equals(mgf_oid, (chunk_t)OID(oid_mgf1)))
		return SIG_UNKNOWN;

	for (size_t i = 0; i < sizeof(pss) / sizeof(pss[0]); i++) {
		chunk_t oid;
		size_t hlen;

		pss_hash(pss[i], &oid, &hlen);
		if (is_hash_algid(a0, oid) && is_hash_algid(mgf, oid) &&
		    salt == hlen)
			return pss[i];
	}
	return SIG_UNKNOWN;
}

sig_scheme_t sig_algid_decode(chunk_t algid)
{
	chunk_t seq, oid, null;

	if (!der_get(&algid, DER_SEQUENCE, &seq) || algid.len)
		return SIG_UNKNOWN;
	if (!der_get(&seq, DER_OID, &oid))
		return SIG_UNKNOWN;
	if (chunk_equals(oid, (chunk_t)OID(oid_rsa_pss)))
		return parse_pss_params(seq);

	for (size_t i = 0; i < sizeof(algids) / sizeof(algids[0]); i++) {
		if (!chunk_equals(oid, algids[i].oid))
			continue;
		switch (algids[i].params) {
		case PARAM_NONE:
			/* RFC 5758 / RFC 8410: parameters MUST be absent. */
			return seq.len ? SIG_UNKNOWN : algids[i].scheme;
		case PARAM_NULL:
			/* RFC 4055: NULL; some peers omit it. */
			if (seq.len && (!der_get(&seq, DER_NULL, &null) ||
			                null.len || seq.len))
				return SIG_UNKNOWN;
			return algids[i].scheme;
		case PARAM_PSS:
			break;
		}
	}
	return SIG_UNKNOWN;
}

bool sig_auth_data_build(sig_scheme_t scheme, chunk_t sig, chunk_t *auth_data)
{
	chunk_t algid;

	*auth_data = chunk_empty;
	if (!sig_algid_encode(scheme, &algid))
		return false;
	if (algid.len > 255) {      /* cannot happen with our table */
		chunk_free(&algid);
		return false;
	}
	uint8_t len = (uint8_t)algid.len;
	chunk_t parts[] = { chunk_create(&len, 1), algid, sig };
	*auth_data = chunk_cat(3, parts);
	chunk_free(&algid);
	return true;
}

bool sig_auth_data_parse(chunk_t auth_data, sig_scheme_t *scheme, chunk_t *sig)
{
	*scheme = SIG_UNKNOWN;
	*sig = chunk_empty;
	if (auth_data.len < 1)
		return false;
	size_t len = auth_data.ptr[0];
	if (len == 0 || len > auth_data.len - 1)
		return false;
	*scheme = sig_algid_decode(chunk_create(auth_data.ptr + 1, len));
	if (*scheme == SIG_UNKNOWN)
		return false;
	*sig = chunk_create(auth_data.ptr + 1 + len, auth_data.len - 1 - len);
	return true;
}
