/*
 * nettle_curve.c - X25519 and X448 key exchange (groups 31 and 32, RFC 8031
 * with the functions of RFC 7748) using Nettle's constant-time ladders.
 *
 * Public values and shared secrets are the little-endian u-coordinates
 * (32 or 56 bytes).  A peer value of the wrong size is refused, and so is
 * an all-zero shared secret (RFC 8031 §2.3: the peer sent a point of small
 * order); the test is done without branching on the secret's bytes.
 */
#include "nettle_plugin.h"

#include <stdlib.h>

#include <nettle/curve25519.h>
#include <nettle/curve448.h>

#include <ikev2d/bus.h>

#define CURVE_MAX_SIZE CURVE448_SIZE

typedef struct {
	ke_t public;
	ke_id_t group;
	size_t len;
	uint8_t priv[CURVE_MAX_SIZE];
	uint8_t shared[CURVE_MAX_SIZE];
	bool have_shared;
} nettle_curve_t;

static bool get_public(ke_t *k, chunk_t *value)
{
	nettle_curve_t *self = (nettle_curve_t *)k;

	if (!value)
		return false;
	*value = chunk_alloc(self->len);
	/* The ladders clamp the scalar themselves (RFC 7748 §5). */
	if (self->group == KE_CURVE25519)
		curve25519_mul_g(value->ptr, self->priv);
	else
		curve448_mul_g(value->ptr, self->priv);
	return true;
}

/* 1 if all len bytes are zero, else 0, in time independent of the bytes. */
static int all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return (int)(1 & (((unsigned)acc - 1) >> 8));
}

/* The shared secret into out (self->len bytes), leaving self alone. */
static bool shared_into(const nettle_curve_t *self, chunk_t value, uint8_t *out)
{
	if (!value.ptr || value.len != self->len) {
		log_error(DBG_CRYPTO, "KE %d: peer value has %zu bytes, %zu expected",
		          self->group, value.len, self->len);
		return false;
	}
	if (self->group == KE_CURVE25519)
		curve25519_mul(out, self->priv, value.ptr);
	else
		curve448_mul(out, self->priv, value.ptr);
	if (all_zero(out, self->len)) {
		memwipe(out, self->len);
		log_error(DBG_CRYPTO, "KE %d: peer value gives an all-zero shared "
		          "secret (RFC 8031)", self->group);
		return false;
	}
	return true;
}

static bool set_peer_public(ke_t *k, chunk_t value)
{
	nettle_curve_t *self = (nettle_curve_t *)k;

	memwipe(self->shared, sizeof(self->shared));
	self->have_shared = shared_into(self, value, self->shared);
	return self->have_shared;
}

static bool compute_shared(ke_t *k, chunk_t value, chunk_t *secret)
{
	nettle_curve_t *self = (nettle_curve_t *)k;
	chunk_t out = chunk_alloc_secure(self->len);

	*secret = chunk_empty;
	if (!shared_into(self, value, out.ptr)) {
		chunk_clear(&out);
		return false;
	}
	*secret = out;
	return true;
}

static bool get_shared_secret(ke_t *k, chunk_t *secret)
{
	nettle_curve_t *self = (nettle_curve_t *)k;

	if (!secret || !self->have_shared)
		return false;
	*secret = chunk_clone_secure(chunk_create(self->shared, self->len));
	return true;
}

static bool set_private(ke_t *k, chunk_t value)
{
	nettle_curve_t *self = (nettle_curve_t *)k;

	if (!value.ptr || value.len != self->len)
		return false;
	memcpy(self->priv, value.ptr, self->len);
	memwipe(self->shared, sizeof(self->shared));
	self->have_shared = false;
	return true;
}

static ke_id_t get_group(ke_t *k)
{
	return ((nettle_curve_t *)k)->group;
}

static void destroy(ke_t *k)
{
	nettle_curve_t *self = (nettle_curve_t *)k;

	xfree_secure(self);   /* wiped there */
}

ke_t *nettle_curve_create(ke_id_t group)
{
	size_t len;

	switch (group) {
	case KE_CURVE25519: len = CURVE25519_SIZE; break;
	case KE_CURVE448:   len = CURVE448_SIZE;   break;
	default:
		return NULL;
	}
	/* Private value and shared secret: locked, out of core dumps. */
	nettle_curve_t *self = xzalloc_secure(sizeof(*self));
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
	self->len = len;
	if (!nettle_random(self->priv, len)) {
		destroy(&self->public);
		return NULL;
	}
	return &self->public;
}
