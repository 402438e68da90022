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

/* Append "t1,t2,..." for m's payloads to types, notify types to notes. */
static void flatten(const message_t *m, char *types, char *notes, size_t len)
{
	for (size_t i = 0; i < m->count; i++) {
		const payload_t *p = &m->payloads[i];
		size_t n = strlen(types);
		snprintf(types + n, len - n, "%s%u", n ? "," : "", p->type);
		if (p->type == PL_SA) {
			for (unsigned k = 0; k < p->u.sa.num_proposals; k++) {
				n = strlen(types);
				snprintf(types + n, len - n, ",2");
				for (unsigned t = 0; t < p->u.sa.proposals[k].num_transforms; t++) {
					n = strlen(types);
					snprintf(types + n, len - n, ",3");
				}
			}
		}
		if (p->type == PL_NOTIFY) {
			n = strlen(notes);
			snprintf(notes + n, len - n, "%s%u", n ? "," : "", p->u.notify.type);
		}
	}
}

static void put32le(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	fwrite(b, 1, 4, f);
}

static void write_frame(FILE *f, chunk_t ike, bool from_initiator, uint32_t n)
{
	uint8_t hdr[14 + 20 + 8];
	size_t ip_len = 20 + 8 + ike.len;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "\x02\0\0\0\0\x02" "\x02\0\0\0\0\x01" "\x08\x00", 14);
	uint8_t *ip = hdr + 14;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	memcpy(ip + 12, from_initiator ? a : b, 4);
	memcpy(ip + 16, from_initiator ? b : a, 4);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)(~sum & 0xff);
	uint8_t *udp = ip + 20;
	udp[0] = 500 >> 8; udp[1] = 500 & 0xff;
	udp[2] = 500 >> 8; udp[3] = 500 & 0xff;
	udp[4] = (uint8_t)((8 + ike.len) >> 8);
	udp[5] = (uint8_t)((8 + ike.len) & 0xff);
	put32le(f, 1700000000 + n);
	put32le(f, 0);
	put32le(f, (uint32_t)(sizeof(hdr) + ike.len));
	put32le(f, (uint32_t)(sizeof(hdr) + ike.len));
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(ike.ptr, 1, ike.len, f);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s OUT.pcap DECRYPTION_TABLE EXPECTED\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "wb");
	FILE *t = fopen(argv[2], "w");
	FILE *x = fopen(argv[3], "w");
	if (!f || !t || !x) {
		perror("open");
		return 1;
	}
	put32le(f, 0xa1b2c3d4);
	uint8_t ver[4] = { 2, 0, 4, 0 };
	fwrite(ver, 1, 4, f);
	put32le(f, 0);
	put32le(f, 0);
	put32le(f, 65535);
	put32le(f, 1);

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
		write_frame(f, out, init, ++frame);
		printf("frame %u: %s\n", frame, message_summary(m, sum, sizeof(sum)));
		if (sample_encrypted(w))
			strcpy(types, "46");
		flatten(m, types, notes, sizeof(types) < sizeof(notes) ? sizeof(types) : sizeof(notes));
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
					write_frame(f, frags[i], init, ++frame);
					printf("frame %u: IKE_AUTH request %u [ SKF(%zu/%zu) ]\n",
					       frame, m->hdr.message_id, i + 1, n);
					char ft[1024] = "53", fn[512] = "";
					if (i + 1 == n)
						flatten(m, ft, fn, sizeof(fn));
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
