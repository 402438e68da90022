/*
 * keystore.h - the daemon's credentials as one immutable, reference-counted
 * set: our certificates with the signers of their private keys, trust
 * anchors, intermediate CAs and CRLs, loaded from the keystore directory
 * (and PKCS#11 tokens), and swapped as a whole on SIGHUP like config_t.
 *
 * Directory layout (daemon.keystore, default <sysconfdir>/ikev2d next to
 * ikev2.config: .../inet/ike/keystore), owned by the daemon's user, 0700:
 *   certs/     our end-entity certificates (PEM or DER, *.pem/.der/.crt)
 *   private/   our private keys (PEM or DER); directory 0700, each file 0600
 *              (no group/other bits), else the keystore is refused with a
 *              chmod hint.  A key belongs to the certificate whose public
 *              key matches it.
 *   cacerts/   trust anchors
 *   intcerts/  intermediate CA certificates (chain building)
 *   crls/      CRLs
 * A missing subdirectory is empty.  Files whose names do not end in .pem,
 * .der, .crt, .key or .crl are ignored (editor backups and the like).
 *
 * Private keys: the engine never touches key bytes; it signs through a
 * key_signer_t looked up by certificate.  Today a signer wraps a private_key_t
 * loaded in-process (signer_from_private_key); the keys process of the
 * privilege-separation design and PKCS#11 tokens provide their own
 * key_signer_t implementations with the same interface.
 */
#ifndef IKEV2D_KEYSTORE_H
#define IKEV2D_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ikev2d/chunk.h>
#include <ikev2d/cred.h>

/* --------------------------------------------------------------- signer */

typedef struct key_signer key_signer_t;
struct key_signer {
	key_type_t (*get_type)(key_signer_t *self);
	size_t (*get_keysize)(key_signer_t *self);
	/* Whether sign() can work now (false e.g. for a locked token). */
	bool (*is_ready)(key_signer_t *self);
	/* Sign data with scheme; *sig freshly allocated in the scheme's wire
	 * format (as private_key_t's sign).  False (logged) on failure. */
	bool (*sign)(key_signer_t *self, sig_scheme_t scheme, chunk_t data,
	             chunk_t *sig);
	void (*destroy)(key_signer_t *self);
};

/* A signer over an in-process private key; takes ownership of key (which
 * it destroys, wiping the material, in its own destroy()). */
key_signer_t *signer_from_private_key(private_key_t *key);

/*
 * AUTH data (RFC 7296 §3.8) through a signer, as cred_auth_sign() does for
 * a private_key_t: methods 1, 3, 9-11 take the scheme from the key type;
 * AUTH_DIGITAL_SIG uses scheme (or sig_scheme_default()) and prefixes its
 * AlgorithmIdentifier.
 */
bool signer_auth_sign(key_signer_t *signer, auth_method_t method,
                      sig_scheme_t scheme, chunk_t octets, chunk_t *auth_data);

/* ------------------------------------------------------------- keystore */

#define KEYSTORE_KEYID_SIZE 20   /* SHA-1 of a SubjectPublicKeyInfo
                                  * (CERTREQ, RFC 7296 §3.7) */

/* One of our certificates; all fields borrowed from the keystore. */
typedef struct {
	certificate_t *cert;
	key_signer_t *signer;        /* NULL when no private key matches */
	const char *source;      /* file path or token URI, for logs */
} keystore_entry_t;

typedef struct keystore keystore_t;

/*
 * Load a keystore directory.  NULL (with every reason logged, group
 * DBG_CERT, as "path: message") if the directory, private/ or a key file
 * belongs to someone other than owner (the daemon's user) or root, or
 * group/others have any access to them, or any file fails to parse;
 * *n_errors (if given) counts the problems.  A directory that does not
 * exist gives an empty keystore (certificates are optional).
 */
keystore_t *keystore_load(const char *dir, uid_t owner, int *n_errors);
/* An empty keystore (no certificates, anchors, CRLs). */
keystore_t *keystore_create_empty(void);

/*
 * Add one of our certificates with its signer (either may come from a
 * PKCS#11 token); takes ownership of both (signer may be NULL).  Only
 * before the keystore is published with keystore_set_current().
 */
void keystore_add_entry(keystore_t *ks, certificate_t *cert, key_signer_t *signer,
                        const char *source);
/* Same for a trust anchor, an intermediate CA and a CRL (ownership taken). */
bool keystore_add_anchor(keystore_t *ks, certificate_t *ca, const char *source);
void keystore_add_intermediate(keystore_t *ks, certificate_t *ca);
bool keystore_add_crl(keystore_t *ks, crl_t *crl, const char *source);

/*
 * Add the certificates of a PKCS#11 token (daemon.pkcs11_token) with
 * signers for their keys (core/cred/keystore_token.c).  The token is
 * opened once for the daemon's life (cred_token_get), so a reload keeps
 * its login state.  With a PIN, a locked token is logged in - once per
 * PIN value, so rereading a wrong one on every SIGHUP cannot lock the
 * token out; without one (or with a wrong one, logged) it stays locked:
 * its signers' is_ready() is false and sign() fails until
 * cred_token_login().  False (logged) only if the token cannot be opened.
 */
bool keystore_add_token(keystore_t *ks, const char *uri, const char *pin);

keystore_t *keystore_ref(keystore_t *ks);
void keystore_unref(keystore_t *ks);

/* The keystore in force (a new reference, or NULL) and swapping it
 * (takes its own reference); thread-safe, as config_current(). */
keystore_t *keystore_current(void);
void keystore_set_current(keystore_t *ks);

/* Our certificates, in load order (borrowed; idx < keystore_count()). */
size_t keystore_count(keystore_t *ks);
const keystore_entry_t *keystore_get(keystore_t *ks, size_t idx);

/*
 * Our certificate for a local identity: the first entry with a signer for
 * which match(ctx, cert) is true (NULL match: certificate_matches_id() of
 * id_type/id, byte-exact for DNs; the engine passes its own predicate that
 * compares DNs as names).  If n > 0 (SHA-1 SPKI hashes from the peer's
 * CERTREQ), an entry whose chain leads to one of those anchors (or that is
 * issued by a CA with such a key) is preferred.  NULL if none.
 */
typedef bool (*keystore_match_t)(void *ctx, certificate_t *cert);
const keystore_entry_t *keystore_find_local(keystore_t *ks, uint8_t id_type,
                                            chunk_t id, keystore_match_t match,
                                            void *ctx,
                                            const uint8_t (*keyids)[KEYSTORE_KEYID_SIZE],
                                            size_t n);

/*
 * Our chain for a certificate: the intermediates from intcerts/ (and
 * those the caller passes) that lead from cert towards an anchor, leaf
 * first, anchor excluded (what goes into CERT payloads after the leaf).
 * *chain is a fresh array of borrowed certificates (free() it).
 */
size_t keystore_chain(keystore_t *ks, certificate_t *cert,
                      certificate_t ***chain);

/* Trust anchors (borrowed) and their SHA-1 SPKI hashes, for CERTREQ. */
size_t keystore_anchor_count(keystore_t *ks);
certificate_t *keystore_anchor(keystore_t *ks, size_t idx);
const uint8_t *keystore_anchor_keyid(keystore_t *ks, size_t idx);
/* The intermediates from intcerts/ (borrowed). */
size_t keystore_intermediates(keystore_t *ks, certificate_t *const **list);
/* The CRLs from crls/ (borrowed). */
size_t keystore_crls(keystore_t *ks, crl_t *const **list);

/*
 * Validate a peer's leaf through the given untrusted intermediates (from
 * its CERT payloads) plus ours, against our anchors and CRLs.  On CERT_OK,
 * *anchor (if not NULL) is the anchor the path ends at (borrowed).
 */
cert_status_t keystore_verify(keystore_t *ks, certificate_t *leaf,
                              certificate_t *const *intermediates, size_t n,
                              const cert_policy_t *policy,
                              certificate_t **anchor);
/* The same through the validator's verify_async (cred.h): CERT_PENDING
 * and a later wait->resume when a revocation fetch runs; wait NULL is
 * keystore_verify. */
cert_status_t keystore_verify_async(keystore_t *ks, certificate_t *leaf,
                                    certificate_t *const *intermediates,
                                    size_t n, const cert_policy_t *policy,
                                    certificate_t **anchor,
                                    cert_wait_t *wait);

/* SHA-1 of a certificate's SubjectPublicKeyInfo (CERTREQ / RFC 7296 §3.7). */
bool cert_keyid(certificate_t *cert, uint8_t out[KEYSTORE_KEYID_SIZE]);

#endif
