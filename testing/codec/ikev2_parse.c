/*
 * ikev2_parse.c - parse IKE messages from files and print what the codec
 * made of them: a summary line and one line per payload.  Used by the
 * scapy test (messages built by an independent implementation) and handy
 * for looking at captures.
 *
 *   ikev2_parse FILE...                 each file one raw IKE message
 *   ikev2_parse --chain TYPE FILE...    each file a plaintext payload chain
 *                                       (SK contents) starting with TYPE
 *
 * Exit status 0 if every file parsed, 1 otherwise (the error is printed).
 */
#include "codec/message.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

static void hex(const char *label, chunk_t c)
{
	printf(" %s=", label);
	for (size_t i = 0; i < c.len; i++)
		printf("%02x", c.ptr[i]);
}

static void print_ts(const ts_payload_t *t)
{
	printf(" ts=");
	for (unsigned i = 0; i < t->num_ts; i++) {
		char a[64], b[64];
		int af = t->ts[i].type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
		inet_ntop(af, t->ts[i].start, a, sizeof(a));
		inet_ntop(af, t->ts[i].end, b, sizeof(b));
		printf("%s%u/%u/%u-%u/%s-%s", i ? "," : "", t->ts[i].type,
		       t->ts[i].protocol, t->ts[i].start_port, t->ts[i].end_port, a, b);
	}
}

static void print_payload(const payload_t *p)
{
	const char *name = payload_type_short(p->type);
	printf("%s", name ? name : "?");
	if (p->critical)
		printf(" critical");
	switch (p->type) {
	case PL_SA:
		for (unsigned i = 0; i < p->u.sa.num_proposals; i++) {
			const proposal_t *pr = &p->u.sa.proposals[i];
			printf(" prop=%u proto=%u", pr->number, pr->protocol);
			hex("spi", chunk_create((void *)pr->spi, pr->spi_len));
			printf(" trans=");
			for (unsigned k = 0; k < pr->num_transforms; k++) {
				const transform_t *t = &pr->transforms[k];
				printf("%s%u:%u", k ? "," : "", t->type, t->id);
				if (t->key_len)
					printf(":%u", t->key_len);
			}
		}
		break;
	case PL_KE:
		printf(" group=%u len=%zu", p->u.ke.group, p->u.ke.data.len);
		break;
	case PL_IDI:
	case PL_IDR:
		printf(" type=%u", p->u.id.type);
		hex("data", p->u.id.data);
		break;
	case PL_CERT:
	case PL_CERTREQ:
		printf(" enc=%u len=%zu", p->u.cert.encoding, p->u.cert.data.len);
		break;
	case PL_AUTH:
		printf(" method=%u", p->u.auth.method);
		hex("data", p->u.auth.data);
		break;
	case PL_NONCE:
		printf(" len=%zu", p->u.nonce.len);
		break;
	case PL_NOTIFY:
		printf(" proto=%u", p->u.notify.protocol);
		hex("spi", chunk_create((void *)p->u.notify.spi, p->u.notify.spi_len));
		printf(" type=%u", p->u.notify.type);
		hex("data", p->u.notify.data);
		break;
	case PL_DELETE:
		printf(" proto=%u spis=", p->u.del.protocol);
		for (unsigned i = 0; i < p->u.del.num_spis; i++)
			printf("%s%08x", i ? "," : "", p->u.del.spis[i]);
		break;
	case PL_VENDOR:
		hex("data", p->u.vendor);
		break;
	case PL_TSI:
	case PL_TSR:
		print_ts(&p->u.ts);
		break;
	case PL_CP:
		printf(" type=%u attrs=", p->u.cp.cfg_type);
		for (unsigned i = 0; i < p->u.cp.num_attrs; i++)
			printf("%s%u:%zu", i ? "," : "", p->u.cp.attrs[i].type,
			       p->u.cp.attrs[i].value.len);
		break;
	case PL_EAP:
		hex("data", p->u.eap.data);
		break;
	case PL_SK:
		printf(" inner=%u len=%zu", p->u.sk.inner_type, p->u.sk.data.len);
		break;
	case PL_SKF:
		printf(" frag=%u/%u inner=%u len=%zu", p->u.sk.frag_number,
		       p->u.sk.frag_total, p->u.sk.inner_type, p->u.sk.data.len);
		break;
	}
	printf("\n");
}

static chunk_t read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return chunk_empty;
	uint8_t buf[CODEC_MAX_MESSAGE_LEN + 1];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return chunk_clone(chunk_create(buf, n));
}

int main(int argc, char **argv)
{
	int chain_type = -1, status = 0;
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "--chain")) {
		chain_type = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--chain TYPE] FILE...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		chunk_t data = read_file(argv[i]);
		codec_error_t err;
		codec_status_t st;
		message_t *m = NULL;
		printf("file %s\n", argv[i]);
		if (chain_type >= 0) {
			m = message_create(0, 0, 0, 0, 0);
			chunk_t copy = message_copy(m, data);
			st = message_parse_chain(m, (uint8_t)chain_type, copy, true, &err);
		} else {
			st = message_parse(data, &m, &err);
		}
		if (st != CODEC_OK) {
			printf("error: %s: %s\n", codec_status_name(st), err.text);
			status = 1;
		} else {
			char sum[1024];
			if (chain_type < 0)
				printf("summary: %s\n", message_summary(m, sum, sizeof(sum)));
			for (size_t k = 0; k < m->count; k++)
				print_payload(&m->payloads[k]);
		}
		message_destroy(m);
		chunk_free(&data);
	}
	return status;
}
