/*
 * openssl_ecp.c - ECDH on the NIST curves with libcrypto: groups 19, 20, 21
 * (P-256/384/521, RFC 5903) and 25, 26 (P-192/224, RFC 5114).  KE data is
 * x|y with fixed-length big-endian coordinates (no 0x04 prefix), the shared
 * secret x alone (RFC 5903 §7), as in the nettle plugin.
 *
 * Why the EC_KEY/ECDH_compute_key interface, deprecated in OpenSSL 3.0: on
 * this project's machine (OpenSSL 3.0) a P-256 key generation with public
 * value costs 13 µs and a shared secret 47-50 µs through it, against 32-36
 * and 72-122 µs through EVP_PKEY (whose per-call provider look-ups and
 * parameter decoding cost more than the arithmetic), and 31 + 93 µs with
 * Nettle.  The deprecated functions remain in every OpenSSL 3.x.
 *
 * Peer points are validated per RFC 6989 §2.3: EC_POINT_oct2point accepts
 * only points on the curve (coordinates below p), and the point at infinity
 * has no x|y encoding.  The curves have cofactor 1.
 *
 * Thread safety: after creation the EC_KEY is only read (ECDH multiplies
 * with its scalar; the group is shared read-only), so compute_shared may run
 * on several threads at once with one object (DH reuse, ke_reuse.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "openssl_plugin.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdh.h>
#include <openssl/obj_mac.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#define MAX_COORD 66   /* P-521 */

typedef struct {
	ke_t public;
	ke_id_t group;
	size_t coord_len;
	EC_KEY *key;
	chunk_t shared;    /* set_peer_public's result, or empty */
} ossl_ecp_t;

static int nid_of(ke_id_t group)
{
	switch (group) {
	case KE_ECP_192: return NID_X9_62_prime192v1;
	case KE_ECP_224: return NID_secp224r1;
	case KE_ECP_256: return NID_X9_62_prime256v1;
	case KE_ECP_384: return NID_secp384r1;
	case KE_ECP_521: return NID_secp521r1;
	default:         return NID_undef;
	}
}

static bool get_public(ke_t *k, chunk_t *value)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;
	uint8_t buf[1 + 2 * MAX_COORD];
	const EC_POINT *pub = EC_KEY_get0_public_key(self->key);

	if (!value || !pub)
		return false;
	size_t n = EC_POINT_point2oct(EC_KEY_get0_group(self->key), pub,
	                              POINT_CONVERSION_UNCOMPRESSED, buf,
	                              sizeof(buf), NULL);
	if (n != 1 + 2 * self->coord_len)
		return false;
	*value = chunk_clone(chunk_create(buf + 1, n - 1));
	return true;
}

static bool compute_shared(ke_t *k, chunk_t value, chunk_t *secret)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;
	const EC_GROUP *group = EC_KEY_get0_group(self->key);
	uint8_t buf[1 + 2 * MAX_COORD];
	bool ok = false;

	*secret = chunk_empty;
	if (!value.ptr || value.len != 2 * self->coord_len) {
		log_error(DBG_CRYPTO, "KE %d: peer point has %zu bytes, %zu expected",
		          self->group, value.len, 2 * self->coord_len);
		return false;
	}
	buf[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(buf + 1, value.ptr, value.len);
	EC_POINT *peer = EC_POINT_new(group);
	if (!peer)
		return false;
	if (!EC_POINT_oct2point(group, peer, buf, 1 + value.len, NULL)) {
		log_error(DBG_CRYPTO, "KE %d: peer point is not on the curve "
		          "(RFC 6989)", self->group);
		goto out;
	}
	chunk_t s = chunk_alloc(self->coord_len);
	if (ECDH_compute_key(s.ptr, s.len, peer, self->key, NULL) != (int)s.len) {
		chunk_clear(&s);
		log_error(DBG_CRYPTO, "KE %d: ECDH failed", self->group);
		goto out;
	}
	*secret = s;
	ok = true;
out:
	EC_POINT_free(peer);
	return ok;
}

static bool set_peer_public(ke_t *k, chunk_t value)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;

	chunk_clear(&self->shared);
	return compute_shared(k, value, &self->shared);
}

static bool get_shared_secret(ke_t *k, chunk_t *secret)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;

	if (!secret || !self->shared.len)
		return false;
	*secret = chunk_clone(self->shared);
	return true;
}

/* Known-answer tests: the private value d (0 < d < order), public d*G. */
static bool set_private(ke_t *k, chunk_t value)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;
	const EC_GROUP *group = EC_KEY_get0_group(self->key);
	bool ok = false;

	if (!value.ptr || !value.len || value.len > self->coord_len)
		return false;
	chunk_clear(&self->shared);
	BIGNUM *d = BN_secure_new();
	EC_POINT *pub = EC_POINT_new(group);
	if (!d || !pub || !BN_bin2bn(value.ptr, (int)value.len, d) ||
	    BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0)
		goto out;
	ok = EC_POINT_mul(group, pub, d, NULL, NULL, NULL) &&
	     EC_KEY_set_private_key(self->key, d) &&
	     EC_KEY_set_public_key(self->key, pub);
out:
	BN_clear_free(d);
	EC_POINT_free(pub);
	return ok;
}

static ke_id_t get_group(ke_t *k)
{
	return ((ossl_ecp_t *)k)->group;
}

static void destroy(ke_t *k)
{
	ossl_ecp_t *self = (ossl_ecp_t *)k;

	/* EC_KEY_free clears the private scalar. */
	EC_KEY_free(self->key);
	chunk_clear(&self->shared);
	free(self);
}

ke_t *openssl_ecp_create(ke_id_t group)
{
	int nid = nid_of(group);

	if (nid == NID_undef)
		return NULL;
	ossl_ecp_t *self = xzalloc(sizeof(*self));
	self->public = (ke_t){
		.get_public = get_public,
		.set_peer_public = set_peer_public,
		.get_shared_secret = get_shared_secret,
		.set_private = set_private,
		.get_group = get_group,
		.destroy = destroy,
		.compute_shared = compute_shared,
	};
	self->group = group;
	self->key = EC_KEY_new_by_curve_name(nid);
	if (!self->key || !EC_KEY_generate_key(self->key)) {
		log_error(DBG_CRYPTO, "KE %d: OpenSSL cannot make a key", group);
		destroy(&self->public);
		return NULL;
	}
	self->coord_len = (size_t)(EC_GROUP_get_degree(EC_KEY_get0_group(self->key)) + 7) / 8;
	return &self->public;
}
