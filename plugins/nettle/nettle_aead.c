/*
 * nettle_aead.c - the IKEv2 AEAD ciphers: AES-GCM with 8/12/16-byte ICV
 * (RFC 4106/5282: key|4-byte salt, nonce = salt|8-byte IV), AES-CCM with
 * 8/12/16-byte ICV (RFC 4309/5282: key|3-byte salt, nonce = salt|IV) and
 * ChaCha20-Poly1305 (RFC 7634: 32-byte key|4-byte salt, 16-byte ICV).
 */
#include "nettle_plugin.h"

#include <stdlib.h>

#include <nettle/ccm.h>
#include <nettle/chacha-poly1305.h>
#include <nettle/gcm.h>

#define AEAD_IV_SIZE 8
#define GCM_SALT_SIZE 4
#define CCM_SALT_SIZE 3
#define CHACHA_SALT_SIZE 4
#define AEAD_MAX_ICV 16

typedef enum { AEAD_GCM, AEAD_CCM, AEAD_CHACHA } aead_mode_t;

typedef struct {
	aead_t public;
	/* Nettle's contexts first, 16-byte aligned: unaligned, AES-CCM ran
	 * 15% slower than raw Nettle in testing/bench/crypto_bench. */
	_Alignas(16) union {
		struct gcm_aes128_ctx gcm128;
		struct gcm_aes192_ctx gcm192;
		struct gcm_aes256_ctx gcm256;
		struct ccm_aes128_ctx ccm128;
		struct ccm_aes192_ctx ccm192;
		struct ccm_aes256_ctx ccm256;
		struct chacha_poly1305_ctx chacha;
	} c;
	aead_mode_t mode;
	size_t key_len;    /* without salt */
	size_t salt_len;
	size_t icv_len;
	bool keyed;
	uint8_t salt[4];
} nettle_aead_t;

static size_t get_block_size(aead_t *a)
{
	return 1;  /* counter-mode ciphers: no padding alignment needed */
}

static size_t get_icv_size(aead_t *a)
{
	return ((nettle_aead_t *)a)->icv_len;
}

static size_t get_iv_size(aead_t *a)
{
	return AEAD_IV_SIZE;
}

static size_t get_key_size(aead_t *a)
{
	nettle_aead_t *self = (nettle_aead_t *)a;

	return self->key_len + self->salt_len;
}

static bool set_key(aead_t *a, chunk_t key)
{
	nettle_aead_t *self = (nettle_aead_t *)a;

	if (key.len != get_key_size(a) || !key.ptr)
		return false;
	switch (self->mode) {
	case AEAD_GCM:
		switch (self->key_len) {
		case 16: gcm_aes128_set_key(&self->c.gcm128, key.ptr); break;
		case 24: gcm_aes192_set_key(&self->c.gcm192, key.ptr); break;
		default: gcm_aes256_set_key(&self->c.gcm256, key.ptr); break;
		}
		break;
	case AEAD_CCM:
		switch (self->key_len) {
		case 16: ccm_aes128_set_key(&self->c.ccm128, key.ptr); break;
		case 24: ccm_aes192_set_key(&self->c.ccm192, key.ptr); break;
		default: ccm_aes256_set_key(&self->c.ccm256, key.ptr); break;
		}
		break;
	case AEAD_CHACHA:
		chacha_poly1305_set_key(&self->c.chacha, key.ptr);
		break;
	}
	memcpy(self->salt, key.ptr + self->key_len, self->salt_len);
	self->keyed = true;
	return true;
}

/* Start a message: nonce = salt | IV, then the associated data. */
static void start(nettle_aead_t *self, chunk_t data, chunk_t assoc, chunk_t iv)
{
	uint8_t nonce[GCM_SALT_SIZE + AEAD_IV_SIZE];
	size_t nlen = self->salt_len + AEAD_IV_SIZE;

	memcpy(nonce, self->salt, self->salt_len);
	memcpy(nonce + self->salt_len, iv.ptr, AEAD_IV_SIZE);
	switch (self->mode) {
	case AEAD_GCM:
		switch (self->key_len) {
		case 16:
			gcm_aes128_set_iv(&self->c.gcm128, nlen, nonce);
			gcm_aes128_update(&self->c.gcm128, assoc.len, assoc.ptr);
			break;
		case 24:
			gcm_aes192_set_iv(&self->c.gcm192, nlen, nonce);
			gcm_aes192_update(&self->c.gcm192, assoc.len, assoc.ptr);
			break;
		default:
			gcm_aes256_set_iv(&self->c.gcm256, nlen, nonce);
			gcm_aes256_update(&self->c.gcm256, assoc.len, assoc.ptr);
			break;
		}
		break;
	case AEAD_CCM:
		switch (self->key_len) {
		case 16:
			ccm_aes128_set_nonce(&self->c.ccm128, nlen, nonce, assoc.len,
			                     data.len, self->icv_len);
			ccm_aes128_update(&self->c.ccm128, assoc.len, assoc.ptr);
			break;
		case 24:
			ccm_aes192_set_nonce(&self->c.ccm192, nlen, nonce, assoc.len,
			                     data.len, self->icv_len);
			ccm_aes192_update(&self->c.ccm192, assoc.len, assoc.ptr);
			break;
		default:
			ccm_aes256_set_nonce(&self->c.ccm256, nlen, nonce, assoc.len,
			                     data.len, self->icv_len);
			ccm_aes256_update(&self->c.ccm256, assoc.len, assoc.ptr);
			break;
		}
		break;
	case AEAD_CHACHA:
		chacha_poly1305_set_nonce(&self->c.chacha, nonce);
		chacha_poly1305_update(&self->c.chacha, assoc.len, assoc.ptr);
		break;
	}
}

/* Encrypt or decrypt the data in place and write the ICV. */
static void crypt_and_digest(nettle_aead_t *self, bool enc, chunk_t data,
                             uint8_t *icv)
{
	uint8_t *d = data.ptr;
	size_t n = data.len;

	switch (self->mode) {
	case AEAD_GCM:
		switch (self->key_len) {
		case 16:
			(enc ? gcm_aes128_encrypt : gcm_aes128_decrypt)(&self->c.gcm128, n, d, d);
			gcm_aes128_digest(&self->c.gcm128, self->icv_len, icv);
			break;
		case 24:
			(enc ? gcm_aes192_encrypt : gcm_aes192_decrypt)(&self->c.gcm192, n, d, d);
			gcm_aes192_digest(&self->c.gcm192, self->icv_len, icv);
			break;
		default:
			(enc ? gcm_aes256_encrypt : gcm_aes256_decrypt)(&self->c.gcm256, n, d, d);
			gcm_aes256_digest(&self->c.gcm256, self->icv_len, icv);
			break;
		}
		break;
	case AEAD_CCM:
		switch (self->key_len) {
		case 16:
			(enc ? ccm_aes128_encrypt : ccm_aes128_decrypt)(&self->c.ccm128, n, d, d);
			ccm_aes128_digest(&self->c.ccm128, self->icv_len, icv);
			break;
		case 24:
			(enc ? ccm_aes192_encrypt : ccm_aes192_decrypt)(&self->c.ccm192, n, d, d);
			ccm_aes192_digest(&self->c.ccm192, self->icv_len, icv);
			break;
		default:
			(enc ? ccm_aes256_encrypt : ccm_aes256_decrypt)(&self->c.ccm256, n, d, d);
			ccm_aes256_digest(&self->c.ccm256, self->icv_len, icv);
			break;
		}
		break;
	case AEAD_CHACHA:
		(enc ? chacha_poly1305_encrypt : chacha_poly1305_decrypt)(&self->c.chacha, n, d, d);
		chacha_poly1305_digest(&self->c.chacha, self->icv_len, icv);
		break;
	}
}

static bool check_args(nettle_aead_t *self, chunk_t data, chunk_t assoc,
                       chunk_t iv, const uint8_t *icv)
{
	return self->keyed && icv && iv.ptr && iv.len == AEAD_IV_SIZE &&
	       (data.ptr || !data.len) && (assoc.ptr || !assoc.len);
}

static bool encrypt(aead_t *a, chunk_t data, chunk_t assoc, chunk_t iv,
                    uint8_t *icv)
{
	nettle_aead_t *self = (nettle_aead_t *)a;

	if (!check_args(self, data, assoc, iv, icv))
		return false;
	start(self, data, assoc, iv);
	crypt_and_digest(self, true, data, icv);
	return true;
}

static bool decrypt(aead_t *a, chunk_t data, chunk_t assoc, chunk_t iv,
                    const uint8_t *icv)
{
	nettle_aead_t *self = (nettle_aead_t *)a;
	uint8_t expected[AEAD_MAX_ICV];
	bool ok;

	if (!check_args(self, data, assoc, iv, icv))
		return false;
	/* All three MAC the ciphertext (CCM the plaintext) while decrypting:
	 * decrypt, then compare; a forged message's plaintext is wiped. */
	start(self, data, assoc, iv);
	crypt_and_digest(self, false, data, expected);
	ok = memeq_const(expected, icv, self->icv_len);
	if (!ok)
		memwipe(data.ptr, data.len);
	memwipe(expected, sizeof(expected));
	return ok;
}

static void destroy(aead_t *a)
{
	nettle_aead_t *self = (nettle_aead_t *)a;

	xfree_secure(self);   /* wiped there */
}

aead_t *nettle_aead_create(encr_id_t alg, size_t key_bits)
{
	aead_mode_t mode;
	size_t icv, salt;

	switch (alg) {
	case ENCR_AES_GCM_8:  mode = AEAD_GCM; icv = 8;  salt = GCM_SALT_SIZE; break;
	case ENCR_AES_GCM_12: mode = AEAD_GCM; icv = 12; salt = GCM_SALT_SIZE; break;
	case ENCR_AES_GCM_16: mode = AEAD_GCM; icv = 16; salt = GCM_SALT_SIZE; break;
	case ENCR_AES_CCM_8:  mode = AEAD_CCM; icv = 8;  salt = CCM_SALT_SIZE; break;
	case ENCR_AES_CCM_12: mode = AEAD_CCM; icv = 12; salt = CCM_SALT_SIZE; break;
	case ENCR_AES_CCM_16: mode = AEAD_CCM; icv = 16; salt = CCM_SALT_SIZE; break;
	case ENCR_CHACHA20_POLY1305:
		mode = AEAD_CHACHA; icv = 16; salt = CHACHA_SALT_SIZE; break;
	default:
		return NULL;
	}
	if (mode == AEAD_CHACHA) {
		/* RFC 7634 §2: no key length attribute (a fixed 256-bit key). */
		if (key_bits != 0 && key_bits != 256)
			return NULL;
		key_bits = 256;
	} else {
		if (key_bits == 0)
			key_bits = 128;
		if (key_bits != 128 && key_bits != 192 && key_bits != 256)
			return NULL;
	}
	/* Key schedule and GCM table: locked, out of core dumps, wiped when
	 * freed (secmem has a 4608-byte class for AES-256-GCM's 4.4 KiB). */
	nettle_aead_t *self = xzalloc_secure(sizeof(*self));
	self->public = (aead_t){
		.encrypt = encrypt,
		.decrypt = decrypt,
		.get_block_size = get_block_size,
		.get_icv_size = get_icv_size,
		.get_iv_size = get_iv_size,
		.get_key_size = get_key_size,
		.set_key = set_key,
		.destroy = destroy,
	};
	self->mode = mode;
	self->key_len = key_bits / 8;
	self->salt_len = salt;
	self->icv_len = icv;
	return &self->public;
}
