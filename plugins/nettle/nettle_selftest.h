/*
 * nettle_selftest.h - the known-answer table (nettle_selftest_data.c) the
 * self-tests (nettle_selftest.c) run.  All values are hex strings.
 */
#ifndef NETTLE_SELFTEST_H
#define NETTLE_SELFTEST_H

#include <stddef.h>

#include <ikev2d/crypto.h>

typedef struct {
	encr_id_t alg;
	size_t key_bits;      /* key length attribute (0: none) */
	const char *key;      /* including salt or nonce */
	const char *iv;
	const char *assoc;    /* AEAD only */
	const char *plain;
	const char *cipher;   /* AEAD: ciphertext | ICV */
} nettle_cipher_kat_t;

typedef struct {
	unsigned alg;         /* integ_id_t or prf_id_t */
	const char *key;
	const char *data;
	const char *mac;      /* truncated for signers */
} nettle_mac_kat_t;

typedef struct {
	hash_id_t alg;
	const char *data;
	const char *digest;
} nettle_hash_kat_t;

typedef struct {
	ke_id_t group;
	const char *priv_i;
	const char *priv_r;
	const char *pub_i_sha256;   /* SHA-256 of the initiator's KE data */
	const char *shared_sha256;  /* SHA-256 of the shared secret */
} nettle_ke_kat_t;

extern const nettle_cipher_kat_t nettle_cipher_kats[];
extern const size_t nettle_cipher_kat_count;
extern const nettle_mac_kat_t nettle_signer_kats[];
extern const size_t nettle_signer_kat_count;
extern const nettle_mac_kat_t nettle_prf_kats[];
extern const size_t nettle_prf_kat_count;
extern const nettle_hash_kat_t nettle_hash_kats[];
extern const size_t nettle_hash_kat_count;
extern const nettle_ke_kat_t nettle_ke_kats[];
extern const size_t nettle_ke_kat_count;

#endif
