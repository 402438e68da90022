/*
 * test_wycheproof.c - the nettle plugin (loaded through the plugin loader)
 * against Project Wycheproof: ECDH P-256/384/521 including every invalid
 * point, X25519/X448 including low-order points, AES-GCM, AES-CCM,
 * ChaCha20-Poly1305, AES-CBC, HMAC-SHA1/2 and AES-CMAC.
 *
 * Each case is mapped to what IKEv2 can express: ECDH public keys are KE
 * data x|y (an uncompressed point without its 0x04; any other encoding is
 * passed as is and must be refused), AEAD nonces are salt|IV (4+8 bytes,
 * CCM 3+8), ICVs 8/12/16 bytes, AES-CMAC keys 128 bits.  Cases IKEv2 cannot
 * use (other nonce, tag or key sizes; PKCS#5 padding checks; compressed
 * points) are skipped and counted, and the counts are checked against a
 * table so a change in coverage is noticed.
 * "acceptable" cases must behave consistently: a computed result must be
 * the expected one; X25519/X448 cases with an all-zero shared secret must
 * be refused (RFC 8031).
 */
#include <ikev2d/crypto.h>

#include "nettle_load.h"
#include "vector_file.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int valid, invalid, acceptable, skipped;
} counts_t;

static void setup(void)
{
	nettle_load();
}

static void teardown(void)
{
	nettle_unload();
}

/* What each file must yield: cases checked per result, and skipped. */
static const struct {
	const char *file;
	counts_t want;
} expected_counts[] = {
	{ "wycheproof/ecdh_secp256r1_ecpoint_test.txt", { 330, 24, 0, 1 } },
	{ "wycheproof/ecdh_secp384r1_ecpoint_test.txt", { 771, 18, 0, 1 } },
	{ "wycheproof/ecdh_secp521r1_ecpoint_test.txt", { 632, 28, 0, 1 } },
	{ "wycheproof/x25519_test.txt", { 264, 0, 254, 0 } },
	{ "wycheproof/x448_test.txt", { 253, 12, 245, 0 } },
	{ "wycheproof/aes_gcm_test.txt", { 116, 81, 0, 119 } },
	{ "wycheproof/aes_ccm_test.txt", { 18, 0, 0, 534 } },
	{ "wycheproof/chacha20_poly1305_test.txt", { 256, 60, 0, 9 } },
	{ "wycheproof/aes_cbc_pkcs5_test.txt", { 72, 0, 0, 144 } },
	{ "wycheproof/hmac_sha1_test.txt", { 66, 104, 0, 0 } },
	{ "wycheproof/hmac_sha256_test.txt", { 66, 108, 0, 0 } },
	{ "wycheproof/hmac_sha384_test.txt", { 66, 108, 0, 0 } },
	{ "wycheproof/hmac_sha512_test.txt", { 66, 108, 0, 0 } },
	{ "wycheproof/aes_cmac_test.txt", { 21, 81, 0, 209 } },
};

/* Print the counts and compare them with the table. */
static void report(const char *file, const counts_t *c)
{
	fprintf(stderr, "%s: %d valid, %d invalid, %d acceptable checked; "
	        "%d skipped\n", file, c->valid, c->invalid, c->acceptable,
	        c->skipped);
	for (size_t i = 0; i < sizeof(expected_counts) / sizeof(expected_counts[0]); i++) {
		if (strcmp(expected_counts[i].file, file) != 0)
			continue;
		const counts_t *w = &expected_counts[i].want;
		ck_assert_msg(c->valid == w->valid && c->invalid == w->invalid &&
		              c->acceptable == w->acceptable &&
		              c->skipped == w->skipped,
		              "%s: coverage differs from the expected counts", file);
		return;
	}
	ck_abort_msg("%s: no expected counts", file);
}

typedef enum { RES_VALID, RES_INVALID, RES_ACCEPTABLE } result_t;

static result_t result_of(vector_file_t *vf)
{
	const char *r = vf_get(vf, "result");

	ck_assert_ptr_nonnull(r);
	if (strcmp(r, "valid") == 0)
		return RES_VALID;
	if (strcmp(r, "invalid") == 0)
		return RES_INVALID;
	ck_assert_str_eq(r, "acceptable");
	return RES_ACCEPTABLE;
}

static void count(counts_t *c, result_t r)
{
	if (r == RES_VALID)
		c->valid++;
	else if (r == RES_INVALID)
		c->invalid++;
	else
		c->acceptable++;
}

/* Drop leading zero bytes (Wycheproof private keys are DER integers). */
static chunk_t strip_zeros(chunk_t c)
{
	while (c.len > 1 && c.ptr[0] == 0) {
		c.ptr++;
		c.len--;
	}
	return c;
}

/* ------------------------------------------------------------------ ECDH */

static const struct {
	const char *file;
	ke_id_t group;
	size_t coord;
} ecdh_files[] = {
	{ "wycheproof/ecdh_secp256r1_ecpoint_test.txt", KE_ECP_256, 32 },
	{ "wycheproof/ecdh_secp384r1_ecpoint_test.txt", KE_ECP_384, 48 },
	{ "wycheproof/ecdh_secp521r1_ecpoint_test.txt", KE_ECP_521, 66 },
};

START_TEST(test_ecdh)
{
	vector_file_t *vf = vf_open(ecdh_files[_i].file);
	size_t n = ecdh_files[_i].coord;
	counts_t c = { 0 };

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		result_t res = result_of(vf);
		chunk_t pub = vf_hex(vf, "public"), priv = vf_hex(vf, "private");
		chunk_t shared = vf_hex(vf, "shared");
		chunk_t ke_data = pub;
		long tc = vf_int(vf, "tcId");
		ke_t *ke = crypto_create_ke(ecdh_files[_i].group);

		/* Uncompressed point: IKE sends x|y without the 0x04. */
		if (pub.len == 1 + 2 * n && pub.ptr[0] == 0x04)
			ke_data = chunk_create(pub.ptr + 1, 2 * n);
		ck_assert_msg(ke->set_private(ke, strip_zeros(priv)),
		              "tcId %ld: private key refused", tc);
		bool ok = ke->set_peer_public(ke, ke_data);
		if (res == RES_INVALID) {
			ck_assert_msg(!ok, "tcId %ld: invalid public key accepted", tc);
		} else if (ok) {
			chunk_t s;
			ck_assert(ke->get_shared_secret(ke, &s));
			ck_assert_msg(chunk_equals(s, shared), "tcId %ld: wrong secret", tc);
			chunk_clear(&s);
		} else {
			/* Only encodings IKE cannot carry may be refused. */
			ck_assert_msg(ke_data.ptr == pub.ptr,
			              "tcId %ld: valid x|y point refused", tc);
		}
		if (ok || res == RES_INVALID)
			count(&c, res);
		else
			c.skipped++;
		ke->destroy(ke);
		chunk_free(&pub); chunk_free(&priv); chunk_free(&shared);
	}
	vf_close(vf);
	report(ecdh_files[_i].file, &c);
}
END_TEST

/* ------------------------------------------------------------------- XDH */

START_TEST(test_xdh)
{
	static const struct { const char *file; ke_id_t group; size_t len; } f[] = {
		{ "wycheproof/x25519_test.txt", KE_CURVE25519, 32 },
		{ "wycheproof/x448_test.txt", KE_CURVE448, 56 },
	};
	vector_file_t *vf = vf_open(f[_i].file);
	counts_t c = { 0 };
	int zero = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		result_t res = result_of(vf);
		chunk_t pub = vf_hex(vf, "public"), priv = vf_hex(vf, "private");
		chunk_t shared = vf_hex(vf, "shared");
		long tc = vf_int(vf, "tcId");
		ke_t *ke = crypto_create_ke(f[_i].group);
		bool all_zero = true;

		for (size_t i = 0; i < shared.len; i++)
			all_zero &= shared.ptr[i] == 0;
		ck_assert(ke->set_private(ke, priv));
		bool ok = ke->set_peer_public(ke, pub);
		if (res == RES_INVALID || all_zero || pub.len != f[_i].len) {
			ck_assert_msg(!ok, "tcId %ld: accepted", tc);
			zero += all_zero;
		} else {
			ck_assert_msg(ok, "tcId %ld: refused", tc);
			chunk_t s;
			ck_assert(ke->get_shared_secret(ke, &s));
			ck_assert_msg(chunk_equals(s, shared), "tcId %ld: wrong secret", tc);
			chunk_clear(&s);
		}
		count(&c, res);
		ke->destroy(ke);
		chunk_free(&pub); chunk_free(&priv); chunk_free(&shared);
	}
	vf_close(vf);
	report(f[_i].file, &c);
	fprintf(stderr, "  %d all-zero shared secrets refused\n", zero);
	ck_assert_int_eq(zero, f[_i].group == KE_CURVE25519 ? 31 : 23);
}
END_TEST

/* ------------------------------------------------------------------ AEAD */

static encr_id_t aead_alg(const char *file, long tag_bits)
{
	bool gcm = strstr(file, "gcm") != NULL, ccm = strstr(file, "ccm") != NULL;

	switch (tag_bits) {
	case 64:
		return gcm ? ENCR_AES_GCM_8 : ccm ? ENCR_AES_CCM_8 : 0;
	case 96:
		return gcm ? ENCR_AES_GCM_12 : ccm ? ENCR_AES_CCM_12 : 0;
	case 128:
		return gcm ? ENCR_AES_GCM_16 : ccm ? ENCR_AES_CCM_16
		                                   : ENCR_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

START_TEST(test_aead)
{
	static const char *const files[] = {
		"wycheproof/aes_gcm_test.txt",
		"wycheproof/aes_ccm_test.txt",
		"wycheproof/chacha20_poly1305_test.txt",
	};
	const char *file = files[_i];
	bool ccm = strstr(file, "ccm") != NULL;
	bool chacha = strstr(file, "chacha") != NULL;
	size_t salt = ccm ? 3 : 4;
	vector_file_t *vf = vf_open(file);
	counts_t c = { 0 };

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		long key_bits = vf_int(vf, "keySize"), iv_bits = vf_int(vf, "ivSize");
		encr_id_t alg = aead_alg(file, vf_int(vf, "tagSize"));
		chunk_t iv = vf_hex(vf, "iv");
		result_t res = result_of(vf);
		long tc = vf_int(vf, "tcId");

		/* IKE: nonce = salt | 8-byte IV; AES keys of 128/192/256 bits. */
		if (!alg || (size_t)iv_bits != 8 * (salt + 8) || iv.len != salt + 8 ||
		    (!chacha && key_bits != 128 && key_bits != 192 && key_bits != 256)) {
			c.skipped++;
			chunk_free(&iv);
			continue;
		}
		chunk_t key = vf_hex(vf, "key"), aad = vf_hex(vf, "aad");
		chunk_t msg = vf_hex(vf, "msg"), ct = vf_hex(vf, "ct");
		chunk_t tag = vf_hex(vf, "tag");
		chunk_t parts[2] = { key, chunk_create(iv.ptr, salt) };
		chunk_t ike_key = chunk_cat(2, parts);
		chunk_t ike_iv = chunk_create(iv.ptr + salt, 8);
		aead_t *a = crypto_create_aead(alg, chacha ? 0 : (size_t)key_bits);
		uint8_t icv[16];

		ck_assert_ptr_nonnull(a);
		ck_assert(a->set_key(a, ike_key));
		ck_assert_int_eq(a->get_icv_size(a), tag.len);
		chunk_t buf = chunk_clone(ct);
		bool ok = a->decrypt(a, buf, aad, ike_iv, tag.ptr);
		if (res == RES_INVALID) {
			ck_assert_msg(!ok, "%s tcId %ld: forgery accepted", file, tc);
		} else {
			ck_assert_msg(ok, "%s tcId %ld: refused", file, tc);
			ck_assert_msg(chunk_equals(buf, msg), "%s tcId %ld: plaintext",
			              file, tc);
			chunk_free(&buf);
			buf = chunk_clone(msg);
			ck_assert(a->encrypt(a, buf, aad, ike_iv, icv));
			ck_assert_msg(chunk_equals(buf, ct) &&
			              memcmp(icv, tag.ptr, tag.len) == 0,
			              "%s tcId %ld: ciphertext or tag", file, tc);
		}
		count(&c, res);
		a->destroy(a);
		chunk_free(&buf); chunk_free(&ike_key); chunk_free(&key);
		chunk_free(&aad); chunk_free(&msg); chunk_free(&ct); chunk_free(&tag);
		chunk_free(&iv);
	}
	vf_close(vf);
	report(file, &c);
}
END_TEST

/* ------------------------------------------------------------------- CBC */

/* IKEv2 pads its own way, so only the cipher is checked: msg with its
 * PKCS#5 padding encrypts to ct and back.  Cases about bad padding
 * ("invalid") are not the cipher's business and are skipped. */
START_TEST(test_cbc)
{
	vector_file_t *vf = vf_open("wycheproof/aes_cbc_pkcs5_test.txt");
	counts_t c = { 0 };

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		result_t res = result_of(vf);
		long tc = vf_int(vf, "tcId");
		if (res != RES_VALID) {
			c.skipped++;
			continue;
		}
		chunk_t key = vf_hex(vf, "key"), iv = vf_hex(vf, "iv");
		chunk_t msg = vf_hex(vf, "msg"), ct = vf_hex(vf, "ct");
		size_t pad = 16 - msg.len % 16;
		chunk_t buf = chunk_alloc(msg.len + pad);
		if (msg.len)
			memcpy(buf.ptr, msg.ptr, msg.len);
		memset(buf.ptr + msg.len, (int)pad, pad);
		chunk_t padded = chunk_clone(buf);
		crypter_t *cr = crypto_create_crypter(ENCR_AES_CBC, key.len * 8);
		ck_assert_ptr_nonnull(cr);
		ck_assert(cr->set_key(cr, key));
		ck_assert(cr->encrypt(cr, buf, iv));
		ck_assert_msg(chunk_equals(buf, ct), "tcId %ld: ciphertext", tc);
		ck_assert(cr->decrypt(cr, buf, iv));
		ck_assert_msg(chunk_equals(buf, padded), "tcId %ld: plaintext", tc);
		count(&c, res);
		cr->destroy(cr);
		chunk_free(&key); chunk_free(&iv); chunk_free(&msg); chunk_free(&ct);
		chunk_free(&buf); chunk_free(&padded);
	}
	vf_close(vf);
	report("wycheproof/aes_cbc_pkcs5_test.txt", &c);
}
END_TEST

/* ------------------------------------------------------------------- MAC */

static const struct {
	const char *file;
	prf_id_t prf;
	/* the IKE integrity algorithm with this key and tag size, if any */
	size_t integ_key_bits, integ_tag_bits;
	integ_id_t integ;
} mac_files[] = {
	{ "wycheproof/hmac_sha1_test.txt", PRF_HMAC_SHA1, 160, 160, INTEG_HMAC_SHA1_160 },
	{ "wycheproof/hmac_sha256_test.txt", PRF_HMAC_SHA2_256, 256, 128, INTEG_HMAC_SHA2_256_128 },
	{ "wycheproof/hmac_sha384_test.txt", PRF_HMAC_SHA2_384, 384, 192, INTEG_HMAC_SHA2_384_192 },
	{ "wycheproof/hmac_sha512_test.txt", PRF_HMAC_SHA2_512, 512, 256, INTEG_HMAC_SHA2_512_256 },
	{ "wycheproof/aes_cmac_test.txt", PRF_AES128_CMAC, 128, 96, INTEG_AES_CMAC_96 },
};

/* The MAC as a PRF (full output, compare the tag's prefix); where key and
 * tag size match an IKE integrity algorithm, through that signer too. */
START_TEST(test_mac)
{
	vector_file_t *vf = vf_open(mac_files[_i].file);
	bool cmac = mac_files[_i].prf == PRF_AES128_CMAC;
	counts_t c = { 0 };
	int signer_checked = 0;

	ck_assert_ptr_nonnull(vf);
	while (vf_next(vf)) {
		long key_bits = vf_int(vf, "keySize"), tag_bits = vf_int(vf, "tagSize");
		long tc = vf_int(vf, "tcId");
		result_t res = result_of(vf);
		/* AES-CMAC-PRF-128 derives a 128-bit key from any other
		 * (RFC 4615), so only AES-128 cases are plain CMAC. */
		if (cmac && key_bits != 128) {
			c.skipped++;
			continue;
		}
		chunk_t key = vf_hex(vf, "key"), msg = vf_hex(vf, "msg");
		chunk_t tag = vf_hex(vf, "tag");
		prf_t *p = crypto_create_prf(mac_files[_i].prf);
		uint8_t out[64];

		ck_assert(p->set_key(p, key));
		ck_assert(p->get_bytes(p, msg, out));
		ck_assert(tag.len <= p->get_block_size(p));
		bool match = tag.len && memcmp(out, tag.ptr, tag.len) == 0;
		ck_assert_msg(match == (res != RES_INVALID), "%s tcId %ld",
		              mac_files[_i].file, tc);
		p->destroy(p);

		if ((size_t)key_bits == mac_files[_i].integ_key_bits &&
		    (size_t)tag_bits == mac_files[_i].integ_tag_bits) {
			signer_t *s = crypto_create_signer(mac_files[_i].integ);
			ck_assert(s->set_key(s, key));
			ck_assert_msg(s->verify_signature(s, msg, tag) ==
			              (res != RES_INVALID), "%s tcId %ld (signer)",
			              mac_files[_i].file, tc);
			s->destroy(s);
			signer_checked++;
		}
		count(&c, res);
		chunk_free(&key); chunk_free(&msg); chunk_free(&tag);
	}
	vf_close(vf);
	report(mac_files[_i].file, &c);
	fprintf(stderr, "  %d cases also through the IKE integrity algorithm\n",
	        signer_checked);
	/* Wycheproof has no 96-bit CMAC tags; the HMAC files have 81 cases
	 * each with the IKE key and truncation. */
	ck_assert_int_eq(signer_checked, cmac ? 0 : 81);
}
END_TEST

static Suite *wycheproof_suite(void)
{
	Suite *s = suite_create("wycheproof");
	TCase *tc = tcase_create("wycheproof");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_ecdh, 0, 3);
	tcase_add_loop_test(tc, test_xdh, 0, 2);
	tcase_add_loop_test(tc, test_aead, 0, 3);
	tcase_add_test(tc, test_cbc);
	tcase_add_loop_test(tc, test_mac, 0, 5);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wycheproof_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
