/*
 * test_keystore.c - the keystore directory (<ikev2d/keystore.h>) with the
 * gnutls plugin: loading certs/ private/ cacerts/ intcerts/ crls/, keys
 * matched to certificates by public key, the local certificate by
 * identity and by CERTREQ key ids, our chain, peer validation with CRLs,
 * signing through the signer, and the refusals (permissions, bad files).
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include <ikev2d/keystore.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *creds;   /* mkcreds.sh output */
static char *ks_dir;  /* a keystore built from it per test */

static certificate_t *cert(const char *name)
{
	char *p;
	ck_assert(asprintf(&p, "%s/%s", creds, name) > 0);
	certificate_t *c = cred_load_certificate_file(p);
	ck_assert_msg(c, "cannot load %s", name);
	free(p);
	return c;
}

static void setup(void)
{
	ck_assert_msg(gt_test_load_gnutls(), "gnutls plugin did not load");
	ks_dir = gt_test_tmpdir("ks");
	ck_assert_int_eq(gt_test_sh(
		"set -e; cd '%s'; mkdir certs private cacerts intcerts crls; "
		"cp '%s/leaf.pem' certs/a-moon.pem; cp '%s/leaf-rsa.pem' certs/b-moon-rsa.crt; "
		"cp '%s/leaf.key' private/moon.key; cp '%s/rsa.pem' private/rsa.key; "
		"cp '%s/root.pem' cacerts/; cp '%s/inter.pem' intcerts/; "
		"cp '%s/inter.crl' crls/; echo junk > certs/README; "
		"chmod 700 . private; chmod 600 private/*",
		ks_dir, creds, creds, creds, creds, creds, creds, creds), 0);
	gt_test_clear_log();
}

static void teardown(void)
{
	gt_test_rmdir(ks_dir);
	free(ks_dir);
	gt_test_unload();
}

START_TEST(test_load_and_lookup)
{
	int errors = -1;
	keystore_t *ks = keystore_load(ks_dir, geteuid(), &errors);
	if (!ks)
		gt_test_dump_log();
	ck_assert_ptr_nonnull(ks);
	ck_assert_int_eq(errors, 0);
	ck_assert_uint_eq(keystore_count(ks), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_ptr_nonnull(keystore_get(ks, i)->signer);
	ck_assert_ptr_null(keystore_get(ks, 2));
	ck_assert_uint_eq(keystore_anchor_count(ks), 1);

	/* The anchor's key id is the SHA-1 of its SubjectPublicKeyInfo. */
	certificate_t *root = cert("root.pem");
	uint8_t id[KEYSTORE_KEYID_SIZE];
	ck_assert(cert_keyid(root, id));
	ck_assert_mem_eq(keystore_anchor_keyid(ks, 0), id, sizeof(id));

	/* By identity: the FQDN both leaves carry; a-moon.pem sorts first. */
	chunk_t fqdn = chunk_from_str("moon.example.org");
	const keystore_entry_t *e = keystore_find_local(ks, ID_FQDN, fqdn, NULL,
	                                                NULL, NULL, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->source, "certs/a-moon.pem"));
	ck_assert_ptr_null(keystore_find_local(ks, ID_FQDN,
	                   chunk_from_str("sun.example.org"), NULL, NULL, NULL, 0));
	/* A CERTREQ for our root still finds one; an unknown key id falls
	 * back to the first match. */
	const uint8_t (*ids)[KEYSTORE_KEYID_SIZE] = &id;
	ck_assert_ptr_nonnull(keystore_find_local(ks, ID_FQDN, fqdn, NULL, NULL,
	                                          ids, 1));
	uint8_t other[1][KEYSTORE_KEYID_SIZE] = { { 1, 2, 3 } };
	ck_assert_ptr_eq(keystore_find_local(ks, ID_FQDN, fqdn, NULL, NULL,
	                                     (const uint8_t (*)[KEYSTORE_KEYID_SIZE])other, 1), e);

	/* Our chain: the intermediate, not the root. */
	certificate_t **chain;
	ck_assert_uint_eq(keystore_chain(ks, e->cert, &chain), 1);
	certificate_t *inter = cert("inter.pem");
	ck_assert(chunk_equals(chain[0]->get_encoding(chain[0]),
	                       inter->get_encoding(inter)));
	free(chain);

	/* Peer validation through our intermediates, and the CRL. */
	cert_policy_t pol;
	cert_policy_default(&pol);
	certificate_t *anchor = NULL;
	ck_assert_int_eq(keystore_verify(ks, e->cert, NULL, 0, &pol, &anchor),
	                 CERT_OK);
	ck_assert_ptr_eq(anchor, keystore_anchor(ks, 0));
	certificate_t *revoked = cert("leaf-revoked.pem");
	ck_assert_int_eq(keystore_verify(ks, revoked, NULL, 0, &pol, NULL),
	                 CERT_REVOKED);
	certificate_t *alien = cert("leaf-other.pem");
	ck_assert_int_ne(keystore_verify(ks, alien, NULL, 0, &pol, NULL), CERT_OK);

	/* The signer signs AUTH data the certificate's key verifies. */
	chunk_t octets = chunk_from_str("IKE_SA_INIT | nonce | prf(SK_p, ID)");
	chunk_t auth;
	ck_assert(signer_auth_sign(e->signer, AUTH_ECDSA_256, SIG_UNKNOWN, octets,
	                           &auth));
	public_key_t *pub = e->cert->get_public_key(e->cert);
	ck_assert(cred_auth_verify(pub, AUTH_ECDSA_256, auth, octets, NULL));
	chunk_free(&auth);
	ck_assert(signer_auth_sign(e->signer, AUTH_DIGITAL_SIG, SIG_UNKNOWN,
	                           octets, &auth));
	sig_scheme_t s;
	ck_assert(cred_auth_verify(pub, AUTH_DIGITAL_SIG, auth, octets, &s));
	ck_assert_int_eq(s, SIG_ECDSA_SHA256_DER);
	chunk_free(&auth);
	pub->destroy(pub);

	/* Published set: a reference outlives the swap. */
	keystore_set_current(ks);
	keystore_t *cur = keystore_current();
	ck_assert_ptr_eq(cur, ks);
	keystore_set_current(NULL);
	ck_assert_ptr_null(keystore_current());
	ck_assert_uint_eq(keystore_count(cur), 2);
	keystore_unref(cur);

	root->destroy(root);
	inter->destroy(inter);
	revoked->destroy(revoked);
	alien->destroy(alien);
	keystore_unref(ks);
}
END_TEST

static void expect_refused(const char *log_text)
{
	int errors = 0;
	gt_test_clear_log();
	keystore_t *ks = keystore_load(ks_dir, geteuid(), &errors);
	if (ks || !gt_test_logged(log_text))
		gt_test_dump_log();
	ck_assert_ptr_null(ks);
	ck_assert_int_gt(errors, 0);
	ck_assert_msg(gt_test_logged(log_text), "no log line with '%s'", log_text);
}

START_TEST(test_refusals)
{
	ck_assert_int_eq(gt_test_sh("chmod 644 '%s/private/moon.key'", ks_dir), 0);
	expect_refused("chmod 600");
	ck_assert_int_eq(gt_test_sh("chmod 600 '%s/private/moon.key' && "
	                            "chmod 755 '%s/private'", ks_dir, ks_dir), 0);
	expect_refused("chmod 700");
	ck_assert_int_eq(gt_test_sh("chmod 700 '%s/private' && chmod 711 '%s'",
	                            ks_dir, ks_dir), 0);
	expect_refused("refusing the keystore");
	ck_assert_int_eq(gt_test_sh("chmod 700 '%s' && echo broken > "
	                            "'%s/cacerts/bad.pem'", ks_dir, ks_dir), 0);
	expect_refused("bad.pem");
	ck_assert_int_eq(gt_test_sh("rm '%s/cacerts/bad.pem' && echo broken > "
	                            "'%s/crls/bad.crl'", ks_dir, ks_dir), 0);
	expect_refused("bad.crl");
	ck_assert_int_eq(gt_test_sh("rm '%s/crls/bad.crl' && echo broken > "
	                            "'%s/private/bad.key' && chmod 600 '%s/private/bad.key'",
	                            ks_dir, ks_dir, ks_dir), 0);
	expect_refused("bad.key");
}
END_TEST

START_TEST(test_missing_and_unmatched)
{
	/* No directory: an empty keystore (certificates are optional). */
	char *none;
	ck_assert(asprintf(&none, "%s/nonexistent", ks_dir) > 0);
	keystore_t *ks = keystore_load(none, geteuid(), NULL);
	ck_assert_ptr_nonnull(ks);
	ck_assert_uint_eq(keystore_count(ks), 0);
	keystore_unref(ks);
	free(none);
	/* A certificate without its key has no signer and is never chosen;
	 * missing subdirectories are empty. */
	ck_assert_int_eq(gt_test_sh("cd '%s' && rm -r private/moon.key intcerts crls",
	                            ks_dir), 0);
	ks = keystore_load(ks_dir, geteuid(), NULL);
	ck_assert_ptr_nonnull(ks);
	ck_assert_uint_eq(keystore_count(ks), 2);
	const keystore_entry_t *e = keystore_find_local(ks, ID_FQDN,
	        chunk_from_str("moon.example.org"), NULL, NULL, NULL, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->source, "b-moon-rsa.crt"));
	ck_assert_int_eq(keystore_get(ks, 0)->signer == NULL, 1);
	keystore_unref(ks);
}
END_TEST

int main(void)
{
	creds = gt_test_make_creds("keystore");
	Suite *s = suite_create("keystore");
	TCase *tc = tcase_create("keystore");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_load_and_lookup);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_missing_and_unmatched);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gt_test_rmdir(creds);
	free(creds);
	return failed ? 1 : 0;
}
