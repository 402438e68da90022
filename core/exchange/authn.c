/*
 * authn.c - the engine's side of authentication (see authn.h): what the
 * authenticators of <ikev2d/auth.h> get from the IKE SA and the message,
 * and the checks that belong to the rule rather than to a method.
 */
#include "exchange/authn.h"

#include <stdio.h>
#include <string.h>

#include <ikev2d/auth.h>
#include <ikev2d/cred.h>
#include <ikev2d/keystore.h>
#include <ikev2d/plugin.h>

#include "config/dn.h"
#include "exchange/proposal.h"

/* ------------------------------------------------- the message, as seen
 * by an authenticator */

typedef struct {
	auth_msg_t public;
	message_t *m;
} msg_view_t;

static bool view_add_cert(auth_msg_t *self, bool certreq, uint8_t encoding,
                          chunk_t data)
{
	msg_view_t *v = (msg_view_t *)self;
	return v->m && message_add_cert(v->m, certreq ? PL_CERTREQ : PL_CERT,
	                                encoding, data) != NULL;
}

static bool view_get_cert(auth_msg_t *self, bool certreq, unsigned idx,
                          uint8_t *encoding, chunk_t *data)
{
	msg_view_t *v = (msg_view_t *)self;
	uint8_t type = certreq ? PL_CERTREQ : PL_CERT;
	if (!v->m)
		return false;
	for (payload_t *p = message_find(v->m, type); p;
	     p = message_find_next(v->m, p, type)) {
		if (idx-- == 0) {
			*encoding = p->u.cert.encoding;
			*data = p->u.cert.data;
			return true;
		}
	}
	return false;
}

static msg_view_t view_of(const message_t *m)
{
	return (msg_view_t){
		.public = { .add_cert = view_add_cert, .get_cert = view_get_cert },
		/* The view only reads a message it did not build. */
		.m = (message_t *)m,
	};
}

/* ---------------------------------------------------- identity matching */

/* Whether cert carries the identity of p: a DN compares as a name (string
 * types and case aside, as remote_id does), the other types against the
 * subjectAltNames. */
static bool cert_has_id(const auth_params_t *p, certificate_t *cert)
{
	if (p->id_type == ID_DER_ASN1_DN) {
		char text[1024];
		return dn_to_text(p->id, text, sizeof(text)) &&
		       dn_match(text, cert->get_subject_der(cert));
	}
	return certificate_matches_id(cert, p->id_type, p->id);
}

/* ------------------------------------------------------- signed octets */

/* The octets one side signs (RFC 7296 §2.15):
 *   <its IKE_SA_INIT message> | <the other side's nonce> | prf(SK_p, ID body)
 * with SK_pi for the initiator's, SK_pr for the responder's. */
static bool signed_octets(ike_sa_t *sa, bool of_initiator, uint8_t id_type,
                          chunk_t id_data, chunk_t *out)
{
	ike_hs_t *hs = sa->hs;
	chunk_t body = chunk_alloc(4 + id_data.len);
	body.ptr[0] = id_type;
	body.ptr[1] = body.ptr[2] = body.ptr[3] = 0;
	if (id_data.len)
		memcpy(body.ptr + 4, id_data.ptr, id_data.len);
	chunk_t maced;
	bool ok = sa_prf(sa, of_initiator ? sa->keys->sk_pi : sa->keys->sk_pr,
	                 body, &maced);
	chunk_free(&body);
	if (!ok)
		return false;
	chunk_t parts[3] = {
		of_initiator ? hs->init_req : hs->init_resp,
		of_initiator ? hs->nr : hs->ni,
		maced,
	};
	*out = chunk_cat(3, parts);
	chunk_clear(&maced);
	return true;
}

/* -------------------------------------------- IKE_SA_INIT and CERTREQ */

/* The hashes we verify RFC 7427 signatures with: SHA-2 (RFC 8247 §3.2
 * says no SHA-1 here), and "Identity" when EdDSA keys can be checked. */
static size_t our_hashes(uint8_t out[16])
{
	static const uint16_t sha2[] = { HASH_SHA2_256, HASH_SHA2_384, HASH_SHA2_512 };
	size_t n = 0;
	for (size_t i = 0; i < 3; i++) {
		if (!crypto_hasher_provider(sha2[i]))
			continue;
		out[n++] = 0;
		out[n++] = (uint8_t)sha2[i];
	}
	if (cred_provider("pubkey:ed25519") || cred_provider("pubkey:ed448")) {
		out[n++] = 0;
		out[n++] = SIG_HASH_IDENTITY;
	}
	return n;
}

static void add_certreq_for(ike_sa_t *sa, message_t *m)
{
	if (!sa->rule || sa->rule->remote_auth_method == AUTH_PSK)
		return;
	const authenticator_t *a = auth_get_for_rule(sa->rule->remote_auth_method);
	if (a && a->request) {
		msg_view_t v = view_of(m);
		a->request(a, &v.public);
	}
}

void authn_sa_init_add(ike_sa_t *sa, message_t *m, bool certreq)
{
	/* Announce only what a loaded authenticator can use. */
	if (auth_get(AUTH_DIGITAL_SIG)) {
		uint8_t h[16];
		size_t n = our_hashes(h);
		if (n)
			message_add_notify(m, PROTO_NONE, chunk_empty,
			                   N_SIGNATURE_HASH_ALGORITHMS,
			                   chunk_create(h, n));
	}
	if (certreq)
		add_certreq_for(sa, m);
}

void authn_add_certreq(ike_sa_t *sa, message_t *m)
{
	add_certreq_for(sa, m);
}

void authn_note_peer(ike_sa_t *sa, const message_t *m)
{
	ike_hs_t *hs = sa->hs;
	if (!hs)
		return;
	notify_payload_t *n = message_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS);
	if (n) {
		/* A list of 2-octet hash numbers (RFC 7427 §4); an odd
		 * length is malformed and the whole list ignored. */
		hs->n_peer_hashes = 0;
		if (n->data.len % 2)
			sa_log(sa, DBG_IKESA, LVL_OP, "SIGNATURE_HASH_ALGORITHMS of "
			       "odd length %zu ignored", n->data.len);
		else
			for (size_t i = 0; i + 1 < n->data.len &&
			     hs->n_peer_hashes < sizeof(hs->peer_hashes) /
			                         sizeof(hs->peer_hashes[0]); i += 2)
				hs->peer_hashes[hs->n_peer_hashes++] =
					(uint16_t)(n->data.ptr[i] << 8 | n->data.ptr[i + 1]);
	}
	for (payload_t *p = message_find(m, PL_CERTREQ); p;
	     p = message_find_next(m, p, PL_CERTREQ)) {
		chunk_t d = p->u.cert.data;
		if (p->u.cert.encoding != CERT_X509_SIGNATURE)
			continue;
		if (d.len % AUTH_KEYID_SIZE) {
			sa_log(sa, DBG_CERT, LVL_OP, "CERTREQ of length %zu (not a "
			       "list of SHA-1 hashes) ignored", d.len);
			continue;
		}
		for (size_t i = 0; i < d.len && hs->n_certreq < AUTH_MAX_KEYIDS;
		     i += AUTH_KEYID_SIZE)
			memcpy(hs->certreq[hs->n_certreq++], d.ptr + i,
			       AUTH_KEYID_SIZE);
	}
}

/* ----------------------------------------------------------- AUTH */

bool authn_build(ike_sa_t *sa, message_t *m, uint8_t id_type, chunk_t id,
                 uint8_t *method, chunk_t *auth)
{
	const rule_t *r = sa->rule;
	const authenticator_t *a = auth_get_for_rule(r->auth_method);
	if (!a) {
		sa_log(sa, DBG_IKESA, LVL_ERROR, "no authenticator for AUTH method %d "
		       "(plugin not loaded?)", r->auth_method);
		return false;
	}
	chunk_t octets;
	if (!signed_octets(sa, sa->initiator, id_type, id, &octets))
		return false;
	msg_view_t v = view_of(m);
	auth_params_t p = {
		.prf = sa->algs.prf, .octets = octets, .id_type = id_type,
		.id = id, .rule_method = r->auth_method, .psk = r->local_key,
		.msg = &v.public,
		.peer_hashes = sa->hs->peer_hashes,
		.n_peer_hashes = sa->hs->n_peer_hashes,
		.certreq_keyids = sa->hs->certreq[0],
		.n_certreq_keyids = sa->hs->n_certreq,
		.prefer_pss = r->prefer_pss,
		.policy = &sa->cfg->validation,
		.cert_has_id = cert_has_id, .dn_matches = dn_match,
		.rule = SA_RULE(sa), .sa_id = sa->entry.unique_id,
	};
	bool ok = a->build(a, &p, method, auth);
	chunk_free(&octets);
	return ok;
}

auth_verify_t authn_verify(ike_sa_t *sa, const message_t *m,
                           const id_payload_t *id, const auth_payload_t *auth,
                           cert_wait_t *wait)
{
	const rule_t *r = sa->rule;
	char ids[128];
	id_to_str(id->type, id->data, ids, sizeof(ids));
	if (!auth_method_accepts(r->remote_auth_method, auth->method)) {
		sa_log(sa, DBG_IKESA, LVL_OP, "peer %s authenticates with method %u, "
		       "the rule wants %d", ids, auth->method, r->remote_auth_method);
		return AUTH_VERIFY_FAILED;
	}
	const authenticator_t *a = auth_get(auth->method);
	if (!a) {
		sa_log(sa, DBG_IKESA, LVL_ERROR, "no authenticator for AUTH method %u",
		       auth->method);
		return AUTH_VERIFY_FAILED;
	}
	chunk_t octets;
	if (!signed_octets(sa, !sa->initiator, id->type, id->data, &octets))
		return AUTH_VERIFY_FAILED;
	msg_view_t v = view_of(m);
	auth_params_t p = {
		.prf = sa->algs.prf, .octets = octets, .id_type = id->type,
		.id = id->data, .rule_method = r->remote_auth_method,
		.psk = r->remote_key, .msg = &v.public,
		.policy = &sa->cfg->validation,
		.required_signer = r->required_signer,
		.cert_has_id = cert_has_id, .dn_matches = dn_match,
		.rule = SA_RULE(sa), .sa_id = sa->entry.unique_id,
		.wait = wait,
	};
	auth_verify_t ok = a->verify(a, &p, auth->method, auth->data);
	chunk_free(&octets);
	if (ok == AUTH_VERIFY_PENDING && !wait) {
		/* an authenticator breaking its contract: not a pass */
		sa_log(sa, DBG_IKESA, LVL_ERROR, "authenticator of method %u said "
		       "pending without a wait", auth->method);
		ok = AUTH_VERIFY_FAILED;
	}
	if (ok == AUTH_VERIFY_PENDING)
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "AUTH of peer %s: its certificate "
		       "waits for a revocation answer", ids);
	else if (!ok)
		sa_log(sa, DBG_IKESA, LVL_OP, "AUTH of peer %s does not verify%s", ids,
		       auth->method == AUTH_PSK ? " (wrong pre-shared key?)" : "");
	else
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "peer %s authenticated", ids);
	return ok;
}

/* ------------------------------------------------------- rule switch */

bool authn_rule_allows(ike_sa_t *sa, const rule_t *r, uint8_t peer_method,
                       char *why, size_t len)
{
	proposal_t prop;
	transform_t xf[6];
	algs_t out;

	/* The IKE SA was negotiated under the first rule: the new one must
	 * have accepted the same transforms had the peer been matched to
	 * it from the start. */
	proposal_from_algs(&sa->algs, PROTO_IKE, 1, NULL, 0, &prop, xf);
	if (!proposal_check_response(r->ike, r->n_ike, 0, &prop, PROTO_IKE, NULL,
	                             &out)) {
		char a[160];
		snprintf(why, len, "rule %s does not allow the IKE SA's algorithms "
		         "%s", r->label, algs_to_str(&sa->algs, PROTO_IKE, a, sizeof(a)));
		return false;
	}
	if (!auth_method_accepts(r->remote_auth_method, peer_method)) {
		snprintf(why, len, "rule %s does not allow AUTH method %u", r->label,
		         peer_method);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ -c check */

typedef struct {
	uint8_t id_type;
	chunk_t id;
} local_id_t;

static bool cfg_cert_has_id(void *ctx, certificate_t *cert)
{
	local_id_t *l = ctx;
	auth_params_t p = { .id_type = l->id_type, .id = l->id };
	return cert_has_id(&p, cert);
}

static bool key_fits(key_type_t type, auth_method_t m)
{
	switch (m) {
	case AUTH_RSA_SIG:   return type == KEY_RSA;
	case AUTH_DSS_SIG:   return type == KEY_DSA;
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521: return type == KEY_ECDSA_P256 ||
	                            type == KEY_ECDSA_P384 ||
	                            type == KEY_ECDSA_P521;
	default:             return true;
	}
}

int engine_check_auth(const config_t *cfg, struct keystore *ks)
{
	int errors = 0;
	if (cfg->validation_line && !plugin_feature_loaded("fetcher")) {
		log_error(DBG_CONFIG, "%s:%d: revocation over HTTP needs a plugin "
		          "providing \"fetcher\" (\"curl\" in plugins.load)",
		          cfg->validation_file ? cfg->validation_file : cfg->path,
		          cfg->validation_line);
		errors++;
	}
	for (int i = 0; i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		auth_method_t m[2] = { r->auth_method, r->remote_auth_method };
		for (int k = 0; k < 2; k++) {
			if (k == 1 && m[1] == m[0])
				break;
			if (!auth_get_for_rule(m[k])) {
				log_error(DBG_CONFIG, "%s:%d: rule '%s': no loaded plugin "
				          "provides AUTH method %d (%s plugin in "
				          "plugins.load?)", cfg->path, r->line, r->label,
				          m[k], m[k] == AUTH_PSK ? "the psk" : "the pubkey");
				errors++;
			}
		}
		if (r->auth_method == AUTH_PSK)
			continue;
		if (r->local_id.type == 0 || !r->local_id.data.len) {
			log_error(DBG_CONFIG, "%s:%d: rule '%s': a certificate method "
			          "needs local_id (what our certificate carries)",
			          cfg->path, r->line, r->label);
			errors++;
			continue;
		}
		local_id_t l = { (uint8_t)r->local_id.type, r->local_id.data };
		const keystore_entry_t *e = keystore_find_local(ks, l.id_type, l.id,
		                                                cfg_cert_has_id, &l,
		                                                NULL, 0);
		if (!e) {
			log_error(DBG_CONFIG, "%s:%d: rule '%s': no certificate with its "
			          "private key in keystore %s carries local_id \"%s\"",
			          cfg->path, r->line, r->label, cfg->daemon.keystore,
			          r->local_id.text ? r->local_id.text : "?");
			errors++;
			continue;
		}
		key_type_t t = e->signer->get_type(e->signer);
		if (!key_fits(t, r->auth_method)) {
			log_error(DBG_CONFIG, "%s:%d: rule '%s': the %s key of %s cannot "
			          "authenticate with AUTH method %d%s", cfg->path,
			          r->line, r->label, key_type_name(t), e->source,
			          r->auth_method, t == KEY_ECDSA_P256 || t == KEY_ECDSA_P384 ||
			          t == KEY_ECDSA_P521 || r->auth_method < AUTH_ECDSA_256 ? "" :
			          " (ECDSA methods need P-256, P-384 or P-521)");
			errors++;
		} else if (r->prefer_pss && t != KEY_RSA) {
			log_error(DBG_CONFIG, "%s:%d: rule '%s': rsa_pss_sig needs an "
			          "RSA key, not the %s key of %s", cfg->path, r->line,
			          r->label, key_type_name(t), e->source);
			errors++;
		}
	}
	return errors;
}
