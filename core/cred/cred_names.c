/*
 * cred_names.c - what the credential enums mean: names, which key fits
 * which signature scheme, AUTH method mapping, default policy, SAN matching.
 */
#include <ikev2d/cred.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ASCII case-insensitive equality over exactly len octets (embedded NULs
 * included, unlike strncasecmp). */
static bool ascii_caseeq(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

static const char *const key_names[KEY_TYPE_MAX] = {
	[KEY_ANY]        = "any",
	[KEY_RSA]        = "rsa",
	[KEY_DSA]        = "dsa",
	[KEY_ECDSA_P256] = "ecdsa-p256",
	[KEY_ECDSA_P384] = "ecdsa-p384",
	[KEY_ECDSA_P521] = "ecdsa-p521",
	[KEY_ED25519]    = "ed25519",
	[KEY_ED448]      = "ed448",
};

const char *key_type_name(key_type_t type)
{
	return (unsigned)type < KEY_TYPE_MAX ? key_names[type] : NULL;
}

const char *key_type_feature(key_type_t type)
{
	switch (type) {
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		return "ecdsa";
	case KEY_ANY:
		return NULL;
	default:
		return key_type_name(type);
	}
}

/* For each scheme: name, hash, the key types it fits (KEY_ANY terminates;
 * the ECDSA DER schemes fit every curve), its non-7427 AUTH method. */
static const struct {
	const char *name;
	hash_id_t hash;
	key_type_t keys[3];
	auth_method_t method;
} schemes[SIG_SCHEME_MAX] = {
	[SIG_RSA_PKCS1_SHA1]    = { "rsa-pkcs1-sha1",   HASH_SHA1,     { KEY_RSA }, AUTH_RSA_SIG },
	[SIG_RSA_PKCS1_SHA256]  = { "rsa-pkcs1-sha256", HASH_SHA2_256, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_RSA_PKCS1_SHA384]  = { "rsa-pkcs1-sha384", HASH_SHA2_384, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_RSA_PKCS1_SHA512]  = { "rsa-pkcs1-sha512", HASH_SHA2_512, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_RSA_PSS_SHA256]    = { "rsa-pss-sha256",   HASH_SHA2_256, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_RSA_PSS_SHA384]    = { "rsa-pss-sha384",   HASH_SHA2_384, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_RSA_PSS_SHA512]    = { "rsa-pss-sha512",   HASH_SHA2_512, { KEY_RSA }, AUTH_DIGITAL_SIG },
	[SIG_DSA_SHA1]          = { "dsa-sha1",         HASH_SHA1,     { KEY_DSA }, AUTH_DSS_SIG },
	[SIG_ECDSA_P256_SHA256] = { "ecdsa-p256-sha256", HASH_SHA2_256, { KEY_ECDSA_P256 }, AUTH_ECDSA_256 },
	[SIG_ECDSA_P384_SHA384] = { "ecdsa-p384-sha384", HASH_SHA2_384, { KEY_ECDSA_P384 }, AUTH_ECDSA_384 },
	[SIG_ECDSA_P521_SHA512] = { "ecdsa-p521-sha512", HASH_SHA2_512, { KEY_ECDSA_P521 }, AUTH_ECDSA_521 },
	[SIG_ECDSA_SHA256_DER]  = { "ecdsa-sha256-der", HASH_SHA2_256,
	                            { KEY_ECDSA_P256, KEY_ECDSA_P384, KEY_ECDSA_P521 }, AUTH_DIGITAL_SIG },
	[SIG_ECDSA_SHA384_DER]  = { "ecdsa-sha384-der", HASH_SHA2_384,
	                            { KEY_ECDSA_P256, KEY_ECDSA_P384, KEY_ECDSA_P521 }, AUTH_DIGITAL_SIG },
	[SIG_ECDSA_SHA512_DER]  = { "ecdsa-sha512-der", HASH_SHA2_512,
	                            { KEY_ECDSA_P256, KEY_ECDSA_P384, KEY_ECDSA_P521 }, AUTH_DIGITAL_SIG },
	[SIG_ED25519]           = { "ed25519", 0, { KEY_ED25519 }, AUTH_DIGITAL_SIG },
	[SIG_ED448]             = { "ed448",   0, { KEY_ED448 },   AUTH_DIGITAL_SIG },
};

static bool scheme_valid(sig_scheme_t scheme)
{
	return scheme > SIG_UNKNOWN && scheme < SIG_SCHEME_MAX;
}

const char *sig_scheme_name(sig_scheme_t scheme)
{
	if (scheme == SIG_UNKNOWN)
		return "unknown";
	return scheme_valid(scheme) ? schemes[scheme].name : NULL;
}

bool sig_scheme_fits_key(sig_scheme_t scheme, key_type_t type)
{
	if (!scheme_valid(scheme) || type == KEY_ANY)
		return false;
	for (size_t i = 0; i < 3 && schemes[scheme].keys[i] != KEY_ANY; i++)
		if (schemes[scheme].keys[i] == type)
			return true;
	return false;
}

hash_id_t sig_scheme_hash(sig_scheme_t scheme)
{
	return scheme_valid(scheme) ? schemes[scheme].hash : 0;
}

sig_scheme_t sig_scheme_for_auth_method(auth_method_t method, key_type_t type)
{
	if (method == AUTH_DIGITAL_SIG)
		return SIG_UNKNOWN;        /* the AlgorithmIdentifier says */
	for (int s = SIG_UNKNOWN + 1; s < SIG_SCHEME_MAX; s++)
		if (schemes[s].method == method && sig_scheme_fits_key(s, type))
			return (sig_scheme_t)s;
	return SIG_UNKNOWN;
}

auth_method_t sig_scheme_auth_method(sig_scheme_t scheme)
{
	return scheme_valid(scheme) ? schemes[scheme].method : AUTH_DIGITAL_SIG;
}

sig_scheme_t sig_scheme_default(key_type_t type)
{
	switch (type) {
	case KEY_RSA:        return SIG_RSA_PKCS1_SHA256;
	case KEY_ECDSA_P256: return SIG_ECDSA_SHA256_DER;
	case KEY_ECDSA_P384: return SIG_ECDSA_SHA384_DER;
	case KEY_ECDSA_P521: return SIG_ECDSA_SHA512_DER;
	case KEY_ED25519:    return SIG_ED25519;
	case KEY_ED448:      return SIG_ED448;
	default:             return SIG_UNKNOWN;
	}
}

const char *cert_status_name(cert_status_t status)
{
	switch (status) {
	case CERT_OK:            return "valid";
	case CERT_NO_ISSUER:     return "no path to a trust anchor";
	case CERT_BAD_SIGNATURE: return "bad signature in chain";
	case CERT_NOT_YET_VALID: return "not yet valid";
	case CERT_EXPIRED:       return "expired";
	case CERT_NOT_CA:        return "issuer is not a CA";
	case CERT_PATH_TOO_LONG: return "path too long";
	case CERT_BAD_EKU:       return "extended key usage unfit for IKE";
	case CERT_REVOKED:       return "revoked";
	case CERT_CRL_MISSING:   return "no valid CRL";
	case CERT_INVALID:       return "invalid";
	case CERT_REVOCATION_UNKNOWN: return "revocation status unavailable";
	case CERT_PENDING:            return "waiting for a revocation answer";
	}
	return "unknown status";
}

void cert_policy_default(cert_policy_t *policy)
{
	*policy = (cert_policy_t){
		.ignore_date = false,
		.ignore_unknown_eku = false,
		.max_path_length = -1,
		.crl_check = CRL_CHECK_IF_KNOWN,
		.ignore_trust_anchor = false,
		.trust_intermediate_cas = false,
		.validity_adjusttime = 0,
		.now = 0,
		.responder_timeout = 10,
	};
}

bool certificate_has_san(certificate_t *cert, san_type_t type, chunk_t value)
{
	san_type_t t;
	chunk_t v;

	for (unsigned i = 0; cert->get_san(cert, i, &t, &v); i++) {
		if (t != type || v.len != value.len)
			continue;
		if (type == SAN_FQDN || type == SAN_EMAIL) {
			/* DNS names and mail domains compare without case;
			 * a mailbox's local part in practice does too. */
			if (ascii_caseeq(v.ptr, value.ptr, v.len))
				return true;
		} else if (chunk_equals(v, value)) {
			return true;
		}
	}
	return false;
}

bool certificate_matches_id(certificate_t *cert, id_type_t type, chunk_t data)
{
	if (!cert || !data.len)
		return false;
	switch (type) {
	case ID_DER_ASN1_DN:
		return chunk_equals(cert->get_subject_der(cert), data);
	case ID_FQDN:
		return certificate_has_san(cert, SAN_FQDN, data);
	case ID_RFC822_ADDR:
		return certificate_has_san(cert, SAN_EMAIL, data);
	case ID_IPV4_ADDR:
		return data.len == 4 && certificate_has_san(cert, SAN_IPV4, data);
	case ID_IPV6_ADDR:
		return data.len == 16 && certificate_has_san(cert, SAN_IPV6, data);
	default:
		return false;
	}
}

const char *cred_uri_for_log(const char *uri, char *buf, size_t len)
{
	const char *query;

	if (!len)
		return buf;
	if (!uri)
		uri = "";
	query = strncmp(uri, "pkcs11:", 7) == 0 ? strchr(uri, '?') : NULL;
	if (query && query - uri < (ptrdiff_t)len)
		snprintf(buf, len, "%.*s?...", (int)(query - uri), uri);
	else if (query)
		snprintf(buf, len, "%.*s", (int)len - 1, uri);
	else
		snprintf(buf, len, "%s", uri);
	return buf;
}
