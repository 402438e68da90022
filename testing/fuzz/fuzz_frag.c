/*
 * fuzz_frag.c - libFuzzer target for RFC 7383 reassembly.
 *
 * The input is a sequence of records, each a 2-byte big-endian length and
 * that many bytes of an IKE message; every record that parses is offered to
 * one reassembly object (null AEAD: no ICV, identity cipher), as if they
 * arrived in that order.  A completed message is checked to re-encode.
 */
#include "codec/fragment.h"
#include "samples.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static aead_t *null_aead;
	if (!null_aead)
		null_aead = null_aead_create();
	sk_ctx_t sk = { .aead = null_aead };
	frag_reasm_t *r = frag_reasm_create(16, 8192);
	size_t pos = 0;
	int records = 0;

	while (size - pos >= 2 && records++ < 80) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (len > size - pos)
			len = size - pos;
		codec_error_t err;
		message_t *m = NULL, *done = NULL;
		if (message_parse(chunk_create((void *)(data + pos), len), &m, &err) == CODEC_OK) {
			if (message_has_skf(m) &&
			    frag_reasm_add(r, m, &sk, &done, &err) == CODEC_OK && done) {
				chunk_t out;
				if (message_generate_sk(done, &sk, &out, &err) == CODEC_OK)
					chunk_free(&out);
				message_destroy(done);
			}
			message_destroy(m);
		}
		pos += len;
	}
	frag_reasm_destroy(r);
	return 0;
}
