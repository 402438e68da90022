/*
 * keymat.h - IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18).
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)                         (IKE_SA_INIT)
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)      (IKE SA rekey,
 *                                                          old SA's PRF)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)      (new SA's PRF)
 *   KEYMAT   = prf+ (SK_d, [g^ir (new) |] Ni | Nr)         (CHILD SA)
 *
 * For AES-XCBC-PRF-128 and AES-CMAC-PRF-128 only the first 64 bits of each
 * nonce key SKEYSEED (§2.14); everything else uses the whole nonces.
 *
 * Every function wipes its intermediate secrets.  Outputs are freshly
 * allocated in secure memory (mlocked, out of core dumps: chunk_alloc_secure);
 * free them with the *_clear functions (or chunk_clear).  On
 * failure outputs are left empty.  Algorithms must be registered (a crypto
 * plugin loaded): sizes are asked from the algorithm implementations.
 */
#ifndef IKEV2D_CRYPTO_KEYMAT_H
#define IKEV2D_CRYPTO_KEYMAT_H

#include <ikev2d/crypto.h>

/* The negotiated algorithms of an IKE SA or CHILD SA. */
typedef struct {
	prf_id_t prf;            /* IKE SA only (ignored for CHILD SA sizes) */
	encr_id_t encr;
	size_t encr_key_bits;    /* key length attribute; 0 if none */
	integ_id_t integ;        /* INTEG_NONE with an AEAD cipher */
} keymat_algs_t;

/* Key lengths in bytes. */
typedef struct {
	size_t prf_key;    /* SK_d, SK_pi, SK_pr: the PRF's preferred key size */
	size_t integ_key;  /* SK_ai, SK_ar: 0 with an AEAD cipher */
	size_t encr_key;   /* SK_ei, SK_er: including any salt or nonce */
} keymat_sizes_t;

/* Fill in the key sizes; false if an algorithm is not available,
 * the key length is not supported, or integrity is missing for a non-AEAD
 * cipher / present for an AEAD one.  With algs->prf == 0 prf_key is 0
 * (CHILD SAs). */
bool keymat_sizes(const keymat_algs_t *algs, keymat_sizes_t *sizes);

typedef struct {
	chunk_t sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
} keymat_ike_keys_t;

typedef struct {
	/* initiator to responder, then responder to initiator */
	chunk_t encr_i, integ_i, encr_r, integ_r;
} keymat_child_keys_t;

#define KEYMAT_SPI_SIZE 8

/* SKEYSEED = prf(Ni | Nr, g^ir).  Nonces must be at least 8 bytes. */
bool keymat_skeyseed(prf_id_t prf, chunk_t ni, chunk_t nr, chunk_t g_ir,
                     chunk_t *skeyseed);

/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF. */
bool keymat_skeyseed_rekey(prf_id_t old_prf, chunk_t old_sk_d, chunk_t g_ir,
                           chunk_t ni, chunk_t nr, chunk_t *skeyseed);

/* prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr) split into the seven SK_* keys.
 * SPIs are the 8 bytes as they appear on the wire. */
bool keymat_ike_keys(prf_id_t prf, chunk_t skeyseed, chunk_t ni, chunk_t nr,
                     const uint8_t spi_i[KEYMAT_SPI_SIZE],
                     const uint8_t spi_r[KEYMAT_SPI_SIZE],
                     const keymat_sizes_t *sizes, keymat_ike_keys_t *keys);

/* The whole derivation for a new IKE SA: sizes, SKEYSEED and the split. */
bool keymat_derive_ike(const keymat_algs_t *algs, chunk_t g_ir,
                       chunk_t ni, chunk_t nr,
                       const uint8_t spi_i[KEYMAT_SPI_SIZE],
                       const uint8_t spi_r[KEYMAT_SPI_SIZE],
                       keymat_ike_keys_t *keys);

/* The same for an IKE SA created by rekeying one that used old_prf/old_sk_d,
 * as RFC 7296 §2.18 says: SKEYSEED with the old SA's PRF, prf+ with the new
 * SA's (algs->prf). */
bool keymat_derive_ike_rekey(prf_id_t old_prf, chunk_t old_sk_d,
                             const keymat_algs_t *algs, chunk_t g_ir,
                             chunk_t ni, chunk_t nr,
                             const uint8_t spi_i[KEYMAT_SPI_SIZE],
                             const uint8_t spi_r[KEYMAT_SPI_SIZE],
                             keymat_ike_keys_t *keys);

/* The variant strongSwan's charon uses (keymat_v2): the old SA's PRF for
 * SKEYSEED and for prf+, the key sizes (SK_d, SK_pi, SK_pr) still those of
 * the new SA's PRF.  Identical to keymat_derive_ike_rekey when the PRF does
 * not change; the engine tries both when it does (ike_rekey.c). */
bool keymat_derive_ike_rekey_old_prf(prf_id_t old_prf, chunk_t old_sk_d,
                                     const keymat_algs_t *algs, chunk_t g_ir,
                                     chunk_t ni, chunk_t nr,
                                     const uint8_t spi_i[KEYMAT_SPI_SIZE],
                                     const uint8_t spi_r[KEYMAT_SPI_SIZE],
                                     keymat_ike_keys_t *keys);

/* KEYMAT = prf+ (SK_d, [g^ir |] Ni | Nr) into out (caller-allocated, at
 * most 255 PRF blocks).  g_ir empty: no PFS. */
bool keymat_child_stream(prf_id_t prf, chunk_t sk_d, chunk_t g_ir,
                         chunk_t ni, chunk_t nr, chunk_t out);

/* CHILD SA keys: encryption key first, then integrity key, initiator to
 * responder first (§2.17).  sizes->prf_key is ignored. */
bool keymat_child_keys(prf_id_t prf, chunk_t sk_d, chunk_t g_ir,
                       chunk_t ni, chunk_t nr, const keymat_sizes_t *sizes,
                       keymat_child_keys_t *keys);

void keymat_ike_keys_clear(keymat_ike_keys_t *keys);
void keymat_child_keys_clear(keymat_child_keys_t *keys);

#endif
