/*
 * nettle_ecp.c - ECDH on the NIST curves: groups 19, 20, 21 (P-256/384/521,
 * RFC 5903) and 25, 26 (P-192/224, RFC 5114) with Nettle's side-channel
 * silent ECC.  KE data is x|y with fixed-length big-endian coordinates (no
 * 0x04 prefix) and the shared secret is x alone (RFC 5903 §7).
 *
 * Peer points are validated per RFC 6989 §2.3: both coordinates below p and
 * on the curve (Nettle's ecc_point_set checks both); the point at infinity
 * has no x|y encoding.  The curves have cofactor 1, so every valid point has
 * the group's prime order.
 */
#include "nettle_plugin.h"

#include <stdlib.h>

#include <gmp.h>
#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>

#include <ikev2d/bus.h>

/* Random scalar tries before giving up: with these curves' orders a
 * candidate is rejected with probability below 2^-32. */
#define SCALAR_TRIES 16

typedef struct {
	ke_t public;
	ke_id_t group;
	const struct ecc_curve *curve;
	size_t coord_len;
	struct ecc_scalar priv;
	chunk_t shared;    /* x of the shared point, or empty */
} nettle_ecp_t;

static const struct ecc_curve *curve_of(ke_id_t group)
{
	switch (group) {
	case KE_ECP_192: return nettle_get_secp_192r1();
	case KE_ECP_224: return nettle_get_secp_224r1();
	case KE_ECP_256: return nettle_get_secp_256r1();
	case KE_ECP_384: return nettle_get_secp_384r1();
	case KE_ECP_521: return nettle_get_secp_521r1();
	default:         return NULL;
	}
}

/* A uniform scalar in [1, q-1] by rejection sampling. */
static bool generate_private_in(nettle_ecp_t *self)
{
	unsigned bits = ecc_bit_size(self->curve);
	size_t len = (bits + 7) / 8;
	uint8_t buf[66];
	bool ok = false;
	mpz_t z;

	mpz_init(z);
	for (int i = 0; i < SCALAR_TRIES && !ok; i++) {
		if (!nettle_random(buf, len))
			break;
		buf[0] &= 0xff >> (8 * len - bits);
		nettle_mpz_set_str_256_u(z, len, buf);
		ok = ecc_scalar_set(&self->priv, z);
	}
	memwipe(buf, sizeof(buf));
	/* mpz_clear frees through GMP, which the plugin makes wipe. */
	mpz_clear(z);
	return ok;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool generate_private(nettle_ecp_t *self)
{
	nettle_gmp_secure_begin();
	bool ok = generate_private_in(self);
	nettle_gmp_secure_end();
	return ok;
}

static void put_coord(uint8_t *out, size_t len, const mpz_t v)
{
	nettle_mpz_get_str_256(len, out, v);
}

static bool get_public_in(ke_t *k, chunk_t *value)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;
	struct ecc_point pub;
	mpz_t x, y;

	if (!value)
		return false;
	ecc_point_init(&pub, self->curve);
	ecc_point_mul_g(&pub, &self->priv);
	mpz_inits(x, y, NULL);
	ecc_point_get(&pub, x, y);
	*value = chunk_alloc(2 * self->coord_len);
	put_coord(value->ptr, self->coord_len, x);
	put_coord(value->ptr + self->coord_len, self->coord_len, y);
	mpz_clears(x, y, NULL);
	ecc_point_clear(&pub);
	return true;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool get_public(ke_t *k, chunk_t *value)
{
	nettle_gmp_secure_begin();
	bool ok = get_public_in(k, value);
	nettle_gmp_secure_end();
	return ok;
}

/* The shared x for a peer point, leaving self alone (so a reused private
 * value serves several threads at once). */
static bool compute_shared_in(ke_t *k, chunk_t value, chunk_t *secret)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;
	struct ecc_point peer, r;
	bool ok = false;
	mpz_t x, y;

	*secret = chunk_empty;
	if (!value.ptr || value.len != 2 * self->coord_len) {
		log_error(DBG_CRYPTO, "KE %d: peer point has %zu bytes, %zu expected",
		          self->group, value.len, 2 * self->coord_len);
		return false;
	}
	mpz_inits(x, y, NULL);
	nettle_mpz_set_str_256_u(x, self->coord_len, value.ptr);
	nettle_mpz_set_str_256_u(y, self->coord_len, value.ptr + self->coord_len);
	ecc_point_init(&peer, self->curve);
	if (!ecc_point_set(&peer, x, y)) {
		log_error(DBG_CRYPTO, "KE %d: peer point is not on the curve "
		          "(RFC 6989)", self->group);
		goto out;
	}
	ecc_point_init(&r, self->curve);
	ecc_point_mul(&r, &self->priv, &peer);
	ecc_point_get(&r, x, NULL);
	*secret = chunk_alloc_secure(self->coord_len);
	put_coord(secret->ptr, self->coord_len, x);
	ecc_point_clear(&r);
	ok = true;
out:
	ecc_point_clear(&peer);
	mpz_clears(x, y, NULL);
	return ok;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool compute_shared(ke_t *k, chunk_t value, chunk_t *secret)
{
	nettle_gmp_secure_begin();
	bool ok = compute_shared_in(k, value, secret);
	nettle_gmp_secure_end();
	return ok;
}

static bool set_peer_public(ke_t *k, chunk_t value)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;

	chunk_clear(&self->shared);
	return compute_shared(k, value, &self->shared);
}

static bool get_shared_secret(ke_t *k, chunk_t *secret)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;

	if (!secret || !self->shared.len)
		return false;
	*secret = chunk_clone_secure(self->shared);
	return true;
}

static bool set_private_in(ke_t *k, chunk_t value)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;
	bool ok;
	mpz_t z;

	if (!value.ptr || !value.len || value.len > self->coord_len)
		return false;
	chunk_clear(&self->shared);
	mpz_init(z);
	nettle_mpz_set_str_256_u(z, value.len, value.ptr);
	ok = ecc_scalar_set(&self->priv, z);   /* 0 < z < q */
	mpz_clear(z);
	return ok;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool set_private(ke_t *k, chunk_t value)
{
	nettle_gmp_secure_begin();
	bool ok = set_private_in(k, value);
	nettle_gmp_secure_end();
	return ok;
}

static ke_id_t get_group(ke_t *k)
{
	return ((nettle_ecp_t *)k)->group;
}

static void destroy(ke_t *k)
{
	nettle_ecp_t *self = (nettle_ecp_t *)k;

	ecc_scalar_clear(&self->priv);   /* secure memory, wiped (nettle_plugin.c) */
	chunk_clear(&self->shared);
	xfree_secure(self);
}

ke_t *nettle_ecp_create(ke_id_t group)
{
	const struct ecc_curve *curve = curve_of(group);

	if (!curve)
		return NULL;
	nettle_ecp_t *self = xzalloc_secure(sizeof(*self));
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
	self->curve = curve;
	self->coord_len = (ecc_bit_size(curve) + 7) / 8;
	/* The scalar's limbs in secure memory. */
	nettle_gmp_secure_begin();
	ecc_scalar_init(&self->priv, curve);
	nettle_gmp_secure_end();
	if (!generate_private(self)) {
		log_error(DBG_CRYPTO, "KE %d: no private scalar", group);
		destroy(&self->public);
		return NULL;
	}
	return &self->public;
}
