/*
 * test_nettle.c - the nettle plugin as shipped, loaded through the plugin
 * loader: which features it provides, every cipher, AEAD, MAC, PRF and
 * key-exchange vector in testing/vectors (RFC 3602, 3686, GCM/CCM in RFC
 * 4106/4309 layout, RFC 7539, NIST 3DES, RFC 2202, 4231, 4868, 3566/4434,
 * 4493/4494/4615, RFC 5903, 5114, 7748 and the MODP groups), the RFC 6989
 * checks on peer values, bad arguments, and the self-test gate (a failing
 * self-test keeps a feature from being registered; a second provider is
 * refused).
 */
#include "config/config.h"
#include "crypto/keymat.h"
#include "nettle_load.h"
#include "vector_file.h"
#include "../lib/locked_mem.h"
#include "lib/secmem.h"

#include <ikev2d/bus.h>
#include <ikev2d/settings.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void setup(void)
{
	nettle_load();
}

static void teardown(void)
{
	nettle_unload();
}

/* ------------------------------------------------------------ features */

static const char *const all_features[] = {
	"rng",
	"encr:aes-cbc", "encr:aes-ctr", "encr:3des",
	"aead:aes-gcm-8", "aead:aes-gcm-12", "aead:aes-gcm-16",
	"aead:aes-ccm-8", "aead:aes-ccm-12", "aead:aes-ccm-16",
	"aead:chacha20-poly1305",
	"integ:hmac-sha1-96", "integ:hmac-sha1-160", "integ:hmac-sha256-128",
	"integ:hmac-sha384-192", "integ:hmac-sha512-256", "integ:aes-xcbc-96",
	"integ:aes-cmac-96",
	"prf:hmac-sha1", "prf:hmac-sha256", "prf:hmac-sha384", "prf:hmac-sha512",
	"prf:aes128-xcbc", "prf:aes128-cmac",
	"hash:sha1", "hash:sha256", "hash:sha384", "hash:sha512",
	"ke:modp1024", "ke:modp1536", "ke:modp2048", "ke:modp3072",
	"ke:modp4096", "ke:modp6144", "ke:modp8192", "ke:modp1024s160",
	"ke:modp2048s224", "ke:modp2048s256", "ke:ecp256", "ke:ecp384",
	"ke:ecp521", "ke:ecp192", "ke:ecp224", "ke:curve25519", "ke:curve448",
};
#define N_FEATURES (sizeof(all_features) / sizeof(all_features[0]))

START_TEST(test_features)
{
	for (size_t i = 0; i < N_FEATURES; i++) {
		ck_assert_msg(plugin_feature_loaded(all_features[i]), "%s missing",
		              all_features[i]);
		ck_assert_str_eq(plugin_feature_provider(all_features[i]), "nettle");
	}
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_GCM_16), "nettle");
	ck_assert_str_eq(crypto_provider(TRANS_KE, KE_CURVE448), "nettle");
	ck_assert_str_eq(crypto_provider(TRANS_PRF, PRF_AES128_CMAC), "nettle");
	ck_assert_str_eq(crypto_provider(TRANS_INTEG, INTEG_AES_XCBC_96), "nettle");
	/* Not offered: MD5, GMAC, MODP 768. */
	ck_assert_ptr_null(crypto_provider(TRANS_PRF, PRF_HMAC_MD5));
	ck_assert_ptr_null(crypto_provider(TRANS_ENCR, ENCR_NULL_AUTH_AES_GMAC));
	ck_assert_ptr_null(crypto_provider(TRANS_KE, KE_MODP_768));
}
END_TEST

/* ------------------------------------------------------------- ciphers */

typedef struct {
	const char *name;
	encr_id_t id;
} encr_name_t;

static const encr_name_t encr_names[] = {
	{ "ENCR_AES_CBC", ENCR_AES_CBC },
	{ "ENCR_AES_CTR", ENCR_AES_CTR },
	{ "ENCR_3DES", ENCR_3DES },
	{ "ENCR_AES_GCM_ICV8", ENCR_AES_GCM_8 },
	{ "ENCR_AES_GCM_ICV12", ENCR_AES_GCM_12 },
	{ "ENCR_AES_GCM_ICV16", ENCR_AES_GCM_16 },
	{ "ENCR_AES_CCM_ICV8", ENCR_AES_CCM_8 },
	{ "ENCR_AES_CCM_ICV12", ENCR_AES_CCM_12 },
	{ "ENCR_AES_CCM_ICV16", ENCR_AES_CCM_16 },
	{ "ENCR_CHACHA20_POLY1305", ENCR_CHACHA20_POLY1305 },
};

static encr_id_t encr_by_name(const char *name)
{
	ck_assert_ptr_nonnull(name);
	for (size_t i = 0; i < sizeof(encr_names) / sizeof(encr_names[0]); i++)
		if (strcmp(encr_names[i].name, name) == 0)
			return encr_names[i].id;
	ck_abort_msg("unknown cipher %s", name);
	return 0;
}

/* One record of a cipher file; returns nothing, asserts. */
static void check_cipher_record(vector_file_t *vf)
{
	encr_id_t alg = encr_by_name(vf_get(vf, "alg"));
	long key_size = vf_int(vf, "key_size");
	size_t key_bits = (alg == ENCR_3DES || alg == ENCR_CHACHA20_POLY1305)
	                  ? 0 : (size_t)key_size * 8;
	chunk_t key = vf_hex(vf, "key"), iv = vf_hex(vf, "iv");
	chunk_t plain = vf_get(vf, "plain") ? vf_hex(vf, "plain") : chunk_empty;
	chunk_t want = vf_hex(vf, "cipher");
	chunk_t adata = vf_get(vf, "adata") ? vf_hex(vf, "adata") : chunk_empty;
	chunk_t buf = chunk_clone(plain);
	const char *name = vf_get(vf, "name");

	if (encr_is_aead(alg)) {
		aead_t *a = crypto_create_aead(alg, key_bits);
		uint8_t icv[16];
		ck_assert_ptr_nonnull(a);
		ck_assert_int_eq(a->get_key_size(a), key.len);
		ck_assert_int_eq(a->get_iv_size(a), iv.len);
		size_t icv_len = a->get_icv_size(a);
		ck_assert_int_eq(want.len, plain.len + icv_len);
		ck_assert(a->set_key(a, key));
		ck_assert(a->encrypt(a, buf, adata, iv, icv));
		ck_assert_msg(memcmp(buf.ptr, want.ptr, plain.len) == 0 &&
		              memcmp(icv, want.ptr + plain.len, icv_len) == 0,
		              "%s: wrong ciphertext", name);
		ck_assert(a->decrypt(a, buf, adata, iv, icv));
		ck_assert_msg(chunk_equals(buf, plain), "%s: wrong plaintext", name);
		/* Any flipped bit in ciphertext, ICV or AAD is refused. */
		memcpy(buf.ptr, want.ptr, plain.len);
		if (buf.len) {
			buf.ptr[buf.len / 2] ^= 0x04;
			ck_assert(!a->decrypt(a, buf, adata, iv, icv));
			memcpy(buf.ptr, want.ptr, plain.len);
		}
		icv[icv_len - 1] ^= 0x01;
		ck_assert(!a->decrypt(a, buf, adata, iv, icv));
		icv[icv_len - 1] ^= 0x01;
		if (adata.len) {
			memcpy(buf.ptr, want.ptr, plain.len);
			adata.ptr[0] ^= 0x80;
			ck_assert(!a->decrypt(a, buf, adata, iv, icv));
		}
		a->destroy(a);
	} else {
		crypter_t *c = crypto_create_crypter(alg, key_bits);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(c->get_key_size(c), key.len);
		ck_assert_int_eq(c->get_iv_size(c), iv.len);
		ck_assert(c->set_key(c, key));
		ck_assert(c->encrypt(c, buf, iv));
		ck_assert_msg(chunk_equals(buf, want), "%s: wrong ciphertext", name);
		ck_assert(c->decrypt(c, buf, iv));
		ck_assert_msg(chunk_equals(buf, plain), "%s: wrong plaintext", name);
		c->destroy(c);
	}
	chunk_free(&key); chunk_free(&iv); chunk_free(&plain);
	chunk_free(&want); chunk_free(&adata); chunk_free(&buf);
}

static const struct { const char *file; int records; } cipher_files[] = {
	{ "cipher/rfc3602_aes_cbc.txt", 6 },
	{ "cipher/rfc3686_aes_ctr.txt", 9 },
	{ "cipher/nist_3des_cbc.txt", 2 },
	{ "cipher/gcm_mcgrew_viega_rfc4106_layout.txt", 21 },
	{ "cipher/aes_ccm_rfc4309_layout.txt", 16 },
	{ "cipher/rfc7539_chacha20poly1305.txt", 4 },
};

START_TEST(test_cipher_vectors)
{
	vector_file_t *vf = vf_open(cipher_files[_i].file);
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		check_cipher_record(vf);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, cipher_files[_i].records);
}
END_TEST

/* The AES crypter keeps one key schedule, for the direction in use: a
 * crypter that only decrypts (the engine's inbound one), one that switches
 * direction back and forth, and one re-keyed after use must all agree with
 * a fresh crypter on the same key. */
START_TEST(test_crypter_directions)
{
	static const size_t bits[] = { 128, 192, 256 };
	uint8_t k1[32], k2[32], iv[16], plain[64], ct1[64], ct2[64], buf[64];

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(k1); i++) {
		k1[i] = (uint8_t)(0xa0 + i);
		k2[i] = (uint8_t)(0x31 * i + 5);
	}
	memset(iv, 0x5c, sizeof(iv));
	for (size_t b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		chunk_t key1 = chunk_create(k1, bits[b] / 8);
		chunk_t key2 = chunk_create(k2, bits[b] / 8);
		chunk_t ivc = chunk_create(iv, sizeof(iv));
		chunk_t data = chunk_create(buf, sizeof(buf));
		crypter_t *enc = crypto_create_crypter(ENCR_AES_CBC, bits[b]);
		crypter_t *dec = crypto_create_crypter(ENCR_AES_CBC, bits[b]);
		crypter_t *both = crypto_create_crypter(ENCR_AES_CBC, bits[b]);

		ck_assert(enc && dec && both);
		ck_assert(enc->set_key(enc, key1) && dec->set_key(dec, key1) &&
		          both->set_key(both, key1));
		memcpy(buf, plain, sizeof(buf));
		ck_assert(enc->encrypt(enc, data, ivc));
		memcpy(ct1, buf, sizeof(ct1));
		ck_assert(memcmp(ct1, plain, sizeof(plain)) != 0);
		/* Decrypt-only: never held the encryption schedule. */
		ck_assert(dec->decrypt(dec, data, ivc));
		ck_assert(memcmp(buf, plain, sizeof(plain)) == 0);
		/* Both ways, twice. */
		for (int round = 0; round < 2; round++) {
			memcpy(buf, plain, sizeof(buf));
			ck_assert(both->encrypt(both, data, ivc));
			ck_assert(memcmp(buf, ct1, sizeof(ct1)) == 0);
			ck_assert(both->decrypt(both, data, ivc));
			ck_assert(memcmp(buf, plain, sizeof(plain)) == 0);
		}
		/* Re-keyed while holding the decryption schedule: the new key
		 * serves both directions, the old one is gone. */
		ck_assert(both->set_key(both, key2));
		ck_assert(enc->set_key(enc, key2));
		memcpy(buf, plain, sizeof(buf));
		ck_assert(enc->encrypt(enc, data, ivc));
		memcpy(ct2, buf, sizeof(ct2));
		ck_assert(memcmp(ct2, ct1, sizeof(ct1)) != 0);
		ck_assert(both->decrypt(both, data, ivc));
		ck_assert(memcmp(buf, plain, sizeof(plain)) == 0);
		ck_assert(both->encrypt(both, data, ivc));
		ck_assert(memcmp(buf, ct2, sizeof(ct2)) == 0);
		enc->destroy(enc);
		dec->destroy(dec);
		both->destroy(both);
	}
}
END_TEST

START_TEST(test_cipher_bad_args)
{
	uint8_t key[36] = { 0 }, iv[16] = { 0 }, data[32] = { 0 }, icv[16];
	crypter_t *c;
	aead_t *a;

	/* Key lengths: only 128/192/256 for AES; none or 192 for 3DES. */
	ck_assert_ptr_null(crypto_create_crypter(ENCR_AES_CBC, 64));
	ck_assert_ptr_null(crypto_create_crypter(ENCR_AES_CTR, 512));
	ck_assert_ptr_null(crypto_create_crypter(ENCR_3DES, 128));
	ck_assert_ptr_null(crypto_create_aead(ENCR_AES_GCM_16, 100));
	ck_assert_ptr_null(crypto_create_aead(ENCR_CHACHA20_POLY1305, 128));

	c = crypto_create_crypter(ENCR_AES_CBC, 256);
	ck_assert_int_eq(c->get_key_size(c), 32);
	ck_assert_int_eq(c->get_block_size(c), 16);
	/* Unkeyed, wrong key size, wrong IV size, partial block. */
	ck_assert(!c->encrypt(c, chunk_create(data, 32), chunk_create(iv, 16)));
	ck_assert(!c->set_key(c, chunk_create(key, 16)));
	ck_assert(c->set_key(c, chunk_create(key, 32)));
	ck_assert(!c->encrypt(c, chunk_create(data, 32), chunk_create(iv, 8)));
	ck_assert(!c->encrypt(c, chunk_create(data, 31), chunk_create(iv, 16)));
	ck_assert(!c->decrypt(c, chunk_create(data, 17), chunk_create(iv, 16)));
	ck_assert(c->encrypt(c, chunk_empty, chunk_create(iv, 16)));
	c->destroy(c);

	/* CTR is a stream: any length, 8-byte IV, key includes the nonce. */
	c = crypto_create_crypter(ENCR_AES_CTR, 0);
	ck_assert_int_eq(c->get_key_size(c), 20);
	ck_assert_int_eq(c->get_iv_size(c), 8);
	ck_assert(c->set_key(c, chunk_create(key, 20)));
	ck_assert(c->encrypt(c, chunk_create(data, 13), chunk_create(iv, 8)));
	ck_assert(c->decrypt(c, chunk_create(data, 13), chunk_create(iv, 8)));
	for (size_t i = 0; i < 13; i++)
		ck_assert_int_eq(data[i], 0);
	c->destroy(c);

	/* 3DES refuses a key whose DES parts are weak. */
	c = crypto_create_crypter(ENCR_3DES, 0);
	memset(key, 0x01, 24);
	ck_assert(!c->set_key(c, chunk_create(key, 24)));
	c->destroy(c);

	a = crypto_create_aead(ENCR_AES_CCM_12, 192);
	ck_assert_int_eq(a->get_key_size(a), 27);
	ck_assert_int_eq(a->get_icv_size(a), 12);
	ck_assert(!a->encrypt(a, chunk_create(data, 16), chunk_empty,
	                      chunk_create(iv, 8), icv));
	ck_assert(!a->set_key(a, chunk_create(key, 24)));
	ck_assert(a->set_key(a, chunk_create(key, 27)));
	ck_assert(!a->encrypt(a, chunk_create(data, 16), chunk_empty,
	                      chunk_create(iv, 12), icv));
	ck_assert(!a->encrypt(a, chunk_create(data, 16), chunk_empty,
	                      chunk_create(iv, 8), NULL));
	a->destroy(a);

	a = crypto_create_aead(ENCR_CHACHA20_POLY1305, 0);
	ck_assert_int_eq(a->get_key_size(a), 36);
	ck_assert_int_eq(a->get_icv_size(a), 16);
	a->destroy(a);
}
END_TEST

/* -------------------------------------------------------- MACs and PRFs */

static bool integ_by_name(const char *name, integ_id_t *id)
{
	static const struct { const char *name; integ_id_t id; } map[] = {
		{ "AUTH_HMAC_SHA1_96", INTEG_HMAC_SHA1_96 },
		{ "AUTH_HMAC_SHA1_160", INTEG_HMAC_SHA1_160 },
		{ "AUTH_HMAC_SHA2_256_128", INTEG_HMAC_SHA2_256_128 },
		{ "AUTH_HMAC_SHA2_384_192", INTEG_HMAC_SHA2_384_192 },
		{ "AUTH_HMAC_SHA2_512_256", INTEG_HMAC_SHA2_512_256 },
		{ "AUTH_AES_XCBC_96", INTEG_AES_XCBC_96 },
		{ "AUTH_AES_CMAC_96", INTEG_AES_CMAC_96 },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0) {
			*id = map[i].id;
			return true;
		}
	return false;
}

static bool prf_by_name(const char *name, prf_id_t *id)
{
	static const struct { const char *name; prf_id_t id; } map[] = {
		{ "PRF_HMAC_SHA1", PRF_HMAC_SHA1 },
		{ "PRF_HMAC_SHA2_256", PRF_HMAC_SHA2_256 },
		{ "PRF_HMAC_SHA2_384", PRF_HMAC_SHA2_384 },
		{ "PRF_HMAC_SHA2_512", PRF_HMAC_SHA2_512 },
		{ "PRF_AES128_XCBC", PRF_AES128_XCBC },
		{ "PRF_AES128_CMAC", PRF_AES128_CMAC },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0) {
			*id = map[i].id;
			return true;
		}
	return false;
}

/* strongSwan-layout MAC files: AUTH_* records are signers (truncated),
 * PRF_* records are PRFs (full output, any key length).  Records for
 * truncations IKEv2 does not define (SHA1-128) are counted as skipped. */
static const struct { const char *file; int used; int skipped; } mac_files[] = {
	{ "mac/rfc2202_hmac_sha1.txt", 10, 2 },
	{ "mac/rfc4868_hmac_sha2_prf_and_integ.txt", 24, 0 },
	{ "mac/rfc3566_rfc4434_aes_xcbc.txt", 12, 0 },
	{ "mac/rfc4493_rfc4494_rfc4615_aes_cmac.txt", 11, 0 },
};

START_TEST(test_mac_vectors)
{
	vector_file_t *vf = vf_open(mac_files[_i].file);
	int used = 0, skipped = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		const char *alg = vf_get(vf, "alg"), *name = vf_get(vf, "name");
		integ_id_t integ;
		prf_id_t prf;
		uint8_t out[64];

		ck_assert_ptr_nonnull(alg);
		chunk_t key = vf_hex(vf, "key");
		if (integ_by_name(alg, &integ)) {
			chunk_t data = vf_hex(vf, "data"), mac = vf_hex(vf, "mac");
			signer_t *s = crypto_create_signer(integ);
			ck_assert_ptr_nonnull(s);
			ck_assert_int_eq(s->get_block_size(s), mac.len);
			if (key.len != s->get_key_size(s)) {
				/* RFC 4494 examples with other key sizes: integrity
				 * keys have exactly the algorithm's size. */
				ck_assert(!s->set_key(s, key));
				skipped++;
			} else {
				ck_assert(s->set_key(s, key));
				ck_assert(s->get_signature(s, data, out));
				ck_assert_msg(memcmp(out, mac.ptr, mac.len) == 0, "%s", name);
				ck_assert(s->verify_signature(s, data, mac));
				mac.ptr[0] ^= 1;
				ck_assert(!s->verify_signature(s, data, mac));
				mac.ptr[0] ^= 1;
				ck_assert(!s->verify_signature(s, data,
				          chunk_create(mac.ptr, mac.len - 1)));
				used++;
			}
			s->destroy(s);
			chunk_free(&data);
			chunk_free(&mac);
		} else if (prf_by_name(alg, &prf)) {
			chunk_t seed = vf_hex(vf, "seed"), want = vf_hex(vf, "out");
			prf_t *p = crypto_create_prf(prf);
			ck_assert_ptr_nonnull(p);
			ck_assert_int_eq(p->get_block_size(p), want.len);
			ck_assert(p->set_key(p, key));
			for (int twice = 0; twice < 2; twice++) {
				ck_assert(p->get_bytes(p, seed, out));
				ck_assert_msg(memcmp(out, want.ptr, want.len) == 0, "%s", name);
			}
			p->destroy(p);
			chunk_free(&seed);
			chunk_free(&want);
			used++;
		} else {
			skipped++;
		}
		chunk_free(&key);
	}
	vf_close(vf);
	ck_assert_int_eq(used, mac_files[_i].used);
	ck_assert_int_eq(skipped, mac_files[_i].skipped);
}
END_TEST

START_TEST(test_mac_bad_args)
{
	uint8_t key[64] = { 7 }, out[64];
	signer_t *s = crypto_create_signer(INTEG_HMAC_SHA2_256_128);
	prf_t *p;

	ck_assert_int_eq(s->get_key_size(s), 32);
	ck_assert_int_eq(s->get_block_size(s), 16);
	/* Unkeyed, then keys of the wrong size (integrity keys are exact). */
	ck_assert(!s->get_signature(s, chunk_from_str("x"), out));
	ck_assert(!s->verify_signature(s, chunk_from_str("x"), chunk_create(out, 16)));
	ck_assert(!s->set_key(s, chunk_create(key, 31)));
	ck_assert(!s->set_key(s, chunk_create(key, 33)));
	ck_assert(s->set_key(s, chunk_create(key, 32)));
	ck_assert(s->get_signature(s, chunk_empty, out));
	ck_assert(s->verify_signature(s, chunk_empty, chunk_create(out, 16)));
	ck_assert(!s->verify_signature(s, chunk_empty, chunk_create(out, 15)));
	ck_assert(!s->verify_signature(s, chunk_empty, chunk_create(out, 32)));
	ck_assert(!s->verify_signature(s, chunk_empty, chunk_empty));
	ck_assert(!s->get_signature(s, chunk_empty, NULL));
	s->destroy(s);

	s = crypto_create_signer(INTEG_AES_XCBC_96);
	ck_assert_int_eq(s->get_key_size(s), 16);
	ck_assert(!s->set_key(s, chunk_create(key, 20)));
	s->destroy(s);
	ck_assert_ptr_null(crypto_create_signer(INTEG_HMAC_MD5_96));
	ck_assert_ptr_null(crypto_create_signer(INTEG_NONE));

	/* PRFs take keys of any length (RFC 7296 §2.13); unkeyed fails. */
	p = crypto_create_prf(PRF_AES128_XCBC);
	ck_assert_int_eq(p->get_key_size(p), 16);
	ck_assert_int_eq(p->get_block_size(p), 16);
	ck_assert(!p->get_bytes(p, chunk_from_str("x"), out));
	ck_assert(p->set_key(p, chunk_empty));
	ck_assert(p->set_key(p, chunk_create(key, 64)));
	ck_assert(p->get_bytes(p, chunk_from_str("x"), out));
	ck_assert(!p->get_bytes(p, chunk_from_str("x"), NULL));
	p->destroy(p);
	p = crypto_create_prf(PRF_HMAC_SHA2_512);
	ck_assert_int_eq(p->get_key_size(p), 64);
	ck_assert(p->set_key(p, chunk_empty));
	ck_assert(p->get_bytes(p, chunk_empty, out));
	p->destroy(p);
	ck_assert_ptr_null(crypto_create_prf(PRF_HMAC_MD5));
}
END_TEST

/* RFC 4231: HMAC-SHA-256/384/512 as PRFs (full) and test case 5's
 * truncation to 128 bits as a prefix. */
START_TEST(test_rfc4231)
{
	static const struct { const char *field; prf_id_t id; } hashes[] = {
		{ "hmac_sha256", PRF_HMAC_SHA2_256 },
		{ "hmac_sha384", PRF_HMAC_SHA2_384 },
		{ "hmac_sha512", PRF_HMAC_SHA2_512 },
	};
	vector_file_t *vf = vf_open("mac/rfc4231_hmac_sha2.txt");
	int cases = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		chunk_t key = vf_hex(vf, "key"), data = vf_hex(vf, "data");
		for (size_t h = 0; h < 3; h++) {
			chunk_t want = vf_hex(vf, hashes[h].field);
			prf_t *p = crypto_create_prf(hashes[h].id);
			uint8_t out[64];
			ck_assert(p->set_key(p, key));
			ck_assert(p->get_bytes(p, data, out));
			ck_assert(want.len <= p->get_block_size(p));
			ck_assert_msg(memcmp(out, want.ptr, want.len) == 0,
			              "test case %s, %s", vf_get(vf, "test_case"),
			              hashes[h].field);
			p->destroy(p);
			chunk_free(&want);
		}
		chunk_free(&key);
		chunk_free(&data);
		cases++;
	}
	vf_close(vf);
	ck_assert_int_eq(cases, 7);
}
END_TEST

START_TEST(test_hashers)
{
	static const struct { hash_id_t id; size_t len; const char *abc; } v[] = {
		{ HASH_SHA1, 20, "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ HASH_SHA2_256, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ HASH_SHA2_384, 48, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
		{ HASH_SHA2_512, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	};
	for (size_t i = 0; i < 4; i++) {
		hasher_t *h = crypto_create_hasher(v[i].id);
		chunk_t want = chunk_from_hex(v[i].abc);
		chunk_t parts[3] = { chunk_from_str("a"), chunk_empty, chunk_from_str("bc") };
		uint8_t out[64];
		ck_assert_ptr_nonnull(h);
		ck_assert_int_eq(h->get_hash_size(h), v[i].len);
		ck_assert(h->get_hash(h, parts, 3, out));
		ck_assert(memcmp(out, want.ptr, want.len) == 0);
		ck_assert(!h->get_hash(h, parts, 3, NULL));
		h->destroy(h);
		chunk_free(&want);
	}
	ck_assert_ptr_null(crypto_create_hasher((hash_id_t)9));
}
END_TEST

START_TEST(test_rng)
{
	rng_t *rng = crypto_create_rng(RNG_STRONG);
	uint8_t a[64] = { 0 }, b[64] = { 0 };

	ck_assert_ptr_nonnull(rng);
	ck_assert(rng->get_bytes(rng, sizeof(a), a));
	ck_assert(rng->get_bytes(rng, sizeof(b), b));
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert(rng->get_bytes(rng, 0, NULL));
	ck_assert(!rng->get_bytes(rng, 4, NULL));
	rng->destroy(rng);
	rng = crypto_create_rng(RNG_WEAK);
	ck_assert_ptr_nonnull(rng);
	rng->destroy(rng);
}
END_TEST

/* Small requests come from a per-thread pool: never the same bytes twice
 * (across refills too), and a forked child does not repeat its parent's
 * pooled bytes (the pool page is wiped on fork). */
START_TEST(test_rng_pool)
{
	rng_t *rng = crypto_create_rng(RNG_STRONG);
	enum { N = 300, LEN = 16 };
	static uint8_t seen[N][LEN];

	ck_assert_ptr_nonnull(rng);
	for (int i = 0; i < N; i++) {
		ck_assert(rng->get_bytes(rng, LEN, seen[i]));
		for (int j = 0; j < i; j++)
			ck_assert_msg(memcmp(seen[i], seen[j], LEN) != 0,
			              "request %d repeats request %d", i, j);
	}
	/* The pool holds unused bytes now; a child must not get them. */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint8_t b[LEN];
		bool ok = rng->get_bytes(rng, LEN, b);
		ssize_t w = ok ? write(fds[1], b, LEN) : -1;
		_exit(w == LEN ? 0 : 1);
	}
	uint8_t parent[LEN], child[LEN];
	ck_assert(rng->get_bytes(rng, LEN, parent));
	ck_assert_int_eq(read(fds[0], child, LEN), LEN);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(memcmp(parent, child, LEN) != 0, "child repeated the parent's bytes");
	close(fds[0]);
	close(fds[1]);
	/* Large requests bypass the pool and still work. */
	uint8_t big[4096];
	ck_assert(rng->get_bytes(rng, sizeof(big), big));
	rng->destroy(rng);
}
END_TEST

/* --------------------------------------------------------- key exchange */

/* One record: both sides with the given private values must produce the
 * given public values and the same, given shared secret. */
static void check_ke_record(ke_id_t group, chunk_t priv_i, chunk_t priv_r,
                            chunk_t pub_i, chunk_t pub_r, chunk_t shared,
                            const char *name)
{
	ke_t *i = crypto_create_ke(group), *r = crypto_create_ke(group);
	chunk_t got, s;

	ck_assert_ptr_nonnull(i);
	ck_assert_int_eq(i->get_group(i), group);
	ck_assert(i->set_private(i, priv_i));
	ck_assert(r->set_private(r, priv_r));
	ck_assert(!i->get_shared_secret(i, &s));     /* nothing yet */
	ck_assert(i->get_public(i, &got));
	ck_assert_msg(chunk_equals(got, pub_i), "%s: initiator public value", name);
	chunk_free(&got);
	ck_assert(r->get_public(r, &got));
	ck_assert_msg(chunk_equals(got, pub_r), "%s: responder public value", name);
	chunk_free(&got);
	ck_assert(i->set_peer_public(i, pub_r));
	ck_assert(i->get_shared_secret(i, &s));
	ck_assert_msg(chunk_equals(s, shared), "%s: initiator's shared secret", name);
	chunk_clear(&s);
	ck_assert(r->set_peer_public(r, pub_i));
	ck_assert(r->get_shared_secret(r, &s));
	ck_assert_msg(chunk_equals(s, shared), "%s: responder's shared secret", name);
	chunk_clear(&s);
	i->destroy(i);
	r->destroy(r);
}

static const struct { const char *file; int records; } ke_files[] = {
	{ "dh/strongswan_generated_modp_groups_1_2_5_14_18.txt", 7 },
	{ "dh/rfc5114_modp_groups_22_23_24.txt", 3 },
	{ "dh/rfc5114_ecp_groups_25_26_19_20_21.txt", 5 },
	{ "dh/rfc7748_curve25519.txt", 2 },
	{ "dh/rfc7748_curve448.txt", 1 },
};

START_TEST(test_ke_vectors)
{
	vector_file_t *vf = vf_open(ke_files[_i].file);
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		ke_id_t group = (ke_id_t)vf_int(vf, "ike_group");
		if (group == KE_MODP_768)
			continue;   /* group 1 is not offered */
		chunk_t pi = vf_hex(vf, "priv_i"), pr = vf_hex(vf, "priv_r");
		chunk_t ui = vf_hex(vf, "pub_i"), ur = vf_hex(vf, "pub_r");
		chunk_t sh = vf_hex(vf, "shared");
		check_ke_record(group, pi, pr, ui, ur, sh, vf_get(vf, "name"));
		chunk_free(&pi); chunk_free(&pr); chunk_free(&ui);
		chunk_free(&ur); chunk_free(&sh);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, ke_files[_i].records);
}
END_TEST

/* RFC 5903: the IKE KE data is x|y and the shared secret x only. */
START_TEST(test_rfc5903)
{
	vector_file_t *vf = vf_open("dh/rfc5903_ecp_groups_19_20_21.txt");
	int records = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		ke_id_t group = (ke_id_t)vf_int(vf, "ike_group");
		chunk_t pi = vf_hex(vf, "i"), pr = vf_hex(vf, "r");
		chunk_t ui = vf_hex(vf, "ke_data_i"), ur = vf_hex(vf, "ke_data_r");
		chunk_t sh = vf_hex(vf, "shared_g_ir");
		check_ke_record(group, pi, pr, ui, ur, sh, vf_get(vf, "rfc5903_section"));
		chunk_free(&pi); chunk_free(&pr); chunk_free(&ui);
		chunk_free(&ur); chunk_free(&sh);
		records++;
	}
	vf_close(vf);
	ck_assert_int_eq(records, 3);
}
END_TEST

static const ke_id_t all_groups[] = {
	KE_MODP_1024, KE_MODP_1536, KE_MODP_2048, KE_MODP_3072, KE_MODP_4096,
	KE_MODP_6144, KE_MODP_8192, KE_MODP_1024_160, KE_MODP_2048_224,
	KE_MODP_2048_256, KE_ECP_256, KE_ECP_384, KE_ECP_521, KE_ECP_192,
	KE_ECP_224, KE_CURVE25519, KE_CURVE448,
};

/* Fresh keys on both sides agree; the public value has the RFC size. */
START_TEST(test_ke_fresh)
{
	ke_id_t group = all_groups[_i];
	ke_t *a = crypto_create_ke(group), *b = crypto_create_ke(group);
	chunk_t pa, pb, sa, sb;

	ck_assert_ptr_nonnull(a);
	ck_assert(a->get_public(a, &pa));
	ck_assert(b->get_public(b, &pb));
	ck_assert_int_eq(pa.len, pb.len);
	ck_assert(!chunk_equals(pa, pb));
	ck_assert(a->set_peer_public(a, pb));
	ck_assert(b->set_peer_public(b, pa));
	ck_assert(a->get_shared_secret(a, &sa));
	ck_assert(b->get_shared_secret(b, &sb));
	ck_assert(chunk_equals(sa, sb));
	/* A wrong-length value is refused and forgets the old secret. */
	ck_assert(!a->set_peer_public(a, chunk_create(pb.ptr, pb.len - 1)));
	ck_assert(!a->get_shared_secret(a, &sb) || (chunk_clear(&sb), false));
	ck_assert(!a->set_peer_public(a, chunk_empty));
	chunk_free(&pa); chunk_free(&pb);
	chunk_clear(&sa); chunk_clear(&sb);
	a->destroy(a);
	b->destroy(b);
}
END_TEST

/* A big-endian value of len bytes: p + delta (delta in -2..1), from p. */
static chunk_t p_plus(chunk_t p, int delta)
{
	chunk_t v = chunk_clone(p);
	int carry = delta;

	for (size_t i = v.len; i-- > 0 && carry;) {
		int x = v.ptr[i] + carry;
		carry = x < 0 ? -1 : x > 255 ? 1 : 0;
		v.ptr[i] = (uint8_t)(x & 0xff);
	}
	return v;
}

/* RFC 6989 §2.1/2.2 for every MODP group: 0, 1, p-1, p, p+1 and all-ones
 * are refused; for groups 22-24 a value outside the subgroup too. */
START_TEST(test_modp_rfc6989)
{
	static const struct { ke_id_t group; const char *file; const char *name; } groups[] = {
		{ KE_MODP_2048, "dh/strongswan_generated_modp_groups_1_2_5_14_18.txt", "modp2048" },
		{ KE_MODP_1024, "dh/strongswan_generated_modp_groups_1_2_5_14_18.txt", "modp1024" },
		{ KE_MODP_8192, "dh/strongswan_generated_modp_groups_1_2_5_14_18.txt", "modp8192" },
		{ KE_MODP_1024_160, "dh/rfc5114_modp_groups_22_23_24.txt", "modp1024_160" },
		{ KE_MODP_2048_224, "dh/rfc5114_modp_groups_22_23_24.txt", "modp2048_224" },
		{ KE_MODP_2048_256, "dh/rfc5114_modp_groups_22_23_24.txt", "modp2048_256" },
	};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		vector_file_t *vf = vf_open(groups[g].file);
		chunk_t p = chunk_empty;
		while (vf_next(vf))
			if (strcmp(vf_get(vf, "name"), groups[g].name) == 0)
				p = vf_hex(vf, "prime");
		vf_close(vf);
		ck_assert_msg(p.len, "no prime for %s", groups[g].name);

		ke_t *ke = crypto_create_ke(groups[g].group);
		chunk_t v = chunk_alloc(p.len);
		memset(v.ptr, 0, v.len);
		ck_assert_msg(!ke->set_peer_public(ke, v), "0 accepted");
		v.ptr[v.len - 1] = 1;
		ck_assert_msg(!ke->set_peer_public(ke, v), "1 accepted");
		memset(v.ptr, 0xff, v.len);
		ck_assert_msg(!ke->set_peer_public(ke, v), "2^n-1 accepted");
		chunk_free(&v);
		for (int d = -1; d <= 1; d++) {
			v = p_plus(p, d);
			ck_assert_msg(!ke->set_peer_public(ke, v), "p%+d accepted", d);
			chunk_free(&v);
		}
		/* 2 is in range; for the safe-prime groups it is the generator
		 * and must work, for RFC 5114 it lies outside the subgroup. */
		v = chunk_alloc(p.len);
		memset(v.ptr, 0, v.len);
		v.ptr[v.len - 1] = 2;
		bool subgroup_group = groups[g].group >= KE_MODP_1024_160;
		ck_assert_msg(ke->set_peer_public(ke, v) == !subgroup_group,
		              "%s: value 2", groups[g].name);
		/* p-2 likewise (order 2q or q... outside the small subgroup). */
		chunk_free(&v);
		v = p_plus(p, -2);
		if (subgroup_group)
			ck_assert_msg(!ke->set_peer_public(ke, v), "p-2 accepted");
		chunk_free(&v);
		ke->destroy(ke);
		chunk_free(&p);
	}
}
END_TEST

/* Values with leading zero bytes are padded to the prime's size
 * (RFC 7296 §2.14 / §3.4): with x = 1 the public value is g = 2 and the
 * secret from peer value 2 is 2 as well. */
START_TEST(test_modp_padding)
{
	static const ke_id_t groups[] = { KE_MODP_1024, KE_MODP_2048, KE_MODP_8192 };
	for (size_t g = 0; g < 3; g++) {
		ke_t *ke = crypto_create_ke(groups[g]);
		uint8_t one = 1;
		chunk_t pub, s;
		ck_assert(ke->set_private(ke, chunk_create(&one, 1)));
		ck_assert(ke->get_public(ke, &pub));
		ck_assert_int_eq(pub.len, groups[g] == KE_MODP_1024 ? 128 :
		                          groups[g] == KE_MODP_2048 ? 256 : 1024);
		ck_assert_int_eq(pub.ptr[pub.len - 1], 2);
		for (size_t i = 0; i + 1 < pub.len; i++)
			ck_assert_int_eq(pub.ptr[i], 0);
		ck_assert(ke->set_peer_public(ke, pub));
		ck_assert(ke->get_shared_secret(ke, &s));
		ck_assert(chunk_equals(s, pub));
		/* A private value of 0 or longer than the prime is refused. */
		uint8_t zero = 0;
		ck_assert(!ke->set_private(ke, chunk_create(&zero, 1)));
		chunk_t big = chunk_alloc(pub.len + 1);
		memset(big.ptr, 1, big.len);
		ck_assert(!ke->set_private(ke, big));
		chunk_free(&big);
		chunk_free(&pub);
		chunk_clear(&s);
		ke->destroy(ke);
	}
}
END_TEST

/* ECP: points off the curve, coordinates >= p, wrong sizes. */
START_TEST(test_ecp_invalid_points)
{
	static const ke_id_t groups[] = { KE_ECP_256, KE_ECP_384, KE_ECP_521,
	                                  KE_ECP_192, KE_ECP_224 };
	for (size_t g = 0; g < 5; g++) {
		ke_t *a = crypto_create_ke(groups[g]), *b = crypto_create_ke(groups[g]);
		chunk_t pub, s;
		ck_assert(b->get_public(b, &pub));
		size_t half = pub.len / 2;
		/* Off the curve: y + 1. */
		pub.ptr[pub.len - 1] ^= 0x01;
		ck_assert(!a->set_peer_public(a, pub));
		ck_assert(!a->get_shared_secret(a, &s));
		pub.ptr[pub.len - 1] ^= 0x01;
		ck_assert(a->set_peer_public(a, pub));
		/* (0, 0) and all-ones coordinates (>= p). */
		memset(pub.ptr, 0, pub.len);
		ck_assert(!a->set_peer_public(a, pub));
		memset(pub.ptr, 0xff, pub.len);
		ck_assert(!a->set_peer_public(a, pub));
		/* With a 0x04 prefix (the X9.62 form) it is the wrong size. */
		chunk_t longer = chunk_alloc(pub.len + 1);
		memset(longer.ptr, 0x04, longer.len);
		ck_assert(!a->set_peer_public(a, longer));
		chunk_free(&longer);
		ck_assert(!a->set_peer_public(a, chunk_create(pub.ptr, half)));
		chunk_free(&pub);
		a->destroy(a);
		b->destroy(b);
	}
}
END_TEST

/* RFC 7748 §6.1 / RFC 8031 §2.3: low-order points give an all-zero secret,
 * which is refused. */
START_TEST(test_curve_zero_secret)
{
	static const ke_id_t groups[] = { KE_CURVE25519, KE_CURVE448 };
	for (size_t g = 0; g < 2; g++) {
		ke_t *a = crypto_create_ke(groups[g]);
		size_t len = groups[g] == KE_CURVE25519 ? 32 : 56;
		uint8_t u[56] = { 0 };
		chunk_t s;
		ck_assert(!a->set_peer_public(a, chunk_create(u, len)));   /* u = 0 */
		u[0] = 1;
		ck_assert(!a->set_peer_public(a, chunk_create(u, len)));   /* u = 1 */
		ck_assert(!a->get_shared_secret(a, &s));
		u[0] = 9;
		ck_assert(a->set_peer_public(a, chunk_create(u, len)));
		ck_assert(!a->set_peer_public(a, chunk_create(u, len - 1)));
		ck_assert(!a->set_private(a, chunk_create(u, len + 1)));
		a->destroy(a);
	}
}
END_TEST

/* ----------------------------------------------------------- threads */

#define THREADS 4
static pthread_barrier_t barrier;

/* Each thread: a first MODP use (the group table is parsed on first use,
 * so the threads race for it), ECDH, and a full IKE key derivation whose
 * result must be the same in every thread. */
static void *worker(void *arg)
{
	uint8_t *sk_d_out = arg;
	uint8_t ni[32] = { 1 }, nr[32] = { 2 }, spi_i[8] = { 3 }, spi_r[8] = { 4 };
	uint8_t gir[32] = { 5 };
	keymat_algs_t algs = { PRF_HMAC_SHA2_256, ENCR_AES_GCM_16, 256, INTEG_NONE };

	pthread_barrier_wait(&barrier);
	for (int i = 0; i < 20; i++) {
		ke_t *a = crypto_create_ke(i % 2 ? KE_MODP_1024 : KE_MODP_1024_160);
		ke_t *b = crypto_create_ke(KE_ECP_256), *c = crypto_create_ke(KE_ECP_256);
		chunk_t pa, pb, pc, s1, s2;
		if (!a || !b || !c || !a->get_public(a, &pa) || !b->get_public(b, &pb) ||
		    !c->get_public(c, &pc) || !b->set_peer_public(b, pc) ||
		    !c->set_peer_public(c, pb) || !b->get_shared_secret(b, &s1) ||
		    !c->get_shared_secret(c, &s2) || !chunk_equals(s1, s2))
			return "key exchange failed";
		chunk_free(&pa); chunk_free(&pb); chunk_free(&pc);
		chunk_clear(&s1); chunk_clear(&s2);
		a->destroy(a); b->destroy(b); c->destroy(c);

		keymat_ike_keys_t k;
		if (!keymat_derive_ike(&algs, chunk_create(gir, 32), chunk_create(ni, 32),
		                       chunk_create(nr, 32), spi_i, spi_r, &k))
			return "derivation failed";
		memcpy(sk_d_out, k.sk_d.ptr, 32);
		keymat_ike_keys_clear(&k);
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[THREADS];
	uint8_t sk_d[THREADS][32];

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, sk_d[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		void *err;
		pthread_join(t[i], &err);
		ck_assert_msg(err == NULL, "thread %d: %s", i, (const char *)err);
	}
	for (int i = 1; i < THREADS; i++)
		ck_assert(memcmp(sk_d[0], sk_d[i], 32) == 0);
	pthread_barrier_destroy(&barrier);
}
END_TEST

/* ------------------------------------------------------ self-test gate */

static char *log_lines[64];
static int n_log;

static void capture(bus_listener_t *self, dbg_group_t g, dbg_level_t l,
                    const char *msg)
{
	if (n_log < 64)
		log_lines[n_log++] = strdup(msg);
}

static bus_listener_t listener = { .log = capture, .all_levels = true };

static void start_capture(void)
{
	for (int i = 0; i < n_log; i++)
		free(log_lines[i]);
	n_log = 0;
	bus_add_listener(&listener);
}

static bool logged(const char *text)
{
	for (int i = 0; i < n_log; i++)
		if (strstr(log_lines[i], text))
			return true;
	return false;
}

/* With the test hook corrupting one feature's known answers, that feature
 * (and only it) is not registered, and the log says why. */
START_TEST(test_selftest_failure_blocks)
{
	static const char *const failing[] = {
		"aead:aes-gcm-16", "ke:ecp256", "integ:aes-xcbc-96", "prf:hmac-sha256",
		"encr:aes-cbc", "ke:modp2048", "ke:curve25519", "hash:sha1", "rng",
	};
	const char *f = failing[_i];

	setenv("IKEV2D_TEST_SELFTEST_FAIL", f, 1);
	start_capture();
	nettle_load();
	ck_assert_msg(!plugin_feature_loaded(f), "%s loaded despite failing", f);
	char expect[128];
	snprintf(expect, sizeof(expect), "%s not registered: self-test failed", f);
	ck_assert_msg(logged(expect), "no log line '%s'", expect);
	/* The others are there (KE needs the RNG, so not if the RNG failed). */
	ck_assert(plugin_feature_loaded("aead:aes-gcm-8"));
	ck_assert(plugin_feature_loaded("prf:hmac-sha512"));
	ck_assert(plugin_feature_loaded("ke:ecp384") == (strcmp(f, "rng") != 0));
	nettle_unload();
	bus_remove_listener(&listener);
	unsetenv("IKEV2D_TEST_SELFTEST_FAIL");
}
END_TEST

/* plugins.nettle.selftest = false turns the self-tests off: the feature
 * whose answers the hook corrupts is registered after all. */
START_TEST(test_selftest_setting)
{
	char path[] = "/tmp/nettle-selftest-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] =
		"plugins = { load = [ \"nettle\" ]; nettle = { selftest = false; }; };\n";
	int errors = -1;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	config_t *cfg = config_load(path, &errors);
	unlink(path);
	ck_assert_msg(cfg, "the configuration did not load (%d errors)", errors);
	config_set_current(cfg);
	ck_assert(!settings_get_bool("plugins.nettle.selftest", true));

	setenv("IKEV2D_TEST_SELFTEST_FAIL", "aead:aes-gcm-16", 1);
	nettle_load();
	ck_assert(plugin_feature_loaded("aead:aes-gcm-16"));
	nettle_unload();
	unsetenv("IKEV2D_TEST_SELFTEST_FAIL");
	config_set_current(NULL);
	config_unref(cfg);
}
END_TEST

static crypter_t *squatter(encr_id_t alg, size_t key_bits)
{
	return NULL;
}

/* An algorithm some other provider registered first is not taken over. */
START_TEST(test_second_provider)
{
	ck_assert(crypto_register_crypter(ENCR_AES_CTR, "other", squatter));
	start_capture();
	nettle_load();
	ck_assert(!plugin_feature_loaded("encr:aes-ctr"));
	ck_assert(logged("encr:aes-ctr not registered: another plugin provides it"));
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_CTR), "other");
	ck_assert(plugin_feature_loaded("encr:aes-cbc"));
	nettle_unload();
	/* Unloading nettle leaves the other provider alone. */
	ck_assert_str_eq(crypto_provider(TRANS_ENCR, ENCR_AES_CTR), "other");
	ck_assert_ptr_null(crypto_provider(TRANS_ENCR, ENCR_AES_CBC));
	bus_remove_listener(&listener);
	crypto_unregister_crypter(ENCR_AES_CTR);
}
END_TEST

/* ------------------------------------------------------- key memory */

/* The object at p (a cipher's, MAC's or KE's state, which holds its key
 * schedule or private value) lives in secure memory: a page the kernel
 * shows locked and left out of core dumps (core/lib/secmem.c). */
static void assert_locked_object(const void *p, const char *what)
{
	ck_assert_msg(p != NULL, "%s was not created", what);
	ck_assert_msg(memory_is_secure(p), "%s is not in secure memory", what);
	mem_flags_t f = mem_flags(p);
	ck_assert_msg(f.found && f.locked && f.locked_kb > 0,
	              "%s is not in a locked page (Locked: %lu kB)", what, f.locked_kb);
	ck_assert_msg(f.dontdump, "%s would be in a core dump", what);
}

START_TEST(test_key_memory)
{
	uint8_t key[64];
	secmem_stats_t before, during, after;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(37 * i + 11);   /* no weak DES part */

	secmem_stats(&before);
	/* three crypters, then three AEADs */
	static const struct {
		encr_id_t alg;
		size_t bits, klen;
		const char *name;
	} cs[] = {
		{ ENCR_AES_CBC, 256, 32, "aes-cbc-256" },
		{ ENCR_AES_CTR, 128, 20, "aes-ctr-128" },
		{ ENCR_3DES, 0, 24, "3des" },
		{ ENCR_AES_GCM_16, 256, 36, "aes-gcm-256" },   /* 4.4 KiB of state */
		{ ENCR_AES_CCM_16, 128, 19, "aes-ccm-128" },
		{ ENCR_CHACHA20_POLY1305, 0, 36, "chacha20-poly1305" },
	};
	crypter_t *c[3];
	aead_t *a[3];
	for (size_t i = 0; i < 6; i++) {
		chunk_t k = chunk_create(key, cs[i].klen);
		void *obj;
		if (i < 3) {
			obj = c[i] = crypto_create_crypter(cs[i].alg, cs[i].bits);
			ck_assert(obj && c[i]->set_key(c[i], k));
		} else {
			obj = a[i - 3] = crypto_create_aead(cs[i].alg, cs[i].bits);
			ck_assert(obj && a[i - 3]->set_key(a[i - 3], k));
			/* the whole object: the end of GCM's table too */
			ck_assert_msg(mem_flags((const uint8_t *)obj + 4400).locked,
			              "%s: the end of the state is not locked", cs[i].name);
		}
		assert_locked_object(obj, cs[i].name);
	}
	signer_t *s = crypto_create_signer(INTEG_HMAC_SHA2_512_256);
	assert_locked_object(s, "hmac-sha512-256");
	ck_assert(s->set_key(s, chunk_create(key, 64)));
	prf_t *pf = crypto_create_prf(PRF_HMAC_SHA2_256);
	assert_locked_object(pf, "prf-hmac-sha256");
	ck_assert(pf->set_key(pf, chunk_create(key, 32)));
	prf_t *px = crypto_create_prf(PRF_AES128_XCBC);
	assert_locked_object(px, "prf-aes128-xcbc");
	ck_assert(px->set_key(px, chunk_create(key, 16)));

	/* KE: the object (private value) and the shared secret. */
	static const ke_id_t groups[] = { KE_MODP_2048, KE_ECP_256, KE_CURVE25519 };
	for (size_t i = 0; i < 3; i++) {
		ke_t *x = crypto_create_ke(groups[i]), *y = crypto_create_ke(groups[i]);
		chunk_t py, sx, sy;
		char what[48];

		snprintf(what, sizeof(what), "KE %d", groups[i]);
		assert_locked_object(x, what);
		ck_assert(y->get_public(y, &py));
		ck_assert(x->compute_shared(x, py, &sx));
		snprintf(what, sizeof(what), "KE %d's shared secret", groups[i]);
		assert_locked_object(sx.ptr, what);
		ck_assert(x->set_peer_public(x, py));
		ck_assert(x->get_shared_secret(x, &sy));
		assert_locked_object(sy.ptr, what);
		ck_assert(chunk_equals(sx, sy));
		chunk_free(&py);
		chunk_clear(&sx);
		chunk_clear(&sy);
		if (groups[i] != KE_CURVE25519) {
			/* GMP's limbs of the private value are secure memory
			 * too: the object alone (about 112 bytes) takes one
			 * 128-byte slot, the exponent's or scalar's limbs
			 * at least one 32-byte slot more */
			secmem_stats_t k0, k1;
			secmem_stats(&k0);
			ke_t *z = crypto_create_ke(groups[i]);
			secmem_stats(&k1);
			ck_assert_msg(k1.in_use - k0.in_use > 128,
			              "KE %d: %zu bytes of secure memory: its private "
			              "value's limbs are not there", groups[i],
			              k1.in_use - k0.in_use);
			z->destroy(z);
		}
		x->destroy(x);
		y->destroy(y);
	}
	secmem_stats(&during);
	ck_assert(during.in_use > before.in_use);
	for (size_t i = 0; i < 3; i++) {
		c[i]->destroy(c[i]);
		a[i]->destroy(a[i]);
	}
	s->destroy(s);
	pf->destroy(pf);
	px->destroy(px);
	/* everything given back (and wiped there) */
	secmem_stats(&after);
	ck_assert_uint_eq(after.in_use, before.in_use);
}
END_TEST

static Suite *nettle_suite(void)
{
	Suite *s = suite_create("nettle");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_features);
	tcase_add_loop_test(tc, test_cipher_vectors, 0,
	                    sizeof(cipher_files) / sizeof(cipher_files[0]));
	tcase_add_test(tc, test_cipher_bad_args);
	tcase_add_test(tc, test_crypter_directions);
	tcase_add_loop_test(tc, test_mac_vectors, 0,
	                    sizeof(mac_files) / sizeof(mac_files[0]));
	tcase_add_test(tc, test_mac_bad_args);
	tcase_add_test(tc, test_rfc4231);
	tcase_add_test(tc, test_hashers);
	tcase_add_test(tc, test_rng);
	tcase_add_test(tc, test_rng_pool);
	tcase_add_loop_test(tc, test_ke_vectors, 0,
	                    sizeof(ke_files) / sizeof(ke_files[0]));
	tcase_add_test(tc, test_rfc5903);
	tcase_add_loop_test(tc, test_ke_fresh, 0,
	                    sizeof(all_groups) / sizeof(all_groups[0]));
	tcase_add_test(tc, test_modp_rfc6989);
	tcase_add_test(tc, test_modp_padding);
	tcase_add_test(tc, test_ecp_invalid_points);
	tcase_add_test(tc, test_curve_zero_secret);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_key_memory);
	suite_add_tcase(s, tc);

	tc = tcase_create("registration");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_selftest_failure_blocks, 0, 9);
	tcase_add_test(tc, test_second_provider);
	tcase_add_test(tc, test_selftest_setting);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nettle_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
