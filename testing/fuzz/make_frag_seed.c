/*
 * make_frag_seed.c - write seed inputs for the fuzz_frag target: the
 * sample IKE_AUTH request fragmented (null AEAD) in several orders, as
 * length-prefixed records (see fuzz_frag.c).  build-fuzzers.sh compiles
 * it; its output is committed under corpus/frag.
 *
 *   make_frag_seed DIR
 */
#include "codec/fragment.h"
#include "samples.h"

#include <stdio.h>
#include <stdlib.h>

static void write_seed(const char *dir, const char *name, chunk_t *f,
                       const size_t *order, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *out = fopen(path, "wb");
	if (!out) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		chunk_t c = f[order[i]];
		uint8_t len[2] = { (uint8_t)(c.len >> 8), (uint8_t)c.len };
		fwrite(len, 1, 2, out);
		fwrite(c.ptr, 1, c.len, out);
	}
	fclose(out);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	aead_t *a = null_aead_create();
	sk_ctx_t sk = { .aead = a };
	codec_error_t err;
	message_t *m = sample_build(SAMPLE_AUTH_REQ);
	chunk_t *f;
	size_t n;
	if (message_generate_fragments(m, &sk, 160, &f, &n, &err) != CODEC_OK || n < 4) {
		fprintf(stderr, "fragmenting failed: %s\n", err.text);
		return 1;
	}
	size_t order[64];
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	write_seed(argv[1], "in-order", f, order, n);
	for (size_t i = 0; i < n; i++)
		order[i] = n - 1 - i;
	write_seed(argv[1], "reversed", f, order, n);
	size_t dup[] = { 1, 0, 1, 2, 2, 3 };
	write_seed(argv[1], "duplicates", f, dup, 6);
	fragments_free(f, n);

	/* the same message cut differently: a larger total arrives midway */
	chunk_t *g;
	size_t gn;
	message_generate_fragments(m, &sk, 100, &g, &gn, &err);
	chunk_t mixed[80];
	size_t k = 0, idx[80];
	message_generate_fragments(m, &sk, 160, &f, &n, &err);
	mixed[k] = f[0]; idx[k] = k; k++;
	mixed[k] = f[1]; idx[k] = k; k++;
	for (size_t i = 0; i < gn && k < 80; i++) {
		mixed[k] = g[i]; idx[k] = k; k++;
	}
	write_seed(argv[1], "retotal", mixed, idx, k);
	fragments_free(f, n);
	fragments_free(g, gn);
	message_destroy(m);
	a->destroy(a);
	return 0;
}
