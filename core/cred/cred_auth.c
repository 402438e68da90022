/*
 * cred_auth.c - AUTH payload Authentication Data for the signature methods
 * (RFC 7296 §3.8, RFC 4754, RFC 7427, RFC 8420), and the choice of a
 * signature scheme from the peer's SIGNATURE_HASH_ALGORITHMS.
 */
#include <ikev2d/cred.h>
#include <ikev2d/keystore.h>
#include <ikev2d/bus.h>

static bool is_signature_method(auth_method_t m)
{
	return m == AUTH_RSA_SIG || m == AUTH_DSS_SIG || m == AUTH_ECDSA_256 ||
	       m == AUTH_ECDSA_384 || m == AUTH_ECDSA_521 ||
	       m == AUTH_DIGITAL_SIG;
}

/* Whether RFC 7427 can carry the scheme (not the raw r||s ones). */
static bool has_algid(sig_scheme_t scheme)
{
	chunk_t algid;

	if (!sig_algid_encode(scheme, &algid))
		return false;
	chunk_free(&algid);
	return true;
}

/* The signing step of cred_auth_sign / signer_auth_sign. */
typedef bool (*sign_fn_t)(void *key, sig_scheme_t scheme, chunk_t data,
                          chunk_t *sig);

static bool auth_sign(key_type_t type, sign_fn_t sign, void *key,
                      auth_method_t method, sig_scheme_t scheme,
                      chunk_t octets, chunk_t *auth_data)
{
	chunk_t sig;
	bool ok;

	*auth_data = chunk_empty;
	if (!is_signature_method(method)) {
		log_error(DBG_IKESA, "AUTH method %d is not a signature method",
		          method);
		return false;
	}
	if (method != AUTH_DIGITAL_SIG)
		scheme = sig_scheme_for_auth_method(method, type);
	else if (scheme == SIG_UNKNOWN)
		scheme = sig_scheme_default(type);
	if (!sig_scheme_fits_key(scheme, type) ||
	    (method == AUTH_DIGITAL_SIG && !has_algid(scheme))) {
		log_error(DBG_IKESA, "a %s key cannot authenticate with AUTH "
		          "method %d%s%s", key_type_name(type), method,
		          scheme ? " and " : "",
		          scheme ? sig_scheme_name(scheme) : "");
		return false;
	}
	if (!sign(key, scheme, octets, &sig))
		return false;
	if (method != AUTH_DIGITAL_SIG) {
		*auth_data = sig;
		return true;
	}
	ok = sig_auth_data_build(scheme, sig, auth_data);
	chunk_free(&sig);
	return ok;
}

static bool privkey_sign(void *key, sig_scheme_t scheme, chunk_t data,
                         chunk_t *sig)
{
	private_key_t *k = key;
	return k->sign(k, scheme, data, sig);
}

static bool signer_sign(void *key, sig_scheme_t scheme, chunk_t data,
                        chunk_t *sig)
{
	key_signer_t *s = key;
	return s->sign(s, scheme, data, sig);
}

bool cred_auth_sign(private_key_t *key, auth_method_t method,
                    sig_scheme_t scheme, chunk_t octets, chunk_t *auth_data)
{
	*auth_data = chunk_empty;
	if (!key)
		return false;
	return auth_sign(key->get_type(key), privkey_sign, key, method, scheme,
	                 octets, auth_data);
}

bool signer_auth_sign(key_signer_t *signer, auth_method_t method,
                      sig_scheme_t scheme, chunk_t octets, chunk_t *auth_data)
{
	*auth_data = chunk_empty;
	if (!signer)
		return false;
	if (!signer->is_ready(signer)) {
		log_error(DBG_IKESA, "the private key cannot sign now (token "
		          "locked?)");
		return false;
	}
	return auth_sign(signer->get_type(signer), signer_sign, signer, method,
	                 scheme, octets, auth_data);
}

bool cred_auth_verify(public_key_t *key, auth_method_t method,
                      chunk_t auth_data, chunk_t octets, sig_scheme_t *scheme)
{
	sig_scheme_t s;
	chunk_t sig = auth_data;

	if (scheme)
		*scheme = SIG_UNKNOWN;
	if (!key || !is_signature_method(method))
		return false;
	if (method == AUTH_DIGITAL_SIG) {
		if (!sig_auth_data_parse(auth_data, &s, &sig)) {
			log_verbose(DBG_IKESA, "AUTH: unsupported or malformed "
			            "RFC 7427 AlgorithmIdentifier");
			return false;
		}
	} else {
		s = sig_scheme_for_auth_method(method, key->get_type(key));
	}
	if (!sig_scheme_fits_key(s, key->get_type(key))) {
		log_verbose(DBG_IKESA, "AUTH: %s does not fit the peer's %s key",
		            sig_scheme_name(s), key_type_name(key->get_type(key)));
		return false;
	}
	if (!key->verify(key, s, octets, sig))
		return false;
	if (scheme)
		*scheme = s;
	return true;
}

static bool announced(const uint16_t *hashes, size_t n, unsigned h)
{
	for (size_t i = 0; i < n; i++)
		if (hashes[i] == h)
			return true;
	return false;
}

sig_scheme_t sig_scheme_select(key_type_t type, const uint16_t *peer_hashes,
                               size_t n, bool prefer_pss)
{
	static const sig_scheme_t pkcs1[] = {
		SIG_RSA_PKCS1_SHA512, SIG_RSA_PKCS1_SHA384, SIG_RSA_PKCS1_SHA256,
	};
	static const sig_scheme_t pss[] = {
		SIG_RSA_PSS_SHA512, SIG_RSA_PSS_SHA384, SIG_RSA_PSS_SHA256,
	};
	static const sig_scheme_t ecdsa[] = {
		SIG_ECDSA_SHA512_DER, SIG_ECDSA_SHA384_DER, SIG_ECDSA_SHA256_DER,
	};
	const sig_scheme_t *list;
	sig_scheme_t own;

	if (!peer_hashes)
		n = 0;
	switch (type) {
	case KEY_RSA:
		list = prefer_pss ? pss : pkcs1;
		break;
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		/* The curve's own hash first (what RFC 4754 pairs). */
		own = sig_scheme_default(type);
		if (announced(peer_hashes, n, sig_scheme_hash(own)))
			return own;
		list = ecdsa;
		break;
	case KEY_ED25519:
	case KEY_ED448:
		return announced(peer_hashes, n, SIG_HASH_IDENTITY) ?
		       sig_scheme_default(type) : SIG_UNKNOWN;
	default:
		return SIG_UNKNOWN;   /* DSA has no RFC 7427 scheme of ours */
	}
	for (size_t i = 0; i < 3; i++)
		if (announced(peer_hashes, n, sig_scheme_hash(list[i])))
			return list[i];
	return SIG_UNKNOWN;
}
