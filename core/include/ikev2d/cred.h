/*
 * cred.h - credentials: private and public keys, X.509 certificates and
 * CRLs, the signature schemes IKEv2 authenticates with, and validation of a
 * certificate chain against trust anchors.
 *
 * As with crypto.h, the core never names a library: a credential plugin
 * implements the objects below and registers loaders from its feature
 * callbacks (cred_register_*); the core and the IKEv2 engine load and use
 * credentials through cred_load_* and the object methods only.  One provider
 * per key type / credential kind: the first registration wins and a second
 * one is refused (the loader already lets the first plugin in load order
 * provide a feature).
 *
 * Feature names used by credential plugins (see plugin.h):
 *   "privkey:rsa", "privkey:dsa", "privkey:ecdsa" (P-256/384/521),
 *   "privkey:ed25519", "privkey:ed448"  - private keys from PEM/DER
 *   "pubkey:rsa", ... "pubkey:ed448"    - public keys (SubjectPublicKeyInfo)
 *   "cert:x509"                          - certificates and chain validation
 *   "crl:x509"                           - certificate revocation lists
 *   "pkcs11"                             - private keys behind PKCS#11 URIs
 *
 * Ownership: every function or method that returns an object gives the
 * caller a new object that the caller destroy()s; chunks returned through a
 * chunk_t * argument are freshly allocated (caller frees); chunks returned
 * by value from a method are borrowed and valid until the object is
 * destroyed.  Private keys wipe their material in destroy(); nothing here
 * logs key material.  All objects are safe to use from several threads at
 * once as long as none of them destroys it.
 */
#ifndef IKEV2D_CRED_H
#define IKEV2D_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ikev2d/chunk.h>
#include <ikev2d/crypto.h>
#include <ikev2d/ikev2.h>

/* ------------------------------------------------------------ key types */

typedef enum {
	KEY_ANY = 0,      /* when loading: whatever the data holds */
	KEY_RSA,
	KEY_DSA,
	KEY_ECDSA_P256,
	KEY_ECDSA_P384,
	KEY_ECDSA_P521,
	KEY_ED25519,
	KEY_ED448,
	KEY_TYPE_MAX,
} key_type_t;

/* "rsa", "dsa", "ecdsa-p256", ..., "ed448"; "any" for KEY_ANY; NULL if out
 * of range. */
const char *key_type_name(key_type_t type);
/* The feature suffix that provides a type: "rsa", "dsa", "ecdsa", ... */
const char *key_type_feature(key_type_t type);

/* ---------------------------------------------------- signature schemes */

/*
 * Every way IKEv2 signs the AUTH octets.  The signature format is the one
 * that goes on the wire after any RFC 7427 AlgorithmIdentifier prefix:
 * PKCS#1/PSS: the RSA integer, modulus size; DSA and RFC 4754 ECDSA: raw
 * r||s, each padded to the size of the group order; RFC 7427 ECDSA: the DER
 * Ecdsa-Sig-Value; EdDSA: the RFC 8032 signature (pure, over the data).
 */
typedef enum {
	SIG_UNKNOWN = 0,
	SIG_RSA_PKCS1_SHA1,     /* AUTH method 1 (RSA Digital Signature) */
	SIG_RSA_PKCS1_SHA256,   /* RFC 7427 sha256WithRSAEncryption */
	SIG_RSA_PKCS1_SHA384,
	SIG_RSA_PKCS1_SHA512,
	SIG_RSA_PSS_SHA256,     /* RFC 7427 RSASSA-PSS, MGF1 with the same hash,
	                         * salt length = hash length, trailer 1 */
	SIG_RSA_PSS_SHA384,
	SIG_RSA_PSS_SHA512,
	SIG_DSA_SHA1,           /* AUTH method 3 (DSS), raw r||s */
	SIG_ECDSA_P256_SHA256,  /* AUTH method 9 (RFC 4754), raw r||s */
	SIG_ECDSA_P384_SHA384,  /* AUTH method 10 */
	SIG_ECDSA_P521_SHA512,  /* AUTH method 11 */
	SIG_ECDSA_SHA256_DER,   /* RFC 7427 ecdsa-with-SHA256, any curve, DER */
	SIG_ECDSA_SHA384_DER,
	SIG_ECDSA_SHA512_DER,
	SIG_ED25519,            /* RFC 8420 */
	SIG_ED448,
	SIG_SCHEME_MAX,
} sig_scheme_t;

/* Short name ("rsa-pkcs1-sha256", "ecdsa-p256-sha256", ...), NULL if out of
 * range. */
const char *sig_scheme_name(sig_scheme_t scheme);
/* Whether a key of this type can make/check signatures of this scheme. */
bool sig_scheme_fits_key(sig_scheme_t scheme, key_type_t type);
/* The hash the scheme signs with (RFC 7427 numbering), or 0 for EdDSA,
 * which hashes internally ("Identity" in RFC 8420 terms). */
hash_id_t sig_scheme_hash(sig_scheme_t scheme);
/* The scheme of a non-RFC 7427 AUTH method (1, 3, 9, 10, 11) for a key of
 * the given type; SIG_UNKNOWN if the method is not a signature method or
 * the key does not fit it. */
sig_scheme_t sig_scheme_for_auth_method(auth_method_t method, key_type_t type);
/* The AUTH method that carries a scheme without RFC 7427 (1, 3, 9, 10, 11),
 * or AUTH_DIGITAL_SIG (14) for every other scheme. */
auth_method_t sig_scheme_auth_method(sig_scheme_t scheme);
/* A sensible RFC 7427 scheme for a key: PKCS#1 SHA-256 for RSA, ECDSA DER
 * with the curve's hash, EdDSA; SIG_UNKNOWN for DSA and KEY_ANY. */
sig_scheme_t sig_scheme_default(key_type_t type);

/*
 * RFC 7427 §3: the AUTH data of method 14 is a one-octet length, the DER
 * AlgorithmIdentifier of that length, then the signature.
 */
/* The DER AlgorithmIdentifier of a scheme (freshly allocated); false for
 * schemes that have none (the raw r||s ones and DSA). */
bool sig_algid_encode(sig_scheme_t scheme, chunk_t *algid);
/* The scheme an AlgorithmIdentifier names, SIG_UNKNOWN if it is malformed
 * or names something we do not support (e.g. PSS with a salt length other
 * than the hash length, or MGF1 with another hash). */
sig_scheme_t sig_algid_decode(chunk_t algid);
/* Build method-14 AUTH data: length || AlgorithmIdentifier || sig. */
bool sig_auth_data_build(sig_scheme_t scheme, chunk_t sig, chunk_t *auth_data);
/* Split method-14 AUTH data; *sig borrows from auth_data.  False with
 * *scheme = SIG_UNKNOWN if malformed or unsupported. */
bool sig_auth_data_parse(chunk_t auth_data, sig_scheme_t *scheme, chunk_t *sig);

/* RFC 7427 §7 / RFC 8420: the "Identity" hash a peer announces in
 * SIGNATURE_HASH_ALGORITHMS to say it verifies EdDSA. */
#define SIG_HASH_IDENTITY 5

/*
 * The scheme to sign with for a key, given the hashes the peer announced
 * in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4; numbers as hash_id_t, plus
 * SIG_HASH_IDENTITY): RSA PKCS#1 v1.5 (or PSS if prefer_pss) and ECDSA
 * (DER) with the strongest announced SHA-2 (ECDSA preferring its curve's
 * own hash), EdDSA if Identity is announced.  SIG_UNKNOWN if nothing fits
 * (the caller then falls back to AUTH methods 1/3/9-11).
 */
sig_scheme_t sig_scheme_select(key_type_t type, const uint16_t *peer_hashes,
                               size_t n, bool prefer_pss);

/* ------------------------------------------------------------------ keys */

#define PUBKEY_FINGERPRINT_SIZE 32  /* SHA-256 of the DER SubjectPublicKeyInfo */

typedef struct public_key public_key_t;
struct public_key {
	key_type_t (*get_type)(public_key_t *self);
	/* Key size in bits (RSA/DSA modulus, curve size). */
	size_t (*get_keysize)(public_key_t *self);
	/* True only if sig is a valid signature of data under this scheme;
	 * false for every malformed signature, a scheme that does not fit the
	 * key, or a mismatch. */
	bool (*verify)(public_key_t *self, sig_scheme_t scheme, chunk_t data,
	               chunk_t sig);
	/* The DER SubjectPublicKeyInfo (freshly allocated). */
	bool (*get_encoding)(public_key_t *self, chunk_t *spki);
	/* SHA-256 of the SubjectPublicKeyInfo. */
	bool (*get_fingerprint)(public_key_t *self,
	                        uint8_t fp[PUBKEY_FINGERPRINT_SIZE]);
	/* Same key (compares fingerprints). */
	bool (*equals)(public_key_t *self, public_key_t *other);
	void (*destroy)(public_key_t *self);
};

typedef struct private_key private_key_t;
struct private_key {
	key_type_t (*get_type)(private_key_t *self);
	size_t (*get_keysize)(private_key_t *self);
	/* Sign data; *sig is freshly allocated in the scheme's wire format. */
	bool (*sign)(private_key_t *self, sig_scheme_t scheme, chunk_t data,
	             chunk_t *sig);
	/* The matching public key (new object), NULL on failure. */
	public_key_t *(*get_public_key)(private_key_t *self);
	void (*destroy)(private_key_t *self);
};

/* ---------------------------------------------------------- certificates */

/* subjectAltName kinds that IKE identities map to (RFC 4945 §3.1). */
typedef enum {
	SAN_FQDN,    /* dNSName (ID_FQDN) */
	SAN_EMAIL,   /* rfc822Name (ID_RFC822_ADDR) */
	SAN_IPV4,    /* iPAddress, 4 octets (ID_IPV4_ADDR) */
	SAN_IPV6,    /* iPAddress, 16 octets (ID_IPV6_ADDR) */
} san_type_t;

typedef struct certificate certificate_t;
struct certificate {
	/* Subject and issuer DN as RFC 4514 text (freshly allocated, caller
	 * free()s), or NULL on failure. */
	char *(*get_subject)(certificate_t *self);
	char *(*get_issuer)(certificate_t *self);
	/* The DER Name (borrowed): what ID_DER_ASN1_DN compares against. */
	chunk_t (*get_subject_der)(certificate_t *self);
	chunk_t (*get_issuer_der)(certificate_t *self);
	/* The idx-th subjectAltName of a kind listed in san_type_t (others
	 * are skipped); false when there are no more.  *value is borrowed:
	 * text without NUL for FQDN/EMAIL, raw octets for IP. */
	bool (*get_san)(certificate_t *self, unsigned idx, san_type_t *type,
	                chunk_t *value);
	/* Serial number octets (borrowed). */
	chunk_t (*get_serial)(certificate_t *self);
	void (*get_validity)(certificate_t *self, time_t *not_before,
	                     time_t *not_after);
	/* basicConstraints cA is true. */
	bool (*is_ca)(certificate_t *self);
	/* Whether the issuer certificate's key signed this certificate and
	 * its subject is our issuer (no policy checks). */
	bool (*issued_by)(certificate_t *self, certificate_t *issuer);
	public_key_t *(*get_public_key)(certificate_t *self);
	/* The DER certificate (borrowed): CERT payload encoding 4. */
	chunk_t (*get_encoding)(certificate_t *self);
	void (*destroy)(certificate_t *self);
};

/* Whether one of the certificate's subjectAltNames equals value: FQDN and
 * EMAIL compare case-insensitively, IP octet for octet. */
bool certificate_has_san(certificate_t *cert, san_type_t type, chunk_t value);
/* Whether an IKE identity (IDi/IDr payload type and data) names the
 * certificate's subject (RFC 4945 §3.1): ID_DER_ASN1_DN equal to the
 * subject DER; ID_FQDN, ID_RFC822_ADDR, ID_IPV4_ADDR, ID_IPV6_ADDR equal
 * to a subjectAltName of that kind.  Other ID types never match. */
bool certificate_matches_id(certificate_t *cert, id_type_t type, chunk_t data);

typedef struct crl crl_t;
struct crl {
	char *(*get_issuer)(crl_t *self);           /* free()d by caller */
	chunk_t (*get_issuer_der)(crl_t *self);     /* borrowed */
	void (*get_update_times)(crl_t *self, time_t *this_update,
	                         time_t *next_update);  /* next: 0 if absent */
	/* Whether the CRL lists this serial number (octets as get_serial). */
	bool (*is_revoked)(crl_t *self, chunk_t serial);
	chunk_t (*get_encoding)(crl_t *self);       /* DER, borrowed */
	void (*destroy)(crl_t *self);
};

/* ------------------------------------------------------ chain validation */

typedef enum {
	CRL_CHECK_NONE,      /* do not look at CRLs */
	CRL_CHECK_IF_KNOWN,  /* reject a revoked certificate when a CRL of its
	                      * issuer is loaded (default) */
	CRL_CHECK_STRICT,    /* every certificate below an anchor needs a
	                      * current, valid CRL from its issuer */
} crl_check_t;

/*
 * What a chain must satisfy.  The relaxations carry the Solaris KMF policy
 * names (kmfcfg(1)): ignore-date, ignore-unknown-eku.
 */
typedef struct {
	bool ignore_date;          /* skip validity-period checks */
	bool ignore_unknown_eku;   /* An end entity with an extendedKeyUsage
	                            * must name anyExtendedKeyUsage,
	                            * id-kp-ipsecIKE, serverAuth or clientAuth
	                            * (RFC 4945 §5.1.3.12); with this set, one
	                            * naming only purposes we do not know is
	                            * accepted too (known non-IKE purposes such
	                            * as codeSigning still fail). */
	int max_path_length;       /* most CA certificates between the end
	                            * entity and the anchor (<0: no limit) */
	crl_check_t crl_check;
	/* KMF ignore-trust-anchor: the path need not reach an anchor; the
	 * highest certificate found is taken as trusted (the signatures
	 * below it are still checked).  For labs only. */
	bool ignore_trust_anchor;
	/* KMF trust-intermediate-cas: a path may end at an intermediate CA
	 * given with add_intermediate() (the keystore's intcerts/), without
	 * going on to a root. */
	bool trust_intermediate_cas;
	/* KMF validity-adjusttime: seconds of clock skew forgiven at both
	 * ends of every validity period (0: none). */
	int validity_adjusttime;
	time_t now;                /* 0: the current time; tests set a time */
	/*
	 * Revocation over HTTP (fetcher.h), checked for every certificate
	 * below the anchor after the CRLs above:
	 *   crl_get_crl_uri       KMF crl-get-crl-uri: fetch the CRLs the
	 *                         certificate's cRLDistributionPoints name
	 *                         (http:// only), kept until their nextUpdate;
	 *   ocsp_responder        KMF ocsp-responder: ask this responder
	 *                         ("" none);
	 *   ocsp_use_cert_responder  KMF ocsp-use-cert-responder: ask the
	 *                         responder in the certificate's
	 *                         authorityInfoAccess (before ocsp_responder);
	 *   ocsp_ignore_response_sign  KMF ocsp-ignore-response-sign: do not
	 *                         check who signed a response (labs only);
	 *   ocsp_response_lifetime  KMF ocsp-response-lifetime: seconds a
	 *                         response may be older than now (its
	 *                         thisUpdate), 0: no limit beyond nextUpdate;
	 *   responder_timeout     KMF cert-revoke-responder-timeout: seconds
	 *                         per fetch (0: 10);
	 *   ignore_responder_timeout  KMF ignore-cert-revoke-responder-timeout:
	 *                         with no answer (unreachable, timed out,
	 *                         unusable) accept the certificate (fail
	 *                         open); otherwise it is refused with
	 *                         CERT_REVOCATION_UNKNOWN (fail closed).
	 * OCSP's answer (good or revoked) is final for a certificate; without
	 * one the CRL distribution points are tried.
	 */
	bool crl_get_crl_uri;
	char ocsp_responder[256];
	bool ocsp_use_cert_responder;
	bool ocsp_ignore_response_sign;
	int ocsp_response_lifetime;
	int responder_timeout;
	bool ignore_responder_timeout;
} cert_policy_t;

/* The default policy: every check on, no path-length limit, CRLs if known. */
void cert_policy_default(cert_policy_t *policy);

typedef enum {
	CERT_OK = 0,
	CERT_NO_ISSUER,        /* no path to a trust anchor */
	CERT_BAD_SIGNATURE,    /* a signature in the chain does not verify */
	CERT_NOT_YET_VALID,
	CERT_EXPIRED,
	CERT_NOT_CA,           /* an issuer lacks cA or keyCertSign */
	CERT_PATH_TOO_LONG,    /* pathLenConstraint or policy max_path_length */
	CERT_BAD_EKU,          /* end-entity EKU unfit for IKE */
	CERT_REVOKED,
	CERT_CRL_MISSING,      /* CRL_CHECK_STRICT and no usable CRL */
	CERT_INVALID,          /* anything else the library rejects */
	CERT_REVOCATION_UNKNOWN, /* revocation checked over HTTP and no
	                          * usable answer (see cert_policy_t) */
	CERT_PENDING,          /* verify_async(): a fetch for it runs; verify
	                        * again once the wait's resume is called */
} cert_status_t;

const char *cert_status_name(cert_status_t status);

/*
 * How a verification waiting for the network is taken up again
 * (verify_async below).  resume(ctx) is called exactly once for each
 * CERT_PENDING returned with this wait, from a fetch thread (possibly
 * before verify_async has returned); it must not block: it hands the new
 * verification to a job (the IKE exchange parks its message meanwhile,
 * core/exchange/auth_wait.c).  The wait must stay valid until then, and
 * the same wait is given to every round of one verification: seq (0
 * before the first round, set by the validator) tells the answers that
 * arrived for this verification, which the later rounds take as they are
 * (a failure too) instead of asking again.
 */
typedef struct cert_wait cert_wait_t;
struct cert_wait {
	void (*resume)(void *ctx);
	void *ctx;
	uint64_t seq;
};

/*
 * Trust anchors and CRLs, and the check of a chain against them.  add_*
 * keep their own copy; the caller still destroys what it passed.
 */
typedef struct cert_validator cert_validator_t;
struct cert_validator {
	bool (*add_anchor)(cert_validator_t *self, certificate_t *ca);
	bool (*add_crl)(cert_validator_t *self, crl_t *crl);
	/* A local intermediate CA (the keystore's intcerts/): used to build
	 * paths whatever the peer sends, and an anchor only under
	 * trust_intermediate_cas. */
	bool (*add_intermediate)(cert_validator_t *self, certificate_t *ca);
	/*
	 * Build a path from leaf through any of the n untrusted
	 * intermediates (in any order; extra ones are ignored) to an anchor,
	 * and check it against policy.  On CERT_OK and if path_len is not
	 * NULL, *path_len is the number of CA certificates used between the
	 * leaf and the anchor.
	 */
	cert_status_t (*verify)(cert_validator_t *self, certificate_t *leaf,
	                        certificate_t *const *intermediates, size_t n,
	                        const cert_policy_t *policy, int *path_len);
	/*
	 * As verify(), but where verify() would wait for a CRL or OCSP fetch
	 * (the policy's revocation over HTTP) it starts the fetch and
	 * returns CERT_PENDING at once; wait->resume is called when it ended
	 * (answered, failed or timed out) and the answer is kept (cached, or
	 * held FAIL_HOLD seconds for a failure) so that verifying again then
	 * goes on from there (see cert_wait_t).  A chain may need several rounds (one per
	 * certificate and responder asked).  verify() is verify_async() and a
	 * wait for each round on the calling thread.
	 */
	cert_status_t (*verify_async)(cert_validator_t *self, certificate_t *leaf,
	                              certificate_t *const *intermediates,
	                              size_t n, const cert_policy_t *policy,
	                              int *path_len, cert_wait_t *wait);
	void (*destroy)(cert_validator_t *self);
};

/* -------------------------------------------------------- PKCS#11 tokens */

/*
 * A PKCS#11 token (RFC 7512 URI) whose certificates and keys join the
 * keystore.  Certificates are public objects, read without a PIN; the
 * keys sign only while the token is unlocked: a key handed out by
 * get_key() refuses to sign (logged "token locked") until login()
 * succeeded, and again after logout(), which closes the key's sessions so
 * the module forgets the login too.
 */
typedef struct cred_token cred_token_t;
struct cred_token {
	/* The URI it was opened with (borrowed). */
	const char *(*get_uri)(cred_token_t *self);
	/* The certificates on the token, and for each the URI of the private
	 * key with the same CKA_ID: fresh arrays of n new certificates and
	 * n strings (caller destroys/frees them and the arrays). */
	size_t (*get_certs)(cred_token_t *self, certificate_t ***certs,
	                    char ***key_uris);
	/* Check pin with the token and unlock: false (logged, "wrong PIN")
	 * if the token refuses it; the PIN is kept (wiped on logout) for
	 * re-logins the module asks for. */
	bool (*login)(cred_token_t *self, const char *pin);
	void (*logout)(cred_token_t *self);
	bool (*is_unlocked)(cred_token_t *self);
	/* The private key at key_uri on this token, whose public half is
	 * cert's; works locked or not (signing does not while locked). */
	private_key_t *(*get_key)(cred_token_t *self, const char *key_uri,
	                          certificate_t *cert);
	/* Only once every key from get_key() is destroyed. */
	void (*destroy)(cred_token_t *self);
};

/* Open a token by URI; NULL (logged) when no present token matches. */
typedef cred_token_t *(*token_opener_t)(const char *uri);
bool cred_register_token(const char *plugin, token_opener_t open);
void cred_unregister_token(void);
cred_token_t *cred_open_token(const char *uri);

/*
 * The daemon's tokens, opened once each (by URI) and kept until
 * cred_tokens_flush(): what keystore loading and `ikeadm token
 * login|logout` use.  cred_token_get returns a borrowed object, NULL if
 * the token cannot be opened.  cred_token_login/logout act on the token
 * of that URI (NULL: every open token); login returns false when a token
 * refuses the PIN or none is open.
 */
cred_token_t *cred_token_get(const char *uri);
bool cred_token_login(const char *uri, const char *pin);
bool cred_token_logout(const char *uri);
void cred_tokens_flush(void);

/* ------------------------------------------------ AUTH payload data */

/*
 * The Authentication Data of an AUTH payload (RFC 7296 §3.8) over octets
 * (the InitiatorSignedOctets / ResponderSignedOctets of §2.15).  For
 * methods 1, 3, 9, 10 and 11 the key's type fixes the scheme (scheme is
 * ignored); for AUTH_DIGITAL_SIG (14) scheme is used, or
 * sig_scheme_default() of the key if SIG_UNKNOWN, and the data carries its
 * AlgorithmIdentifier.  *auth_data is freshly allocated.
 */
bool cred_auth_sign(private_key_t *key, auth_method_t method,
                    sig_scheme_t scheme, chunk_t octets, chunk_t *auth_data);
/* Verify received Authentication Data of the given method against the
 * peer's key; *scheme (if not NULL) tells which scheme it was.  False for
 * anything malformed, a scheme that does not fit the key, or a bad
 * signature. */
bool cred_auth_verify(public_key_t *key, auth_method_t method,
                      chunk_t auth_data, chunk_t octets, sig_scheme_t *scheme);

/* ------------------------------------------- plugin registration (core) */

/* Parse a private/public key in PEM or DER; type KEY_ANY accepts whatever
 * the data holds, another type only that type.  NULL on failure (logged). */
typedef private_key_t *(*privkey_loader_t)(key_type_t type, chunk_t data);
typedef public_key_t *(*pubkey_loader_t)(key_type_t type, chunk_t data);
/* A key behind a PKCS#11 URI (RFC 7512), with an optional PIN. */
typedef private_key_t *(*pkcs11_loader_t)(const char *uri, const char *pin);
typedef certificate_t *(*cert_loader_t)(chunk_t data);
typedef crl_t *(*crl_loader_t)(chunk_t data);
typedef cert_validator_t *(*validator_ctor_t)(void);

/* Register (from feature callbacks); false if the slot has a provider.
 * 'plugin' is the provider's name, for listings. */
bool cred_register_privkey(key_type_t type, const char *plugin,
                           privkey_loader_t load);
bool cred_register_pubkey(key_type_t type, const char *plugin,
                          pubkey_loader_t load);
bool cred_register_pkcs11(const char *plugin, pkcs11_loader_t load);
bool cred_register_cert(const char *plugin, cert_loader_t load,
                        validator_ctor_t validator);
bool cred_register_crl(const char *plugin, crl_loader_t load);

void cred_unregister_privkey(key_type_t type);
void cred_unregister_pubkey(key_type_t type);
void cred_unregister_pkcs11(void);
void cred_unregister_cert(void);
void cred_unregister_crl(void);

/* A key path or PKCS#11 URI as it may be logged: the URI's query part
 * (RFC 7512 §2.3: pin-value, pin-source, module-path) is cut off, since it
 * can hold the PIN.  Writes at most len bytes (NUL included) to buf and
 * returns buf. */
const char *cred_uri_for_log(const char *uri, char *buf, size_t len);

/* Which plugin provides a credential feature ("privkey:rsa", "pubkey:ecdsa",
 * "cert:x509", "crl:x509", "pkcs11"), or NULL. */
const char *cred_provider(const char *feature);

/* ---------------------------------------------------- loading (the core) */

/*
 * Load from memory (PEM or DER).  A key whose type has no provider is
 * refused, even if the provider of another type could parse it.  NULL on
 * failure, with the reason logged (group DBG_CERT).
 */
private_key_t *cred_load_private_key(key_type_t type, chunk_t data);
public_key_t *cred_load_public_key(key_type_t type, chunk_t data);
certificate_t *cred_load_certificate(chunk_t data);
crl_t *cred_load_crl(chunk_t data);

/* Every certificate of a PEM bundle (or the one of a DER file), in file
 * order: *certs is a fresh array of n new objects (free() it after
 * destroying them).  0 (and *certs NULL) if any of them fails to load. */
size_t cred_load_certificates(chunk_t data, certificate_t ***certs);
size_t cred_load_certificates_file(const char *path, certificate_t ***certs);

/* Load from a file (PEM or DER, at most 1 MiB), or for private keys also
 * from a "pkcs11:" URI, logging in with pin if not NULL. */
private_key_t *cred_load_private_key_file(const char *path, key_type_t type,
                                          const char *pin);
public_key_t *cred_load_public_key_file(const char *path, key_type_t type);
certificate_t *cred_load_certificate_file(const char *path);
crl_t *cred_load_crl_file(const char *path);

/* A validator from the "cert:x509" provider, NULL if there is none. */
cert_validator_t *cred_create_validator(void);

#endif
