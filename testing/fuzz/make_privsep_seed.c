/*
 * make_privsep_seed.c - writes the seed corpus of fuzz_privsep into DIR:
 * sequences of well-formed requests that the fixed configuration of
 * fuzz_privsep.c allows (so the fuzzer starts from accepted state changes)
 * and a few malformed ones.   make_privsep_seed DIR
 */
#include "kernel/privsep_msg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <ikev2d/transform.h>

static uint8_t out[1 << 16];
static size_t used;

static void add(uint16_t type, const void *body, size_t len)
{
	uint8_t m[sizeof(psm_hdr_t) + sizeof(psm_sa_t) + 64];
	size_t n = psm_encode(m, sizeof(m), type, 1, body, len, NULL, 0);
	out[used++] = (uint8_t)(n >> 8);
	out[used++] = (uint8_t)n;
	memcpy(out + used, m, n);
	used += n;
}

static void v4(struct sockaddr_storage *ss, const char *ip)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET;
	inet_pton(AF_INET, ip, &((struct sockaddr_in *)ss)->sin_addr);
}

static void ts4(kernel_ts_t *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = AF_INET;
	inet_pton(AF_INET, from, ts->from);
	inet_pton(AF_INET, to, ts->to);
	ts->port_to = 65535;
}

static void save(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(out, 1, used, f);
		fclose(f);
	}
	used = 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	q.protocol = KERNEL_PROTO_ESP;
	psm_sa_t s;
	memset(&s, 0, sizeof(s));
	v4(&s.src, "10.0.0.2");
	v4(&s.id.dst, "10.0.0.1");
	s.id.spi = 0x1000;
	s.id.protocol = KERNEL_PROTO_ESP;
	s.dir = KERNEL_DIR_IN;
	s.mode = KERNEL_MODE_TUNNEL;
	s.encr_alg = ENCR_AES_GCM_16;
	s.encr_keylen_bits = 128;
	s.encr_salt_len = 4;
	s.icv_bits = 128;
	s.encr_key_len = 20;
	add(PSM_GET_SPI, &q, sizeof(q));
	add(PSM_ADD_SA, &s, sizeof(s));
	add(PSM_QUERY_SA, &s.id, sizeof(s.id));
	add(PSM_DEL_SA, &s.id, sizeof(s.id));
	save(argv[1], "spi_sa_del.bin");

	v4(&s.src, "10.0.0.1");
	v4(&s.id.dst, "10.0.0.2");
	s.dir = KERNEL_DIR_OUT;
	s.encr_alg = ENCR_AES_CBC;
	s.encr_keylen_bits = 256;
	s.encr_salt_len = 0;
	s.encr_key_len = 32;
	s.integ_alg = INTEG_HMAC_SHA2_256_128;
	s.icv_bits = 128;
	s.integ_key_len = 32;
	add(PSM_ADD_SA, &s, sizeof(s));
	psm_update_sa_t u;
	memset(&u, 0, sizeof(u));
	u.id = s.id;
	u.new_src = s.src;
	u.new_dst = s.id.dst;
	add(PSM_UPDATE_SA, &u, sizeof(u));
	save(argv[1], "out_sa_update.bin");

	kernel_policy_t p;
	memset(&p, 0, sizeof(p));
	p.dir = KERNEL_DIR_OUT;
	p.mode = KERNEL_MODE_TUNNEL;
	v4(&p.sa_src, "10.0.0.1");
	v4(&p.sa_dst, "10.0.0.2");
	ts4(&p.src_ts, "10.1.0.0", "10.1.0.255");
	ts4(&p.dst_ts, "10.2.0.0", "10.2.0.255");
	add(PSM_ADD_POLICY, &p, sizeof(p));
	add(PSM_QUERY_POLICY, &p, sizeof(p));
	add(PSM_DEL_POLICY, &p, sizeof(p));
	add(PSM_MATCH_POLICY, &p, sizeof(p));
	p.action = KERNEL_POLICY_PASS;
	add(PSM_ADD_POLICY, &p, sizeof(p));
	add(PSM_FLUSH, NULL, 0);
	save(argv[1], "policies_flush.bin");

	add(PSM_GET_SPI, &q, sizeof(q));
	out[used - 1] ^= 0xff;
	used -= 7;      /* truncated */
	save(argv[1], "truncated.bin");
	return 0;
}
