/*
 * nettle_crypter.c - the non-AEAD IKEv2 ciphers: AES-CBC (RFC 3602),
 * AES-CTR (RFC 3686: key|4-byte nonce, 8-byte IV, counter from 1) and
 * 3DES-CBC (RFC 2451).
 */
#include "nettle_plugin.h"

#include <stdlib.h>

#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/ctr.h>
#include <nettle/des.h>

#define CTR_NONCE_SIZE 4
#define CTR_IV_SIZE 8

typedef enum { MODE_CBC, MODE_CTR } cipher_mode_t;

/* Which AES key schedule k holds.  The engine uses each crypter in one
 * direction only (one per direction of an IKE SA: the outbound one only
 * encrypts, the inbound one only decrypts), so one schedule is kept,
 * expanded from the key for the direction in use; a crypter used both
 * ways (tests) re-expands it when the direction changes.  CTR and 3DES
 * need no such choice (CTR only encrypts; the DES schedule serves both). */
typedef enum { SCHED_NONE, SCHED_ENC, SCHED_DEC } aes_sched_t;

typedef struct {
	crypter_t public;
	uint8_t key[AES256_KEY_SIZE];   /* AES key, for the other schedule */
	encr_id_t alg;
	cipher_mode_t mode;
	aes_sched_t sched;
	size_t key_len;       /* cipher key, without the CTR nonce */
	bool keyed;
	uint8_t nonce[CTR_NONCE_SIZE];
	/* The key schedule (a struct aes128/192/256_ctx or des3_ctx): it
	 * follows the object, 16-byte aligned (measurably faster) and sized
	 * for this cipher and key length, k_size bytes. */
	void *k;
	size_t k_size;
} nettle_crypter_t;

/* Where the key schedule starts after the object. */
#define SCHED_OFFSET \
	((sizeof(nettle_crypter_t) + 15) & ~(size_t)15)

static size_t get_block_size(crypter_t *c)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;

	if (self->mode == MODE_CTR)
		return 1;  /* a stream: no padding alignment needed */
	return self->alg == ENCR_3DES ? DES3_BLOCK_SIZE : AES_BLOCK_SIZE;
}

static size_t get_iv_size(crypter_t *c)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;

	if (self->mode == MODE_CTR)
		return CTR_IV_SIZE;
	return self->alg == ENCR_3DES ? DES3_BLOCK_SIZE : AES_BLOCK_SIZE;
}

static size_t get_key_size(crypter_t *c)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;

	return self->key_len + (self->mode == MODE_CTR ? CTR_NONCE_SIZE : 0);
}

static bool set_key(crypter_t *c, chunk_t key)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;

	if (key.len != get_key_size(c) || !key.ptr)
		return false;
	if (self->alg == ENCR_3DES) {
		/* Nettle rejects keys with a weak DES part (RFC 2451 §2.5
		 * says to reject them). */
		if (!des3_set_key(self->k, key.ptr)) {
			memwipe(self->k, self->k_size);
			self->keyed = false;
			return false;
		}
	} else {
		/* The schedule is expanded on first use, for its direction. */
		memcpy(self->key, key.ptr, self->key_len);
		memwipe(self->k, self->k_size);
		self->sched = SCHED_NONE;
		if (self->mode == MODE_CTR)
			memcpy(self->nonce, key.ptr + self->key_len, CTR_NONCE_SIZE);
	}
	self->keyed = true;
	return true;
}

/* Make k the AES schedule for direction want (a no-op when it is
 * already).  Expansion does not depend on the data, only on the key. */
static void aes_schedule(nettle_crypter_t *self, aes_sched_t want)
{
	if (self->sched == want)
		return;
	switch (self->key_len) {
	case AES128_KEY_SIZE:
		if (want == SCHED_ENC)
			aes128_set_encrypt_key(self->k, self->key);
		else
			aes128_set_decrypt_key(self->k, self->key);
		break;
	case AES192_KEY_SIZE:
		if (want == SCHED_ENC)
			aes192_set_encrypt_key(self->k, self->key);
		else
			aes192_set_decrypt_key(self->k, self->key);
		break;
	default:
		if (want == SCHED_ENC)
			aes256_set_encrypt_key(self->k, self->key);
		else
			aes256_set_decrypt_key(self->k, self->key);
		break;
	}
	self->sched = want;
}

/* The encryption function and context for this key size. */
static void aes_enc(nettle_crypter_t *self, const void **ctx,
                    nettle_cipher_func **f)
{
	aes_schedule(self, SCHED_ENC);
	switch (self->key_len) {
	case AES128_KEY_SIZE:
		*ctx = self->k;
		*f = (nettle_cipher_func *)aes128_encrypt;
		break;
	case AES192_KEY_SIZE:
		*ctx = self->k;
		*f = (nettle_cipher_func *)aes192_encrypt;
		break;
	default:
		*ctx = self->k;
		*f = (nettle_cipher_func *)aes256_encrypt;
		break;
	}
}

static bool ctr_crypt_data(nettle_crypter_t *self, chunk_t data, chunk_t iv)
{
	uint8_t ctr[AES_BLOCK_SIZE];
	nettle_cipher_func *f;
	const void *ctx;

	/* Counter block: nonce | IV | 32-bit block counter starting at 1. */
	memcpy(ctr, self->nonce, CTR_NONCE_SIZE);
	memcpy(ctr + CTR_NONCE_SIZE, iv.ptr, CTR_IV_SIZE);
	ctr[12] = ctr[13] = ctr[14] = 0;
	ctr[15] = 1;
	aes_enc(self, &ctx, &f);
	ctr_crypt(ctx, f, AES_BLOCK_SIZE, ctr, data.len, data.ptr, data.ptr);
	return true;
}

static bool check_args(nettle_crypter_t *self, chunk_t data, chunk_t iv)
{
	if (!self->keyed || iv.len != get_iv_size(&self->public) || !iv.ptr)
		return false;
	if (data.len && !data.ptr)
		return false;
	return data.len % get_block_size(&self->public) == 0;
}

static bool encrypt(crypter_t *c, chunk_t data, chunk_t iv)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;
	uint8_t ivbuf[AES_BLOCK_SIZE];

	if (!check_args(self, data, iv))
		return false;
	if (self->mode == MODE_CTR)
		return ctr_crypt_data(self, data, iv);
	/* Nettle advances the IV in place; the caller's IV stays as sent. */
	memcpy(ivbuf, iv.ptr, iv.len);
	if (self->alg != ENCR_3DES)
		aes_schedule(self, SCHED_ENC);
	switch (self->alg == ENCR_3DES ? 0 : self->key_len) {
	case 0:
		cbc_encrypt(self->k, (nettle_cipher_func *)des3_encrypt,
		            DES3_BLOCK_SIZE, ivbuf, data.len, data.ptr, data.ptr);
		break;
	case AES128_KEY_SIZE:
		cbc_aes128_encrypt(self->k, ivbuf, data.len,
		                   data.ptr, data.ptr);
		break;
	case AES192_KEY_SIZE:
		cbc_aes192_encrypt(self->k, ivbuf, data.len,
		                   data.ptr, data.ptr);
		break;
	default:
		cbc_aes256_encrypt(self->k, ivbuf, data.len,
		                   data.ptr, data.ptr);
		break;
	}
	return true;
}

static bool decrypt(crypter_t *c, chunk_t data, chunk_t iv)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;
	uint8_t ivbuf[AES_BLOCK_SIZE];

	if (!check_args(self, data, iv))
		return false;
	if (self->mode == MODE_CTR)
		return ctr_crypt_data(self, data, iv);
	memcpy(ivbuf, iv.ptr, iv.len);
	if (self->alg != ENCR_3DES)
		aes_schedule(self, SCHED_DEC);
	switch (self->alg == ENCR_3DES ? 0 : self->key_len) {
	case 0:
		cbc_decrypt(self->k, (nettle_cipher_func *)des3_decrypt,
		            DES3_BLOCK_SIZE, ivbuf, data.len, data.ptr, data.ptr);
		break;
	case AES128_KEY_SIZE:
		cbc_decrypt(self->k, (nettle_cipher_func *)aes128_decrypt,
		            AES_BLOCK_SIZE, ivbuf, data.len, data.ptr, data.ptr);
		break;
	case AES192_KEY_SIZE:
		cbc_decrypt(self->k, (nettle_cipher_func *)aes192_decrypt,
		            AES_BLOCK_SIZE, ivbuf, data.len, data.ptr, data.ptr);
		break;
	default:
		cbc_decrypt(self->k, (nettle_cipher_func *)aes256_decrypt,
		            AES_BLOCK_SIZE, ivbuf, data.len, data.ptr, data.ptr);
		break;
	}
	return true;
}

static void destroy(crypter_t *c)
{
	nettle_crypter_t *self = (nettle_crypter_t *)c;

	xfree_secure(self);   /* wiped there */
}

crypter_t *nettle_crypter_create(encr_id_t alg, size_t key_bits)
{
	cipher_mode_t mode = MODE_CBC;
	size_t key_len;

	switch (alg) {
	case ENCR_AES_CTR:
		mode = MODE_CTR;
		/* fall through */
	case ENCR_AES_CBC:
		/* AES needs the key length attribute; 0 means the smallest. */
		if (key_bits == 0)
			key_bits = 128;
		if (key_bits != 128 && key_bits != 192 && key_bits != 256)
			return NULL;
		key_len = key_bits / 8;
		break;
	case ENCR_3DES:
		if (key_bits != 0 && key_bits != 192)
			return NULL;
		key_len = DES3_KEY_SIZE;
		break;
	default:
		return NULL;
	}
	size_t k_size;

	if (alg == ENCR_3DES)
		k_size = sizeof(struct des3_ctx);
	else if (key_len == AES128_KEY_SIZE)
		k_size = sizeof(struct aes128_ctx);
	else if (key_len == AES192_KEY_SIZE)
		k_size = sizeof(struct aes192_ctx);
	else
		k_size = sizeof(struct aes256_ctx);
	/* Key and schedule: locked, out of core dumps, wiped when freed. */
	nettle_crypter_t *self = xzalloc_secure(SCHED_OFFSET + k_size);
	self->public = (crypter_t){
		.encrypt = encrypt,
		.decrypt = decrypt,
		.get_block_size = get_block_size,
		.get_iv_size = get_iv_size,
		.get_key_size = get_key_size,
		.set_key = set_key,
		.destroy = destroy,
	};
	self->alg = alg;
	self->mode = mode;
	self->key_len = key_len;
	self->k = (uint8_t *)self + SCHED_OFFSET;
	self->k_size = k_size;
	return &self->public;
}
