/*
 * crypto_bench.c - the nettle plugin's speed next to Nettle/GMP called
 * directly for the same operation: key exchanges per second per group
 * (fresh private value, our public value, peer value validated, shared
 * secret), cipher and AEAD MB/s on 1400-byte packets, MAC and PRF rates.
 *
 * The plugin is loaded through the plugin loader as the daemon does.  The
 * "raw" column does the same work with Nettle/GMP calls and no wrapper:
 * the same random source, the same checks.  Each side is timed in thread
 * CPU time (so other processes on the machine disturb it less), in
 * alternating rounds; the best round of each side is reported.
 *
 * Usage: crypto_bench [seconds-per-round] [rounds] [filter-substring]
 */
#include "lib/plugin_loader.h"
#include "../../plugins/nettle/nettle_mac.h"
#include "../../plugins/nettle/nettle_modp.h"

#include <ikev2d/crypto.h>

#include <gmp.h>
#include <nettle/bignum.h>
#include <nettle/cbc.h>
#include <nettle/ccm.h>
#include <nettle/chacha-poly1305.h>
#include <nettle/ctr.h>
#include <nettle/curve25519.h>
#include <nettle/curve448.h>
#include <nettle/des.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define PACKET 1400
#define AAD_LEN 32      /* IKE header + SK payload header */
#define PRF_INPUT 64

static double round_seconds = 0.25;
static int rounds = 3;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef void (*op_fn)(void *ctx);

/* Operations per second of fn over about round_seconds of CPU time. */
static double measure(op_fn fn, void *ctx)
{
	double start = cpu_now(), now;
	long n = 0, batch = 1;

	do {
		for (long i = 0; i < batch; i++)
			fn(ctx);
		n += batch;
		now = cpu_now();
		if (batch < 1024)
			batch *= 2;
	} while (now - start < round_seconds);
	return n / (now - start);
}

/* Best rate of each side over alternating rounds; prints one line. */
static void compare(const char *name, size_t bytes, op_fn ours, void *octx,
                    op_fn raw, void *rctx)
{
	double best_ours = 0, best_raw = 0;

	ours(octx);   /* warm up */
	raw(rctx);
	for (int r = 0; r < rounds; r++) {
		double a = measure(ours, octx), b = measure(raw, rctx);
		if (a > best_ours)
			best_ours = a;
		if (b > best_raw)
			best_raw = b;
	}
	double ratio = 100.0 * best_ours / best_raw;
	if (bytes)
		printf("%-28s %10.1f MB/s %10.1f MB/s %7.1f%%\n", name,
		       best_ours * bytes / 1e6, best_raw * bytes / 1e6, ratio);
	else
		printf("%-28s %10.1f op/s %10.1f op/s %7.1f%%\n", name,
		       best_ours, best_raw, ratio);
	fflush(stdout);
}

static void random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
}

static uint8_t packet[PACKET], aad[AAD_LEN], iv[16], icv[64], key[64];

/* ---------------------------------------------------------- ciphers */

typedef struct {
	crypter_t *c;
	aead_t *a;
	size_t len;
} ours_cipher_t;

static void ours_crypt(void *p)
{
	ours_cipher_t *o = p;
	o->c->encrypt(o->c, chunk_create(packet, o->len),
	              chunk_create(iv, o->c->get_iv_size(o->c)));
}

static void ours_aead(void *p)
{
	ours_cipher_t *o = p;
	o->a->encrypt(o->a, chunk_create(packet, PACKET),
	              chunk_create(aad, AAD_LEN), chunk_create(iv, 8), icv);
}

static void ours_aead_dec(void *p)
{
	ours_cipher_t *o = p;
	/* The ICV does not verify: the same work (decrypt + tag) is done. */
	o->a->decrypt(o->a, chunk_create(packet, PACKET),
	              chunk_create(aad, AAD_LEN), chunk_create(iv, 8), icv);
}

/* Contexts 16-byte aligned like the plugin's: alignment alone moves some
 * of these by 15-20%, which would compare layouts, not wrappers. */
typedef struct {
	_Alignas(16) union {
		struct aes128_ctx aes128;
		struct aes256_ctx aes256;
		struct des3_ctx des3;
		struct gcm_aes128_ctx gcm128;
		struct gcm_aes256_ctx gcm256;
		struct ccm_aes128_ctx ccm128;
		struct chacha_poly1305_ctx chacha;
	} u;
	uint8_t salt[4];
} raw_cipher_t;

static void raw_cbc128(void *p)
{
	raw_cipher_t *r = p;
	uint8_t v[16];
	memcpy(v, iv, 16);
	cbc_aes128_encrypt(&r->u.aes128, v, 1392, packet, packet);
}

static void raw_cbc256(void *p)
{
	raw_cipher_t *r = p;
	uint8_t v[16];
	memcpy(v, iv, 16);
	cbc_aes256_encrypt(&r->u.aes256, v, 1392, packet, packet);
}

static void raw_ctr128(void *p)
{
	raw_cipher_t *r = p;
	uint8_t ctr[16];
	memcpy(ctr, r->salt, 4);
	memcpy(ctr + 4, iv, 8);
	memset(ctr + 12, 0, 3);
	ctr[15] = 1;
	ctr_crypt(&r->u.aes128, (nettle_cipher_func *)aes128_encrypt, 16, ctr,
	          PACKET, packet, packet);
}

static void raw_3des(void *p)
{
	raw_cipher_t *r = p;
	uint8_t v[8];
	memcpy(v, iv, 8);
	cbc_encrypt(&r->u.des3, (nettle_cipher_func *)des3_encrypt, 8, v,
	            PACKET, packet, packet);
}

static void nonce12(raw_cipher_t *r, uint8_t *n)
{
	memcpy(n, r->salt, 4);
	memcpy(n + 4, iv, 8);
}

static void raw_gcm128(void *p)
{
	raw_cipher_t *r = p;
	uint8_t n[12];
	nonce12(r, n);
	gcm_aes128_set_iv(&r->u.gcm128, 12, n);
	gcm_aes128_update(&r->u.gcm128, AAD_LEN, aad);
	gcm_aes128_encrypt(&r->u.gcm128, PACKET, packet, packet);
	gcm_aes128_digest(&r->u.gcm128, 16, icv);
}

static void raw_gcm128_dec(void *p)
{
	raw_cipher_t *r = p;
	uint8_t n[12], t[16];
	nonce12(r, n);
	gcm_aes128_set_iv(&r->u.gcm128, 12, n);
	gcm_aes128_update(&r->u.gcm128, AAD_LEN, aad);
	gcm_aes128_decrypt(&r->u.gcm128, PACKET, packet, packet);
	gcm_aes128_digest(&r->u.gcm128, 16, t);
	if (!memeq_const(t, icv, 16))
		memwipe(packet, PACKET);
}

static void raw_gcm256(void *p)
{
	raw_cipher_t *r = p;
	uint8_t n[12];
	nonce12(r, n);
	gcm_aes256_set_iv(&r->u.gcm256, 12, n);
	gcm_aes256_update(&r->u.gcm256, AAD_LEN, aad);
	gcm_aes256_encrypt(&r->u.gcm256, PACKET, packet, packet);
	gcm_aes256_digest(&r->u.gcm256, 16, icv);
}

static void raw_ccm128(void *p)
{
	raw_cipher_t *r = p;
	uint8_t n[11];
	memcpy(n, r->salt, 3);
	memcpy(n + 3, iv, 8);
	ccm_aes128_set_nonce(&r->u.ccm128, 11, n, AAD_LEN, PACKET, 16);
	ccm_aes128_update(&r->u.ccm128, AAD_LEN, aad);
	ccm_aes128_encrypt(&r->u.ccm128, PACKET, packet, packet);
	ccm_aes128_digest(&r->u.ccm128, 16, icv);
}

static void raw_chacha(void *p)
{
	raw_cipher_t *r = p;
	uint8_t n[12];
	nonce12(r, n);
	chacha_poly1305_set_nonce(&r->u.chacha, n);
	chacha_poly1305_update(&r->u.chacha, AAD_LEN, aad);
	chacha_poly1305_encrypt(&r->u.chacha, PACKET, packet, packet);
	chacha_poly1305_digest(&r->u.chacha, 16, icv);
}

static void bench_ciphers(const char *filter)
{
	static const struct {
		const char *name;
		encr_id_t alg;
		size_t bits, len;
		op_fn raw;
		bool decrypt;
	} c[] = {
		{ "aes128-cbc encrypt", ENCR_AES_CBC, 128, 1392, raw_cbc128, false },
		{ "aes256-cbc encrypt", ENCR_AES_CBC, 256, 1392, raw_cbc256, false },
		{ "aes128-ctr", ENCR_AES_CTR, 128, PACKET, raw_ctr128, false },
		{ "3des-cbc encrypt", ENCR_3DES, 0, PACKET, raw_3des, false },
		{ "aes128-gcm-16 encrypt", ENCR_AES_GCM_16, 128, PACKET, raw_gcm128, false },
		{ "aes128-gcm-16 decrypt", ENCR_AES_GCM_16, 128, PACKET, raw_gcm128_dec, true },
		{ "aes256-gcm-16 encrypt", ENCR_AES_GCM_16, 256, PACKET, raw_gcm256, false },
		{ "aes128-ccm-16 encrypt", ENCR_AES_CCM_16, 128, PACKET, raw_ccm128, false },
		{ "chacha20-poly1305 encrypt", ENCR_CHACHA20_POLY1305, 0, PACKET, raw_chacha, false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ours_cipher_t o = { .len = c[i].len };
		raw_cipher_t r;
		size_t klen;

		if (filter && !strstr(c[i].name, filter))
			continue;
		if (encr_is_aead(c[i].alg)) {
			o.a = crypto_create_aead(c[i].alg, c[i].bits);
			klen = o.a->get_key_size(o.a);
			o.a->set_key(o.a, chunk_create(key, klen));
		} else {
			o.c = crypto_create_crypter(c[i].alg, c[i].bits);
			klen = o.c->get_key_size(o.c);
			o.c->set_key(o.c, chunk_create(key, klen));
		}
		/* The same key (and salt) for the raw side. */
		size_t bits = c[i].bits;
		switch (c[i].alg) {
		case ENCR_AES_CBC:
			if (bits == 128)
				aes128_set_encrypt_key(&r.u.aes128, key);
			else
				aes256_set_encrypt_key(&r.u.aes256, key);
			break;
		case ENCR_AES_CTR:
			aes128_set_encrypt_key(&r.u.aes128, key);
			memcpy(r.salt, key + 16, 4);
			break;
		case ENCR_3DES:
			des3_set_key(&r.u.des3, key);
			break;
		case ENCR_AES_GCM_16:
			if (bits == 128)
				gcm_aes128_set_key(&r.u.gcm128, key);
			else
				gcm_aes256_set_key(&r.u.gcm256, key);
			memcpy(r.salt, key + bits / 8, 4);
			break;
		case ENCR_AES_CCM_16:
			ccm_aes128_set_key(&r.u.ccm128, key);
			memcpy(r.salt, key + 16, 3);
			break;
		default:
			chacha_poly1305_set_key(&r.u.chacha, key);
			memcpy(r.salt, key + 32, 4);
			break;
		}
		op_fn ours = o.a ? (c[i].decrypt ? ours_aead_dec : ours_aead) : ours_crypt;
		/* Both sides must produce the same bytes (and ICV). */
		static uint8_t saved[PACKET], out_ours[PACKET], icv_ours[16];
		memcpy(saved, packet, PACKET);
		ours(&o);
		memcpy(out_ours, packet, PACKET);
		memcpy(icv_ours, icv, 16);
		memcpy(packet, saved, PACKET);
		c[i].raw(&r);
		if (memcmp(out_ours, packet, c[i].len) != 0 ||
		    (o.a && !c[i].decrypt && memcmp(icv_ours, icv, 16) != 0)) {
			fprintf(stderr, "%s: plugin and raw results differ\n", c[i].name);
			exit(1);
		}
		compare(c[i].name, c[i].len, ours, &o, c[i].raw, &r);
		if (o.a)
			o.a->destroy(o.a);
		else
			o.c->destroy(o.c);
	}
}

/* ------------------------------------------------------ MACs and PRFs */

typedef struct {
	signer_t *s;
	prf_t *p;
	size_t len;
} ours_mac_t;

static void ours_sign(void *p)
{
	ours_mac_t *o = p;
	o->s->get_signature(o->s, chunk_create(packet, o->len), icv);
}

static void ours_prf(void *p)
{
	ours_mac_t *o = p;
	o->p->get_bytes(o->p, chunk_create(packet, o->len), icv);
}

typedef struct {
	_Alignas(16) union {
		struct hmac_sha1_ctx sha1;
		struct hmac_sha256_ctx sha256;
		struct hmac_sha512_ctx sha512;
		struct cmac_aes128_ctx cmac;
		struct xcbc_aes128_ctx xcbc;
	} u;
	int kind;   /* 1 sha1, 256, 384, 512, 'x' xcbc, 'c' cmac */
	size_t len, trunc;
} raw_mac_t;

static void raw_mac(void *p)
{
	raw_mac_t *r = p;
	uint8_t out[64];

	switch (r->kind) {
	case 1:
		hmac_sha1_update(&r->u.sha1, r->len, packet);
		hmac_sha1_digest(&r->u.sha1, 20, out);
		break;
	case 256:
		hmac_sha256_update(&r->u.sha256, r->len, packet);
		hmac_sha256_digest(&r->u.sha256, 32, out);
		break;
	case 384:
		hmac_sha384_update(&r->u.sha512, r->len, packet);
		hmac_sha384_digest(&r->u.sha512, 48, out);
		break;
	case 512:
		hmac_sha512_update(&r->u.sha512, r->len, packet);
		hmac_sha512_digest(&r->u.sha512, 64, out);
		break;
	case 'c':
		cmac_aes128_update(&r->u.cmac, r->len, packet);
		cmac_aes128_digest(&r->u.cmac, 16, out);
		break;
	case 'x':
		xcbc_aes128_mac(&r->u.xcbc, r->len, packet, out);
		break;
	}
	memcpy(icv, out, r->trunc);
}

static void raw_mac_key(raw_mac_t *r, size_t klen)
{
	switch (r->kind) {
	case 1: hmac_sha1_set_key(&r->u.sha1, klen, key); break;
	case 256: hmac_sha256_set_key(&r->u.sha256, klen, key); break;
	case 384: hmac_sha384_set_key(&r->u.sha512, klen, key); break;
	case 512: hmac_sha512_set_key(&r->u.sha512, klen, key); break;
	case 'c': cmac_aes128_set_key(&r->u.cmac, key); break;
	case 'x': xcbc_aes128_set_key(&r->u.xcbc, key); break;
	}
}

static void bench_macs(const char *filter)
{
	static const struct {
		const char *name;
		integ_id_t integ;
		prf_id_t prf;
		int kind;
	} m[] = {
		{ "hmac-sha1-96 (1400 B)", INTEG_HMAC_SHA1_96, 0, 1 },
		{ "hmac-sha256-128 (1400 B)", INTEG_HMAC_SHA2_256_128, 0, 256 },
		{ "hmac-sha384-192 (1400 B)", INTEG_HMAC_SHA2_384_192, 0, 384 },
		{ "hmac-sha512-256 (1400 B)", INTEG_HMAC_SHA2_512_256, 0, 512 },
		{ "aes-xcbc-96 (1400 B)", INTEG_AES_XCBC_96, 0, 'x' },
		{ "aes-cmac-96 (1400 B)", INTEG_AES_CMAC_96, 0, 'c' },
		{ "prf-hmac-sha1 (64 B)", 0, PRF_HMAC_SHA1, 1 },
		{ "prf-hmac-sha256 (64 B)", 0, PRF_HMAC_SHA2_256, 256 },
		{ "prf-hmac-sha384 (64 B)", 0, PRF_HMAC_SHA2_384, 384 },
		{ "prf-hmac-sha512 (64 B)", 0, PRF_HMAC_SHA2_512, 512 },
		{ "prf-aes128-xcbc (64 B)", 0, PRF_AES128_XCBC, 'x' },
		{ "prf-aes128-cmac (64 B)", 0, PRF_AES128_CMAC, 'c' },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		ours_mac_t o = { 0 };
		raw_mac_t r = { .kind = m[i].kind };
		size_t klen;

		if (filter && !strstr(m[i].name, filter))
			continue;
		if (m[i].integ) {
			o.s = crypto_create_signer(m[i].integ);
			klen = o.s->get_key_size(o.s);
			o.s->set_key(o.s, chunk_create(key, klen));
			o.len = r.len = PACKET;
			r.trunc = o.s->get_block_size(o.s);
		} else {
			o.p = crypto_create_prf(m[i].prf);
			klen = o.p->get_key_size(o.p);
			o.p->set_key(o.p, chunk_create(key, klen));
			o.len = r.len = PRF_INPUT;
			r.trunc = o.p->get_block_size(o.p);
		}
		raw_mac_key(&r, klen);
		/* Both sides must compute the same MAC, or the race is void. */
		uint8_t check[64];
		memset(icv, 0, sizeof(icv));
		(o.s ? ours_sign : ours_prf)(&o);
		memcpy(check, icv, sizeof(check));
		memset(icv, 0xff, sizeof(icv));
		raw_mac(&r);
		if (memcmp(check, icv, r.trunc) != 0) {
			fprintf(stderr, "%s: plugin and raw results differ\n", m[i].name);
			exit(1);
		}
		compare(m[i].name, m[i].integ ? PACKET : 0,
		        o.s ? ours_sign : ours_prf, &o, raw_mac, &r);
		if (o.s)
			o.s->destroy(o.s);
		else
			o.p->destroy(o.p);
	}
}

/* ------------------------------------------------------- key exchange */

typedef struct {
	ke_id_t group;
	chunk_t peer;    /* a valid peer public value */
} ours_ke_t;

static void ours_ke(void *p)
{
	ours_ke_t *o = p;
	ke_t *ke = crypto_create_ke(o->group);
	chunk_t pub, secret;

	ke->get_public(ke, &pub);
	ke->set_peer_public(ke, o->peer);
	ke->get_shared_secret(ke, &secret);
	chunk_free(&pub);
	chunk_clear(&secret);
	ke->destroy(ke);
}

typedef struct {
	ke_id_t group;
	chunk_t peer;
	/* MODP */
	mpz_t p, g, q, pm1;
	bool has_q;
	unsigned exp_bits;
	size_t len;
	/* ECP */
	const struct ecc_curve *curve;
	size_t coord;
} raw_ke_t;

static void raw_modp(void *ctx)
{
	raw_ke_t *r = ctx;
	size_t bits = r->has_q ? mpz_sizeinbase(r->q, 2) + 64 : r->exp_bits;
	size_t blen = (bits + 7) / 8;
	uint8_t buf[128];
	mpz_t x, y, t;

	mpz_inits(x, y, t, NULL);
	random_bytes(buf, blen);
	buf[0] &= 0xff >> (8 * blen - bits);
	nettle_mpz_set_str_256_u(x, blen, buf);
	if (r->has_q) {
		mpz_sub_ui(t, r->q, 1);
		mpz_mod(x, x, t);
		mpz_add_ui(x, x, 1);
	} else {
		mpz_setbit(x, bits - 1);
	}
	chunk_t pub = chunk_alloc(r->len);
	mpz_powm_sec(y, r->g, x, r->p);
	nettle_mpz_get_str_256(pub.len, pub.ptr, y);
	nettle_mpz_set_str_256_u(y, r->peer.len, r->peer.ptr);
	if (mpz_cmp_ui(y, 1) > 0 && mpz_cmp(y, r->pm1) < 0) {
		bool in = true;
		if (r->has_q) {
			mpz_powm(t, y, r->q, r->p);
			in = mpz_cmp_ui(t, 1) == 0;
		}
		if (in) {
			chunk_t s = chunk_alloc(r->len);
			mpz_powm_sec(t, y, x, r->p);
			nettle_mpz_get_str_256(s.len, s.ptr, t);
			chunk_clear(&s);
		}
	}
	chunk_free(&pub);
	mpz_clears(x, y, t, NULL);
}

static void raw_ecp(void *ctx)
{
	raw_ke_t *r = ctx;
	unsigned bits = ecc_bit_size(r->curve);
	size_t n = r->coord;
	struct ecc_scalar s;
	struct ecc_point pub, peer, res;
	uint8_t buf[66];
	mpz_t x, y;

	mpz_inits(x, y, NULL);
	ecc_scalar_init(&s, r->curve);
	do {
		random_bytes(buf, n);
		buf[0] &= 0xff >> (8 * n - bits);
		nettle_mpz_set_str_256_u(x, n, buf);
	} while (!ecc_scalar_set(&s, x));
	ecc_point_init(&pub, r->curve);
	ecc_point_mul_g(&pub, &s);
	ecc_point_get(&pub, x, y);
	chunk_t pv = chunk_alloc(2 * n);
	nettle_mpz_get_str_256(n, pv.ptr, x);
	nettle_mpz_get_str_256(n, pv.ptr + n, y);
	nettle_mpz_set_str_256_u(x, n, r->peer.ptr);
	nettle_mpz_set_str_256_u(y, n, r->peer.ptr + n);
	ecc_point_init(&peer, r->curve);
	if (ecc_point_set(&peer, x, y)) {
		ecc_point_init(&res, r->curve);
		ecc_point_mul(&res, &s, &peer);
		ecc_point_get(&res, x, NULL);
		chunk_t sh = chunk_alloc(n);
		nettle_mpz_get_str_256(n, sh.ptr, x);
		chunk_clear(&sh);
		ecc_point_clear(&res);
	}
	chunk_free(&pv);
	ecc_point_clear(&peer);
	ecc_point_clear(&pub);
	ecc_scalar_clear(&s);
	mpz_clears(x, y, NULL);
}

static void raw_curve(void *ctx)
{
	raw_ke_t *r = ctx;
	uint8_t priv[56], pub[56], sh[56], acc = 0;
	size_t n = r->group == KE_CURVE25519 ? 32 : 56;

	random_bytes(priv, n);
	if (n == 32) {
		curve25519_mul_g(pub, priv);
		curve25519_mul(sh, priv, r->peer.ptr);
	} else {
		curve448_mul_g(pub, priv);
		curve448_mul(sh, priv, r->peer.ptr);
	}
	for (size_t i = 0; i < n; i++)
		acc |= sh[i];
	if (acc)
		memwipe(sh, sizeof(sh));
	memwipe(priv, sizeof(priv));
}

static void bench_ke(const char *filter)
{
	static const ke_id_t groups[] = {
		KE_CURVE25519, KE_CURVE448, KE_ECP_192, KE_ECP_224, KE_ECP_256,
		KE_ECP_384, KE_ECP_521, KE_MODP_1024, KE_MODP_1536, KE_MODP_2048,
		KE_MODP_3072, KE_MODP_4096, KE_MODP_6144, KE_MODP_8192,
		KE_MODP_1024_160, KE_MODP_2048_224, KE_MODP_2048_256,
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		ke_id_t g = groups[i];
		char name[64];
		snprintf(name, sizeof(name), "ke %s", transform_name(TRANS_KE, g));
		if (filter && !strstr(name, filter))
			continue;

		ke_t *peer = crypto_create_ke(g);
		ours_ke_t o = { .group = g };
		raw_ke_t r = { .group = g };
		peer->get_public(peer, &o.peer);
		r.peer = o.peer;
		op_fn raw;

		if (g == KE_CURVE25519 || g == KE_CURVE448) {
			raw = raw_curve;
		} else if (g == KE_ECP_192 || g == KE_ECP_224 || g == KE_ECP_256 ||
		           g == KE_ECP_384 || g == KE_ECP_521) {
			r.curve = g == KE_ECP_192 ? nettle_get_secp_192r1() :
			          g == KE_ECP_224 ? nettle_get_secp_224r1() :
			          g == KE_ECP_256 ? nettle_get_secp_256r1() :
			          g == KE_ECP_384 ? nettle_get_secp_384r1() :
			                            nettle_get_secp_521r1();
			r.coord = (ecc_bit_size(r.curve) + 7) / 8;
			raw = raw_ecp;
		} else {
			for (size_t k = 0; k < nettle_modp_group_count; k++) {
				const nettle_modp_group_t *m = &nettle_modp_groups[k];
				if (m->group != (int)g)
					continue;
				mpz_init_set_str(r.p, m->prime, 16);
				mpz_init_set_str(r.g, m->generator, 16);
				mpz_init_set_str(r.q, m->subgroup ? m->subgroup : "0", 16);
				mpz_init(r.pm1);
				mpz_sub_ui(r.pm1, r.p, 1);
				r.has_q = m->subgroup != NULL;
				r.exp_bits = m->exp_bits;
				r.len = (mpz_sizeinbase(r.p, 2) + 7) / 8;
			}
			raw = raw_modp;
		}
		compare(name, 0, ours_ke, &o, raw, &r);
		if (raw == raw_modp)
			mpz_clears(r.p, r.g, r.q, r.pm1, NULL);
		chunk_free(&o.peer);
		peer->destroy(peer);
	}
}

int main(int argc, char *argv[])
{
	static const char *const names[] = { "nettle" };
	const char *filter = argc > 3 ? argv[3] : NULL;

	if (argc > 1)
		round_seconds = atof(argv[1]);
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (round_seconds <= 0 || rounds < 1) {
		fprintf(stderr, "usage: %s [seconds-per-round] [rounds] [filter]\n",
		        argv[0]);
		return 2;
	}
	if (!plugin_loader_load(names, 1, names, 1)) {
		fprintf(stderr, "the nettle plugin did not load "
		        "(set IKEV2D_PLUGIN_PATH to the build tree's plugins)\n");
		return 1;
	}
	random_bytes(key, sizeof(key));
	random_bytes(packet, sizeof(packet));
	random_bytes(iv, sizeof(iv));
	random_bytes(aad, sizeof(aad));

	printf("%-28s %15s %15s %8s\n", "operation", "nettle plugin", "raw nettle",
	       "ratio");
	bench_ke(filter);
	bench_ciphers(filter);
	bench_macs(filter);
	plugin_loader_unload();
	return 0;
}
