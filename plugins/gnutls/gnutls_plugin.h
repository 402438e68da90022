/*
 * gnutls_plugin.h - what the files of the gnutls plugin share.
 *
 * One job per file: gnutls_sig.c maps signature schemes to GnuTLS and
 * converts between DER and raw r||s; gnutls_pubkey.c and gnutls_privkey.c
 * wrap the abstract key API; gnutls_pkcs11.c opens keys behind PKCS#11
 * URIs; gnutls_cert.c and gnutls_crl.c wrap X.509 objects;
 * gnutls_validator.c builds and checks chains; gnutls_selftest.c proves
 * each algorithm before it is registered; gnutls_hasher.c and gnutls_rng.c
 * implement the crypto.h hash and random objects; gnutls_plugin.c ties the
 * features together.
 */
#ifndef IKEV2D_GNUTLS_PLUGIN_H
#define IKEV2D_GNUTLS_PLUGIN_H

#include <ikev2d/cred.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#define GNUTLS_PLUGIN_NAME "gnutls"

/* --- gnutls_sig.c */

/* Our key type of a GnuTLS algorithm and size; KEY_ANY if unsupported.
 * For ECDSA prefer gt_pubkey_type, which goes by the curve. */
key_type_t gt_key_type(gnutls_pk_algorithm_t pk, unsigned bits);
/* Our key type and size in bits of a public key; KEY_ANY if unsupported. */
key_type_t gt_pubkey_type(gnutls_pubkey_t pub, unsigned *bits);
/* Size of one of r, s in the raw r||s form, 0 for non-(EC)DSA keys.  For
 * DSA this is the size of q, which only the public key knows. */
size_t gt_rs_size(key_type_t type, gnutls_pubkey_t pub);
/* The GnuTLS algorithm for a scheme on a key of algorithm pk; UNKNOWN if
 * the scheme does not fit. */
gnutls_sign_algorithm_t gt_sign_algorithm(sig_scheme_t scheme,
                                          gnutls_pk_algorithm_t pk);
/* Whether the scheme's wire form is raw r||s (RFC 4754, DSS). */
bool gt_scheme_is_raw_rs(sig_scheme_t scheme);
/* DER Ecdsa-Sig-Value / Dss-Sig-Value -> r||s of 2*size octets. */
bool gt_der_to_raw(const gnutls_datum_t *der, size_t size, chunk_t *raw);
/* r||s -> DER (gnutls_free()d by the caller). */
bool gt_raw_to_der(chunk_t raw, size_t size, gnutls_datum_t *der);
/* Whether der is exactly the DER encoding of some (r, s). */
bool gt_der_is_canonical(chunk_t der);
/* RFC 8032 §5.1.7/§5.2.7: the signature has the scheme's size and its S
 * is below the group order L (Nettle 3.8 skips the top octet of an Ed448
 * S, which makes signatures malleable).  True for non-EdDSA schemes. */
bool gt_eddsa_s_in_range(sig_scheme_t scheme, chunk_t sig);
/* Whether the data is PEM (holds a "-----BEGIN " line). */
bool gt_is_pem(chunk_t data);

/* --- gnutls_pubkey.c: takes ownership of pub. */
public_key_t *gt_pubkey_wrap(gnutls_pubkey_t pub);
public_key_t *gt_pubkey_load(key_type_t type, chunk_t data);
/* The wrapped handle (borrowed), for the validator and self-tests. */
gnutls_pubkey_t gt_pubkey_handle(public_key_t *key);

/* --- gnutls_privkey.c: takes ownership of priv (and pub, may be NULL:
 * then derived from priv). */
private_key_t *gt_privkey_wrap(gnutls_privkey_t priv, gnutls_pubkey_t pub,
                               const char *what);
/* The same, also owning ctx, released with ctx_free after the key. */
private_key_t *gt_privkey_wrap_ctx(gnutls_privkey_t priv, gnutls_pubkey_t pub,
                                   const char *what, void *ctx,
                                   void (*ctx_free)(void *ctx));
private_key_t *gt_privkey_load(key_type_t type, chunk_t data);

/* --- gnutls_pkcs11.c */
bool gt_pkcs11_init(void);
void gt_pkcs11_deinit(void);
private_key_t *gt_pkcs11_load(const char *uri, const char *pin);

/* --- gnutls_token.c */
cred_token_t *gt_token_open(const char *uri);
/* Install the PIN callback token logins use (after gt_pkcs11_init). */
void gt_token_init(void);

/* --- gnutls_cert.c */
certificate_t *gt_cert_load(chunk_t data);
/* The wrapped handle (borrowed). */
gnutls_x509_crt_t gt_cert_handle(certificate_t *cert);

/* --- gnutls_crl.c */
crl_t *gt_crl_load(chunk_t data);
gnutls_x509_crl_t gt_crl_handle(crl_t *crl);

/* --- gnutls_validator.c */
cert_validator_t *gt_validator_create(void);
/* Whether issuer signed the CRL (names and signature; not its dates). */
bool gt_crl_signed_by(crl_t *crl, certificate_t *issuer);

/* --- gnutls_revoke.c: revocation over HTTP (cert_policy_t's OCSP and
 * crl_get_crl_uri settings) of cert, issued by issuer: CERT_OK, CERT_REVOKED
 * or CERT_REVOCATION_UNKNOWN (no answer and not
 * ignore_responder_timeout), or CERT_PENDING: a fetch runs, and
 * wait->resume follows when it ended (cred.h, cert_wait_t).  have_crl: a
 * current local CRL of the issuer was checked already, so the
 * distribution points are not fetched.  Never blocks.  gt_revoke_begin
 * comes first in each round of a verification (sets wait->seq). */
void gt_revoke_begin(cert_wait_t *wait);
cert_status_t gt_revoke_check(certificate_t *cert, certificate_t *issuer,
                              const cert_policy_t *policy, time_t now,
                              bool have_crl, cert_wait_t *wait);
/* Forget every cached CRL and OCSP answer (plugin unload, tests). */
void gt_revoke_flush(void);

/* --- gnutls_ocsp.c */
/* A DER OCSP request for cert (SHA-1 CertID, RFC 6960 §4.1.1) with a
 * random nonce; both freshly allocated. */
bool gt_ocsp_request(certificate_t *cert, certificate_t *issuer,
                     chunk_t *req, chunk_t *nonce);
/* The checks of a response (gnutls_ocsp.c): CERT_OK (good), CERT_REVOKED
 * or CERT_REVOCATION_UNKNOWN with the reason in why; *expires: until when
 * the answer may be reused (0: not). */
cert_status_t gt_ocsp_check(chunk_t resp, certificate_t *cert,
                            certificate_t *issuer, chunk_t nonce,
                            const cert_policy_t *policy, time_t now,
                            time_t *expires, char *why, size_t len);

/* --- gnutls_fpcache.c: a bounded thread-safe set of SHA-256 fingerprints
 * of what already verified (only successes go in). */
#define GT_FP_SIZE 32
typedef struct gt_fpcache gt_fpcache_t;
gt_fpcache_t *gt_fpcache_create(void);
void gt_fpcache_destroy(gt_fpcache_t *cache);
bool gt_fpcache_has(gt_fpcache_t *cache, const uint8_t fp[GT_FP_SIZE]);
void gt_fpcache_add(gt_fpcache_t *cache, const uint8_t fp[GT_FP_SIZE]);
void gt_fpcache_flush(gt_fpcache_t *cache);
/* SHA-256 over the parts, each prefixed by its length. */
bool gt_fp_of(const chunk_t *parts, size_t n, uint8_t fp[GT_FP_SIZE]);
/* The process-wide set of verified certificate and CRL signatures, keyed
 * by gt_fp_of(CRL DER, issuer DER) for CRLs and by gt_fp_of("issued_by",
 * SHA-256 of the certificate's DER, SHA-256 of the issuer's DER) for
 * certificates; freed by gt_sig_cache_free(). */
gt_fpcache_t *gt_sig_cache(void);
void gt_sig_cache_free(void);

/* --- gnutls_selftest.c: whether the plugin's keys of this type sign and
 * verify correctly (a built-in key, every scheme that fits it). */
bool gt_selftest_keytype(key_type_t type);
/* The test hook: whether $IKEV2D_TEST_SELFTEST_FAIL is prefix + name. */
bool gt_selftest_sabotaged(const char *prefix, const char *name);

/* --- gnutls_hasher.c, gnutls_rng.c: crypto.h objects and self-tests */
hasher_t *gt_hasher_create(hash_id_t alg);
bool gt_hasher_selftest(hash_id_t alg, const char *feature);
rng_t *gt_rng_create(rng_quality_t quality);
bool gt_rng_selftest(void);

/* Log a GnuTLS error with what we were doing. */
void gt_log_error(const char *what, int err);

#endif
