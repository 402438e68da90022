/*
 * test_captures_sk.c - the SK payloads of Wireshark's test captures, with
 * the captures' keys, through the crypto plugins: the ICV verifies, the
 * plaintext decrypts to what Wireshark shows (inner payloads bit-exact,
 * AUTH data), re-encrypting with the peer's IV reproduces the message when
 * its padding is minimal, and one flipped byte in the IV, ciphertext or
 * ICV is rejected.
 *
 * Loads the "nettle" plugin with the plugin loader.  A capture whose cipher
 * no plugin registers is skipped; if none can run the test exits 77.
 */
#include "captures.h"
#include "codec/message.h"

#include "lib/plugin_loader.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	rng_t pub;
	chunk_t iv;  /* handed out once, to reproduce the peer's message */
} fixed_rng_t;

static bool fixed_get_bytes(rng_t *self, size_t len, uint8_t *out)
{
	fixed_rng_t *r = (fixed_rng_t *)self;
	if (len != r->iv.len)
		return false;
	memcpy(out, r->iv.ptr, len);
	return true;
}

static void fixed_destroy(rng_t *self)
{
	(void)self;
}

typedef struct {
	sk_ctx_t ctx;
	bool ok;
} keyed_t;

static keyed_t make_sk(const capture_t *c, bool initiator)
{
	keyed_t k = { .ok = false };
	chunk_t ek = initiator ? c->sk_ei : c->sk_er;
	chunk_t ak = initiator ? c->sk_ai : c->sk_ar;
	if (c->aead_icv) {
		k.ctx.aead = crypto_create_aead(c->encr, c->key_bits);
		k.ok = k.ctx.aead && k.ctx.aead->set_key(k.ctx.aead, ek);
	} else {
		k.ctx.crypter = crypto_create_crypter(c->encr, c->key_bits);
		k.ctx.signer = crypto_create_signer(c->integ);
		k.ok = k.ctx.crypter && k.ctx.signer &&
		       k.ctx.crypter->set_key(k.ctx.crypter, ek) &&
		       k.ctx.signer->set_key(k.ctx.signer, ak);
	}
	return k;
}

static void free_sk(keyed_t *k)
{
	if (k->ctx.aead)
		k->ctx.aead->destroy(k->ctx.aead);
	if (k->ctx.crypter)
		k->ctx.crypter->destroy(k->ctx.crypter);
	if (k->ctx.signer)
		k->ctx.signer->destroy(k->ctx.signer);
}

static int ran, skipped, reencrypted, decrypted;

static void check_message(const capture_t *c, const capture_msg_t *cm,
                          sk_ctx_t *sk)
{
	char what[128];
	codec_error_t err;
	message_t *m;
	snprintf(what, sizeof(what), "%s frame %d", c->name, cm->frame);

	ck_assert_int_eq(message_parse(cm->data, &m, &err), CODEC_OK);
	payload_t skp = *message_find(m, PL_SK);
	codec_status_t st = message_decrypt(m, sk, &err);
	ck_assert_msg(st == CODEC_OK, "%s: %s", what, err.text);
	decrypted++;
	ck_assert_int_eq((int)m->count, cm->n_inner);
	for (int i = 0; i < cm->n_inner; i++) {
		ck_assert_int_eq(m->payloads[i].type, cm->inner[i].type);
		ck_assert(m->payloads[i].encrypted);
		if (cm->inner[i].type == PL_NOTIFY)
			ck_assert_int_eq(m->payloads[i].u.notify.type, cm->inner[i].notify);
	}
	if (cm->auth.len) {
		payload_t *a = message_find(m, PL_AUTH);
		ck_assert_ptr_nonnull(a);
		ck_assert(chunk_equals(a->u.auth.data, cm->auth));
	}

	/* Inner payloads bit-exact: regenerate them as a plain chain and
	 * compare with Wireshark's plaintext minus padding. */
	uint8_t padlen = cm->plain.ptr[cm->plain.len - 1];
	ck_assert_uint_lt(padlen, cm->plain.len);
	chunk_t want = chunk_create(cm->plain.ptr, cm->plain.len - padlen - 1);
	message_t *copy = message_create(99, 0, 0, 0, 0);
	for (size_t i = 0; i < m->count; i++)
		copy->payloads[copy->count++] = m->payloads[i];
	chunk_t gen;
	ck_assert_int_eq(message_generate(copy, &gen, &err), CODEC_OK);
	ck_assert_msg(chunk_equals(chunk_create(gen.ptr + 28, gen.len - 28), want),
	              "%s: inner payloads differ from Wireshark's plaintext", what);
	chunk_free(&gen);
	message_destroy(copy);

	/* Re-encrypt with the peer's IV: identical bytes if the peer padded
	 * minimally with zeros, as we do. */
	size_t iv_len = sk->aead ? sk->aead->get_iv_size(sk->aead)
	                         : sk->crypter->get_iv_size(sk->crypter);
	size_t block = sk->aead ? sk->aead->get_block_size(sk->aead)
	                        : sk->crypter->get_block_size(sk->crypter);
	bool minimal = padlen < (block ? block : 1);
	for (size_t i = want.len; i < cm->plain.len - 1; i++)
		minimal = minimal && cm->plain.ptr[i] == 0;
	if (minimal) {
		fixed_rng_t rng = { { fixed_get_bytes, fixed_destroy },
		                    chunk_create(skp.u.sk.data.ptr, iv_len) };
		sk_ctx_t again = *sk;
		again.rng = &rng.pub;
		ck_assert_int_eq(message_generate_sk(m, &again, &gen, &err), CODEC_OK);
		ck_assert_msg(chunk_equals(gen, cm->data),
		              "%s: re-encryption differs", what);
		chunk_free(&gen);
		reencrypted++;
	}
	message_destroy(m);

	/* Tampering: a byte of the IV, of the ciphertext, of the ICV, and of
	 * the IKE header (message ID) */
	size_t sk_off = skp.u.sk.offset + 4;
	size_t spots[4] = { sk_off, sk_off + iv_len + 1, cm->data.len - 1, 23 };
	for (int s = 0; s < 4; s++) {
		chunk_t bad = chunk_clone(cm->data);
		bad.ptr[spots[s]] ^= 0x04;
		ck_assert_int_eq(message_parse(bad, &m, &err), CODEC_OK);
		st = message_decrypt(m, sk, &err);
		ck_assert_msg(st == CODEC_INTEGRITY, "%s: flipped byte %zu gave %s",
		              what, spots[s], codec_status_name(st));
		message_destroy(m);
		chunk_free(&bad);
	}
}

START_TEST(test_capture_sk)
{
	capture_t c;
	ck_assert(capture_load(capture_names[_i], &c));
	keyed_t ki = make_sk(&c, true), kr = make_sk(&c, false);
	if (!ki.ok || !kr.ok) {
		fprintf(stderr, "%s: cipher %u/%u bits, integ %u not available: "
		        "skipped\n", c.name, c.encr, c.key_bits, c.integ);
		skipped++;
	} else {
		for (int k = 0; k < c.n_msgs; k++)
			if (c.msgs[k].has_plain)
				check_message(&c, &c.msgs[k],
				              (c.msgs[k].flags & IKE_FLAG_INITIATOR) ?
				              &ki.ctx : &kr.ctx);
		ran++;
	}
	free_sk(&ki);
	free_sk(&kr);
	capture_free(&c);
}
END_TEST

int main(void)
{
	const char *plugins[] = { "nettle" };
	if (!plugin_loader_load(plugins, 1, NULL, 0) ||
	    !plugin_loader_plugin_loaded("nettle")) {
		printf("SKIP: the nettle plugin cannot be loaded (IKEV2D_PLUGIN_PATH=%s)\n",
		       getenv("IKEV2D_PLUGIN_PATH") ? getenv("IKEV2D_PLUGIN_PATH") : "");
		return 77;
	}
	Suite *s = suite_create("captures-sk");
	TCase *tc = tcase_create("decrypt");
	tcase_add_loop_test(tc, test_capture_sk, 0, capture_count);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);  /* count ran/skipped */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	plugin_loader_unload();
	printf("%d captures (%d SK messages) decrypted, %d re-encrypted "
	       "bit-exactly, %d captures skipped (cipher not registered)\n",
	       ran, decrypted, reencrypted, skipped);
	if (failed)
		return EXIT_FAILURE;
	return ran ? EXIT_SUCCESS : 77;
}
