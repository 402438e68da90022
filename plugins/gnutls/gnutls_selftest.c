/*
 * gnutls_selftest.c - the self-test run before a key type is registered:
 * with a built-in key, every signature scheme that fits the type must
 * round-trip, and a flipped signature bit or a different message must be
 * rejected.  A library or build that gets any of this wrong does not get
 * to provide the key type.
 */
#include "gnutls_plugin.h"
#include "gnutls_selftest.h"

#include <ikev2d/bus.h>

static bool test_scheme(private_key_t *priv, public_key_t *pub,
                        sig_scheme_t scheme)
{
	static const char msg[] = "ikev2d gnutls self-test";
	static const char other[] = "ikev2d gnutls self-tesT";
	chunk_t m = chunk_from_str(msg), o = chunk_from_str(other), sig;
	bool ok;

	if (!priv->sign(priv, scheme, m, &sig))
		return false;
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
		if (!test_scheme(priv, pub, (sig_scheme_t)s)) {
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
