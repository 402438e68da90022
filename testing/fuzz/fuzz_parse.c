/*
 * fuzz_parse.c - libFuzzer target for the codec's parsers.
 *
 * Each input is tried three ways:
 *  1. as a whole IKE message: message_parse(), then for an SK payload
 *     message_decrypt() with a null AEAD (no ICV, identity "cipher"), so the
 *     fuzzer reaches the inner payload chain, the padding and the rules;
 *     a parsed message is also regenerated and re-parsed (what we write
 *     must parse);
 *  2. as an SK plaintext: the first byte is the first payload type, the
 *     rest the chain (the seeds' *_inner_plaintext.bin with that byte
 *     prepended);
 *  3. as a lone fragment offered to a fresh reassembly object.
 * Built by build-fuzzers.sh with clang -fsanitize=fuzzer,address,undefined;
 * replay.c runs the same function over the committed corpus in make check.
 */
#include "codec/fragment.h"
#include "samples.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static aead_t *null_aead;
	codec_error_t err;
	message_t *m = NULL;

	if (!null_aead)
		null_aead = null_aead_create();
	sk_ctx_t sk = { .aead = null_aead };

	/* 1. whole message */
	chunk_t in = chunk_create((void *)data, size);
	if (message_parse(in, &m, &err) == CODEC_OK) {
		size_t count = m->count;
		bool has_sk = message_has_sk(m);
		if (has_sk && message_decrypt(m, &sk, &err) != CODEC_OK) {
			/* a failed decryption leaves the message as it was */
			if (m->count != count || !message_has_sk(m))
				abort();
		} else if (has_sk) {
			chunk_t out;
			sk.iv_seq = 0;
			if (message_generate_sk(m, &sk, &out, &err) == CODEC_OK) {
				message_t *again = NULL;
				if (message_parse(out, &again, &err) != CODEC_OK)
					abort();  /* we wrote something we cannot read */
				if (message_decrypt(again, &sk, &err) != CODEC_OK)
					abort();
				if (again->count != m->count)
					abort();
				message_destroy(again);
				chunk_free(&out);
			}
		} else if (message_has_skf(m)) {
			/* 3. a lone fragment */
			frag_reasm_t *r = frag_reasm_create(CODEC_MAX_FRAGMENTS, 0);
			message_t *done = NULL;
			frag_reasm_add(r, m, &sk, &done, &err);
			message_destroy(done);
			frag_reasm_destroy(r);
		} else {
			chunk_t out;
			if (message_generate(m, &out, &err) == CODEC_OK) {
				message_t *again = NULL;
				if (message_parse(out, &again, &err) != CODEC_OK)
					abort();
				if (again->count != m->count)
					abort();
				message_destroy(again);
				chunk_free(&out);
			}
		}
		message_destroy(m);
	}

	/* 2. SK plaintext chain */
	if (size >= 1) {
		m = message_create(EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, 1, 2, 1);
		chunk_t chain = message_copy(m, chunk_create((void *)(data + 1), size - 1));
		if (message_parse_chain(m, data[0], chain, true, &err) == CODEC_OK)
			message_check(m, &err);
		message_destroy(m);
	}
	return 0;
}
