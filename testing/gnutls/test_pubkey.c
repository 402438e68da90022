/*
 * test_pubkey.c - the pubkey authenticator plugin (plugins/pubkey) through
 * the real plugin loader, with the gnutls plugin and keystores built from
 * mkcreds.sh's certificates:
 *   - the AUTH method chosen from our key and the peer's
 *     SIGNATURE_HASH_ALGORITHMS (1, 3, 9, 10, 11, or 14 with the scheme
 *     RFC 7427 says), PSS on request, Ed25519 only as method 14, refusals
 *     when the key does not fit the rule;
 *   - CERTREQ: the one we send names every anchor's SPKI SHA-1, and the
 *     peer's selects which of two certificates we use;
 *   - the CERT payloads we send (end entity, then the chain without the
 *     anchor) and how the verifier builds the chain from them;
 *   - the peer's ID checked against the certificate's DN and
 *     subjectAltNames; required_signer; the validation policy (expired,
 *     ignore_date, max_cert_path_length); tampered AUTH data; a CERT that
 *     is not a certificate; a peer's key unfit for the rule.
 * Every build is verified by the same plugin (the other end's view).
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include "config/dn.h"

#include <ikev2d/auth.h>
#include <ikev2d/keystore.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *creds;   /* mkcreds.sh output */

/* --------------------------------------------------------- a test message */

#define TM_MAX 16
typedef struct {
	auth_msg_t pub;
	int n;
	bool certreq[TM_MAX];
	uint8_t enc[TM_MAX];
	chunk_t data[TM_MAX];
} tmsg_t;

static bool tm_add(auth_msg_t *self, bool certreq, uint8_t enc, chunk_t data)
{
	tmsg_t *m = (tmsg_t *)self;
	if (m->n == TM_MAX)
		return false;
	m->certreq[m->n] = certreq;
	m->enc[m->n] = enc;
	m->data[m->n] = chunk_clone(data);
	m->n++;
	return true;
}

static bool tm_get(auth_msg_t *self, bool certreq, unsigned idx, uint8_t *enc,
                   chunk_t *data)
{
	tmsg_t *m = (tmsg_t *)self;
	for (int i = 0; i < m->n; i++) {
		if (m->certreq[i] != certreq)
			continue;
		if (idx--)
			continue;
		*enc = m->enc[i];
		*data = m->data[i];
		return true;
	}
	return false;
}

static void tm_init(tmsg_t *m)
{
	memset(m, 0, sizeof(*m));
	m->pub.add_cert = tm_add;
	m->pub.get_cert = tm_get;
}

static void tm_free(tmsg_t *m)
{
	for (int i = 0; i < m->n; i++)
		chunk_free(&m->data[i]);
	m->n = 0;
}

static int tm_count(tmsg_t *m, bool certreq)
{
	int n = 0;
	for (int i = 0; i < m->n; i++)
		n += m->certreq[i] == certreq;
	return n;
}

/* ----------------------------------------------------------- keystores */

static char *path(const char *name)
{
	char *p;
	ck_assert(asprintf(&p, "%s/%s", creds, name) > 0);
	return p;
}

static certificate_t *cert(const char *name)
{
	char *p = path(name);
	certificate_t *c = cred_load_certificate_file(p);
	ck_assert_msg(c, "cannot load %s", name);
	free(p);
	return c;
}

/* A keystore, published as the current one: our certificates as
 * "cert.pem:key.pem" (space separated), anchors and intermediates as
 * certificate names. */
static void use_keystore(const char *ours, const char *anchors,
                         const char *inters)
{
	keystore_t *ks = keystore_create_empty();
	char *list = strdup(ours), *save = NULL;
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(t, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		char *kp = path(colon + 1);
		private_key_t *k = cred_load_private_key_file(kp, KEY_ANY, NULL);
		ck_assert_msg(k, "cannot load %s", kp);
		free(kp);
		keystore_add_entry(ks, cert(t), signer_from_private_key(k), t);
	}
	free(list);
	list = strdup(anchors);
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		ck_assert(keystore_add_anchor(ks, cert(t), t));
	free(list);
	list = strdup(inters);
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		keystore_add_intermediate(ks, cert(t));
	free(list);
	keystore_set_current(ks);
	keystore_unref(ks);
}

static void setup(void)
{
	static const char *const names[] = { "nettle", "gnutls", "pubkey" };
	ck_assert_msg(gt_test_load(names, 3), "plugins did not load");
	gt_test_clear_log();
}

static void teardown(void)
{
	keystore_set_current(NULL);
	gt_test_unload();
}

/* --------------------------------------------------- build, then verify */

static const chunk_t octets = { (uint8_t *)"IKE_SA_INIT | Nr | prf(SK_pi, IDi')", 35 };

typedef struct {
	uint8_t id_type;
	const char *id;            /* text (FQDN, email) or NULL: raw id_raw */
	chunk_t id_raw;
	auth_method_t rule;        /* both sides' rule method */
	const uint16_t *hashes;    /* what the peer announced */
	size_t n_hashes;
	bool pss;
	const uint8_t *certreq;    /* key ids the peer asked for */
	size_t n_certreq;
	const cert_policy_t *policy;
	const char *required_signer;
} side_t;

static auth_params_t params(const side_t *s, tmsg_t *m)
{
	auth_params_t p = {
		.prf = PRF_HMAC_SHA2_256,
		.octets = octets,
		.id_type = s->id_type,
		.id = s->id ? chunk_from_str((char *)s->id) : s->id_raw,
		.rule_method = s->rule,
		.msg = &m->pub,
		.peer_hashes = s->hashes, .n_peer_hashes = s->n_hashes,
		.certreq_keyids = s->certreq, .n_certreq_keyids = s->n_certreq,
		.prefer_pss = s->pss,
		.policy = s->policy,
		.required_signer = s->required_signer,
		.dn_matches = dn_match,
		.rule = "test",
		.sa_id = 1,
	};
	return p;
}

/* Build our AUTH as side s would; *method and *auth set; true if built. */
static bool build(const side_t *s, tmsg_t *m, uint8_t *method, chunk_t *auth)
{
	const authenticator_t *a = auth_get_for_rule(s->rule);
	ck_assert_ptr_nonnull(a);
	auth_params_t p = params(s, m);
	return a->build(a, &p, method, auth);
}

/* Verify what build() made, as the other end whose rule wants s->rule. */
static bool verify(const side_t *s, tmsg_t *m, uint8_t method, chunk_t auth)
{
	const authenticator_t *a = auth_get(method);
	ck_assert_ptr_nonnull(a);
	ck_assert(auth_method_accepts(s->rule, method));
	auth_params_t p = params(s, m);
	return a->verify(a, &p, method, auth);
}

/* The RFC 7427 scheme of method-14 AUTH data, SIG_UNKNOWN otherwise. */
static sig_scheme_t scheme_of(uint8_t method, chunk_t auth)
{
	sig_scheme_t sc = SIG_UNKNOWN;
	chunk_t sig;
	if (method == AUTH_DIGITAL_SIG)
		ck_assert(sig_auth_data_parse(auth, &sc, &sig));
	return sc;
}

/* ----------------------------------------------------- method selection */

static const uint16_t h256[] = { 2 };
static const uint16_t h_all[] = { 1, 2, 3, 4, 5 };
static const uint16_t h384[] = { 3 };
static const uint16_t h_id[] = { 5 };

START_TEST(test_method_choice)
{
	static const struct {
		const char *ours, *id;
		auth_method_t rule;
		const uint16_t *hashes;
		size_t n;
		bool pss;
		uint8_t want_method;
		sig_scheme_t want_scheme;
	} cases[] = {
		/* No hashes announced: the classic method of the key. */
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_RSA_SIG, NULL, 0, false,
		  AUTH_RSA_SIG, SIG_UNKNOWN },
		{ "leaf.pem:leaf.key", "moon.example.org", AUTH_ECDSA_256, NULL, 0, false,
		  AUTH_ECDSA_256, SIG_UNKNOWN },
		{ "leaf-p384.pem:p384.pem", "p384.example.org", AUTH_ECDSA_256, NULL, 0, false,
		  AUTH_ECDSA_384, SIG_UNKNOWN },
		{ "leaf-p521.pem:p521.pem", "p521.example.org", AUTH_ECDSA_256, NULL, 0, false,
		  AUTH_ECDSA_521, SIG_UNKNOWN },
		{ "leaf-dsa.pem:dsa.pem", "dsa.example.org", AUTH_DSS_SIG, NULL, 0, false,
		  AUTH_DSS_SIG, SIG_UNKNOWN },
		/* A digital_sig rule with an RSA key and a peer without hashes:
		 * method 1 still (RFC 7427 §4: no method 14 unless announced). */
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_DIGITAL_SIG, NULL, 0, false,
		  AUTH_RSA_SIG, SIG_UNKNOWN },
		/* Hashes announced: method 14 with the strongest fitting one. */
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_RSA_SIG, h256, 1, false,
		  AUTH_DIGITAL_SIG, SIG_RSA_PKCS1_SHA256 },
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_RSA_SIG, h_all, 5, true,
		  AUTH_DIGITAL_SIG, SIG_RSA_PSS_SHA512 },
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_RSA_SIG, h256, 1, true,
		  AUTH_DIGITAL_SIG, SIG_RSA_PSS_SHA256 },
		{ "leaf.pem:leaf.key", "moon.example.org", AUTH_ECDSA_256, h_all, 5, false,
		  AUTH_DIGITAL_SIG, SIG_ECDSA_SHA256_DER },
		{ "leaf-p384.pem:p384.pem", "p384.example.org", AUTH_ECDSA_384, h384, 1, false,
		  AUTH_DIGITAL_SIG, SIG_ECDSA_SHA384_DER },
		/* Only SHA-256 announced for a P-384 key: that hash, not 10. */
		{ "leaf-p384.pem:p384.pem", "p384.example.org", AUTH_ECDSA_384, h256, 1, false,
		  AUTH_DIGITAL_SIG, SIG_ECDSA_SHA256_DER },
		/* Only Identity announced: no hash fits ECDSA, so method 9. */
		{ "leaf.pem:leaf.key", "moon.example.org", AUTH_ECDSA_256, h_id, 1, false,
		  AUTH_ECDSA_256, SIG_UNKNOWN },
		{ "leaf-ed25519.pem:ed25519.pem", "ed25519.example.org", AUTH_DIGITAL_SIG,
		  h_id, 1, false, AUTH_DIGITAL_SIG, SIG_ED25519 },
		/* Ed25519 with a peer that announced nothing: method 14 anyway
		 * (nothing else carries EdDSA), logged. */
		{ "leaf-ed25519.pem:ed25519.pem", "ed25519.example.org", AUTH_DIGITAL_SIG,
		  NULL, 0, false, AUTH_DIGITAL_SIG, SIG_ED25519 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		use_keystore(cases[i].ours, "root.pem", "inter.pem");
		side_t s = { .id_type = ID_FQDN, .id = cases[i].id, .rule = cases[i].rule,
		             .hashes = cases[i].hashes, .n_hashes = cases[i].n,
		             .pss = cases[i].pss };
		tmsg_t m;
		tm_init(&m);
		uint8_t method = 0;
		chunk_t auth = chunk_empty;
		bool ok = build(&s, &m, &method, &auth);
		if (!ok)
			gt_test_dump_log();
		ck_assert_msg(ok, "case %zu: build failed", i);
		ck_assert_msg(method == cases[i].want_method, "case %zu: method %u, "
		              "expected %u", i, method, cases[i].want_method);
		ck_assert_msg(scheme_of(method, auth) == cases[i].want_scheme,
		              "case %zu: scheme %s, expected %s", i,
		              sig_scheme_name(scheme_of(method, auth)) ?: "none",
		              sig_scheme_name(cases[i].want_scheme) ?: "none");
		/* Sent: our end entity and the intermediate, not the root. */
		ck_assert_int_eq(tm_count(&m, false), 2);
		ck_assert_int_eq(tm_count(&m, true), 0);
		/* The other end (a rule accepting the method) verifies it. */
		ok = verify(&s, &m, method, auth);
		if (!ok)
			gt_test_dump_log();
		ck_assert_msg(ok, "case %zu: verify failed", i);
		/* One flipped bit in the signature: refused. */
		auth.ptr[auth.len - 1] ^= 1;
		ck_assert_msg(!verify(&s, &m, method, auth), "case %zu: tampered "
		              "AUTH verified", i);
		auth.ptr[auth.len - 1] ^= 1;
		/* Other signed octets (another message): refused. */
		side_t other = s;
		const authenticator_t *a = auth_get(method);
		auth_params_t p = params(&other, &m);
		p.octets = chunk_from_str("IKE_SA_INIT | another nonce");
		ck_assert(!a->verify(a, &p, method, auth));
		chunk_free(&auth);
		tm_free(&m);
		gt_test_clear_log();
	}
}
END_TEST

START_TEST(test_key_unfit)
{
	tmsg_t m;
	uint8_t method;
	chunk_t auth = chunk_empty;

	/* Our key cannot make the rule's method: nothing is built. */
	static const struct { const char *ours, *id; auth_method_t rule; } bad[] = {
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_ECDSA_256 },
		{ "leaf.pem:leaf.key", "moon.example.org", AUTH_RSA_SIG },
		{ "leaf-ed25519.pem:ed25519.pem", "ed25519.example.org", AUTH_RSA_SIG },
		{ "leaf-rsa.pem:rsa.pem", "moon.example.org", AUTH_DSS_SIG },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		use_keystore(bad[i].ours, "root.pem", "inter.pem");
		side_t s = { .id_type = ID_FQDN, .id = bad[i].id, .rule = bad[i].rule,
		             .hashes = h_all, .n_hashes = 5 };
		tm_init(&m);
		ck_assert_msg(!build(&s, &m, &method, &auth), "case %zu built", i);
		ck_assert(gt_test_logged("key cannot authenticate with AUTH method"));
		ck_assert_int_eq(m.n, 0);
		gt_test_clear_log();
	}
	/* No certificate carries our ID. */
	side_t s = { .id_type = ID_FQDN, .id = "sun.example.org", .rule = AUTH_ECDSA_256 };
	ck_assert(!build(&s, &m, &method, &auth));
	ck_assert(gt_test_logged("no certificate with a private key"));

	/* The peer's key does not fit our rule: an ECDSA-signed AUTH that a
	 * rule of rsa_sig receives as method 14. */
	use_keystore("leaf.pem:leaf.key", "root.pem", "inter.pem");
	side_t e = { .id_type = ID_FQDN, .id = "moon.example.org",
	             .rule = AUTH_ECDSA_256, .hashes = h256, .n_hashes = 1 };
	tm_init(&m);
	ck_assert(build(&e, &m, &method, &auth));
	ck_assert_uint_eq(method, AUTH_DIGITAL_SIG);
	e.rule = AUTH_RSA_SIG;
	gt_test_clear_log();
	ck_assert(!verify(&e, &m, method, auth));
	ck_assert(gt_test_logged("key does not fit the rule's AUTH method"));
	chunk_free(&auth);
	tm_free(&m);
}
END_TEST

/* ------------------------------------------------------------- CERTREQ */

START_TEST(test_certreq)
{
	/* Two certificates for the same ID, under two roots. */
	use_keystore("leaf.pem:leaf.key leaf-other.pem:leaf-other.key",
	             "root.pem other.pem", "inter.pem");
	uint8_t ids[2][KEYSTORE_KEYID_SIZE];
	certificate_t *root = cert("root.pem"), *other = cert("other.pem");
	ck_assert(cert_keyid(root, ids[0]));
	ck_assert(cert_keyid(other, ids[1]));

	/* Our CERTREQ: one payload, X.509, both anchors' SPKI SHA-1s. */
	tmsg_t m;
	tm_init(&m);
	const authenticator_t *a = auth_get(AUTH_ECDSA_256);
	ck_assert_ptr_nonnull(a->request);
	a->request(a, &m.pub);
	ck_assert_int_eq(tm_count(&m, true), 1);
	uint8_t enc;
	chunk_t data;
	ck_assert(m.pub.get_cert(&m.pub, true, 0, &enc, &data));
	ck_assert_uint_eq(enc, CERT_X509_SIGNATURE);
	ck_assert_uint_eq(data.len, 2 * KEYSTORE_KEYID_SIZE);
	ck_assert_mem_eq(data.ptr, ids, sizeof(ids));
	tm_free(&m);

	const struct {
		const uint8_t *ids;
		size_t n;
		const char *want;   /* the end entity we send */
		int n_certs;
	} cases[] = {
		{ NULL, 0, "leaf.pem", 2 },              /* none: the first */
		{ ids[0], 1, "leaf.pem", 2 },
		{ ids[1], 1, "leaf-other.pem", 1 },      /* other root: no chain */
		{ ids[0], 2, "leaf.pem", 2 },            /* both: the first */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		side_t s = { .id_type = ID_FQDN, .id = "moon.example.org",
		             .rule = AUTH_ECDSA_256, .certreq = cases[i].ids,
		             .n_certreq = cases[i].n };
		tm_init(&m);
		uint8_t method;
		chunk_t auth;
		ck_assert(build(&s, &m, &method, &auth));
		ck_assert_int_eq(tm_count(&m, false), cases[i].n_certs);
		certificate_t *want = cert(cases[i].want);
		ck_assert(m.pub.get_cert(&m.pub, false, 0, &enc, &data));
		ck_assert_msg(chunk_equals(data, want->get_encoding(want)),
		              "case %zu: not %s", i, cases[i].want);
		want->destroy(want);
		/* Both chain to one of the verifier's anchors. */
		ck_assert(verify(&s, &m, method, auth));
		chunk_free(&auth);
		tm_free(&m);
	}
	root->destroy(root);
	other->destroy(other);
}
END_TEST

/* ------------------------------------------- identity against certificate */

START_TEST(test_identity)
{
	use_keystore("leaf.pem:leaf.key", "root.pem", "inter.pem");
	certificate_t *leaf = cert("leaf.pem");
	uint8_t ip4[] = { 10, 1, 0, 1 }, ip4_bad[] = { 10, 1, 0, 2 };
	uint8_t ip6[16] = { 0xfd, [15] = 1 };
	static const struct {
		uint8_t type;
		const char *id;
		const uint8_t *raw;
		size_t len;
		bool subject;      /* the leaf's subject DN */
		bool ok;
	} cases[] = {
		{ ID_FQDN, "moon.example.org", NULL, 0, false, true },
		{ ID_RFC822_ADDR, "ike@moon.example.org", NULL, 0, false, true },
		{ ID_IPV4_ADDR, NULL, NULL, 4, false, true },
		{ ID_IPV6_ADDR, NULL, NULL, 16, false, true },
		{ ID_DER_ASN1_DN, NULL, NULL, 0, true, true },
		{ ID_FQDN, "sun.example.org", NULL, 0, false, false },
		{ ID_FQDN, "example.org", NULL, 0, false, false },
		{ ID_RFC822_ADDR, "other@moon.example.org", NULL, 0, false, false },
		{ ID_IPV4_ADDR, NULL, NULL, 4, false, false },
		/* The issuer's DN is not the subject's. */
		{ ID_DER_ASN1_DN, NULL, NULL, 0, false, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		side_t s = { .id_type = ID_FQDN, .id = "moon.example.org",
		             .rule = AUTH_ECDSA_256 };
		tmsg_t m;
		tm_init(&m);
		uint8_t method;
		chunk_t auth;
		ck_assert(build(&s, &m, &method, &auth));
		/* The peer claims this identity with that certificate. */
		side_t v = s;
		v.id_type = cases[i].type;
		v.id = cases[i].id;
		if (cases[i].type == ID_IPV4_ADDR)
			v.id_raw = chunk_create(cases[i].ok ? ip4 : ip4_bad, 4);
		else if (cases[i].type == ID_IPV6_ADDR)
			v.id_raw = chunk_create(ip6, 16);
		else if (cases[i].type == ID_DER_ASN1_DN)
			v.id_raw = cases[i].subject ? leaf->get_subject_der(leaf)
			                            : leaf->get_issuer_der(leaf);
		gt_test_clear_log();
		bool ok = verify(&v, &m, method, auth);
		ck_assert_msg(ok == cases[i].ok, "case %zu: verify %d", i, ok);
		if (!ok)
			ck_assert(gt_test_logged("does not carry its identity"));
		chunk_free(&auth);
		tm_free(&m);
	}
	leaf->destroy(leaf);
}
END_TEST

/* ------------------------------- required_signer, chain, validation policy */

/* Build with one keystore (ours), verify with another (theirs), the peer's
 * CERT payloads limited to the first n_sent (-1: all). */
static bool round_trip(const char *ours, const char *id, int n_sent,
                       const char *anchors, const char *inters,
                       const cert_policy_t *policy, const char *signer)
{
	use_keystore(ours, "root.pem root-pl0.pem other.pem", "inter.pem inter-pl0.pem");
	side_t s = { .id_type = ID_FQDN, .id = id, .rule = AUTH_DIGITAL_SIG,
	             .hashes = h_all, .n_hashes = 5 };
	tmsg_t m;
	tm_init(&m);
	uint8_t method;
	chunk_t auth;
	ck_assert(build(&s, &m, &method, &auth));
	if (n_sent >= 0) {
		for (int i = n_sent; i < m.n; i++)
			chunk_free(&m.data[i]);
		m.n = n_sent;
	}
	use_keystore("", anchors, inters);
	s.policy = policy;
	s.required_signer = signer;
	gt_test_clear_log();
	bool ok = verify(&s, &m, method, auth);
	chunk_free(&auth);
	tm_free(&m);
	return ok;
}

START_TEST(test_required_signer)
{
	const char *leaf = "leaf.pem:leaf.key";
	ck_assert(round_trip(leaf, "moon.example.org", -1, "root.pem", "", NULL,
	                     "O=ikev2d test, CN=ikev2d test intermediate"));
	ck_assert(round_trip(leaf, "moon.example.org", -1, "root.pem", "", NULL,
	                     "O=ikev2d test, CN=ikev2d test root"));
	ck_assert(round_trip(leaf, "moon.example.org", -1, "root.pem", "", NULL,
	                     "O=ikev2d test, CN=*intermediate"));
	ck_assert(!round_trip(leaf, "moon.example.org", -1, "root.pem", "", NULL,
	                      "O=ikev2d test, CN=ikev2d other root"));
	ck_assert(gt_test_logged("is not issued under the required signer"));
	/* The other root's leaf: valid (other is an anchor) but not under
	 * the required signer. */
	ck_assert(round_trip("leaf-other.pem:leaf-other.key", "moon.example.org", -1,
	                     "root.pem other.pem", "", NULL, NULL));
	ck_assert(!round_trip("leaf-other.pem:leaf-other.key", "moon.example.org", -1,
	                      "root.pem other.pem", "", NULL,
	                      "O=ikev2d test, CN=ikev2d test root"));
}
END_TEST

START_TEST(test_chain_and_policy)
{
	const char *leaf = "leaf.pem:leaf.key";
	cert_policy_t pol;

	/* The intermediate from the peer's CERT, or from our intcerts/. */
	ck_assert(round_trip(leaf, "moon.example.org", -1, "root.pem", "", NULL, NULL));
	ck_assert(round_trip(leaf, "moon.example.org", 1, "root.pem", "inter.pem",
	                     NULL, NULL));
	/* From neither: no path. */
	ck_assert(!round_trip(leaf, "moon.example.org", 1, "root.pem", "", NULL, NULL));
	ck_assert(gt_test_logged(cert_status_name(CERT_NO_ISSUER)));
	/* No anchor of ours. */
	ck_assert(!round_trip(leaf, "moon.example.org", -1, "other.pem", "", NULL, NULL));
	/* max_cert_path_length: one CA between leaf and anchor. */
	cert_policy_default(&pol);
	pol.max_path_length = 1;
	ck_assert(round_trip(leaf, "moon.example.org", -1, "root.pem", "", &pol, NULL));
	pol.max_path_length = 0;
	ck_assert(!round_trip(leaf, "moon.example.org", -1, "root.pem", "", &pol, NULL));
	ck_assert(gt_test_logged(cert_status_name(CERT_PATH_TOO_LONG)));
	/* The root's pathLenConstraint 0 under an intermediate. */
	ck_assert(!round_trip("leaf-pl0.pem:leaf-pl0.key", "moon.example.org", -1,
	                      "root-pl0.pem", "", NULL, NULL));
	/* Expired: refused, accepted with ignore_date; not yet valid too. */
	ck_assert(!round_trip("leaf-expired.pem:leaf-expired.key",
	                      "expired.example.org", -1, "root.pem", "", NULL, NULL));
	ck_assert(gt_test_logged(cert_status_name(CERT_EXPIRED)));
	cert_policy_default(&pol);
	pol.ignore_date = true;
	ck_assert(round_trip("leaf-expired.pem:leaf-expired.key",
	                     "expired.example.org", -1, "root.pem", "", &pol, NULL));
	ck_assert(round_trip("leaf-future.pem:leaf-future.key",
	                     "future.example.org", -1, "root.pem", "", &pol, NULL));
	ck_assert(!round_trip("leaf-future.pem:leaf-future.key",
	                      "future.example.org", -1, "root.pem", "", NULL, NULL));
	/* trust_intermediate_cas: the intermediate alone as anchor. */
	cert_policy_default(&pol);
	ck_assert(!round_trip(leaf, "moon.example.org", 1, "other.pem", "inter.pem",
	                      &pol, NULL));
	pol.trust_intermediate_cas = true;
	ck_assert(round_trip(leaf, "moon.example.org", 1, "other.pem", "inter.pem",
	                     &pol, NULL));
}
END_TEST

START_TEST(test_bad_cert_payloads)
{
	use_keystore("leaf.pem:leaf.key", "root.pem", "inter.pem");
	side_t s = { .id_type = ID_FQDN, .id = "moon.example.org",
	             .rule = AUTH_ECDSA_256 };
	tmsg_t m;
	uint8_t method;
	chunk_t auth;
	tm_init(&m);
	ck_assert(build(&s, &m, &method, &auth));

	/* No CERT at all. */
	tmsg_t none;
	tm_init(&none);
	ck_assert(!verify(&s, &none, method, auth));
	ck_assert(gt_test_logged("sent no X.509 certificate"));
	/* Only a CERT of another encoding (hash and URL): ignored, so none. */
	tm_add(&none.pub, false, CERT_HASH_URL_X509, chunk_from_str("http://x/"));
	gt_test_clear_log();
	ck_assert(!verify(&s, &none, method, auth));
	ck_assert(gt_test_logged("sent no X.509 certificate"));
	tm_free(&none);
	/* Garbage, and a truncated certificate, as the end entity. */
	tm_init(&none);
	tm_add(&none.pub, false, CERT_X509_SIGNATURE, chunk_from_str("not DER"));
	ck_assert(!verify(&s, &none, method, auth));
	tm_free(&none);
	tm_init(&none);
	tm_add(&none.pub, false, CERT_X509_SIGNATURE,
	       chunk_create(m.data[0].ptr, m.data[0].len - 10));
	ck_assert(!verify(&s, &none, method, auth));
	tm_free(&none);
	/* More CERTs than we look at: the first AUTH_MAX_CERTS used. */
	tm_init(&none);
	for (int i = 0; i < AUTH_MAX_CERTS + 3; i++)
		tm_add(&none.pub, false, CERT_X509_SIGNATURE, m.data[i ? 1 : 0]);
	gt_test_clear_log();
	ck_assert(verify(&s, &none, method, auth));
	ck_assert(gt_test_logged("the rest ignored"));
	tm_free(&none);
	/* Empty and truncated AUTH data. */
	ck_assert(!verify(&s, &m, method, chunk_empty));
	ck_assert(!verify(&s, &m, method, chunk_create(auth.ptr, auth.len / 2)));
	chunk_free(&auth);
	tm_free(&m);
}
END_TEST

/* A peer that sends no CERT: its self-signed certificate is one of our
 * trust anchors (RFC 7296 §3.6 lets it leave CERT out). */
START_TEST(test_no_cert_pinned)
{
	use_keystore("self.pem:self.key", "self.pem root.pem", "");
	side_t s = { .id_type = ID_FQDN, .id = "self.example.org",
	             .rule = AUTH_ECDSA_256 };
	tmsg_t m, none;
	uint8_t method;
	chunk_t auth;
	tm_init(&m);
	tm_init(&none);
	ck_assert(build(&s, &m, &method, &auth));
	ck_assert_int_eq(tm_count(&m, false), 1);   /* no chain: it is the anchor */
	/* Verified without CERT, from our anchor; logged as such. */
	ck_assert(verify(&s, &none, method, auth));
	ck_assert(gt_test_logged("peer sent no certificate: using our trust anchor"));
	/* Another ID: no anchor carries it. */
	side_t o = s;
	o.id = "moon.example.org";
	gt_test_clear_log();
	ck_assert(!verify(&o, &none, method, auth));
	ck_assert(gt_test_logged("none of our trust anchors carries its identity"));
	/* The pinned certificate's key must still verify the AUTH. */
	auth.ptr[auth.len - 1] ^= 1;
	ck_assert(!verify(&s, &none, method, auth));
	auth.ptr[auth.len - 1] ^= 1;
	/* Not an anchor of ours: refused. */
	use_keystore("", "root.pem", "");
	ck_assert(!verify(&s, &none, method, auth));
	/* With its CERT and without it as an anchor: no path. */
	ck_assert(!verify(&s, &m, method, auth));
	chunk_free(&auth);
	tm_free(&m);
}
END_TEST

int main(void)
{
	creds = gt_test_make_creds("pubkey");
	Suite *s = suite_create("pubkey");
	TCase *tc = tcase_create("pubkey");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_method_choice);
	tcase_add_test(tc, test_key_unfit);
	tcase_add_test(tc, test_certreq);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_required_signer);
	tcase_add_test(tc, test_chain_and_policy);
	tcase_add_test(tc, test_bad_cert_payloads);
	tcase_add_test(tc, test_no_cert_pinned);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gt_test_rmdir(creds);
	free(creds);
	return failed ? 1 : 0;
}
