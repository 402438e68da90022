/*
 * test_gnutls_pkcs11.c - private keys behind PKCS#11 URIs, with SoftHSM2:
 * a token is created in a temporary SOFTHSM2_CONF directory, an ECDSA and
 * an RSA key are imported with p11tool, and the keys are used through
 * cred_load_private_key_file("pkcs11:...") to sign; the signatures verify
 * under the public keys loaded from files.  Wrong, missing and URI PINs,
 * and missing objects, give clear errors.
 *
 * Skipped (77) when softhsm2-util, p11tool or the SoftHSM2 module for
 * p11-kit is missing (Debian packages softhsm2, gnutls-bin).
 */
#define _GNU_SOURCE
#include "gt_test.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIN "1234"
#define TOKEN "pkcs11:token=ikev2d-gnutls"

static char *dir;

static void setup(void)
{
	ck_assert_msg(gt_test_load_gnutls(), "gnutls plugin did not load");
	ck_assert_str_eq(cred_provider("pkcs11"), "gnutls");
}

static void teardown(void)
{
	gt_test_unload();
}

static public_key_t *file_pub(const char *name)
{
	char *p;
	public_key_t *k;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	k = cred_load_public_key_file(p, KEY_ANY);
	free(p);
	ck_assert_ptr_nonnull(k);
	return k;
}

static void sign_verify(private_key_t *key, public_key_t *pub,
                        sig_scheme_t scheme)
{
	chunk_t msg = chunk_from_str("signed inside the token"), sig;

	ck_assert_msg(key->sign(key, scheme, msg, &sig), "sign %s",
	              sig_scheme_name(scheme));
	ck_assert_msg(pub->verify(pub, scheme, msg, sig), "verify %s",
	              sig_scheme_name(scheme));
	sig.ptr[sig.len - 1] ^= 1;
	ck_assert(!pub->verify(pub, scheme, msg, sig));
	chunk_free(&sig);
}

START_TEST(test_ecdsa)
{
	private_key_t *key = cred_load_private_key_file(
		TOKEN ";object=k-ec;type=private", KEY_ANY, PIN);
	public_key_t *pub = file_pub("ec.pub"), *mine;

	if (!key)
		gt_test_dump_log();
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(key->get_type(key), KEY_ECDSA_P256);
	mine = key->get_public_key(key);
	ck_assert_ptr_nonnull(mine);
	ck_assert(mine->equals(mine, pub));
	sign_verify(key, pub, SIG_ECDSA_P256_SHA256);
	sign_verify(key, pub, SIG_ECDSA_SHA256_DER);
	sign_verify(key, pub, SIG_ECDSA_SHA512_DER);
	mine->destroy(mine);
	pub->destroy(pub);
	key->destroy(key);
}
END_TEST

START_TEST(test_rsa)
{
	private_key_t *key = cred_load_private_key_file(
		TOKEN ";object=k-rsa", KEY_RSA, PIN);
	public_key_t *pub = file_pub("rsa.pub");

	if (!key)
		gt_test_dump_log();
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(key->get_type(key), KEY_RSA);
	ck_assert_uint_eq(key->get_keysize(key), 2048);
	sign_verify(key, pub, SIG_RSA_PKCS1_SHA1);
	sign_verify(key, pub, SIG_RSA_PKCS1_SHA256);
	sign_verify(key, pub, SIG_RSA_PSS_SHA384);
	pub->destroy(pub);
	key->destroy(key);
}
END_TEST

START_TEST(test_pin_in_uri)
{
	private_key_t *key = cred_load_private_key_file(
		TOKEN ";object=k-ec;type=private?pin-value=" PIN, KEY_ANY, NULL);
	public_key_t *pub = file_pub("ec.pub");

	ck_assert_ptr_nonnull(key);
	sign_verify(key, pub, SIG_ECDSA_P256_SHA256);
	pub->destroy(pub);
	key->destroy(key);
}
END_TEST

/* Several threads signing with one token key at once. */
typedef struct {
	private_key_t *priv;
	public_key_t *pub;
	int ok;
} thread_arg_t;

static void *sign_loop(void *p)
{
	thread_arg_t *a = p;
	chunk_t msg = chunk_from_str("concurrent"), sig;

	for (int i = 0; i < 50; i++) {
		if (a->priv->sign(a->priv, SIG_ECDSA_P256_SHA256, msg, &sig)) {
			a->ok += a->pub->verify(a->pub, SIG_ECDSA_P256_SHA256, msg, sig);
			chunk_free(&sig);
		}
	}
	return NULL;
}

START_TEST(test_threads)
{
	private_key_t *key = cred_load_private_key_file(
		TOKEN ";object=k-ec;type=private", KEY_ANY, PIN);
	public_key_t *pub = file_pub("ec.pub");
	thread_arg_t args[4];
	pthread_t t[4];

	ck_assert_ptr_nonnull(key);
	for (int i = 0; i < 4; i++) {
		args[i] = (thread_arg_t){ key, pub, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, sign_loop, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(args[i].ok, 50);
	}
	pub->destroy(pub);
	key->destroy(key);
}
END_TEST

START_TEST(test_errors)
{
	private_key_t *key;
	chunk_t sig;

	/* A wrong PIN: the object cannot be used (whether opening or
	 * signing fails is the token's choice). */
	gt_test_clear_log();
	key = cred_load_private_key_file(TOKEN ";object=k-ec;type=private",
	                                 KEY_ANY, "0000");
	if (key) {
		ck_assert(!key->sign(key, SIG_ECDSA_P256_SHA256,
		                     chunk_from_str("x"), &sig));
		key->destroy(key);
	}
	/* We gave the wrong PIN once and did not retry it. */
	ck_assert(gt_test_logged("needs a correct PIN"));
	/* No PIN at all. */
	gt_test_clear_log();
	key = cred_load_private_key_file(TOKEN ";object=k-ec;type=private",
	                                 KEY_ANY, NULL);
	if (key) {
		ck_assert(!key->sign(key, SIG_ECDSA_P256_SHA256,
		                     chunk_from_str("x"), &sig));
		key->destroy(key);
	}
	ck_assert(gt_test_logged("needs a PIN"));
	/* No such object, no such token, the wrong type. */
	gt_test_clear_log();
	ck_assert_ptr_null(cred_load_private_key_file(
		TOKEN ";object=nothing;type=private", KEY_ANY, PIN));
	ck_assert(gt_test_logged("pkcs11: cannot open"));
	ck_assert_ptr_null(cred_load_private_key_file(
		"pkcs11:token=no-such-token;object=k-ec", KEY_ANY, PIN));
	ck_assert_ptr_null(cred_load_private_key_file(
		TOKEN ";object=k-ec;type=private", KEY_RSA, PIN));
	ck_assert(gt_test_logged("is ecdsa-p256, not rsa"));
	ck_assert_ptr_null(cred_load_private_key_file("pkcs11:%%zz", KEY_ANY, PIN));
}
END_TEST

/* Create the token and import the keys; 77 with a reason if we cannot. */
static int make_token(void)
{
	char *conf;

	if (gt_test_sh("command -v softhsm2-util >/dev/null && "
	               "command -v p11tool >/dev/null && "
	               "command -v certtool >/dev/null") != 0) {
		printf("SKIP: needs softhsm2-util (softhsm2), p11tool and "
		       "certtool (gnutls-bin)\n");
		return 77;
	}
	if (gt_test_sh("grep -qs softhsm2 /usr/share/p11-kit/modules/*.module "
	               "/etc/pkcs11/modules/*.module") != 0) {
		printf("SKIP: SoftHSM2 is not registered with p11-kit\n");
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
	if (gt_test_sh("softhsm2-util --init-token --free --label ikev2d-gnutls "
	               "--pin " PIN " --so-pin 5678 >/dev/null") != 0) {
		printf("SKIP: softhsm2-util cannot create a token\n");
		return 77;
	}
	setenv("GNUTLS_PIN", PIN, 1);
	if (gt_test_sh(
	    "cd '%s' && "
	    "certtool --generate-privkey --key-type ecdsa --curve secp256r1 "
	    "  --no-text --outfile ec.pem 2>/dev/null && "
	    "certtool --load-privkey ec.pem --pubkey-info --no-text --outfile ec.pub 2>/dev/null && "
	    "certtool --generate-privkey --key-type rsa --bits 2048 "
	    "  --no-text --outfile rsa.pem 2>/dev/null && "
	    "certtool --load-privkey rsa.pem --pubkey-info --no-text --outfile rsa.pub 2>/dev/null && "
	    "p11tool --login --write --load-privkey ec.pem --label k-ec --id 01 '" TOKEN "' >/dev/null && "
	    "p11tool --login --write --load-pubkey ec.pub --label k-ec --id 01 '" TOKEN "' >/dev/null && "
	    "p11tool --login --write --load-privkey rsa.pem --label k-rsa --id 02 '" TOKEN "' >/dev/null && "
	    "p11tool --login --write --load-pubkey rsa.pub --label k-rsa --id 02 '" TOKEN "' >/dev/null",
	    dir) != 0) {
		fprintf(stderr, "importing the keys into SoftHSM2 failed\n");
		return 1;
	}
	/* Our code must get the PIN from the caller, not the environment. */
	unsetenv("GNUTLS_PIN");
	return 0;
}

int main(void)
{
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int failed, rc;

	dir = gt_test_tmpdir("p11");
	rc = make_token();
	if (rc != 0) {
		gt_test_rmdir(dir);
		free(dir);
		return rc;
	}
	s = suite_create("gnutls pkcs11");
	tc = tcase_create("softhsm2");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ecdsa);
	tcase_add_test(tc, test_rsa);
	tcase_add_test(tc, test_pin_in_uri);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* One process: a forked child of a process that has initialised
	 * p11-kit and SoftHSM2 is a corner we do not need (and in it
	 * LeakSanitizer's tracer crashes on SoftHSM2's OpenSSL state). */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	gt_test_rmdir(dir);
	free(dir);
	return failed ? 1 : 0;
}
