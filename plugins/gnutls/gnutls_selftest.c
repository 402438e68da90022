/*
 * gnutls_selftest.c - the self-test run before a key type is registered:
 * with a built-in key, every signature scheme that fits the type must
 * round-trip, and a flipped signature bit or a different message must be
 * rejected.  A library or build that gets any of this wrong does not get
 * to provide the key type.
 *
 * Test hook (as in the nettle plugin): if the environment variable
 * IKEV2D_TEST_SELFTEST_FAIL is "key:<type>" ("key:ecdsa-p384"), the
 * signature of that type is corrupted before the check that it verifies,
 * so the real comparison fails and the type must not be registered.
 */
#include "gnutls_plugin.h"
#include "gnutls_selftest.h"

#include <ikev2d/bus.h>

#include <stdlib.h>
#include <string.h>

#define SELFTEST_FAIL_ENV "IKEV2D_TEST_SELFTEST_FAIL"

bool gt_selftest_sabotaged(const char *prefix, const char *name)
{
	const char *v = getenv(SELFTEST_FAIL_ENV);
	size_t n = strlen(prefix);

	return v && strncmp(v, prefix, n) == 0 && strcmp(v + n, name) == 0;
}

static bool test_scheme(private_key_t *priv, public_key_t *pub,
                        sig_scheme_t scheme, bool sabotage)
{
	static const char msg[] = "ikev2d gnutls self-test";
	static const char other[] = "ikev2d gnutls self-tesT";
	chunk_t m = chunk_from_str(msg), o = chunk_from_str(other), sig;
	bool ok;

	if (!priv->sign(priv, scheme, m, &sig))
		return false;
	if (sabotage)
		sig.ptr[0] ^= 0x40;
	ok = pub->verify(pub, scheme, m, sig) &&
	     !pub->verify(pub, scheme, o, sig);
	sig.ptr[sig.len / 2] ^= 0x01;
	ok = ok && !pub->verify(pub, scheme, m, sig);
	chunk_free(&sig);
	return ok;
}

bool gt_selftest_keytype(key_type_t type)
{
	const selftest_key_t *k;
	private_key_t *priv;
	public_key_t *pub;
	int tested = 0, failed = 0;

	for (k = gt_selftest_keys; k->pem && k->type != type; k++)
		;
	if (!k->pem)
		return false;
	priv = gt_privkey_load(type, chunk_from_str(k->pem));
	if (!priv)
		return false;
	pub = priv->get_public_key(priv);
	if (!pub) {
		priv->destroy(priv);
		return false;
	}
	for (int s = SIG_UNKNOWN + 1; s < SIG_SCHEME_MAX; s++) {
		if (!sig_scheme_fits_key((sig_scheme_t)s, type))
			continue;
		tested++;
		if (!test_scheme(priv, pub, (sig_scheme_t)s,
		                 gt_selftest_sabotaged("key:", key_type_name(type)))) {
			log_error(DBG_CRYPTO, "gnutls: self-test of %s with a %s "
			          "key failed", sig_scheme_name((sig_scheme_t)s),
			          key_type_name(type));
			failed++;
		}
	}
	pub->destroy(pub);
	priv->destroy(priv);
	return tested > 0 && failed == 0;
}
