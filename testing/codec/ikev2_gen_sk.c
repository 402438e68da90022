/*
 * ikev2_gen_sk.c - write the protected sample messages (every exchange but
 * IKE_SA_INIT, plus the IKE_AUTH request as RFC 7383 fragments) encrypted
 * with real ciphers from the nettle plugin into a pcap, with the Wireshark
 * decryption table holding their keys: tshark then checks our SK/SKF
 * layout independently (IV, padding, AEAD associated data, ICV).
 *
 * Two suites, each under its own SPIs: AES-GCM-256 with 16-byte ICV, and
 * AES-CBC-256 with HMAC-SHA2-256-128.
 *
 *   ikev2_gen_sk OUT.pcap DECRYPTION_TABLE EXPECTED
 *
 * EXPECTED as for ikev2_gen; prints "protected N" (frames tshark must
 * verify).  Exits 77 when the nettle plugin or a cipher is missing.
 */
#include "pcap_out.h"
#include "samples.h"

#include "lib/plugin_loader.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
	const char *encr_name, *integ_name;   /* Wireshark's names */
	encr_id_t encr;
	size_t key_bits, enc_key_len;
	integ_id_t integ;
	size_t integ_key_len;
	uint64_t spi_i, spi_r;
} suite_t;

static const suite_t suites[] = {
	{ "AES-GCM-256 with 16 octet ICV [RFC5282]", "NONE [RFC4306]",
	  ENCR_AES_GCM_16, 256, 36, INTEG_NONE, 0,
	  0x1111222233334444ULL, 0x5555666677778888ULL },
	{ "AES-CBC-256 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]",
	  ENCR_AES_CBC, 256, 32, INTEG_HMAC_SHA2_256_128, 32,
	  0x99990000aaaabbbbULL, 0xccccddddeeeeffffULL },
};

static chunk_t key_bytes(size_t len, uint8_t seed)
{
	chunk_t k = chunk_alloc(len);
	for (size_t i = 0; i < len; i++)
		k.ptr[i] = (uint8_t)(seed + 7 * i);
	return k;
}

static void hexout(FILE *f, chunk_t c)
{
	for (size_t i = 0; i < c.len; i++)
		fprintf(f, "%02x", c.ptr[i]);
}

static bool make_ctx(const suite_t *s, chunk_t ek, chunk_t ak, sk_ctx_t *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	if (s->integ == INTEG_NONE) {
		ctx->aead = crypto_create_aead(s->encr, s->key_bits);
		return ctx->aead && ctx->aead->set_key(ctx->aead, ek);
	}
	ctx->crypter = crypto_create_crypter(s->encr, s->key_bits);
	ctx->signer = crypto_create_signer(s->integ);
	ctx->rng = crypto_create_rng(RNG_WEAK);   /* CBC: random IVs */
	return ctx->crypter && ctx->signer && ctx->rng &&
	       ctx->crypter->set_key(ctx->crypter, ek) &&
	       ctx->signer->set_key(ctx->signer, ak);
}

static void free_ctx(sk_ctx_t *c)
{
	if (c->aead)
		c->aead->destroy(c->aead);
	if (c->crypter)
		c->crypter->destroy(c->crypter);
	if (c->signer)
		c->signer->destroy(c->signer);
	if (c->rng)
		c->rng->destroy(c->rng);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s OUT.pcap DECRYPTION_TABLE EXPECTED\n", argv[0]);
		return 2;
	}
	const char *plugins[] = { "nettle" };
	if (!plugin_loader_load(plugins, 1, NULL, 0) ||
	    !plugin_loader_plugin_loaded("nettle")) {
		printf("SKIP: the nettle plugin cannot be loaded\n");
		return 77;
	}
	FILE *f = pcap_out_open(argv[1]);
	FILE *t = fopen(argv[2], "w");
	FILE *x = fopen(argv[3], "w");
	if (!f || !t || !x)
		return 1;
	uint32_t frame = 0, protected = 0;
	int status = 0;

	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]) && !status; s++) {
		const suite_t *su = &suites[s];
		chunk_t ei = key_bytes(su->enc_key_len, 0x10 + s);
		chunk_t er = key_bytes(su->enc_key_len, 0x20 + s);
		chunk_t ai = key_bytes(su->integ_key_len, 0x30 + s);
		chunk_t ar = key_bytes(su->integ_key_len, 0x40 + s);
		sk_ctx_t ci, cr;
		if (!make_ctx(su, ei, ai, &ci) || !make_ctx(su, er, ar, &cr)) {
			printf("SKIP: %s / %s not available\n", su->encr_name, su->integ_name);
			status = 77;
		}
		fprintf(t, "%016llx,%016llx,", (unsigned long long)su->spi_i,
		        (unsigned long long)su->spi_r);
		hexout(t, ei);
		fputc(',', t);
		hexout(t, er);
		fprintf(t, ",\"%s\",", su->encr_name);
		hexout(t, ai);
		fputc(',', t);
		hexout(t, ar);
		fprintf(t, ",\"%s\"\n", su->integ_name);

		for (sample_t w = 0; w < SAMPLE_COUNT && !status; w++) {
			if (!sample_encrypted(w))
				continue;
			message_t *m = sample_build(w);
			m->hdr.spi_i = su->spi_i;
			m->hdr.spi_r = su->spi_r;
			bool init = m->hdr.flags & IKE_FLAG_INITIATOR;
			sk_ctx_t *ctx = init ? &ci : &cr;
			chunk_t out;
			codec_error_t err;
			if (message_generate_sk(m, ctx, &out, &err) != CODEC_OK) {
				fprintf(stderr, "%s: %s\n", sample_name(w), err.text);
				status = 1;
				message_destroy(m);
				break;
			}
			char types[1024] = "46", notes[1024] = "";
			pcap_out_frame(f, out, init, ++frame);
			pcap_out_flatten(m, types, notes, sizeof(types));
			fprintf(x, "%u\t%s\t%s\n", frame, types, notes);
			protected++;
			chunk_free(&out);
			if (w == SAMPLE_AUTH_REQ) {
				chunk_t *frags;
				size_t n;
				if (message_generate_fragments(m, ctx, 300, &frags, &n, &err) != CODEC_OK) {
					fprintf(stderr, "fragments: %s\n", err.text);
					status = 1;
				} else {
					for (size_t i = 0; i < n; i++) {
						char ft[1024] = "53", fn[1024] = "";
						pcap_out_frame(f, frags[i], init, ++frame);
						if (i + 1 == n)
							pcap_out_flatten(m, ft, fn, sizeof(ft));
						fprintf(x, "%u\t%s\t%s\n", frame, ft, fn);
						protected++;
					}
					fragments_free(frags, n);
				}
			}
			message_destroy(m);
		}
		free_ctx(&ci);
		free_ctx(&cr);
		chunk_clear(&ei);
		chunk_clear(&er);
		chunk_clear(&ai);
		chunk_clear(&ar);
	}
	fclose(f);
	fclose(t);
	fclose(x);
	plugin_loader_unload();
	if (!status)
		printf("protected %u\n", protected);
	return status;
}
