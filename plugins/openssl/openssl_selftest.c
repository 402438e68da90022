/*
 * openssl_selftest.c - the known-answer test each ECP group passes before
 * the plugin registers it: both sides of a published exchange (RFC 5903
 * §8 for groups 19-21, RFC 5114 §A for 25-26) with fixed private values
 * must give the published initiator public value and shared secret (kept
 * here as SHA-256 digests, as the nettle plugin's self-test keeps them),
 * both sides must agree, and compute_shared must agree with them.
 */
#include "openssl_plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

typedef struct {
	ke_id_t group;
	const char *priv_i, *priv_r;
	const char *pub_i_sha256;   /* SHA-256 of the initiator's KE data */
	const char *shared_sha256;  /* SHA-256 of the shared secret */
} ecp_kat_t;

static const ecp_kat_t kats[] = {
	{ KE_ECP_256, /* RFC 5903 8.1 */
	  "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
	  "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
	  "293c9fbafaa2f0a1ee2c320e4bf43070db05750a46ad05fa4108365a851a3518",
	  "0519dc09b36efad1d00aef1d5b53b100202eb910b5de0dede75f190a357a367d" },
	{ KE_ECP_384, /* RFC 5903 8.2 */
	  "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
	  "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc",
	  "9e655dcef6e54906df1e785bf769e6912714ce2c3739cca4d1d1938c29db7b63",
	  "a54975fc64aa0e1513ec7d41207c7c2338735226a4f1582d71b40e49a9785ee1" },
	{ KE_ECP_521, /* RFC 5903 8.3 */
	  "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d4a52",
	  "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb151685eb9",
	  "487f9c7e60de7f004a1622bce27b79f22a004c473a851e307d04328fae1c3d88",
	  "d26abc7eae12e6c1789c0a3850a987e3bfbdf0dd24588fdd774c3dca0c400404" },
	{ KE_ECP_192, /* RFC 5114 A.? (ecp192) */
	  "323fa3169d8e9c6593f59476bc142000ab5be0e249c43426",
	  "631f95bb4a67632c9c476eee9ab695ab240a0499307fcf62",
	  "48b9aaf58606433deba4f863fbea7c835d55d828128102cd21d2610cb1c81c6f",
	  "60071ba99c508db4fc41819cfb5a00eae9e75422cb1d8b4cf357d9344a06939f" },
	{ KE_ECP_224, /* RFC 5114 (ecp224) */
	  "b558eb6c288da707bbb4f8fbae2ab9e9cb62e3bc5c7573e22e26d37f",
	  "ac3b1add3d9770e6f6a708ee9f3b8e0ab3b480e9f27f85c88b5e6d18",
	  "f236df3b2dbe69a4516cfe20604e34e3e3c314ed0000fa3af2b117e1583a48de",
	  "6c9a3a7543f69c4b15741cdb0491f00205fcdccc35b822ed0f7641c016d1ec6a" },
};

static chunk_t hex(const char *s)
{
	size_t n = strlen(s) / 2;
	chunk_t c = chunk_alloc(n);

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		c.ptr[i] = (uint8_t)v;
	}
	return c;
}

static bool sha256_is(chunk_t data, const char *want_hex)
{
	uint8_t d[32];
	unsigned int len = 0;
	chunk_t want = hex(want_hex);
	bool ok = EVP_Digest(data.ptr, data.len, d, &len, EVP_sha256(), NULL) &&
	          len == sizeof(d) && want.len == sizeof(d) &&
	          memcmp(d, want.ptr, sizeof(d)) == 0;

	chunk_free(&want);
	return ok;
}

bool openssl_ecp_selftest(ke_id_t group)
{
	const ecp_kat_t *v = NULL;

	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		if (kats[i].group == group)
			v = &kats[i];
	if (!v) {
		log_error(DBG_CRYPTO, "openssl: no known-answer test for KE %d", group);
		return false;
	}
	ke_t *i = openssl_ecp_create(group), *r = openssl_ecp_create(group);
	chunk_t priv_i = hex(v->priv_i), priv_r = hex(v->priv_r);
	chunk_t pub_i = chunk_empty, pub_r = chunk_empty;
	chunk_t s_i = chunk_empty, s_r = chunk_empty, s_c = chunk_empty;
	const char *why = "cannot create or key the key exchange";
	bool ok = false;

	if (!i || !r || !i->set_private(i, priv_i) || !r->set_private(r, priv_r))
		goto out;
	why = "wrong public value";
	if (!i->get_public(i, &pub_i) || !sha256_is(pub_i, v->pub_i_sha256))
		goto out;
	why = "wrong shared secret";
	if (!r->get_public(r, &pub_r) || !i->set_peer_public(i, pub_r) ||
	    !i->get_shared_secret(i, &s_i) || !sha256_is(s_i, v->shared_sha256))
		goto out;
	why = "the two sides compute different secrets";
	if (!r->set_peer_public(r, pub_i) || !r->get_shared_secret(r, &s_r) ||
	    !chunk_equals(s_i, s_r) || !r->compute_shared(r, pub_i, &s_c) ||
	    !chunk_equals(s_i, s_c))
		goto out;
	ok = true;
out:
	if (!ok)
		log_error(DBG_CRYPTO, "openssl: KE %d self-test failed: %s", group, why);
	if (i)
		i->destroy(i);
	if (r)
		r->destroy(r);
	chunk_clear(&priv_i); chunk_clear(&priv_r);
	chunk_free(&pub_i); chunk_free(&pub_r);
	chunk_clear(&s_i); chunk_clear(&s_r); chunk_clear(&s_c);
	return ok;
}
