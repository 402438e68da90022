/*
 * nettle_selftest.c - known-answer self-tests run before an algorithm is
 * registered (see nettle_plugin.c).  Each runs the algorithm through the
 * same object the core will use, for every key size it offers, in both
 * directions, and checks that a tampered ICV or MAC is refused.
 *
 * Test hook: if the environment variable IKEV2D_TEST_SELFTEST_FAIL names a
 * feature ("aead:aes-gcm-16"), that feature's expected answers are
 * corrupted, so the real comparison fails and the feature must not be
 * registered.  The unit tests use it to prove the failure path.
 */
#include "nettle_plugin.h"
#include "nettle_selftest.h"

#include <stdlib.h>

#include <nettle/sha2.h>

#include <ikev2d/bus.h>

#define SELFTEST_FAIL_ENV "IKEV2D_TEST_SELFTEST_FAIL"

typedef struct {
	const char *feature;
	bool corrupt;   /* the test hook is active for this feature */
} selftest_ctx_t;

/* Hex to chunk; "" gives an empty (NULL) chunk.  A broken table entry
 * gives a length mismatch later, which fails the test. */
static chunk_t hex(const char *s)
{
	return *s ? chunk_from_hex(s) : chunk_empty;
}

/* Decode an expected value, corrupted if the hook says so. */
static chunk_t expected(const selftest_ctx_t *ctx, const char *s)
{
	chunk_t c = hex(s);

	if (ctx->corrupt && c.len)
		c.ptr[c.len - 1] ^= 0x01;
	return c;
}

static bool fail(const selftest_ctx_t *ctx, const char *what)
{
	log_error(DBG_CRYPTO, "nettle: self-test of %s failed: %s",
	          ctx->feature, what);
	return false;
}

static bool test_crypter(const selftest_ctx_t *ctx, const nettle_cipher_kat_t *v)
{
	crypter_t *c = nettle_crypter_create(v->alg, v->key_bits);
	chunk_t key = hex(v->key), iv = hex(v->iv), plain = hex(v->plain);
	chunk_t want = expected(ctx, v->cipher);
	chunk_t buf = chunk_clone(plain);
	const char *why = "cannot create or key the algorithm";
	bool ok = false;

	if (!c || !c->set_key(c, key))
		goto out;
	if (!c->encrypt(c, buf, iv) || !chunk_equals(buf, want)) {
		why = "encryption gives a wrong ciphertext";
		goto out;
	}
	if (!c->decrypt(c, buf, iv) || !chunk_equals(buf, plain)) {
		why = "decryption gives a wrong plaintext";
		goto out;
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (c)
		c->destroy(c);
	chunk_clear(&key);
	chunk_free(&iv);
	chunk_free(&plain);
	chunk_free(&want);
	chunk_free(&buf);
	return ok;
}

static bool test_aead(const selftest_ctx_t *ctx, const nettle_cipher_kat_t *v)
{
	aead_t *a = nettle_aead_create(v->alg, v->key_bits);
	chunk_t key = hex(v->key), iv = hex(v->iv), assoc = hex(v->assoc);
	chunk_t plain = hex(v->plain), want = expected(ctx, v->cipher);
	chunk_t buf = chunk_clone(plain);
	uint8_t icv[16];
	const char *why = "cannot create or key the algorithm";
	bool ok = false;
	size_t icv_len;

	if (!a || !a->set_key(a, key))
		goto out;
	icv_len = a->get_icv_size(a);
	if (want.len != plain.len + icv_len || icv_len > sizeof(icv))
		goto out;
	if (!a->encrypt(a, buf, assoc, iv, icv) ||
	    memcmp(buf.ptr, want.ptr, plain.len) != 0 ||
	    memcmp(icv, want.ptr + plain.len, icv_len) != 0) {
		why = "encryption gives a wrong ciphertext or ICV";
		goto out;
	}
	if (!a->decrypt(a, buf, assoc, iv, icv) || !chunk_equals(buf, plain)) {
		why = "decryption fails or gives a wrong plaintext";
		goto out;
	}
	/* A tampered ICV must be refused. */
	memcpy(buf.ptr, want.ptr, plain.len);
	icv[0] ^= 0x80;
	if (a->decrypt(a, buf, assoc, iv, icv)) {
		why = "a tampered ICV verifies";
		goto out;
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (a)
		a->destroy(a);
	chunk_clear(&key);
	chunk_free(&iv);
	chunk_free(&assoc);
	chunk_free(&plain);
	chunk_free(&want);
	chunk_free(&buf);
	return ok;
}

static bool test_signer(const selftest_ctx_t *ctx, const nettle_mac_kat_t *v)
{
	signer_t *s = nettle_signer_create(v->alg);
	chunk_t key = hex(v->key), data = hex(v->data);
	chunk_t want = expected(ctx, v->mac);
	uint8_t out[64];
	const char *why = "cannot create or key the algorithm";
	bool ok = false;

	if (!s || !s->set_key(s, key) || s->get_block_size(s) != want.len ||
	    want.len > sizeof(out))
		goto out;
	if (!s->get_signature(s, data, out) || memcmp(out, want.ptr, want.len)) {
		why = "wrong MAC";
		goto out;
	}
	if (!s->verify_signature(s, data, want)) {
		why = "a correct MAC does not verify";
		goto out;
	}
	want.ptr[0] ^= 0x80;
	if (s->verify_signature(s, data, want)) {
		why = "a tampered MAC verifies";
		goto out;
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (s)
		s->destroy(s);
	chunk_clear(&key);
	chunk_free(&data);
	chunk_free(&want);
	return ok;
}

static bool test_prf(const selftest_ctx_t *ctx, const nettle_mac_kat_t *v)
{
	prf_t *p = nettle_prf_create(v->alg);
	chunk_t key = hex(v->key), data = hex(v->data);
	chunk_t want = expected(ctx, v->mac);
	uint8_t out[64];
	const char *why = "cannot create or key the algorithm";
	bool ok = false;

	if (!p || !p->set_key(p, key) || p->get_block_size(p) != want.len ||
	    want.len > sizeof(out))
		goto out;
	/* Twice: the object must be ready for the next input. */
	for (int i = 0; i < 2; i++) {
		if (!p->get_bytes(p, data, out) || memcmp(out, want.ptr, want.len)) {
			why = "wrong PRF output";
			goto out;
		}
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (p)
		p->destroy(p);
	chunk_clear(&key);
	chunk_free(&data);
	chunk_free(&want);
	return ok;
}

static bool test_hasher(const selftest_ctx_t *ctx, const nettle_hash_kat_t *v)
{
	hasher_t *h = nettle_hasher_create(v->alg);
	chunk_t data = hex(v->data), want = expected(ctx, v->digest);
	/* The same input split in two parts must give the same digest. */
	chunk_t parts[2] = { chunk_create(data.ptr, 1),
	                     chunk_create(data.ptr + 1, data.len - 1) };
	uint8_t out[64];
	const char *why = "cannot create or key the algorithm";
	bool ok = false;

	if (!h || h->get_hash_size(h) != want.len || !data.len)
		goto out;
	if (!h->get_hash(h, &data, 1, out) || memcmp(out, want.ptr, want.len) ||
	    !h->get_hash(h, parts, 2, out) || memcmp(out, want.ptr, want.len)) {
		why = "wrong digest";
		goto out;
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (h)
		h->destroy(h);
	chunk_free(&data);
	chunk_free(&want);
	return ok;
}

static bool sha256_matches(chunk_t value, chunk_t digest)
{
	struct sha256_ctx sha;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&sha);
	sha256_update(&sha, value.len, value.ptr);
	sha256_digest(&sha, sizeof(d), d);
	return digest.len == sizeof(d) && memcmp(d, digest.ptr, sizeof(d)) == 0;
}

static ke_t *ke_create(ke_id_t group)
{
	switch (group) {
	case KE_CURVE25519:
	case KE_CURVE448:
		return nettle_curve_create(group);
	case KE_ECP_192:
	case KE_ECP_224:
	case KE_ECP_256:
	case KE_ECP_384:
	case KE_ECP_521:
		return nettle_ecp_create(group);
	default:
		return nettle_modp_create(group);
	}
}

/* i and r with the vector's private values: i's public value and the
 * shared secret i computes from r's public value must hash as expected,
 * and r must compute the same secret. */
static bool test_ke(const selftest_ctx_t *ctx, const nettle_ke_kat_t *v)
{
	ke_t *i = ke_create(v->group), *r = ke_create(v->group);
	chunk_t priv_i = hex(v->priv_i), priv_r = hex(v->priv_r);
	chunk_t pub_hash = expected(ctx, v->pub_i_sha256);
	chunk_t shared_hash = expected(ctx, v->shared_sha256);
	chunk_t pub_i = chunk_empty, pub_r = chunk_empty;
	chunk_t s_i = chunk_empty, s_r = chunk_empty;
	const char *why = "cannot create or key the algorithm";
	bool ok = false;

	if (!i || !r || !i->set_private(i, priv_i) || !r->set_private(r, priv_r))
		goto out;
	if (!i->get_public(i, &pub_i) || !sha256_matches(pub_i, pub_hash)) {
		why = "wrong public value";
		goto out;
	}
	if (!r->get_public(r, &pub_r) ||
	    !i->set_peer_public(i, pub_r) || !i->get_shared_secret(i, &s_i) ||
	    !sha256_matches(s_i, shared_hash)) {
		why = "wrong shared secret";
		goto out;
	}
	if (!r->set_peer_public(r, pub_i) || !r->get_shared_secret(r, &s_r) ||
	    !chunk_equals(s_i, s_r)) {
		why = "the two sides compute different secrets";
		goto out;
	}
	ok = true;
out:
	if (!ok)
		fail(ctx, why);
	if (i)
		i->destroy(i);
	if (r)
		r->destroy(r);
	chunk_clear(&priv_i);
	chunk_clear(&priv_r);
	chunk_free(&pub_hash);
	chunk_free(&shared_hash);
	chunk_free(&pub_i);
	chunk_free(&pub_r);
	chunk_clear(&s_i);
	chunk_clear(&s_r);
	return ok;
}

/* No known answer exists for random bytes: check that the source works
 * and does not repeat itself or return zeros (a health test, in the
 * spirit of NIST SP 800-90B's repetition test). */
static bool test_rng(const selftest_ctx_t *ctx)
{
	rng_t *rng = nettle_rng_create(RNG_STRONG);
	uint8_t a[32], b[32], zero[32] = { 0 };
	bool ok = false;

	if (!rng || !rng->get_bytes(rng, sizeof(a), a) ||
	    !rng->get_bytes(rng, sizeof(b), b))
		fail(ctx, "no random bytes");
	else if (ctx->corrupt || !memcmp(a, b, sizeof(a)) ||
	         !memcmp(a, zero, sizeof(a)))
		fail(ctx, "repeated or zero output");
	else
		ok = true;
	if (rng)
		rng->destroy(rng);
	memwipe(a, sizeof(a));
	memwipe(b, sizeof(b));
	return ok;
}

bool nettle_selftest(const char *feature, const nettle_alg_t *alg)
{
	const char *hook = getenv(SELFTEST_FAIL_ENV);
	selftest_ctx_t ctx = {
		.feature = feature,
		.corrupt = hook && strcmp(hook, feature) == 0,
	};
	size_t tested = 0;

#define RUN_TABLE(table, count, field, fn) \
	for (size_t n = 0; n < (count); n++) { \
		if ((unsigned)(table)[n].field != alg->id) \
			continue; \
		if (!fn(&ctx, &(table)[n])) \
			return false; \
		tested++; \
	}

	switch (alg->kind) {
	case NETTLE_CRYPTER:
		RUN_TABLE(nettle_cipher_kats, nettle_cipher_kat_count, alg, test_crypter);
		break;
	case NETTLE_AEAD:
		RUN_TABLE(nettle_cipher_kats, nettle_cipher_kat_count, alg, test_aead);
		break;
	case NETTLE_SIGNER:
		RUN_TABLE(nettle_signer_kats, nettle_signer_kat_count, alg, test_signer);
		break;
	case NETTLE_PRF:
		RUN_TABLE(nettle_prf_kats, nettle_prf_kat_count, alg, test_prf);
		break;
	case NETTLE_HASHER:
		RUN_TABLE(nettle_hash_kats, nettle_hash_kat_count, alg, test_hasher);
		break;
	case NETTLE_KE:
		RUN_TABLE(nettle_ke_kats, nettle_ke_kat_count, group, test_ke);
		break;
	case NETTLE_RNG:
		return test_rng(&ctx);
	}
#undef RUN_TABLE
	if (!tested)
		return fail(&ctx, "no known-answer test for it");
	return true;
}
