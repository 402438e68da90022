/*
 * pcap_out.c - see pcap_out.h.
 */
#include "pcap_out.h"

#include <string.h>

static void put32le(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	fwrite(b, 1, 4, f);
}

FILE *pcap_out_open(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return NULL;
	}
	put32le(f, 0xa1b2c3d4);
	uint8_t ver[4] = { 2, 0, 4, 0 };
	fwrite(ver, 1, 4, f);
	put32le(f, 0);      /* time zone */
	put32le(f, 0);      /* accuracy */
	put32le(f, 65535);  /* snap length */
	put32le(f, 1);      /* Ethernet */
	return f;
}

void pcap_out_frame(FILE *f, chunk_t ike, bool from_initiator, uint32_t n)
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

void pcap_out_flatten(const message_t *m, char *types, char *notes, size_t len)
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
