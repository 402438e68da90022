/*
 * test_gnutls_keys.c - private and public keys through the credential
 * registry with the gnutls plugin loaded: PEM, DER and PKCS#8 loading;
 * sign + verify round trips for every key type and every scheme that fits
 * it (and rejection of every scheme that does not); tampering; RFC 7427
 * AUTH data; garbage, truncated and missing files.
 *
 * Keys are generated at test time by mkcreds.sh (certtool); without
 * certtool the test is skipped (77).
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include <ikev2d/bus.h>
#include <ikev2d/plugin.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static const struct {
	const char *file;
	key_type_t type;
	size_t bits;
} keys[] = {
	{ "rsa",     KEY_RSA,        2048 },
	{ "dsa",     KEY_DSA,        1024 },
	{ "p256",    KEY_ECDSA_P256, 256 },
	{ "p384",    KEY_ECDSA_P384, 384 },
	{ "p521",    KEY_ECDSA_P521, 521 },
	{ "ed25519", KEY_ED25519,    256 },
	{ "ed448",   KEY_ED448,      456 },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static char *path(const char *name, const char *ext)
{
	char *p;

	if (asprintf(&p, "%s/%s%s", dir, name, ext) < 0)
		abort();
	return p;
}

static private_key_t *load_priv(const char *name, const char *ext,
                                key_type_t type)
{
	char *p = path(name, ext);
	private_key_t *key = cred_load_private_key_file(p, type, NULL);

	free(p);
	return key;
}

static public_key_t *load_pub(const char *name, const char *ext,
                              key_type_t type)
{
	char *p = path(name, ext);
	public_key_t *key = cred_load_public_key_file(p, type);

	free(p);
	return key;
}

static void setup(void)
{
	ck_assert_msg(gt_test_load_gnutls(), "gnutls plugin did not load");
}

static void teardown(void)
{
	gt_test_unload();
}

/* Every format of every key type loads, with the right type and size. */
START_TEST(test_load_formats)
{
	static const char *const ext[] = { ".pem", ".der", ".p8.pem" };

	for (size_t e = 0; e < 3; e++) {
		private_key_t *priv = load_priv(keys[_i].file, ext[e], KEY_ANY);
		if (!priv)
			gt_test_dump_log();
		ck_assert_msg(priv, "%s%s did not load", keys[_i].file, ext[e]);
		ck_assert_int_eq(priv->get_type(priv), keys[_i].type);
		ck_assert_uint_eq(priv->get_keysize(priv), keys[_i].bits);
		priv->destroy(priv);
	}
	/* Asking for the exact type works, another type is refused. */
	private_key_t *priv = load_priv(keys[_i].file, ".pem", keys[_i].type);
	ck_assert_ptr_nonnull(priv);
	priv->destroy(priv);
	key_type_t wrong = keys[_i].type == KEY_RSA ? KEY_ED25519 : KEY_RSA;
	ck_assert_ptr_null(load_priv(keys[_i].file, ".pem", wrong));

	/* Public keys in PEM and DER equal the private key's public half. */
	priv = load_priv(keys[_i].file, ".pem", KEY_ANY);
	public_key_t *mine = priv->get_public_key(priv);
	public_key_t *pem = load_pub(keys[_i].file, ".pub.pem", KEY_ANY);
	public_key_t *der = load_pub(keys[_i].file, ".pub.der", keys[_i].type);
	ck_assert_ptr_nonnull(mine);
	ck_assert_ptr_nonnull(pem);
	ck_assert_ptr_nonnull(der);
	ck_assert(mine->equals(mine, pem));
	ck_assert(pem->equals(pem, der));
	ck_assert_int_eq(der->get_type(der), keys[_i].type);
	ck_assert_uint_eq(der->get_keysize(der), keys[_i].bits);

	chunk_t spki;
	char *pubder = path(keys[_i].file, ".pub.der");
	chunk_t file = gt_test_read(pubder);
	free(pubder);
	ck_assert(der->get_encoding(der, &spki));
	ck_assert(chunk_equals(spki, file));
	chunk_free(&spki);
	chunk_free(&file);

	/* A different key is not equal. */
	public_key_t *other = load_pub(keys[(_i + 1) % N_KEYS].file, ".pub.pem",
	                               KEY_ANY);
	ck_assert(!mine->equals(mine, other));
	other->destroy(other);
	mine->destroy(mine);
	pem->destroy(pem);
	der->destroy(der);
	priv->destroy(priv);
}
END_TEST

/* Sign and verify with every scheme that fits; others are refused. */
START_TEST(test_sign_verify_all_schemes)
{
	private_key_t *priv = load_priv(keys[_i].file, ".pem", KEY_ANY);
	public_key_t *pub = load_pub(keys[_i].file, ".pub.der", KEY_ANY);
	chunk_t msg = chunk_from_str("IKE_AUTH octets: msg | Nr | prf(SK_pi, IDi)");
	chunk_t other = chunk_from_str("IKE_AUTH octets: msg | Nr | prf(SK_pi, IDr)");
	int fitting = 0;

	ck_assert_ptr_nonnull(priv);
	ck_assert_ptr_nonnull(pub);
	for (int s = SIG_UNKNOWN + 1; s < SIG_SCHEME_MAX; s++) {
		chunk_t sig;

		if (!sig_scheme_fits_key(s, keys[_i].type)) {
			ck_assert_msg(!priv->sign(priv, s, msg, &sig),
			              "%s signed %s", keys[_i].file, sig_scheme_name(s));
			ck_assert_ptr_null(sig.ptr);
			continue;
		}
		fitting++;
		ck_assert_msg(priv->sign(priv, s, msg, &sig), "%s: sign %s",
		              keys[_i].file, sig_scheme_name(s));
		ck_assert_msg(pub->verify(pub, s, msg, sig), "%s: verify %s",
		              keys[_i].file, sig_scheme_name(s));
		ck_assert(!pub->verify(pub, s, other, sig));
		ck_assert(!pub->verify(pub, s, msg, chunk_create(sig.ptr, sig.len - 1)));
		if (s == SIG_DSA_SHA1)
			ck_assert_uint_eq(sig.len, 40);
		if (s == SIG_ECDSA_P256_SHA256)
			ck_assert_uint_eq(sig.len, 64);
		if (s == SIG_ECDSA_P384_SHA384)
			ck_assert_uint_eq(sig.len, 96);
		if (s == SIG_ECDSA_P521_SHA512)
			ck_assert_uint_eq(sig.len, 132);
		if (s == SIG_ED25519)
			ck_assert_uint_eq(sig.len, 64);
		if (s == SIG_ED448)
			ck_assert_uint_eq(sig.len, 114);
		/* Every bit matters. */
		for (size_t i = 0; i < sig.len; i += sig.len / 7 + 1) {
			sig.ptr[i] ^= 0x80;
			ck_assert_msg(!pub->verify(pub, s, msg, sig),
			              "%s: %s accepted a flipped byte %zu",
			              keys[_i].file, sig_scheme_name(s), i);
			sig.ptr[i] ^= 0x80;
		}
		/* The signature under another scheme of the same key fails. */
		for (int t = SIG_UNKNOWN + 1; t < SIG_SCHEME_MAX; t++)
			if (t != s && sig_scheme_hash(t) != sig_scheme_hash(s) &&
			    sig_scheme_fits_key(t, keys[_i].type))
				ck_assert(!pub->verify(pub, t, msg, sig));

		/* Through RFC 7427 AUTH data where the scheme has one. */
		if (sig_scheme_auth_method(s) == AUTH_DIGITAL_SIG) {
			chunk_t auth, inner;
			sig_scheme_t got;

			ck_assert(sig_auth_data_build(s, sig, &auth));
			ck_assert(sig_auth_data_parse(auth, &got, &inner));
			ck_assert_int_eq(got, s);
			ck_assert(pub->verify(pub, got, msg, inner));
			chunk_free(&auth);
		} else {
			ck_assert_int_eq(sig_scheme_for_auth_method(
				sig_scheme_auth_method(s), keys[_i].type), s);
		}
		chunk_free(&sig);
	}
	ck_assert_int_gt(fitting, 0);
	pub->destroy(pub);
	priv->destroy(priv);
}
END_TEST

/* AUTH payload data for every signature method a key can use. */
START_TEST(test_auth_methods)
{
	static const auth_method_t methods[] = {
		AUTH_RSA_SIG, AUTH_DSS_SIG, AUTH_ECDSA_256, AUTH_ECDSA_384,
		AUTH_ECDSA_521,
	};
	private_key_t *priv = load_priv(keys[_i].file, ".pem", KEY_ANY);
	public_key_t *pub = priv->get_public_key(priv);
	chunk_t octets = chunk_from_str("RealMessage1 | NonceRData | MACedIDForI");
	chunk_t other = chunk_from_str("RealMessage1 | NonceRData | MACedIDForR");
	chunk_t auth;
	sig_scheme_t used;
	int usable = 0;

	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		sig_scheme_t s = sig_scheme_for_auth_method(methods[m], keys[_i].type);
		if (s == SIG_UNKNOWN) {
			ck_assert(!cred_auth_sign(priv, methods[m], SIG_UNKNOWN,
			                          octets, &auth));
			continue;
		}
		usable++;
		ck_assert(cred_auth_sign(priv, methods[m], SIG_UNKNOWN, octets, &auth));
		ck_assert(cred_auth_verify(pub, methods[m], auth, octets, &used));
		ck_assert_int_eq(used, s);
		ck_assert(!cred_auth_verify(pub, methods[m], auth, other, NULL));
		ck_assert(!cred_auth_verify(pub, AUTH_DIGITAL_SIG, auth, octets, NULL));
		chunk_free(&auth);
	}
	/* Method 14 with every scheme that has an AlgorithmIdentifier. */
	for (int s = SIG_UNKNOWN; s < SIG_SCHEME_MAX; s++) {
		chunk_t algid;
		bool has = s != SIG_UNKNOWN && sig_algid_encode(s, &algid);
		bool fits = s == SIG_UNKNOWN ?
			sig_scheme_default(keys[_i].type) != SIG_UNKNOWN :
			sig_scheme_fits_key(s, keys[_i].type) && has;

		if (has)
			chunk_free(&algid);
		if (!fits) {
			ck_assert(!cred_auth_sign(priv, AUTH_DIGITAL_SIG, s, octets, &auth));
			continue;
		}
		usable++;
		ck_assert_msg(cred_auth_sign(priv, AUTH_DIGITAL_SIG, s, octets, &auth),
		              "%s: method 14 with %s", keys[_i].file, sig_scheme_name(s));
		ck_assert(cred_auth_verify(pub, AUTH_DIGITAL_SIG, auth, octets, &used));
		ck_assert_int_eq(used, s == SIG_UNKNOWN ?
		                 sig_scheme_default(keys[_i].type) : (sig_scheme_t)s);
		ck_assert(!cred_auth_verify(pub, AUTH_DIGITAL_SIG, auth, other, NULL));
		/* Cut anywhere: refused. */
		for (size_t len = 0; len < auth.len; len += 11)
			ck_assert(!cred_auth_verify(pub, AUTH_DIGITAL_SIG,
			                            chunk_create(auth.ptr, len), octets, NULL));
		chunk_free(&auth);
	}
	ck_assert_int_gt(usable, 0);
	ck_assert(!cred_auth_sign(priv, AUTH_PSK, SIG_UNKNOWN, octets, &auth));
	ck_assert(!cred_auth_verify(pub, AUTH_PSK, octets, octets, NULL));
	ck_assert(!cred_auth_verify(NULL, AUTH_RSA_SIG, octets, octets, NULL));
	pub->destroy(pub);
	priv->destroy(priv);
}
END_TEST

/* An id-RSASSA-PSS key is an RSA key that signs PSS only. */
START_TEST(test_rsa_pss_key)
{
	private_key_t *priv = load_priv("rsapss", ".pem", KEY_RSA);
	public_key_t *pub = load_pub("rsapss", ".pub.pem", KEY_RSA);
	chunk_t msg = chunk_from_str("pss only"), sig;

	ck_assert_ptr_nonnull(priv);
	ck_assert_ptr_nonnull(pub);
	for (int s = SIG_RSA_PSS_SHA256; s <= SIG_RSA_PSS_SHA512; s++) {
		ck_assert(priv->sign(priv, s, msg, &sig));
		ck_assert(pub->verify(pub, s, msg, sig));
		chunk_free(&sig);
	}
	ck_assert(!priv->sign(priv, SIG_RSA_PKCS1_SHA256, msg, &sig));
	ck_assert(!priv->sign(priv, SIG_RSA_PKCS1_SHA1, msg, &sig));
	pub->destroy(pub);
	priv->destroy(priv);
}
END_TEST

/* A signature by one key does not verify under another of the same type. */
START_TEST(test_wrong_key)
{
	char *p = path("second", ".pem");
	chunk_t msg = chunk_from_str("data"), sig;

	ck_assert_int_eq(gt_test_sh("certtool --generate-privkey --key-type ecdsa "
	                            "--curve secp256r1 --no-text --outfile %s "
	                            "2>/dev/null", p), 0);
	private_key_t *a = cred_load_private_key_file(p, KEY_ECDSA_P256, NULL);
	public_key_t *b = load_pub("p256", ".pub.pem", KEY_ECDSA_P256);
	ck_assert_ptr_nonnull(a);
	ck_assert(a->sign(a, SIG_ECDSA_P256_SHA256, msg, &sig));
	ck_assert(!b->verify(b, SIG_ECDSA_P256_SHA256, msg, sig));
	chunk_free(&sig);
	a->destroy(a);
	b->destroy(b);
	free(p);
}
END_TEST

/* Raw r||s of the wrong length and DER variants are rejected. */
START_TEST(test_malformed_signatures)
{
	private_key_t *priv = load_priv("p256", ".pem", KEY_ANY);
	public_key_t *pub = priv->get_public_key(priv);
	chunk_t msg = chunk_from_str("m"), sig, der, longer;

	ck_assert(priv->sign(priv, SIG_ECDSA_P256_SHA256, msg, &sig));
	/* 65 octets: one too many. */
	longer = chunk_alloc(65);
	memcpy(longer.ptr + 1, sig.ptr, 64);
	longer.ptr[0] = 0;
	ck_assert(!pub->verify(pub, SIG_ECDSA_P256_SHA256, msg, longer));
	ck_assert(!pub->verify(pub, SIG_ECDSA_P256_SHA256, msg, chunk_empty));
	chunk_free(&longer);
	chunk_free(&sig);

	ck_assert(priv->sign(priv, SIG_ECDSA_SHA256_DER, msg, &der));
	ck_assert(pub->verify(pub, SIG_ECDSA_SHA256_DER, msg, der));
	/* Trailing garbage after the DER. */
	longer = chunk_alloc(der.len + 1);
	memcpy(longer.ptr, der.ptr, der.len);
	longer.ptr[der.len] = 0;
	ck_assert(!pub->verify(pub, SIG_ECDSA_SHA256_DER, msg, longer));
	chunk_free(&longer);
	/* Long-form length where the short form fits (BER, not DER). */
	longer = chunk_alloc(der.len + 1);
	longer.ptr[0] = 0x30;
	longer.ptr[1] = 0x81;
	memcpy(longer.ptr + 2, der.ptr + 1, der.len - 1);
	ck_assert(!pub->verify(pub, SIG_ECDSA_SHA256_DER, msg, longer));
	chunk_free(&longer);
	/* A DER signature where raw is expected and vice versa. */
	ck_assert(!pub->verify(pub, SIG_ECDSA_P256_SHA256, msg, der));
	chunk_free(&der);
	/* All-zero r||s. */
	longer = chunk_alloc(64);
	memset(longer.ptr, 0, 64);
	ck_assert(!pub->verify(pub, SIG_ECDSA_P256_SHA256, msg, longer));
	chunk_free(&longer);
	/* Out-of-range scheme numbers. */
	ck_assert(!pub->verify(pub, SIG_SCHEME_MAX, msg, msg));
	ck_assert(!pub->verify(pub, (sig_scheme_t)-1, msg, msg));
	ck_assert(!priv->sign(priv, SIG_UNKNOWN, msg, &sig));
	pub->destroy(pub);
	priv->destroy(priv);
}
END_TEST

/* Garbage, truncated, empty, missing files: NULL and a clear log line. */
START_TEST(test_bad_files)
{
	char *pem = path("p256", ".pem"), *der = path("rsa", ".der");
	char *bad = path("bad", ".pem"), *trunc = path("trunc", ".der");
	char *tpem = path("trunc", ".pem"), *empty = path("empty", ".pem");
	chunk_t c;

	gt_test_clear_log();
	ck_assert_ptr_null(cred_load_private_key_file("/nonexistent/k.pem",
	                                              KEY_ANY, NULL));
	ck_assert(gt_test_logged("cannot open '/nonexistent/k.pem'"));

	ck_assert(gt_test_write(bad, chunk_from_str("this is no key\n")));
	gt_test_clear_log();
	ck_assert_ptr_null(cred_load_private_key_file(bad, KEY_ANY, NULL));
	ck_assert(gt_test_logged("cannot load"));
	ck_assert_ptr_null(cred_load_public_key_file(bad, KEY_ANY));
	ck_assert_ptr_null(cred_load_certificate_file(bad));
	ck_assert_ptr_null(cred_load_crl_file(bad));

	/* Every truncation of a DER key fails cleanly. */
	c = gt_test_read(der);
	ck_assert_uint_gt(c.len, 100);
	for (size_t len = 1; len < c.len; len += 97) {
		ck_assert_ptr_null(cred_load_private_key(KEY_ANY,
		                                         chunk_create(c.ptr, len)));
		ck_assert(gt_test_write(trunc, chunk_create(c.ptr, len)));
		ck_assert_ptr_null(cred_load_private_key_file(trunc, KEY_ANY, NULL));
	}
	chunk_free(&c);

	/* A PEM key cut in the middle. */
	c = gt_test_read(pem);
	ck_assert(gt_test_write(tpem, chunk_create(c.ptr, c.len / 2)));
	ck_assert_ptr_null(cred_load_private_key_file(tpem, KEY_ANY, NULL));
	chunk_free(&c);

	ck_assert(gt_test_write(empty, chunk_empty));
	gt_test_clear_log();
	ck_assert_ptr_null(cred_load_private_key_file(empty, KEY_ANY, NULL));
	ck_assert(gt_test_logged("is empty"));
	ck_assert_ptr_null(cred_load_private_key_file(dir, KEY_ANY, NULL));
	ck_assert(gt_test_logged("not a regular file"));
	ck_assert_ptr_null(cred_load_private_key_file(NULL, KEY_ANY, NULL));
	ck_assert_ptr_null(cred_load_private_key(KEY_ANY, chunk_empty));
	ck_assert_ptr_null(cred_load_private_key(KEY_TYPE_MAX, chunk_from_str("x")));
	ck_assert_ptr_null(cred_load_public_key(KEY_ANY, chunk_empty));
	ck_assert_ptr_null(cred_load_certificate(chunk_empty));

	free(pem); free(der); free(bad); free(trunc); free(tpem); free(empty);
}
END_TEST

/* One key object, several threads signing and verifying at once (cred.h
 * promises that objects are thread-safe while nobody destroys them). */
typedef struct {
	private_key_t *priv;
	public_key_t *pub;
	sig_scheme_t scheme;
	int ok;
} thread_arg_t;

static void *sign_loop(void *p)
{
	thread_arg_t *a = p;
	char buf[32];

	for (int i = 0; i < 100; i++) {
		chunk_t msg, sig;

		snprintf(buf, sizeof(buf), "message %d", i);
		msg = chunk_from_str(buf);
		if (a->priv->sign(a->priv, a->scheme, msg, &sig)) {
			a->ok += a->pub->verify(a->pub, a->scheme, msg, sig);
			chunk_free(&sig);
		}
	}
	return NULL;
}

START_TEST(test_threads)
{
	static const struct { const char *file; sig_scheme_t scheme; } k[] = {
		{ "p256", SIG_ECDSA_P256_SHA256 },
		{ "ed25519", SIG_ED25519 },
		{ "rsa", SIG_RSA_PSS_SHA256 },
	};
	private_key_t *priv = load_priv(k[_i].file, ".pem", KEY_ANY);
	public_key_t *pub = priv->get_public_key(priv);
	thread_arg_t args[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (thread_arg_t){ priv, pub, k[_i].scheme, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, sign_loop, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(args[i].ok, 100);
	}
	pub->destroy(pub);
	priv->destroy(priv);
}
END_TEST

/* Every single-octet corruption of a DER private key (P-256, Ed25519) and
 * of a DER public key loads safely or is refused; a loaded one works. */
START_TEST(test_mutations)
{
	static const char *const names[] = { "p256.der", "ed25519.der",
	                                     "p256.pub.der", "rsa.pub.der" };
	int loaded = 0, rejected = 0;

	for (size_t f = 0; f < 4; f++) {
		char *p = path(names[f], "");
		chunk_t orig = gt_test_read(p), sig;
		bool is_pub = strstr(names[f], ".pub.") != NULL;

		free(p);
		ck_assert_uint_gt(orig.len, 0);
		for (size_t i = 0; i < orig.len; i++) {
			chunk_t m = chunk_clone(orig);
			m.ptr[i] ^= 0x41;
			if (is_pub) {
				public_key_t *k = cred_load_public_key(KEY_ANY, m);
				if (k) {
					loaded++;
					(void)k->verify(k, sig_scheme_default(k->get_type(k)),
					                m, m);
					k->destroy(k);
				} else {
					rejected++;
				}
			} else {
				private_key_t *k = cred_load_private_key(KEY_ANY, m);
				if (k) {
					loaded++;
					if (k->sign(k, sig_scheme_default(k->get_type(k)),
					            m, &sig))
						chunk_free(&sig);
					k->destroy(k);
				} else {
					rejected++;
				}
			}
			chunk_clear(&m);
		}
		chunk_clear(&orig);
	}
	printf("key mutations: %d loaded, %d rejected\n", loaded, rejected);
	ck_assert_int_gt(rejected, 0);
}
END_TEST

/* The plugin registered every key type and names itself as provider. */
START_TEST(test_providers)
{
	static const char *const f[] = {
		"privkey:rsa", "privkey:dsa", "privkey:ecdsa", "privkey:ed25519",
		"privkey:ed448", "pubkey:rsa", "pubkey:dsa", "pubkey:ecdsa",
		"pubkey:ed25519", "pubkey:ed448", "cert:x509", "crl:x509",
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ck_assert_msg(plugin_feature_loaded(f[i]), "%s not loaded", f[i]);
		ck_assert_str_eq(cred_provider(f[i]), "gnutls");
	}
	ck_assert_ptr_null(cred_provider("privkey:nonsense"));
	ck_assert_ptr_null(cred_provider("foo"));
}
END_TEST

int main(void)
{
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int failed;

	dir = gt_test_make_creds("keys");

	s = suite_create("gnutls keys");
	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_load_formats, 0, N_KEYS);
	tcase_add_loop_test(tc, test_sign_verify_all_schemes, 0, N_KEYS);
	tcase_add_loop_test(tc, test_auth_methods, 0, N_KEYS);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_rsa_pss_key);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_malformed_signatures);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_providers);
	tcase_add_loop_test(tc, test_threads, 0, 3);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gt_test_rmdir(dir);
	free(dir);
	return failed ? 1 : 0;
}
