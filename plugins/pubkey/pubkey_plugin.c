/*
 * pubkey_plugin.c - public-key authentication (RFC 7296 §2.15, §3.6-3.8;
 * RFC 4754; RFC 7427): AUTH methods 1 (RSA PKCS#1 v1.5 SHA-1), 3 (DSS),
 * 9/10/11 (ECDSA on P-256/384/521) and 14 (Digital Signature: PKCS#1,
 * PSS, ECDSA, EdDSA), with X.509 certificates from the keystore.
 *
 * Build: our certificate is the keystore's first one with a signer that
 * carries local_id, preferring one whose chain leads to a CA the peer
 * named in CERTREQ; we send it and its chain (without the anchor) in CERT
 * payloads and sign through its key_signer_t.  The method: RFC 7427 when
 * the peer announced hashes our key can sign with (SIGNATURE_HASH_
 * ALGORITHMS), else the key's classic method (1, 3, 9-11); Ed25519/Ed448
 * exist only as method 14.
 *
 * Verify: the peer's first X.509 CERT is its end entity, the others
 * untrusted intermediates (a peer that sends none may use a certificate
 * of ours: the trust anchor carrying its ID, e.g. its self-signed one); the end entity must carry the peer's ID, chain
 * to one of our anchors under the validation policy (CRLs included),
 * through a CA matching required_signer if the rule names one, and its
 * key must fit the rule's method and verify the AUTH data.
 *
 * Provides "auth:pubkey"; needs "cert:x509" (and so the key loaders).
 */
#include <ikev2d/auth.h>
#include <ikev2d/bus.h>
#include <ikev2d/keystore.h>
#include <ikev2d/plugin.h>

#include <stdlib.h>
#include <string.h>

#define RULE(p) ((p)->rule ? (p)->rule : "?")
#define plog(lvl, p, fmt, ...) \
	bus_log(DBG_CERT, (lvl), "%s #%llu: " fmt, RULE(p), \
	        (unsigned long long)(p)->sa_id, ##__VA_ARGS__)

/* Whether a key of this type may authenticate under the rule's method:
 * rsa_sig RSA keys, dss_sig DSA, ecdsa_sig the three NIST curves,
 * digital_sig (RFC 7427) any type. */
static bool key_fits_rule(key_type_t type, auth_method_t rule_method)
{
	switch (rule_method) {
	case AUTH_RSA_SIG:
		return type == KEY_RSA;
	case AUTH_DSS_SIG:
		return type == KEY_DSA;
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521:
		return type == KEY_ECDSA_P256 || type == KEY_ECDSA_P384 ||
		       type == KEY_ECDSA_P521;
	case AUTH_DIGITAL_SIG:
		return type != KEY_ANY && type < KEY_TYPE_MAX;
	default:
		return false;
	}
}

/* The classic (non-RFC 7427) method of a key type, 0 if none. */
static uint8_t classic_method(key_type_t type)
{
	switch (type) {
	case KEY_RSA:        return AUTH_RSA_SIG;
	case KEY_DSA:        return AUTH_DSS_SIG;
	case KEY_ECDSA_P256: return AUTH_ECDSA_256;
	case KEY_ECDSA_P384: return AUTH_ECDSA_384;
	case KEY_ECDSA_P521: return AUTH_ECDSA_521;
	default:             return 0;
	}
}

/* ---------------------------------------------------------------- build */

static bool match_local(void *ctx, certificate_t *cert)
{
	const auth_params_t *p = ctx;
	return p->cert_has_id ? p->cert_has_id(p, cert)
	                      : certificate_matches_id(cert, p->id_type, p->id);
}

/* Sign with scheme (method 14) or the classic method; for an RSA key that
 * only does PSS (id-RSASSA-PSS), PKCS#1 fails and PSS is tried. */
static bool sign_auth(const auth_params_t *p, key_signer_t *signer,
                      key_type_t type, uint8_t *method, chunk_t *auth)
{
	sig_scheme_t scheme = SIG_UNKNOWN;
	if (p->n_peer_hashes)
		scheme = sig_scheme_select(type, p->peer_hashes, p->n_peer_hashes,
		                           p->prefer_pss);
	uint8_t classic = classic_method(type);
	if (scheme == SIG_UNKNOWN && p->rule_method == AUTH_DIGITAL_SIG &&
	    (p->prefer_pss || !classic)) {
		/* The peer did not announce hashes (RFC 7427 says it then
		 * may not verify method 14), but nothing else carries this. */
		scheme = p->prefer_pss && type == KEY_RSA ? SIG_RSA_PSS_SHA256
		                                          : sig_scheme_default(type);
		plog(LVL_OP, p, "peer announced no signature hashes: using %s "
		     "anyway", sig_scheme_name(scheme) ?: "?");
	}
	if (scheme != SIG_UNKNOWN) {
		*method = AUTH_DIGITAL_SIG;
		if (signer_auth_sign(signer, AUTH_DIGITAL_SIG, scheme, p->octets, auth))
			return true;
		if (type == KEY_RSA && !p->prefer_pss) {
			/* A PSS-only key: the same hash under PSS. */
			sig_scheme_t pss = sig_scheme_select(type, p->peer_hashes,
			                                     p->n_peer_hashes, true);
			if (pss != SIG_UNKNOWN &&
			    signer_auth_sign(signer, AUTH_DIGITAL_SIG, pss, p->octets, auth))
				return true;
		}
		return false;
	}
	if (!classic) {
		plog(LVL_ERROR, p, "a %s key authenticates only with RFC 7427 "
		     "(auth_method digital_sig) and a peer announcing it",
		     key_type_name(type));
		return false;
	}
	*method = classic;
	return signer_auth_sign(signer, classic, SIG_UNKNOWN, p->octets, auth);
}

static bool pk_build(const authenticator_t *self, const auth_params_t *p,
                     uint8_t *method, chunk_t *auth_data)
{
	(void)self;
	*auth_data = chunk_empty;
	keystore_t *ks = keystore_current();
	const keystore_entry_t *e = keystore_find_local(ks, p->id_type, p->id,
		match_local, (void *)p,
		(const uint8_t (*)[KEYSTORE_KEYID_SIZE])p->certreq_keyids,
		p->n_certreq_keyids);
	bool ok = false;
	if (!e) {
		plog(LVL_ERROR, p, "no certificate with a private key in the "
		     "keystore carries our local_id");
		goto out;
	}
	key_type_t type = e->signer->get_type(e->signer);
	if (!key_fits_rule(type, p->rule_method)) {
		plog(LVL_ERROR, p, "%s: a %s key cannot authenticate with AUTH "
		     "method %d", e->source, key_type_name(type), p->rule_method);
		goto out;
	}
	if (!sign_auth(p, e->signer, type, method, auth_data)) {
		plog(LVL_ERROR, p, "%s: signing our AUTH failed", e->source);
		goto out;
	}
	/* Our end entity, then its chain up to (not including) the anchor. */
	ok = p->msg->add_cert(p->msg, false, CERT_X509_SIGNATURE,
	                      e->cert->get_encoding(e->cert));
	certificate_t **chain;
	size_t n = keystore_chain(ks, e->cert, &chain);
	for (size_t i = 0; ok && i < n; i++)
		ok = p->msg->add_cert(p->msg, false, CERT_X509_SIGNATURE,
		                      chain[i]->get_encoding(chain[i]));
	free(chain);
	if (!ok) {
		plog(LVL_ERROR, p, "no room for our CERT payloads");
		chunk_free(auth_data);
	} else {
		plog(LVL_VERBOSE, p, "authenticating with %s (%zu CA certificate%s "
		     "sent)", e->source, n, n == 1 ? "" : "s");
	}
out:
	keystore_unref(ks);
	return ok;
}

/* --------------------------------------------------------------- verify */

/* Whether a CA on the path from leaf (through cands) to anchor has a
 * subject matching the required-signer pattern. */
static bool signer_on_path(const auth_params_t *p, certificate_t *leaf,
                           certificate_t *const *cands, size_t n,
                           certificate_t *anchor)
{
	certificate_t *at = leaf;
	for (size_t depth = 0; depth <= n + 1 && at; depth++) {
		if (p->dn_matches(p->required_signer, at->get_issuer_der(at)))
			return true;
		if (anchor && at->issued_by(at, anchor))
			return false;
		certificate_t *up = NULL;
		for (size_t i = 0; i < n && !up; i++)
			if (cands[i] != at && at->issued_by(at, cands[i]))
				up = cands[i];
		at = up;
	}
	return false;
}

/* A copy of the first of our trust anchors that carries the identity of
 * the peer being verified, or NULL. */
static certificate_t *pinned_peer_cert(const auth_params_t *p)
{
	keystore_t *ks = keystore_current();
	certificate_t *found = NULL;
	for (size_t i = 0; !found && i < keystore_anchor_count(ks); i++) {
		certificate_t *a = keystore_anchor(ks, i);
		if (match_local((void *)p, a)) {
			found = cred_load_certificate(a->get_encoding(a));
			char *subject = a->get_subject(a);
			plog(LVL_VERBOSE, p, "peer sent no certificate: using our trust "
			     "anchor \"%s\", which carries its identity",
			     subject ? subject : "?");
			free(subject);
		}
	}
	keystore_unref(ks);
	return found;
}

/* The peer certificate's subject for a log line, formatted on first use:
 * GnuTLS builds the text from the DER, work a successful IKE_AUTH logged
 * at "op" level does not need. */
static const char *subject_text(certificate_t *cert, char **text)
{
	if (!*text)
		*text = cert->get_subject(cert);
	return *text ? *text : "?";
}

static auth_verify_t pk_verify(const authenticator_t *self,
                               const auth_params_t *p, uint8_t method,
                               chunk_t auth_data)
{
	(void)self;
	certificate_t *certs[AUTH_MAX_CERTS];
	size_t n = 0;
	uint8_t enc;
	chunk_t data;
	auth_verify_t ok = AUTH_VERIFY_FAILED;

	for (unsigned i = 0; p->msg->get_cert(p->msg, false, i, &enc, &data); i++) {
		if (enc != CERT_X509_SIGNATURE) {
			plog(LVL_VERBOSE, p, "CERT of encoding %u ignored", enc);
			continue;
		}
		if (n == AUTH_MAX_CERTS) {
			plog(LVL_OP, p, "more than %d certificates from the peer: "
			     "the rest ignored", AUTH_MAX_CERTS);
			break;
		}
		certificate_t *c = cred_load_certificate(data);
		if (!c) {
			plog(LVL_OP, p, "peer's CERT payload %u is not a certificate", i);
			goto out;
		}
		certs[n++] = c;
	}
	if (!n) {
		/* RFC 7296 §3.6: CERT is optional when the peer knows we have
		 * its certificate.  We do when it is one of our trust anchors
		 * (a peer's self-signed certificate imported into cacerts/)
		 * and carries the identity the peer claims. */
		certificate_t *pinned = pinned_peer_cert(p);
		if (!pinned) {
			plog(LVL_OP, p, "peer sent no X.509 certificate, and none of "
			     "our trust anchors carries its identity");
			goto out;
		}
		certs[n++] = pinned;
	}
	certificate_t *leaf = certs[0];
	char *subject = NULL;
	if (!match_local((void *)p, leaf)) {
		plog(LVL_OP, p, "peer's certificate \"%s\" does not carry its "
		     "identity", subject_text(leaf, &subject));
		goto out_subject;
	}
	keystore_t *ks = keystore_current();
	cert_policy_t def;
	const cert_policy_t *policy = p->policy;
	if (!policy) {
		cert_policy_default(&def);
		policy = &def;
	}
	certificate_t *anchor = NULL;
	/* The AUTH signature first: a forged AUTH costs no fetch, and what
	 * waits for a revocation answer has proved it holds the key. */
	public_key_t *pub = leaf->get_public_key(leaf);
	if (!pub)
		goto out_ks;
	key_type_t type = pub->get_type(pub);
	bool sig_ok = false;
	if (!key_fits_rule(type, p->rule_method))
		plog(LVL_OP, p, "peer's %s key does not fit the rule's AUTH method "
		     "%d", key_type_name(type), p->rule_method);
	else if (!cred_auth_verify(pub, method, auth_data, p->octets, NULL))
		plog(LVL_OP, p, "peer's AUTH (method %u) does not verify with the "
		     "key of \"%s\"", method, subject_text(leaf, &subject));
	else
		sig_ok = true;
	pub->destroy(pub);
	if (!sig_ok)
		goto out_ks;
	cert_status_t st = keystore_verify_async(ks, leaf, certs + 1, n - 1,
	                                         policy, &anchor, p->wait);
	if (st == CERT_PENDING) {
		plog(LVL_VERBOSE, p, "peer's certificate \"%s\": waiting for a "
		     "revocation answer", subject_text(leaf, &subject));
		ok = AUTH_VERIFY_PENDING;
		goto out_ks;
	}
	if (st != CERT_OK) {
		plog(LVL_OP, p, "peer's certificate \"%s\" refused: %s",
		     subject_text(leaf, &subject), cert_status_name(st));
		goto out_ks;
	}
	if (p->required_signer && p->dn_matches) {
		certificate_t *const *inter;
		size_t ni = keystore_intermediates(ks, &inter);
		certificate_t **all = xzalloc((n + ni) * sizeof(*all));
		for (size_t i = 1; i < n; i++)
			all[i - 1] = certs[i];
		for (size_t i = 0; i < ni; i++)
			all[n - 1 + i] = inter[i];
		bool found = signer_on_path(p, leaf, all, n - 1 + ni, anchor);
		free(all);
		if (!found) {
			plog(LVL_OP, p, "peer's certificate \"%s\" is not issued "
			     "under the required signer \"%s\"",
			     subject_text(leaf, &subject), p->required_signer);
			goto out_ks;
		}
	}
	if (bus_log_enabled(DBG_CERT, LVL_VERBOSE))
		plog(LVL_VERBOSE, p, "peer's certificate \"%s\" valid, AUTH "
		     "method %u verified", subject_text(leaf, &subject), method);
	ok = AUTH_VERIFY_OK;
out_ks:
	keystore_unref(ks);
out_subject:
	free(subject);
out:
	for (size_t i = 0; i < n; i++)
		certs[i]->destroy(certs[i]);
	return ok;
}

/* -------------------------------------------------------------- request */

/* One CERTREQ naming all our trust anchors (RFC 7296 §3.7). */
static void pk_request(const authenticator_t *self, auth_msg_t *msg)
{
	(void)self;
	keystore_t *ks = keystore_current();
	size_t n = keystore_anchor_count(ks);
	if (n > AUTH_MAX_KEYIDS)
		n = AUTH_MAX_KEYIDS;
	if (n) {
		chunk_t ids = chunk_alloc(n * KEYSTORE_KEYID_SIZE);
		for (size_t i = 0; i < n; i++)
			memcpy(ids.ptr + i * KEYSTORE_KEYID_SIZE,
			       keystore_anchor_keyid(ks, i), KEYSTORE_KEYID_SIZE);
		msg->add_cert(msg, true, CERT_X509_SIGNATURE, ids);
		chunk_free(&ids);
	}
	keystore_unref(ks);
}

/* ---------------------------------------------------------------- plugin */

#define PK_AUTH(m) { .method = (m), .build = pk_build, .verify = pk_verify, \
                     .request = pk_request }
static const authenticator_t authenticators[] = {
	PK_AUTH(AUTH_RSA_SIG),
	PK_AUTH(AUTH_DSS_SIG),
	PK_AUTH(AUTH_ECDSA_256),
	PK_AUTH(AUTH_ECDSA_384),
	PK_AUTH(AUTH_ECDSA_521),
	PK_AUTH(AUTH_DIGITAL_SIG),
};
#define N_AUTH (sizeof(authenticators) / sizeof(authenticators[0]))

static bool pubkey_feature(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                           bool load)
{
	(void)f;
	if (!load) {
		for (size_t i = 0; i < N_AUTH; i++)
			auth_unregister(&authenticators[i]);
		return true;
	}
	for (size_t i = 0; i < N_AUTH; i++) {
		if (!auth_register(plugin->name, &authenticators[i])) {
			while (i--)
				auth_unregister(&authenticators[i]);
			return false;
		}
	}
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("auth:pubkey", pubkey_feature, NULL),
	PLUGIN_DEPENDS("cert:x509"),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **f)
{
	(void)self;
	*f = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	free(self);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;
ikev2d_plugin_t *ikev2d_plugin_create(void);

ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *p = xzalloc(sizeof(*p));
	p->name = "pubkey";
	p->get_features = get_features;
	p->destroy = destroy;
	return p;
}
