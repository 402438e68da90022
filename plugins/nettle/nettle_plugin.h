/*
 * nettle_plugin.h - what the files of the nettle plugin share: the
 * constructors each registers with the core, and the self-tests.
 */
#ifndef NETTLE_PLUGIN_H
#define NETTLE_PLUGIN_H

#include <ikev2d/crypto.h>
#include <ikev2d/plugin.h>

#define NETTLE_PLUGIN_NAME "nettle"

/* Constructors (crypto.h constructor types); NULL for an algorithm or key
 * size they do not support. */
crypter_t *nettle_crypter_create(encr_id_t alg, size_t key_bits);
aead_t *nettle_aead_create(encr_id_t alg, size_t key_bits);
signer_t *nettle_signer_create(integ_id_t alg);
prf_t *nettle_prf_create(prf_id_t alg);
hasher_t *nettle_hasher_create(hash_id_t alg);
ke_t *nettle_modp_create(ke_id_t group);
ke_t *nettle_ecp_create(ke_id_t group);
ke_t *nettle_curve_create(ke_id_t group);
rng_t *nettle_rng_create(rng_quality_t quality);

/* Fill buf from the kernel's random source (getrandom); false on error. */
bool nettle_random(void *buf, size_t len);
/* GMP's allocations by this thread come from secure memory between these
 * two (nestable; nettle_plugin.c): around whatever computes with or
 * stores a private value or a shared secret. */
void nettle_gmp_secure_begin(void);
void nettle_gmp_secure_end(void);
/* Drop the random-byte pools' thread key (plugin unload). */
void nettle_rng_cleanup(void);

/* What a feature registers: one algorithm of one kind. */
typedef enum {
	NETTLE_CRYPTER,
	NETTLE_AEAD,
	NETTLE_SIGNER,
	NETTLE_PRF,
	NETTLE_HASHER,
	NETTLE_KE,
	NETTLE_RNG,
} nettle_kind_t;

typedef struct {
	nettle_kind_t kind;
	unsigned id;          /* encr_id_t, integ_id_t, ... (0 for the RNG) */
} nettle_alg_t;

/* Known-answer self-test of one algorithm (every key size it offers);
 * false, with a log line saying what differed, if it fails. */
bool nettle_selftest(const char *feature, const nettle_alg_t *alg);

#endif
