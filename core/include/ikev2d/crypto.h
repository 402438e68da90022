/*
 * crypto.h - the crypto interfaces plugins implement and the core calls.
 *
 * The core never names an algorithm library.  A crypto plugin implements
 * these objects and, from its feature callbacks, registers a constructor per
 * algorithm with crypto_register_*; the core creates instances with
 * crypto_create_*.  One provider per algorithm: the loader lets the first
 * plugin in load order provide a feature, so the registry refuses a second
 * registration of the same algorithm.
 *
 * All methods that can fail return bool.  Implementations wipe key material
 * in destroy().  Nothing here may log a key.
 *
 * Feature names used by crypto plugins (see plugin.h):
 *   "encr:<transform_name>"   e.g. "encr:aes-cbc", "encr:3des"
 *   "aead:<transform_name>"   e.g. "aead:aes-gcm-16", "aead:chacha20-poly1305"
 *   "integ:<transform_name>"  e.g. "integ:hmac-sha256-128"
 *   "prf:<transform_name>"    e.g. "prf:hmac-sha256"
 *   "hash:<hash_name>"        e.g. "hash:sha256"
 *   "ke:<transform_name>"     e.g. "ke:ecp256", "ke:modp2048", "ke:curve25519"
 *   "rng"
 */
#ifndef IKEV2D_CRYPTO_H
#define IKEV2D_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/chunk.h>
#include <ikev2d/transform.h>

/* Non-AEAD cipher (ENCR_AES_CBC, ENCR_AES_CTR, ENCR_3DES).  For CTR the key
 * includes the 4-byte nonce (RFC 3686) and the IV is 8 bytes. */
typedef struct crypter crypter_t;
struct crypter {
	/* In place; data.len must be a multiple of the block size. */
	bool (*encrypt)(crypter_t *self, chunk_t data, chunk_t iv);
	bool (*decrypt)(crypter_t *self, chunk_t data, chunk_t iv);
	size_t (*get_block_size)(crypter_t *self);
	size_t (*get_iv_size)(crypter_t *self);
	size_t (*get_key_size)(crypter_t *self);  /* bytes, incl. any nonce */
	bool (*set_key)(crypter_t *self, chunk_t key);
	void (*destroy)(crypter_t *self);
};

/* AEAD cipher (GCM, CCM, ChaCha20-Poly1305).  The key ends with the salt
 * (4 bytes GCM and ChaCha20-Poly1305, 3 bytes CCM), as IKEv2 derives it. */
typedef struct aead aead_t;
struct aead {
	/* Encrypt data in place; write get_icv_size() bytes to icv. */
	bool (*encrypt)(aead_t *self, chunk_t data, chunk_t assoc, chunk_t iv,
	                uint8_t *icv);
	/* Verify icv, then decrypt in place; false (data untouched or
	 * garbage, never used) when the ICV does not verify. */
	bool (*decrypt)(aead_t *self, chunk_t data, chunk_t assoc, chunk_t iv,
	                const uint8_t *icv);
	size_t (*get_block_size)(aead_t *self);  /* padding alignment */
	size_t (*get_icv_size)(aead_t *self);
	size_t (*get_iv_size)(aead_t *self);
	size_t (*get_key_size)(aead_t *self);    /* bytes, incl. salt */
	bool (*set_key)(aead_t *self, chunk_t key);
	void (*destroy)(aead_t *self);
};

/* Integrity algorithm (INTEG_*), output truncated as the transform says. */
typedef struct signer signer_t;
struct signer {
	/* Write get_block_size() bytes to out. */
	bool (*get_signature)(signer_t *self, chunk_t data, uint8_t *out);
	/* Constant-time comparison; false on mismatch or wrong length. */
	bool (*verify_signature)(signer_t *self, chunk_t data, chunk_t sig);
	size_t (*get_block_size)(signer_t *self);
	size_t (*get_key_size)(signer_t *self);
	bool (*set_key)(signer_t *self, chunk_t key);
	void (*destroy)(signer_t *self);
};

/* Pseudo-random function (PRF_*).  Variable-length keys as RFC 7296
 * §2.13 and RFC 4434/4615 define for each. */
typedef struct prf prf_t;
struct prf {
	/* prf(key, seed): write get_block_size() bytes to out. */
	bool (*get_bytes)(prf_t *self, chunk_t seed, uint8_t *out);
	size_t (*get_block_size)(prf_t *self);
	size_t (*get_key_size)(prf_t *self);  /* preferred key size */
	bool (*set_key)(prf_t *self, chunk_t key);
	void (*destroy)(prf_t *self);
};

/* Hash functions, numbered as RFC 7427 §7 (IANA "Hash Algorithms"). */
typedef enum {
	HASH_SHA1     = 1,
	HASH_SHA2_256 = 2,
	HASH_SHA2_384 = 3,
	HASH_SHA2_512 = 4,
} hash_id_t;

typedef struct hasher hasher_t;
struct hasher {
	/* Hash the concatenation of n parts; write get_hash_size() bytes. */
	bool (*get_hash)(hasher_t *self, const chunk_t *parts, size_t n,
	                 uint8_t *out);
	size_t (*get_hash_size)(hasher_t *self);
	void (*destroy)(hasher_t *self);
};

/* Key exchange (KE_*).  Public values are in IKEv2 KE payload encoding:
 * MODP big-endian padded to the prime's size, ECP x|y (no 0x04), Curve25519
 * and Curve448 as RFC 8031.  Shared secrets likewise (ECP: x only). */
typedef struct ke ke_t;
struct ke {
	/* Our public value, freshly allocated (caller frees). */
	bool (*get_public)(ke_t *self, chunk_t *value);
	/* Validate the peer's public value (RFC 6989 checks) and compute the
	 * shared secret; false if the value is invalid. */
	bool (*set_peer_public)(ke_t *self, chunk_t value);
	/* The shared secret, freshly allocated: caller chunk_clear()s it. */
	bool (*get_shared_secret)(ke_t *self, chunk_t *secret);
	/* For known-answer tests only: replace the private value. */
	bool (*set_private)(ke_t *self, chunk_t value);
	ke_id_t (*get_group)(ke_t *self);
	void (*destroy)(ke_t *self);
	/* Optional (NULL when absent): validate the peer's public value as
	 * set_peer_public does and return the shared secret (freshly
	 * allocated, caller chunk_clear()s it) WITHOUT changing self, so one
	 * private value may serve several exchanges on several threads at
	 * once (RFC 7296 §2.12 reuse, core/crypto/ke_reuse.h). */
	bool (*compute_shared)(ke_t *self, chunk_t peer, chunk_t *secret);
};

typedef enum {
	RNG_WEAK,    /* IVs, padding, SPIs */
	RNG_STRONG,  /* nonces, private values, keys */
} rng_quality_t;

typedef struct rng rng_t;
struct rng {
	bool (*get_bytes)(rng_t *self, size_t len, uint8_t *out);
	void (*destroy)(rng_t *self);
};

/* Constructors that plugins register.  key_bits is the negotiated key
 * length attribute (0 when the transform has none: default size). */
typedef crypter_t *(*crypter_ctor_t)(encr_id_t alg, size_t key_bits);
typedef aead_t *(*aead_ctor_t)(encr_id_t alg, size_t key_bits);
typedef signer_t *(*signer_ctor_t)(integ_id_t alg);
typedef prf_t *(*prf_ctor_t)(prf_id_t alg);
typedef hasher_t *(*hasher_ctor_t)(hash_id_t alg);
typedef ke_t *(*ke_ctor_t)(ke_id_t group);
typedef rng_t *(*rng_ctor_t)(rng_quality_t quality);

/* Registration (from feature callbacks).  Returns false if the algorithm
 * already has a provider.  'plugin' is the provider's name, for listings. */
bool crypto_register_crypter(encr_id_t alg, const char *plugin, crypter_ctor_t c);
bool crypto_register_aead(encr_id_t alg, const char *plugin, aead_ctor_t c);
bool crypto_register_signer(integ_id_t alg, const char *plugin, signer_ctor_t c);
bool crypto_register_prf(prf_id_t alg, const char *plugin, prf_ctor_t c);
bool crypto_register_hasher(hash_id_t alg, const char *plugin, hasher_ctor_t c);
bool crypto_register_ke(ke_id_t group, const char *plugin, ke_ctor_t c);
bool crypto_register_rng(const char *plugin, rng_ctor_t c);

void crypto_unregister_crypter(encr_id_t alg);
void crypto_unregister_aead(encr_id_t alg);
void crypto_unregister_signer(integ_id_t alg);
void crypto_unregister_prf(prf_id_t alg);
void crypto_unregister_hasher(hash_id_t alg);
void crypto_unregister_ke(ke_id_t group);
void crypto_unregister_rng(void);

/* Instances; NULL when no plugin provides the algorithm (or the key size
 * is not supported). */
crypter_t *crypto_create_crypter(encr_id_t alg, size_t key_bits);
aead_t *crypto_create_aead(encr_id_t alg, size_t key_bits);
signer_t *crypto_create_signer(integ_id_t alg);
prf_t *crypto_create_prf(prf_id_t alg);
hasher_t *crypto_create_hasher(hash_id_t alg);
ke_t *crypto_create_ke(ke_id_t group);
rng_t *crypto_create_rng(rng_quality_t quality);
/* len random bytes of the quality into buf from the registered RNG (which
 * may serve small requests from a per-thread pool), or straight from the
 * kernel (getrandom) when no RNG is registered; false only if both fail. */
bool crypto_random(rng_quality_t quality, void *buf, size_t len);

/* Which plugin provides an algorithm, or NULL. */
const char *crypto_provider(transform_type_t type, uint16_t id);
/* The same for a hash and for the random number generator. */
const char *crypto_hasher_provider(hash_id_t alg);
const char *crypto_rng_provider(void);

/* Whether the ENCR id is an AEAD cipher (GCM, CCM, ChaCha20-Poly1305). */
bool encr_is_aead(encr_id_t alg);

/* prf+ (RFC 7296 §2.13): fill out->len bytes with T1|T2|... from a keyed
 * prf and seed.  out must be allocated by the caller; at most 255 blocks. */
bool prf_plus(prf_t *prf, chunk_t seed, chunk_t out);

#endif
