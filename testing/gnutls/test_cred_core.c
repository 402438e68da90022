/*
 * test_cred_core.c - the library-free half of credentials (core/cred):
 * signature-scheme tables and AUTH method mapping, RFC 7427
 * AlgorithmIdentifiers (exact encodings, accepted variants, rejected
 * malformations, every truncation), method-14 AUTH data, and the registry
 * (first provider wins, refused types, providers by feature name).
 */
#include <ikev2d/cred.h>
#include <ikev2d/bus.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static chunk_t hex(const char *s)
{
	chunk_t c = chunk_from_hex(s);

	ck_assert_msg(c.len > 0, "bad hex in test: %s", s);
	return c;
}

START_TEST(test_scheme_tables)
{
	for (int s = SIG_UNKNOWN; s < SIG_SCHEME_MAX; s++)
		ck_assert_ptr_nonnull(sig_scheme_name(s));
	ck_assert_ptr_null(sig_scheme_name(SIG_SCHEME_MAX));
	ck_assert_ptr_null(sig_scheme_name((sig_scheme_t)-1));
	for (int t = KEY_ANY; t < KEY_TYPE_MAX; t++)
		ck_assert_ptr_nonnull(key_type_name(t));
	ck_assert_ptr_null(key_type_name(KEY_TYPE_MAX));
	ck_assert_str_eq(key_type_feature(KEY_ECDSA_P384), "ecdsa");
	ck_assert_str_eq(key_type_feature(KEY_ED448), "ed448");

	ck_assert(sig_scheme_fits_key(SIG_ECDSA_SHA384_DER, KEY_ECDSA_P256));
	ck_assert(!sig_scheme_fits_key(SIG_ECDSA_P384_SHA384, KEY_ECDSA_P256));
	ck_assert(!sig_scheme_fits_key(SIG_RSA_PSS_SHA256, KEY_DSA));
	ck_assert(!sig_scheme_fits_key(SIG_ED25519, KEY_ANY));
	ck_assert(!sig_scheme_fits_key(SIG_SCHEME_MAX, KEY_RSA));

	ck_assert_int_eq(sig_scheme_hash(SIG_RSA_PSS_SHA384), HASH_SHA2_384);
	ck_assert_int_eq(sig_scheme_hash(SIG_DSA_SHA1), HASH_SHA1);
	ck_assert_int_eq(sig_scheme_hash(SIG_ED448), 0);

	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_RSA_SIG, KEY_RSA), SIG_RSA_PKCS1_SHA1);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_DSS_SIG, KEY_DSA), SIG_DSA_SHA1);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_ECDSA_256, KEY_ECDSA_P256), SIG_ECDSA_P256_SHA256);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_ECDSA_384, KEY_ECDSA_P384), SIG_ECDSA_P384_SHA384);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_ECDSA_521, KEY_ECDSA_P521), SIG_ECDSA_P521_SHA512);
	/* RFC 4754: the method fixes the curve. */
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_ECDSA_256, KEY_ECDSA_P384), SIG_UNKNOWN);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_RSA_SIG, KEY_ECDSA_P256), SIG_UNKNOWN);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_PSK, KEY_RSA), SIG_UNKNOWN);
	ck_assert_int_eq(sig_scheme_for_auth_method(AUTH_DIGITAL_SIG, KEY_RSA), SIG_UNKNOWN);

	ck_assert_int_eq(sig_scheme_auth_method(SIG_ECDSA_P521_SHA512), AUTH_ECDSA_521);
	ck_assert_int_eq(sig_scheme_auth_method(SIG_RSA_PKCS1_SHA1), AUTH_RSA_SIG);
	ck_assert_int_eq(sig_scheme_auth_method(SIG_ED25519), AUTH_DIGITAL_SIG);
	ck_assert_int_eq(sig_scheme_default(KEY_ECDSA_P384), SIG_ECDSA_SHA384_DER);
	ck_assert_int_eq(sig_scheme_default(KEY_DSA), SIG_UNKNOWN);

	ck_assert_str_eq(cert_status_name(CERT_REVOKED), "revoked");
	cert_policy_t p;
	cert_policy_default(&p);
	ck_assert(!p.ignore_date && !p.ignore_unknown_eku);
	ck_assert_int_lt(p.max_path_length, 0);
	ck_assert_int_eq(p.crl_check, CRL_CHECK_IF_KNOWN);
}
END_TEST

/* Encodings from RFC 7427 Appendix A / RFC 4055 / RFC 8410. */
static const struct {
	sig_scheme_t scheme;
	const char *der;
} known[] = {
	{ SIG_RSA_PKCS1_SHA1,   "300d06092a864886f70d0101050500" },
	{ SIG_RSA_PKCS1_SHA256, "300d06092a864886f70d01010b0500" },
	{ SIG_RSA_PKCS1_SHA384, "300d06092a864886f70d01010c0500" },
	{ SIG_RSA_PKCS1_SHA512, "300d06092a864886f70d01010d0500" },
	{ SIG_ECDSA_SHA256_DER, "300a06082a8648ce3d040302" },
	{ SIG_ECDSA_SHA384_DER, "300a06082a8648ce3d040303" },
	{ SIG_ECDSA_SHA512_DER, "300a06082a8648ce3d040304" },
	{ SIG_ED25519,          "300506032b6570" },
	{ SIG_ED448,            "300506032b6571" },
	{ SIG_RSA_PSS_SHA256,
	  "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
	  "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120" },
	{ SIG_RSA_PSS_SHA384,
	  "304106092a864886f70d01010a3034a00f300d06096086480165030402020500"
	  "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130" },
	{ SIG_RSA_PSS_SHA512,
	  "304106092a864886f70d01010a3034a00f300d06096086480165030402030500"
	  "a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140" },
};

START_TEST(test_algid_known)
{
	chunk_t want = hex(known[_i].der), got;

	ck_assert(sig_algid_encode(known[_i].scheme, &got));
	ck_assert_msg(chunk_equals(got, want), "%s encodes differently",
	              sig_scheme_name(known[_i].scheme));
	ck_assert_int_eq(sig_algid_decode(want), known[_i].scheme);
	/* Every truncation and one octet of trailing data are refused. */
	for (size_t len = 0; len < want.len; len++)
		ck_assert_int_eq(sig_algid_decode(chunk_create(want.ptr, len)),
		                 SIG_UNKNOWN);
	chunk_t longer = chunk_alloc(want.len + 1);
	memcpy(longer.ptr, want.ptr, want.len);
	longer.ptr[want.len] = 0;
	ck_assert_int_eq(sig_algid_decode(longer), SIG_UNKNOWN);
	chunk_free(&longer);
	/* A flipped bit anywhere gives another or no scheme, never this one
	 * (except in the PSS salt's low bits... which are checked exactly). */
	for (size_t i = 0; i < want.len; i++) {
		longer = chunk_clone(want);
		longer.ptr[i] ^= 0x01;
		ck_assert_int_ne(sig_algid_decode(longer), known[_i].scheme);
		chunk_free(&longer);
	}
	chunk_free(&got);
	chunk_free(&want);
}
END_TEST

START_TEST(test_algid_variants)
{
	static const struct {
		const char *der;
		sig_scheme_t scheme;
	} v[] = {
		/* PKCS#1 without the NULL: accepted (RFC 4055 peers vary). */
		{ "300b06092a864886f70d01010b", SIG_RSA_PKCS1_SHA256 },
		/* ECDSA with a NULL parameter: RFC 5758 forbids it. */
		{ "300c06082a8648ce3d0403020500", SIG_UNKNOWN },
		/* Ed25519 with a NULL. */
		{ "300706032b65700500", SIG_UNKNOWN },
		/* PSS SHA-256 with hash parameters absent and an explicit
		 * trailerField 1 (as RFC 7427 A.4.3 shows it). */
		{ "304206092a864886f70d01010a3035a00d300b0609608648016503040201"
		  "a11a301806092a864886f70d010108300b0609608648016503040201"
		  "a203020120a303020101", SIG_RSA_PSS_SHA256 },
		/* trailerField 2: refused. */
		{ "304206092a864886f70d01010a3035a00d300b0609608648016503040201"
		  "a11a301806092a864886f70d010108300b0609608648016503040201"
		  "a203020120a303020102", SIG_UNKNOWN },
		/* salt 20 with SHA-256: refused. */
		{ "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
		  "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020114",
		  SIG_UNKNOWN },
		/* MGF1 with SHA-384 under a SHA-256 hash: refused. */
		{ "304106092a864886f70d01010a3034a00f300d06096086480165030402010500"
		  "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020120",
		  SIG_UNKNOWN },
		/* PSS with no parameters at all (the SHA-1 defaults). */
		{ "300b06092a864886f70d01010a", SIG_UNKNOWN },
		/* Non-minimal long-form length. */
		{ "30810a06082a8648ce3d040302", SIG_UNKNOWN },
		/* Indefinite length. */
		{ "308006082a8648ce3d0403020000", SIG_UNKNOWN },
		/* Unknown OID (ecdsa-with-SHA224). */
		{ "300a06082a8648ce3d040301", SIG_UNKNOWN },
		/* Not a SEQUENCE. */
		{ "310a06082a8648ce3d040302", SIG_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		chunk_t der = hex(v[i].der);
		ck_assert_msg(sig_algid_decode(der) == v[i].scheme,
		              "variant %zu: got %s", i,
		              sig_scheme_name(sig_algid_decode(der)));
		chunk_free(&der);
	}
	ck_assert_int_eq(sig_algid_decode(chunk_empty), SIG_UNKNOWN);
	chunk_t none;
	ck_assert(!sig_algid_encode(SIG_ECDSA_P256_SHA256, &none));
	ck_assert(!sig_algid_encode(SIG_DSA_SHA1, &none));
	ck_assert(!sig_algid_encode(SIG_SCHEME_MAX, &none));
	ck_assert_ptr_null(none.ptr);
}
END_TEST

START_TEST(test_auth_data)
{
	chunk_t sig = chunk_from_str("signature-octets"), auth, inner;
	sig_scheme_t s;

	ck_assert(sig_auth_data_build(SIG_ED25519, sig, &auth));
	ck_assert_uint_eq(auth.ptr[0], 7);
	ck_assert_uint_eq(auth.len, 1 + 7 + sig.len);
	ck_assert(sig_auth_data_parse(auth, &s, &inner));
	ck_assert_int_eq(s, SIG_ED25519);
	ck_assert(chunk_equals(inner, sig));
	/* Length octet 0, beyond the data, truncated AlgorithmIdentifier. */
	for (size_t len = 0; len < 8; len++)
		ck_assert(!sig_auth_data_parse(chunk_create(auth.ptr, len), &s, &inner));
	auth.ptr[0] = 0;
	ck_assert(!sig_auth_data_parse(auth, &s, &inner));
	auth.ptr[0] = 0xff;
	ck_assert(!sig_auth_data_parse(auth, &s, &inner));
	ck_assert_int_eq(s, SIG_UNKNOWN);
	chunk_free(&auth);
	/* An empty signature parses (verification then fails). */
	ck_assert(sig_auth_data_build(SIG_RSA_PSS_SHA512, chunk_empty, &auth));
	ck_assert(sig_auth_data_parse(auth, &s, &inner));
	ck_assert_int_eq(s, SIG_RSA_PSS_SHA512);
	ck_assert_uint_eq(inner.len, 0);
	chunk_free(&auth);
	ck_assert(!sig_auth_data_build(SIG_ECDSA_P256_SHA256, sig, &auth));
}
END_TEST

START_TEST(test_scheme_select)
{
	const uint16_t all[] = { HASH_SHA1, HASH_SHA2_256, HASH_SHA2_384,
	                         HASH_SHA2_512, SIG_HASH_IDENTITY };
	const uint16_t sha256[] = { HASH_SHA2_256 };
	const uint16_t sha1_384[] = { HASH_SHA1, HASH_SHA2_384 };
	const uint16_t identity[] = { SIG_HASH_IDENTITY };

	ck_assert_int_eq(sig_scheme_select(KEY_RSA, all, 5, false), SIG_RSA_PKCS1_SHA512);
	ck_assert_int_eq(sig_scheme_select(KEY_RSA, all, 5, true), SIG_RSA_PSS_SHA512);
	ck_assert_int_eq(sig_scheme_select(KEY_RSA, sha1_384, 2, true), SIG_RSA_PSS_SHA384);
	ck_assert_int_eq(sig_scheme_select(KEY_RSA, sha256, 1, false), SIG_RSA_PKCS1_SHA256);
	ck_assert_int_eq(sig_scheme_select(KEY_RSA, identity, 1, false), SIG_UNKNOWN);
	/* ECDSA: the curve's own hash when announced, else the strongest. */
	ck_assert_int_eq(sig_scheme_select(KEY_ECDSA_P256, all, 5, false), SIG_ECDSA_SHA256_DER);
	ck_assert_int_eq(sig_scheme_select(KEY_ECDSA_P521, all, 5, false), SIG_ECDSA_SHA512_DER);
	ck_assert_int_eq(sig_scheme_select(KEY_ECDSA_P521, sha256, 1, false), SIG_ECDSA_SHA256_DER);
	ck_assert_int_eq(sig_scheme_select(KEY_ECDSA_P256, sha1_384, 2, false), SIG_ECDSA_SHA384_DER);
	ck_assert_int_eq(sig_scheme_select(KEY_ED25519, all, 5, false), SIG_ED25519);
	ck_assert_int_eq(sig_scheme_select(KEY_ED448, identity, 1, false), SIG_ED448);
	ck_assert_int_eq(sig_scheme_select(KEY_ED448, sha256, 1, false), SIG_UNKNOWN);
	ck_assert_int_eq(sig_scheme_select(KEY_DSA, all, 5, false), SIG_UNKNOWN);
	/* No notify from the peer: nothing (fall back to methods 1/3/9-11). */
	ck_assert_int_eq(sig_scheme_select(KEY_RSA, NULL, 3, false), SIG_UNKNOWN);
	ck_assert_int_eq(sig_scheme_select(KEY_ECDSA_P256, all, 0, false), SIG_UNKNOWN);
}
END_TEST

/* ------------------------------------------------- registry, fake keys */

typedef struct {
	private_key_t public;
	key_type_t type;
} fake_key_t;

static key_type_t fake_type(private_key_t *k)
{
	return ((fake_key_t *)k)->type;
}

static void fake_destroy(private_key_t *k)
{
	free(k);
}

/* A loader that "parses" the first octet as the key type. */
static private_key_t *fake_load(key_type_t type, chunk_t data)
{
	fake_key_t *k;

	if (data.len != 1)
		return NULL;
	k = calloc(1, sizeof(*k));
	k->public.get_type = fake_type;
	k->public.destroy = fake_destroy;
	k->type = data.ptr[0];
	return &k->public;
}

static private_key_t *other_load(key_type_t type, chunk_t data)
{
	return NULL;
}

START_TEST(test_registry)
{
	uint8_t rsa = KEY_RSA, dsa = KEY_DSA;
	private_key_t *k;

	ck_assert_ptr_null(cred_load_private_key(KEY_ANY, chunk_create(&rsa, 1)));
	ck_assert(cred_register_privkey(KEY_RSA, "one", fake_load));
	ck_assert(!cred_register_privkey(KEY_RSA, "two", other_load));
	ck_assert(!cred_register_privkey(KEY_ANY, "one", fake_load));
	ck_assert(!cred_register_privkey(KEY_TYPE_MAX, "one", fake_load));
	ck_assert_str_eq(cred_provider("privkey:rsa"), "one");
	ck_assert_ptr_null(cred_provider("privkey:dsa"));
	ck_assert_ptr_null(cred_provider("cert:x509"));

	k = cred_load_private_key(KEY_ANY, chunk_create(&rsa, 1));
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(k->get_type(k), KEY_RSA);
	k->destroy(k);
	/* The loader can parse DSA, but nobody provides privkey:dsa. */
	ck_assert_ptr_null(cred_load_private_key(KEY_ANY, chunk_create(&dsa, 1)));
	ck_assert_ptr_null(cred_load_private_key(KEY_DSA, chunk_create(&dsa, 1)));
	/* Asked for RSA, the data holds DSA: refused. */
	ck_assert_ptr_null(cred_load_private_key(KEY_RSA, chunk_create(&dsa, 1)));

	cred_unregister_privkey(KEY_RSA);
	ck_assert_ptr_null(cred_provider("privkey:rsa"));
	ck_assert(cred_register_privkey(KEY_RSA, "two", other_load));
	ck_assert_str_eq(cred_provider("privkey:rsa"), "two");
	cred_unregister_privkey(KEY_RSA);

	ck_assert_ptr_null(cred_create_validator());
	ck_assert_ptr_null(cred_load_certificate(chunk_from_str("x")));
	ck_assert_ptr_null(cred_load_private_key_file("pkcs11:token=x", KEY_ANY, NULL));
}
END_TEST

/* A PKCS#11 URI's query part may hold the PIN: it never reaches the log. */
static char last_log[512];

static void capture(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
                    const char *msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

START_TEST(test_uri_for_log)
{
	bus_listener_t listener = { .log = capture, .all_levels = true };
	char buf[64];

	ck_assert_str_eq(cred_uri_for_log("pkcs11:token=t;object=k?pin-value=1234",
	                                  buf, sizeof(buf)),
	                 "pkcs11:token=t;object=k?...");
	ck_assert_str_eq(cred_uri_for_log("pkcs11:token=t", buf, sizeof(buf)),
	                 "pkcs11:token=t");
	ck_assert_str_eq(cred_uri_for_log("/etc/key?.pem", buf, sizeof(buf)),
	                 "/etc/key?.pem");
	ck_assert_str_eq(cred_uri_for_log(NULL, buf, sizeof(buf)), "");
	/* too long for the buffer: cut, the query still hidden */
	ck_assert_str_eq(cred_uri_for_log("pkcs11:token=t?pin-value=1234",
	                                  buf, 12), "pkcs11:toke");
	ck_assert_str_eq(cred_uri_for_log("pkcs11:token=t?pin-value=1234",
	                                  buf, 20), "pkcs11:token=t?...");

	bus_add_listener(&listener);
	last_log[0] = '\0';
	ck_assert_ptr_null(cred_load_private_key_file(
		"pkcs11:token=x?pin-value=s3cr3t", KEY_ANY, NULL));
	bus_remove_listener(&listener);
	ck_assert_msg(strstr(last_log, "pkcs11:token=x"), "logged: %s", last_log);
	ck_assert_msg(!strstr(last_log, "s3cr3t"), "PIN logged: %s", last_log);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cred core");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_scheme_tables);
	tcase_add_loop_test(tc, test_algid_known, 0, sizeof(known) / sizeof(known[0]));
	tcase_add_test(tc, test_algid_variants);
	tcase_add_test(tc, test_auth_data);
	tcase_add_test(tc, test_scheme_select);
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_uri_for_log);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
