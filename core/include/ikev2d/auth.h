/*
 * auth.h - authenticators: how an AUTH payload is computed and checked for
 * one authentication method (RFC 7296 §2.15), and what else of the message
 * goes with it (CERT, CERTREQ).
 *
 * The engine computes the octets to be signed (the IKE_SA_INIT message,
 * the peer's nonce and prf(SK_p, ID payload body)) and asks the
 * authenticator registered for the rule's method to build our AUTH value,
 * and the one for the method in the peer's AUTH payload to verify theirs.
 * An authenticator reaches the message through auth_msg_t: it adds CERT
 * payloads to the one it builds, and reads CERT payloads from the one it
 * verifies; the peer's CERTREQ key ids and SIGNATURE_HASH_ALGORITHMS come
 * in auth_params_t.  It needs no codec or engine header.
 *
 * A plugin registers its authenticators from the callback of its
 * "auth:<name>" feature ("auth:psk", "auth:pubkey") and unregisters them
 * on unload; one authenticator per AUTH method (a plugin serving several
 * methods registers one authenticator_t per method, sharing functions).
 *
 * Private keys are used only through key_signer_t (<ikev2d/keystore.h>):
 * an authenticator never holds key bytes.  Implementations compare in
 * constant time, wipe what they derived and never log secrets.
 */
#ifndef IKEV2D_AUTH_H
#define IKEV2D_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/chunk.h>
#include <ikev2d/cred.h>
#include <ikev2d/ikev2.h>
#include <ikev2d/transform.h>

/* The CERTREQ "Certification Authority" field is a list of SHA-1 hashes
 * of trust anchors' SubjectPublicKeyInfo (RFC 7296 §3.7). */
#define AUTH_KEYID_SIZE 20
/* Most CERTREQ key ids and CERT payloads an authenticator looks at. */
#define AUTH_MAX_KEYIDS 32
#define AUTH_MAX_CERTS 8

/* A message as an authenticator sees it. */
typedef struct auth_msg auth_msg_t;
struct auth_msg {
	/* Add a CERT (certreq false) or CERTREQ payload with this encoding
	 * (CERT_X509_SIGNATURE) and data (copied); false if the message is
	 * full.  Only on the message being built. */
	bool (*add_cert)(auth_msg_t *self, bool certreq, uint8_t encoding,
	                 chunk_t data);
	/* The idx-th CERT (certreq false) or CERTREQ payload, in message
	 * order; false when there are no more.  *data is borrowed (valid
	 * while the message is).  Only on the peer's message. */
	bool (*get_cert)(auth_msg_t *self, bool certreq, unsigned idx,
	                 uint8_t *encoding, chunk_t *data);
};

typedef struct auth_params auth_params_t;
struct auth_params {
	prf_id_t prf;          /* the IKE SA's negotiated PRF */
	chunk_t octets;        /* the signed octets of the side being authenticated */
	/* Who is being authenticated: its ID payload type and body. */
	uint8_t id_type;
	chunk_t id;
	/* The method the rule gives the side being authenticated (build: our
	 * auth_method; verify: what the rule wants of the peer). */
	auth_method_t rule_method;
	/* Shared secret of the side being authenticated: for build our
	 * local_key, for verify the rule's remote_key.  Empty for methods
	 * that use no shared secret. */
	chunk_t psk;
	/* build: the message we are building (CERT payloads go there);
	 * verify: the peer's message (its CERT payloads). */
	auth_msg_t *msg;
	/* build: the hash algorithms the peer announced in
	 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4; 0 of them if it sent none),
	 * and the key ids of its CERTREQ payloads (AUTH_KEYID_SIZE each). */
	const uint16_t *peer_hashes; size_t n_peer_hashes;
	const uint8_t *certreq_keyids; size_t n_certreq_keyids;
	/* build: sign RSA with RSASSA-PSS under RFC 7427 (rsa_pss_sig). */
	bool prefer_pss;
	/* verify: the validation policy, and the DN pattern the issuer of a
	 * certificate in the peer's path must match (the rule's
	 * required_signer), NULL for any. */
	const cert_policy_t *policy;
	const char *required_signer;
	/* Identity and DN matching done by the engine (DNs compare as names,
	 * with '*' patterns, as remote_id does): whether cert carries the ID
	 * above (subject DN or a subjectAltName of the ID's type), and whether
	 * a DER Name matches a pattern (the required signer). */
	bool (*cert_has_id)(const auth_params_t *p, certificate_t *cert);
	bool (*dn_matches)(const char *pattern, chunk_t der);
	/* For logs: the rule label and "#N" of the IKE SA. */
	const char *rule;
	uint64_t sa_id;
	/* verify: how the exchange is taken up again when the check must
	 * wait for the network (a CRL or OCSP fetch; cred.h cert_wait_t);
	 * NULL: wait on this thread instead.  The same wait comes with every
	 * round of one IKE_AUTH. */
	cert_wait_t *wait;
};

/* What verify() says.  AUTH_VERIFY_FAILED and _OK are false and true. */
typedef enum {
	AUTH_VERIFY_FAILED = 0,  /* logged */
	AUTH_VERIFY_OK = 1,
	/* only with p->wait: a revocation fetch runs; p->wait->resume is
	 * called when it ended (maybe before verify returned), and then the
	 * engine calls verify again with the same parameters */
	AUTH_VERIFY_PENDING = 2,
} auth_verify_t;

typedef struct authenticator authenticator_t;
struct authenticator {
	/* The AUTH payload method this authenticator is registered for. */
	auth_method_t method;
	/* Compute our AUTH data (freshly allocated) and the method to send
	 * it with (e.g. AUTH_ECDSA_384 for a rule of ecdsa_sig and a P-384
	 * key, AUTH_DIGITAL_SIG when the peer announced hashes), adding any
	 * CERT payloads to p->msg.  False (logged) if it cannot, e.g. no key. */
	bool (*build)(const authenticator_t *self, const auth_params_t *p,
	              uint8_t *method, chunk_t *auth_data);
	/* Check the peer's AUTH data of the given method (from its AUTH
	 * payload) and whatever the method needs of p->msg; FAILED (logged)
	 * if it does not verify, PENDING (see auth_verify_t) if it has to
	 * wait and p->wait is set. */
	auth_verify_t (*verify)(const authenticator_t *self,
	                        const auth_params_t *p, uint8_t method,
	                        chunk_t auth_data);
	/* Optional (NULL: nothing): add to msg what we ask of a peer that will
	 * authenticate with this method (CERTREQ with our anchors' key ids). */
	void (*request)(const authenticator_t *self, auth_msg_t *msg);
};

/* Register an authenticator for its method; false if the method already
 * has one.  'plugin' names the provider in logs. */
bool auth_register(const char *plugin, const authenticator_t *auth);
void auth_unregister(const authenticator_t *auth);
/* The authenticator for a method, or NULL. */
const authenticator_t *auth_get(auth_method_t method);

/* The AUTH methods a rule's method accepts from a peer (RFC 7427 lets a
 * peer use method 14 with the same kind of key): PSK only PSK; rsa_sig 1
 * or 14; dss_sig 3; ecdsa_sig any of 9, 10, 11 or 14; digital_sig 14 or
 * any of 1, 3, 9-11. */
bool auth_method_accepts(auth_method_t rule_method, auth_method_t peer_method);
/* The registered authenticator that builds a rule method's AUTH (for
 * ecdsa_384/521, as for ecdsa_sig, the one of AUTH_ECDSA_256 may serve). */
const authenticator_t *auth_get_for_rule(auth_method_t rule_method);

#endif
