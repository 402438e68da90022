/*
 * test_gnutls_token.c - cred_token_t with SoftHSM2: a token holding an
 * ECDSA key and certificate (made on the token by ikev2cert) and an RSA
 * one; the daemon side opens it without a PIN, reads the certificates,
 * and its keys refuse to sign until cred_token_login() gets the right PIN;
 * signatures then verify under the certificates' keys; a wrong PIN leaves
 * it locked; logout locks it again, and after logout a wrong PIN is
 * refused (the module's login really ended).
 *
 * Skipped (77) when softhsm2-util or the SoftHSM2 module for p11-kit is
 * missing, or ikev2cert is not built.
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include <ikev2d/keystore.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIN "4711"
#define TOKEN "pkcs11:token=ikev2d-token"

static char *dir;

static void setup(void)
{
	ck_assert_msg(gt_test_load_gnutls(), "gnutls plugin did not load");
	ck_assert_str_eq(cred_provider("pkcs11"), "gnutls");
}

static void teardown(void)
{
	cred_tokens_flush();
	gt_test_unload();
}

static bool signs(private_key_t *key, certificate_t *cert)
{
	chunk_t msg = chunk_from_str("IKE_AUTH octets"), sig = chunk_empty;
	public_key_t *pub = cert->get_public_key(cert);
	sig_scheme_t scheme = sig_scheme_default(key->get_type(key));
	bool ok = key->sign(key, scheme, msg, &sig);

	if (ok)
		ck_assert_msg(pub->verify(pub, scheme, msg, sig),
		              "token signature does not verify");
	chunk_free(&sig);
	pub->destroy(pub);
	return ok;
}

START_TEST(test_locked_then_unlocked)
{
	cred_token_t *tok = cred_token_get(TOKEN);
	certificate_t **certs;
	char **uris;
	private_key_t *keys[4];
	size_t n;

	ck_assert_ptr_nonnull(tok);
	ck_assert_ptr_eq(cred_token_get(TOKEN), tok);   /* opened once */
	ck_assert(!tok->is_unlocked(tok));
	n = tok->get_certs(tok, &certs, &uris);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		keys[i] = tok->get_key(tok, uris[i], certs[i]);
		ck_assert_ptr_nonnull(keys[i]);
		ck_assert_ptr_nonnull(strstr(uris[i], "type=private"));
	}
	/* locked: no signature, a clear log line */
	gt_test_clear_log();
	for (size_t i = 0; i < n; i++)
		ck_assert(!signs(keys[i], certs[i]));
	ck_assert(gt_test_logged("is locked"));
	/* a wrong PIN keeps it locked */
	gt_test_clear_log();
	ck_assert(!cred_token_login(TOKEN, "0000"));
	ck_assert(gt_test_logged("wrong PIN"));
	ck_assert(!tok->is_unlocked(tok));
	ck_assert(!signs(keys[0], certs[0]));
	/* the right one unlocks: both keys sign, the signatures verify */
	ck_assert(cred_token_login(TOKEN, PIN));
	ck_assert(tok->is_unlocked(tok));
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(signs(keys[i], certs[i]), "key %zu", i);
	ck_assert_int_ne(keys[0]->get_type(keys[0]), keys[1]->get_type(keys[1]));
	/* logout locks again; a wrong PIN after it is refused */
	ck_assert(cred_token_logout(NULL));
	ck_assert(!signs(keys[0], certs[0]));
	ck_assert(!cred_token_login(NULL, "0000"));
	ck_assert(!signs(keys[1], certs[1]));
	ck_assert(cred_token_login(NULL, PIN));
	ck_assert(signs(keys[1], certs[1]));
	/* a key obtained while unlocked signs at once */
	{
		private_key_t *late = tok->get_key(tok, uris[0], certs[0]);
		public_key_t *pub = late->get_public_key(late);

		ck_assert(signs(late, certs[0]));
		ck_assert_ptr_nonnull(pub);
		pub->destroy(pub);
		late->destroy(late);
	}
	for (size_t i = 0; i < n; i++) {
		keys[i]->destroy(keys[i]);
		certs[i]->destroy(certs[i]);
		free(uris[i]);
	}
	free(certs);
	free(uris);
}
END_TEST

/* The daemon's view: daemon.pkcs11_token through keystore_add_token. */
static bool auth_signs(const keystore_entry_t *e)
{
	chunk_t octets = chunk_from_str("InitiatorSignedOctets"), auth = chunk_empty;
	public_key_t *pub = e->cert->get_public_key(e->cert);
	sig_scheme_t scheme = SIG_UNKNOWN;
	bool ok = signer_auth_sign(e->signer, AUTH_DIGITAL_SIG, SIG_UNKNOWN,
	                           octets, &auth);

	if (ok)
		ck_assert(cred_auth_verify(pub, AUTH_DIGITAL_SIG, auth, octets,
		                           &scheme));
	chunk_free(&auth);
	pub->destroy(pub);
	return ok;
}

START_TEST(test_keystore)
{
	keystore_t *ks = keystore_create_empty();
	keystore_t *ks2;

	/* no PIN: the certificates are there, the signers not ready */
	ck_assert(keystore_add_token(ks, TOKEN, NULL));
	ck_assert_uint_eq(keystore_count(ks), 2);
	for (size_t i = 0; i < 2; i++) {
		const keystore_entry_t *e = keystore_get(ks, i);

		ck_assert_ptr_nonnull(e->signer);
		ck_assert(!e->signer->is_ready(e->signer));
		ck_assert(!auth_signs(e));
	}
	/* ikeadm token login */
	ck_assert(cred_token_login(TOKEN, PIN));
	for (size_t i = 0; i < 2; i++) {
		const keystore_entry_t *e = keystore_get(ks, i);

		ck_assert(e->signer->is_ready(e->signer));
		ck_assert(auth_signs(e));
	}
	/* a reload keeps the login */
	ks2 = keystore_create_empty();
	ck_assert(keystore_add_token(ks2, TOKEN, NULL));
	ck_assert(keystore_get(ks2, 0)->signer->is_ready(keystore_get(ks2, 0)->signer));
	keystore_unref(ks2);
	cred_token_logout(TOKEN);
	ck_assert(!auth_signs(keystore_get(ks, 0)));

	/* a configured wrong PIN: logged, locked, and not retried on the
	 * next reload (a token locks after a few wrong PINs) */
	gt_test_clear_log();
	ks2 = keystore_create_empty();
	ck_assert(keystore_add_token(ks2, TOKEN, "9999"));
	ck_assert(gt_test_logged("wrong PIN"));
	ck_assert(!keystore_get(ks2, 0)->signer->is_ready(keystore_get(ks2, 0)->signer));
	keystore_unref(ks2);
	gt_test_clear_log();
	ks2 = keystore_create_empty();
	ck_assert(keystore_add_token(ks2, TOKEN, "9999"));
	ck_assert(!gt_test_logged("wrong PIN"));
	keystore_unref(ks2);
	/* the configured right PIN unlocks at load */
	ks2 = keystore_create_empty();
	ck_assert(keystore_add_token(ks2, TOKEN, PIN));
	ck_assert(auth_signs(keystore_get(ks2, 1)));
	keystore_unref(ks2);
	keystore_unref(ks);
	/* a token that is not there refuses the keystore */
	ks = keystore_create_empty();
	ck_assert(!keystore_add_token(ks, "pkcs11:token=absent", NULL));
	keystore_unref(ks);
}
END_TEST

START_TEST(test_errors)
{
	gt_test_clear_log();
	ck_assert_ptr_null(cred_token_get("pkcs11:token=no-such-token"));
	ck_assert(gt_test_logged("no token matches"));
	ck_assert_ptr_null(cred_token_get("not-a-uri"));
	ck_assert(!cred_token_login("pkcs11:token=never-opened", PIN));
	ck_assert(!cred_token_logout("pkcs11:token=never-opened"));
}
END_TEST

static int make_token(void)
{
	char *conf;
	const char *bd = getenv("top_builddir");

	if (gt_test_sh("command -v softhsm2-util >/dev/null") != 0) {
		printf("SKIP: needs softhsm2-util (softhsm2)\n");
		return 77;
	}
	if (gt_test_sh("grep -qs softhsm2 /usr/share/p11-kit/modules/*.module "
	               "/etc/pkcs11/modules/*.module") != 0) {
		printf("SKIP: SoftHSM2 is not registered with p11-kit\n");
		return 77;
	}
	if (!bd || gt_test_sh("test -x '%s/tools/ikev2cert/ikev2cert'", bd) != 0) {
		printf("SKIP: ikev2cert is not built\n");
		return 77;
	}
	if (asprintf(&conf, "%s/softhsm2.conf", dir) < 0)
		abort();
	if (gt_test_sh("mkdir '%s/tokens' && printf 'directories.tokendir = "
	               "%s/tokens\\nobjectstore.backend = file\\nlog.level = "
	               "ERROR\\n' > '%s'", dir, dir, conf) != 0)
		return 1;
	setenv("SOFTHSM2_CONF", conf, 1);
	free(conf);
	if (gt_test_sh("softhsm2-util --init-token --free --label ikev2d-token "
	               "--pin " PIN " --so-pin 5678 >/dev/null") != 0) {
		printf("SKIP: softhsm2-util cannot create a token\n");
		return 77;
	}
	if (gt_test_sh("echo " PIN " | '%s/tools/ikev2cert/ikev2cert' -T '" TOKEN
	               "' gencert keytype=ec subject=CN=tok-ec label=ec && "
	               "echo " PIN " | '%s/tools/ikev2cert/ikev2cert' -T '" TOKEN
	               "' gencert keytype=rsa subject=CN=tok-rsa label=rsa",
	               bd, bd) != 0) {
		fprintf(stderr, "making keys on the token failed\n");
		return 1;
	}
	return 0;
}

int main(void)
{
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int failed, rc;

	dir = gt_test_tmpdir("token");
	rc = make_token();
	if (rc != 0) {
		gt_test_rmdir(dir);
		free(dir);
		return rc;
	}
	s = suite_create("gnutls token");
	tc = tcase_create("softhsm2");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_locked_then_unlocked);
	tcase_add_test(tc, test_keystore);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);   /* as test_gnutls_pkcs11 */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gt_test_rmdir(dir);
	free(dir);
	return failed ? 1 : 0;
}
