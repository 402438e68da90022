/*
 * ikev2_gen.c - write the sample messages (samples.c) as our codec
 * generates them into a pcap file (Ethernet/IPv4/UDP 500), for dissection
 * by tshark.  IKE_SA_INIT messages are plaintext; the others are protected
 * with ENCR_NULL and no integrity (as RFC 7296 allows for testing) so that
 * tshark can show their inner payloads with the decryption table line this
 * tool also writes; the IKE_AUTH request is also sent as RFC 7383
 * fragments.
 *
 *   ikev2_gen OUT.pcap DECRYPTION_TABLE EXPECTED
 *
 * prints one summary line per frame, and writes to EXPECTED what
 * `tshark -T fields -e frame.number -e isakmp.typepayload -e
 * isakmp.notify.msgtype` must print for the pcap if tshark decodes the
 * messages as we built them (proposals and transforms appear as payload
 * types 2 and 3; tshark shows the inner payloads of fragments once
 * reassembled, with the last fragment).
 */
#include "pcap_out.h"
#include "samples.h"

#include <stdio.h>
#include <stdlib.h>

/* ENCR_NULL: no IV, block size 1, identity. */
static bool null_crypt(crypter_t *c, chunk_t d, chunk_t iv) { (void)c; (void)d; (void)iv; return true; }
static size_t null_1(crypter_t *c) { (void)c; return 1; }
static size_t null_0(crypter_t *c) { (void)c; return 0; }
static bool null_key(crypter_t *c, chunk_t k) { (void)c; (void)k; return true; }
static void null_destroy(crypter_t *c) { (void)c; }

/* INTEG_NONE: an empty ICV. */
static bool none_sign(signer_t *s, chunk_t d, uint8_t *out) { (void)s; (void)d; (void)out; return true; }
static bool none_verify(signer_t *s, chunk_t d, chunk_t sig) { (void)s; (void)d; return sig.len == 0; }
static size_t none_0(signer_t *s) { (void)s; return 0; }
static bool none_key(signer_t *s, chunk_t k) { (void)s; (void)k; return true; }
static void none_destroy(signer_t *s) { (void)s; }

static crypter_t null_crypter = {
	null_crypt, null_crypt, null_1, null_0, null_0, null_key, null_destroy,
};
static signer_t none_signer = {
	none_sign, none_verify, none_0, none_0, none_key, none_destroy,
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s OUT.pcap DECRYPTION_TABLE EXPECTED\n", argv[0]);
		return 2;
	}
	FILE *f = pcap_out_open(argv[1]);
	FILE *t = fopen(argv[2], "w");
	FILE *x = fopen(argv[3], "w");
	if (!f || !t || !x) {
		perror("open");
		return 1;
	}

	sk_ctx_t sk = { .crypter = &null_crypter, .signer = &none_signer };
	uint32_t frame = 0;
	int status = 0;
	uint64_t spi_i = 0, spi_r = 0;
	for (sample_t w = 0; w < SAMPLE_COUNT; w++) {
		message_t *m = sample_build(w);
		chunk_t out;
		codec_error_t err;
		codec_status_t st = sample_encrypted(w) ?
			message_generate_sk(m, &sk, &out, &err) :
			message_generate(m, &out, &err);
		if (st != CODEC_OK) {
			fprintf(stderr, "%s: %s\n", sample_name(w), err.text);
			status = 1;
			message_destroy(m);
			continue;
		}
		char sum[512], types[1024] = "", notes[512] = "";
		bool init = m->hdr.flags & IKE_FLAG_INITIATOR;
		pcap_out_frame(f, out, init, ++frame);
		printf("frame %u: %s\n", frame, message_summary(m, sum, sizeof(sum)));
		if (sample_encrypted(w))
			strcpy(types, "46");
		pcap_out_flatten(m, types, notes, sizeof(types) < sizeof(notes) ? sizeof(types) : sizeof(notes));
		fprintf(x, "%u\t%s\t%s\n", frame, types, notes);
		if (m->hdr.spi_r) {
			spi_i = m->hdr.spi_i;
			spi_r = m->hdr.spi_r;
		}
		chunk_free(&out);
		if (w == SAMPLE_AUTH_REQ) {
			chunk_t *frags;
			size_t n;
			if (message_generate_fragments(m, &sk, 200, &frags, &n, &err) != CODEC_OK) {
				fprintf(stderr, "fragments: %s\n", err.text);
				status = 1;
			} else {
				for (size_t i = 0; i < n; i++) {
					pcap_out_frame(f, frags[i], init, ++frame);
					printf("frame %u: IKE_AUTH request %u [ SKF(%zu/%zu) ]\n",
					       frame, m->hdr.message_id, i + 1, n);
					char ft[1024] = "53", fn[512] = "";
					if (i + 1 == n)
						pcap_out_flatten(m, ft, fn, sizeof(fn));
					fprintf(x, "%u\t%s\t%s\n", frame, ft, fn);
				}
				fragments_free(frags, n);
			}
		}
		message_destroy(m);
	}
	fprintf(t, "%016llx,%016llx,,,\"NULL [RFC2410]\",,,\"NONE [RFC4306]\"\n",
	        (unsigned long long)spi_i, (unsigned long long)spi_r);
	fclose(f);
	fclose(t);
	fclose(x);
	return status;
}
