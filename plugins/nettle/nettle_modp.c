/*
 * nettle_modp.c - finite-field Diffie-Hellman for the MODP groups 2, 5,
 * 14-18 (RFC 2409/3526) and 22-24 (RFC 5114), with GMP's side-channel
 * silent mpz_powm_sec.
 *
 * Private exponents are short, as RFC 3526 §8 and NIST SP 800-57 allow:
 * twice the group's security strength in bits (the top bit set, so every
 * exponentiation takes the same time), or uniform below the subgroup order
 * q for the RFC 5114 groups.  Peer values are checked per RFC 6989: 1 < y <
 * p-1, and y^q = 1 for the RFC 5114 groups (whose subgroups are small
 * enough that a value outside would leak bits of our exponent).
 */
#include "nettle_plugin.h"
#include "nettle_modp.h"

#include <pthread.h>
#include <stdlib.h>

#include <gmp.h>
#include <nettle/bignum.h>

#include <ikev2d/bus.h>

typedef struct {
	ke_id_t group;
	mpz_t p, g, q;
	mpz_t p_minus_1;
	bool has_q;
	size_t len;         /* bytes of p: size of public values and secret */
	unsigned exp_bits;  /* short exponent length (safe-prime groups) */
} modp_params_t;

#define MAX_MODP_GROUPS 16
static modp_params_t params[MAX_MODP_GROUPS];
static size_t params_count;
static pthread_mutex_t params_lock = PTHREAD_MUTEX_INITIALIZER;

static void params_init(void)
{
	for (size_t i = 0; i < nettle_modp_group_count && i < MAX_MODP_GROUPS; i++) {
		const nettle_modp_group_t *src = &nettle_modp_groups[i];
		modp_params_t *dst = &params[params_count];

		dst->group = (ke_id_t)src->group;
		mpz_init_set_str(dst->p, src->prime, 16);
		mpz_init_set_str(dst->g, src->generator, 16);
		mpz_init(dst->q);
		if (src->subgroup) {
			mpz_set_str(dst->q, src->subgroup, 16);
			dst->has_q = true;
		}
		mpz_init(dst->p_minus_1);
		mpz_sub_ui(dst->p_minus_1, dst->p, 1);
		dst->len = (mpz_sizeinbase(dst->p, 2) + 7) / 8;
		dst->exp_bits = src->exp_bits;
		params_count++;
	}
}

/* Parsed on first use; freed when the plugin is unloaded. */
static const modp_params_t *params_get(ke_id_t group)
{
	const modp_params_t *found = NULL;

	pthread_mutex_lock(&params_lock);
	if (!params_count)
		params_init();
	for (size_t i = 0; i < params_count; i++)
		if (params[i].group == group)
			found = &params[i];
	pthread_mutex_unlock(&params_lock);
	return found;
}

void nettle_modp_cleanup(void)
{
	pthread_mutex_lock(&params_lock);
	for (size_t i = 0; i < params_count; i++) {
		mpz_clear(params[i].p);
		mpz_clear(params[i].g);
		mpz_clear(params[i].q);
		mpz_clear(params[i].p_minus_1);
	}
	params_count = 0;
	pthread_mutex_unlock(&params_lock);
}

typedef struct {
	ke_t public;
	const modp_params_t *grp;
	mpz_t x;        /* private exponent */
	mpz_t shared;   /* g^xy, once computed */
	bool have_shared;
} nettle_modp_t;

/* Overwrite an mpz's limbs before it is freed or reused.  (The plugin also
 * makes GMP wipe what it frees; this covers values that stay allocated.) */
static void mpz_wipe(mpz_t z)
{
	size_t n = mpz_size(z);

	if (n)
		memwipe(mpz_limbs_modify(z, n), n * sizeof(mp_limb_t));
	mpz_set_ui(z, 0);
}

/* A fresh private exponent. */
static bool generate_private_in(nettle_modp_t *self)
{
	const modp_params_t *grp = self->grp;
	size_t bits, len;
	uint8_t *buf;
	bool ok;

	/* Below q: 64 extra random bits make the reduction mod q-1 uniform
	 * to within 2^-64 (FIPS 186-4 B.1.1). */
	bits = grp->has_q ? mpz_sizeinbase(grp->q, 2) + 64 : grp->exp_bits;
	len = (bits + 7) / 8;
	buf = xzalloc_secure(len);
	ok = nettle_random(buf, len);
	if (ok) {
		buf[0] &= 0xff >> (8 * len - bits);
		nettle_mpz_set_str_256_u(self->x, len, buf);
		if (grp->has_q) {
			mpz_t qm1;
			mpz_init(qm1);
			mpz_sub_ui(qm1, grp->q, 1);
			mpz_mod(self->x, self->x, qm1);
			mpz_add_ui(self->x, self->x, 1);
			mpz_clear(qm1);
		} else {
			mpz_setbit(self->x, bits - 1);
		}
	}
	xfree_secure(buf);   /* wiped there */
	return ok;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool generate_private(nettle_modp_t *self)
{
	nettle_gmp_secure_begin();
	bool ok = generate_private_in(self);
	nettle_gmp_secure_end();
	return ok;
}

static bool get_public_in(ke_t *k, chunk_t *value)
{
	nettle_modp_t *self = (nettle_modp_t *)k;
	mpz_t y;

	if (!value)
		return false;
	mpz_init(y);
	mpz_powm_sec(y, self->grp->g, self->x, self->grp->p);
	*value = chunk_alloc(self->grp->len);
	nettle_mpz_get_str_256(value->len, value->ptr, y);
	mpz_clear(y);
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

/* The shared value y^x mod p into shared (initialised by the caller),
 * after the RFC 6989 checks of y; self is left alone. */
static bool shared_into(const nettle_modp_t *self, chunk_t value, mpz_t shared)
{
	const modp_params_t *grp = self->grp;
	bool ok = false;
	mpz_t y;

	/* The KE payload is exactly the prime's size (RFC 7296 §3.4). */
	if (!value.ptr || value.len != grp->len) {
		log_error(DBG_CRYPTO, "KE %d: peer value has %zu bytes, %zu expected",
		          grp->group, value.len, grp->len);
		return false;
	}
	mpz_init(y);
	nettle_mpz_set_str_256_u(y, value.len, value.ptr);
	/* RFC 6989 §2.1: reject 0, 1, p-1 and values >= p. */
	if (mpz_cmp_ui(y, 1) <= 0 || mpz_cmp(y, grp->p_minus_1) >= 0) {
		log_error(DBG_CRYPTO, "KE %d: peer value out of range (RFC 6989)",
		          grp->group);
		goto out;
	}
	/* RFC 6989 §2.2: the value must lie in the subgroup of order q. */
	if (grp->has_q) {
		mpz_t t;
		mpz_init(t);
		mpz_powm(t, y, grp->q, grp->p);
		bool in_subgroup = mpz_cmp_ui(t, 1) == 0;
		mpz_clear(t);
		if (!in_subgroup) {
			log_error(DBG_CRYPTO, "KE %d: peer value not in the prime-order "
			          "subgroup (RFC 6989)", grp->group);
			goto out;
		}
	}
	mpz_powm_sec(shared, y, self->x, grp->p);
	/* Unreachable for checked values and x in [1, q-1]; a last guard. */
	if (mpz_cmp_ui(shared, 1) <= 0) {
		mpz_wipe(shared);
		log_error(DBG_CRYPTO, "KE %d: degenerate shared secret", grp->group);
		goto out;
	}
	ok = true;
out:
	mpz_clear(y);
	return ok;
}

static bool set_peer_public_in(ke_t *k, chunk_t value)
{
	nettle_modp_t *self = (nettle_modp_t *)k;

	if (self->have_shared) {
		mpz_wipe(self->shared);
		self->have_shared = false;
	}
	self->have_shared = shared_into(self, value, self->shared);
	return self->have_shared;
}

/* With GMP's allocations in secure memory (nettle_plugin.h). */
static bool set_peer_public(ke_t *k, chunk_t value)
{
	nettle_gmp_secure_begin();
	bool ok = set_peer_public_in(k, value);
	nettle_gmp_secure_end();
	return ok;
}

static bool compute_shared_in(ke_t *k, chunk_t value, chunk_t *secret)
{
	nettle_modp_t *self = (nettle_modp_t *)k;
	bool ok;
	mpz_t z;

	*secret = chunk_empty;
	mpz_init(z);
	ok = shared_into(self, value, z);
	if (ok) {
		/* Padded to the length of the prime (RFC 7296 §2.14). */
		*secret = chunk_alloc_secure(self->grp->len);
		nettle_mpz_get_str_256(secret->len, secret->ptr, z);
	}
	mpz_wipe(z);
	mpz_clear(z);
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

static bool get_shared_secret(ke_t *k, chunk_t *secret)
{
	nettle_modp_t *self = (nettle_modp_t *)k;

	if (!secret || !self->have_shared)
		return false;
	/* Padded to the length of the prime (RFC 7296 §2.14). */
	*secret = chunk_alloc_secure(self->grp->len);
	nettle_mpz_get_str_256(secret->len, secret->ptr, self->shared);
	return true;
}

static bool set_private_in(ke_t *k, chunk_t value)
{
	nettle_modp_t *self = (nettle_modp_t *)k;

	if (!value.ptr || !value.len || value.len > self->grp->len)
		return false;
	mpz_wipe(self->x);
	nettle_mpz_set_str_256_u(self->x, value.len, value.ptr);
	if (mpz_sgn(self->x) == 0 || mpz_cmp(self->x, self->grp->p_minus_1) >= 0)
		return false;
	if (self->have_shared) {
		mpz_wipe(self->shared);
		self->have_shared = false;
	}
	return true;
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
	return ((nettle_modp_t *)k)->grp->group;
}

static void destroy(ke_t *k)
{
	nettle_modp_t *self = (nettle_modp_t *)k;

	mpz_wipe(self->x);
	mpz_wipe(self->shared);
	mpz_clear(self->x);
	mpz_clear(self->shared);
	xfree_secure(self);
}

ke_t *nettle_modp_create(ke_id_t group)
{
	const modp_params_t *grp = params_get(group);

	if (!grp)
		return NULL;
	nettle_modp_t *self = xzalloc_secure(sizeof(*self));
	self->public = (ke_t){
		.get_public = get_public,
		.set_peer_public = set_peer_public,
		.get_shared_secret = get_shared_secret,
		.set_private = set_private,
		.get_group = get_group,
		.destroy = destroy,
		.compute_shared = compute_shared,
	};
	self->grp = grp;
	mpz_init(self->x);
	mpz_init(self->shared);
	if (!generate_private(self)) {
		destroy(&self->public);
		return NULL;
	}
	return &self->public;
}
