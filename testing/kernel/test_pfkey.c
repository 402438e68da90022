/*
 * test_pfkey.c - the kernel-pfkey backend's message codec and translation,
 * without a socket (this host may have no AF_KEY): messages built and
 * taken apart again, every malformation the parser must refuse, selectors
 * split into prefixes, and what PF_KEY cannot install.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/transform.h>

#include "../../kernel-backends/pfkey/pfkey_msg.h"
#include "../../kernel-backends/pfkey/pfkey_xlate.h"

static struct sockaddr_storage v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return ss;
}

static size_t build_add(uint64_t *mem, size_t cap)
{
	pfk_buf_t b;
	struct sockaddr_storage s = v4("192.0.2.1", 0), d = v4("192.0.2.2", 0);
	uint8_t ek[16], ak[20];

	memset(ek, 0xa1, sizeof(ek));
	memset(ak, 0xb2, sizeof(ak));
	pfk_begin(&b, mem, cap, SADB_ADD, SADB_SATYPE_ESP, 7, 1234);
	pfk_add_sa(&b, 0xc0ffee01, 32, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC, 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, 32, 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_DST, &d, 32, 0);
	pfk_add_key(&b, SADB_EXT_KEY_AUTH, (chunk_t){ ak, sizeof(ak) });
	pfk_add_key(&b, SADB_EXT_KEY_ENCRYPT, (chunk_t){ ek, sizeof(ek) });
	pfk_add_sa2(&b, IPSEC_MODE_TUNNEL, 42);
	pfk_add_lifetime(&b, SADB_EXT_LIFETIME_HARD, 0, 1 << 20, 3600);
	pfk_add_lifetime(&b, SADB_EXT_LIFETIME_SOFT, 0, 1 << 19, 3240);
	pfk_add_nat_t(&b, 2, 4500, 31000);
	return pfk_end(&b);
}

START_TEST(test_build_parse_add)
{
	uint64_t mem[PFK_MSG_MAX / 8];
	size_t n = build_add(mem, sizeof(mem));
	pfk_msg_t m;
	char err[128];
	uint32_t spi, reqid;
	uint8_t auth, encr, replay, state, mode, plen, proto, type;
	struct sockaddr_storage a;
	uint16_t port;
	uint64_t bytes, add;

	/* 16 hdr + 16 sa + 2*24 addr + (8+24) auth + (8+16) encr + 16 sa2
	 * + 2*32 lifetimes + 8 + 2*8 nat-t */
	ck_assert_uint_eq(n, 16 + 16 + 48 + 32 + 24 + 16 + 64 + 8 + 16);
	ck_assert_msg(pfk_parse(mem, n, &m, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(m.hdr->sadb_msg_len * 8, n);
	ck_assert_uint_eq(m.hdr->sadb_msg_seq, 7);
	ck_assert_uint_eq(m.hdr->sadb_msg_pid, 1234);
	ck_assert(pfk_get_sa(&m, &spi, &auth, &encr, &replay, &state));
	ck_assert_uint_eq(spi, 0xc0ffee01);
	ck_assert_uint_eq(((const struct sadb_sa *)m.ext[SADB_EXT_SA])->sadb_sa_spi,
	                  htonl(0xc0ffee01));   /* network order on the wire */
	ck_assert_uint_eq(auth, SADB_AALG_SHA1HMAC);
	ck_assert_uint_eq(encr, SADB_X_EALG_AESCBC);
	ck_assert_uint_eq(replay, 32);
	ck_assert_uint_eq(state, SADB_SASTATE_MATURE);
	ck_assert(pfk_get_address(&m, SADB_EXT_ADDRESS_DST, &a, &plen, &proto));
	ck_assert_int_eq(a.ss_family, AF_INET);
	ck_assert_uint_eq(plen, 32);
	ck_assert_mem_eq(&((struct sockaddr_in *)&a)->sin_addr, "\xc0\x00\x02\x02", 4);
	ck_assert(pfk_get_sa2(&m, &mode, &reqid));
	ck_assert_uint_eq(mode, IPSEC_MODE_TUNNEL);
	ck_assert_uint_eq(reqid, 42);
	ck_assert(pfk_get_lifetime(&m, SADB_EXT_LIFETIME_SOFT, NULL, &bytes, &add, NULL));
	ck_assert_uint_eq(bytes, 1 << 19);
	ck_assert_uint_eq(add, 3240);
	const struct sadb_key *k = (const void *)m.ext[SADB_EXT_KEY_AUTH];
	ck_assert_uint_eq(k->sadb_key_bits, 160);
	ck_assert_uint_eq(k->sadb_key_len, 4);   /* 8 + 20 rounded to 32 */
	ck_assert_mem_eq(k + 1, "\xb2\xb2\xb2\xb2", 4);
	ck_assert(pfk_get_nat_t_type(&m, &type));
	ck_assert_uint_eq(type, 2);
	ck_assert(pfk_get_nat_t_port(&m, SADB_X_EXT_NAT_T_SPORT, &port));
	ck_assert_uint_eq(port, 4500);
	ck_assert(pfk_get_nat_t_port(&m, SADB_X_EXT_NAT_T_DPORT, &port));
	ck_assert_uint_eq(port, 31000);
	ck_assert_uint_eq(((const struct sadb_x_nat_t_port *)
	                   m.ext[SADB_X_EXT_NAT_T_DPORT])->sadb_x_nat_t_port_port,
	                  htons(31000));
}
END_TEST

START_TEST(test_overflow)
{
	uint64_t mem[8];   /* 64 bytes: the header and SA fit, the rest not */
	ck_assert_uint_eq(build_add(mem, sizeof(mem)), 0);
}
END_TEST

/* Every malformation is refused with a reason. */
START_TEST(test_parse_refusals)
{
	uint64_t mem[PFK_MSG_MAX / 8], copy[PFK_MSG_MAX / 8 + 1];
	size_t n = build_add(mem, sizeof(mem));
	struct sadb_msg *h = (struct sadb_msg *)copy;
	struct sadb_ext *e = (struct sadb_ext *)(copy + 2);   /* the SA ext */
	pfk_msg_t m;
	char err[128];

#define RESET() memcpy(copy, mem, n)
	RESET();
	ck_assert(pfk_parse(copy, n, &m, err, sizeof(err)));
	ck_assert(!pfk_parse(copy, 15, &m, err, sizeof(err)));       /* short */
	ck_assert(!pfk_parse(copy, n - 8, &m, err, sizeof(err)));    /* cut */
	ck_assert(!pfk_parse((uint8_t *)copy + 4, n, &m, err, sizeof(err))); /* unaligned */
	RESET(); h->sadb_msg_version = 1;
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	RESET(); h->sadb_msg_len = 1;                                 /* < header */
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	RESET(); e->sadb_ext_len = 0;                                 /* loops */
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "length 0"));
	RESET(); e->sadb_ext_len = 0xffff;                            /* past end */
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	RESET(); e->sadb_ext_len = 1;     /* 8 bytes: shorter than sadb_sa */
	/* (the rest is then read as extensions and fails too; the first
	 * reason is the short SA) */
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "needs 16"));
	RESET(); e->sadb_ext_type = 99;
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	RESET(); e->sadb_ext_type = 0;
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));
	RESET(); ((struct sadb_ext *)(copy + 4))->sadb_ext_type = SADB_EXT_SA;
	ck_assert(!pfk_parse(copy, n, &m, err, sizeof(err)));         /* twice */
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	/* header shorter than what was received is fine (trailing bytes
	 * beyond sadb_msg_len are not read) */
	RESET();
	ck_assert(pfk_parse(copy, n + 8, &m, err, sizeof(err)));
#undef RESET
}
END_TEST

/* Address extensions are checked inside: family, sockaddr length,
 * prefix length. */
START_TEST(test_address_checks)
{
	uint64_t mem[32];
	pfk_buf_t b;
	pfk_msg_t m;
	char err[128];
	struct sockaddr_storage a = v4("10.0.0.1", 0), got;
	struct sadb_address *ad;
	size_t n;

	pfk_begin(&b, mem, sizeof(mem), SADB_X_SPDADD, 0, 1, 1);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &a, 24, IPPROTO_TCP);
	n = pfk_end(&b);
	ck_assert(pfk_parse(mem, n, &m, err, sizeof(err)));
	ad = (struct sadb_address *)(mem + 2);
	uint8_t plen, proto;
	ck_assert(pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &got, &plen, &proto));
	ck_assert_uint_eq(plen, 24);
	ck_assert_uint_eq(proto, IPPROTO_TCP);
	ck_assert(!pfk_get_address(&m, SADB_EXT_ADDRESS_DST, &got, NULL, NULL));
	ad->sadb_address_prefixlen = 33;
	ck_assert(!pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &got, NULL, NULL));
	ad->sadb_address_prefixlen = 24;
	((struct sockaddr_in *)(ad + 1))->sin_family = AF_INET6;  /* 28 > 16 bytes left */
	ck_assert(!pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &got, NULL, NULL));
	((struct sockaddr_in *)(ad + 1))->sin_family = AF_UNIX;
	ck_assert(!pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &got, NULL, NULL));
	/* an address extension with no room for any sockaddr */
	struct sadb_msg *h = (void *)mem;
	ad->sadb_address_len = 1;
	h->sadb_msg_len = 3;
	ck_assert(pfk_parse(mem, 24, &m, err, sizeof(err)));
	ck_assert(!pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &got, NULL, NULL));
}
END_TEST

START_TEST(test_policy_roundtrip)
{
	uint64_t mem[64];
	pfk_buf_t b;
	pfk_msg_t m;
	pfk_policy_t p;
	char err[128];
	pfk_ipsecrequest_t rq = { .proto = IPPROTO_ESP, .mode = IPSEC_MODE_TUNNEL,
	                          .level = IPSEC_LEVEL_UNIQUE, .reqid = 77 };
	size_t n;

	rq.src = v4("192.0.2.1", 0);
	rq.dst = v4("192.0.2.2", 0);
	pfk_begin(&b, mem, sizeof(mem), SADB_X_SPDUPDATE, 0, 1, 1);
	pfk_add_policy(&b, IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0, 1900, &rq);
	n = pfk_end(&b);
	ck_assert_uint_eq(n, 16 + 16 + 48);
	ck_assert(pfk_parse(mem, n, &m, err, sizeof(err)));
	ck_assert(pfk_get_policy(&m, &p));
	ck_assert_uint_eq(p.type, IPSEC_POLICY_IPSEC);
	ck_assert_uint_eq(p.dir, IPSEC_DIR_OUTBOUND);
	ck_assert_uint_eq(p.priority, 1900);
	ck_assert_int_eq(p.n_req, 1);
	ck_assert_uint_eq(p.req[0].reqid, 77);
	ck_assert_uint_eq(p.req[0].mode, IPSEC_MODE_TUNNEL);
	ck_assert_mem_eq(&((struct sockaddr_in *)&p.req[0].dst)->sin_addr,
	                 "\xc0\x00\x02\x02", 4);
	/* a request claiming more bytes than the extension has */
	struct sadb_x_ipsecrequest *r = (void *)((uint8_t *)mem + 32);
	r->sadb_x_ipsecrequest_len = 56;
	ck_assert(!pfk_get_policy(&m, &p));
	r->sadb_x_ipsecrequest_len = 8;        /* shorter than its struct */
	ck_assert(!pfk_get_policy(&m, &p));
	r->sadb_x_ipsecrequest_len = 48;
	((struct sockaddr_in *)(r + 1))->sin_family = AF_INET6;   /* families differ */
	ck_assert(!pfk_get_policy(&m, &p));
	/* no request: pass/drop */
	pfk_begin(&b, mem, sizeof(mem), SADB_X_SPDUPDATE, 0, 1, 1);
	pfk_add_policy(&b, IPSEC_POLICY_NONE, IPSEC_DIR_INBOUND, 5, 0, NULL);
	n = pfk_end(&b);
	ck_assert(pfk_parse(mem, n, &m, err, sizeof(err)));
	ck_assert(pfk_get_policy(&m, &p));
	ck_assert_int_eq(p.n_req, 0);
	ck_assert_uint_eq(p.id, 5);
}
END_TEST

/* A REGISTER answer as Linux writes it, taken apart. */
static size_t fake_register(uint64_t *mem, size_t cap, bool with_sha512)
{
	struct sadb_msg *h = (struct sadb_msg *)mem;
	uint8_t *p = (uint8_t *)mem;
	size_t off = sizeof(*h);
	const pfk_alg_t auth[] = { { SADB_AALG_SHA1HMAC, 0, 160, 160 },
	                           { SADB_X_AALG_SHA2_384HMAC, 0, 384, 384 },
	                           { SADB_X_AALG_SHA2_512HMAC, 0, 512, 512 } };
	const pfk_alg_t encr[] = { { SADB_X_EALG_AESCBC, 8, 128, 256 },
	                           { SADB_EALG_3DESCBC, 8, 192, 192 },
	                           { SADB_X_EALG_AESCTR, 8, 160, 288 } };
	size_t n_auth = with_sha512 ? 3 : 2;

	memset(mem, 0, cap);
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_type = SADB_REGISTER;
	for (int t = 0; t < 2; t++) {
		const pfk_alg_t *list = t ? encr : auth;
		size_t cnt = t ? 3 : n_auth;
		struct sadb_supported *s = (void *)(p + off);
		s->sadb_supported_len = (uint16_t)(1 + cnt);
		s->sadb_supported_exttype = t ? SADB_EXT_SUPPORTED_ENCRYPT
		                              : SADB_EXT_SUPPORTED_AUTH;
		struct sadb_alg *a = (void *)(s + 1);
		for (size_t i = 0; i < cnt; i++) {
			a[i].sadb_alg_id = list[i].id;
			a[i].sadb_alg_ivlen = list[i].ivlen;
			a[i].sadb_alg_minbits = list[i].minbits;
			a[i].sadb_alg_maxbits = list[i].maxbits;
		}
		off += 8 * (1 + cnt);
	}
	h->sadb_msg_len = (uint16_t)(off / 8);
	return off;
}

static kernel_sa_t esp(uint16_t encr, uint16_t keylen, uint16_t integ)
{
	return (kernel_sa_t){ .id.protocol = KERNEL_PROTO_ESP, .encr_alg = encr,
	                      .encr_keylen_bits = keylen, .integ_alg = integ };
}

START_TEST(test_can_install)
{
	uint64_t mem[64];
	pfk_msg_t m;
	pfk_algs_t algs;
	char err[128], why[320];
	size_t n = fake_register(mem, sizeof(mem), true);
	kernel_sa_t sa;

	ck_assert(pfk_parse(mem, n, &m, err, sizeof(err)));
	ck_assert(pfk_algs_from_register(&m, &algs));
	ck_assert_uint_eq(algs.n_auth, 3);
	ck_assert_uint_eq(algs.n_encr, 3);
	sa = esp(ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256);
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa = esp(ENCR_AES_CTR, 128, INTEG_HMAC_SHA1_96);
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa = esp(ENCR_3DES, 0, INTEG_HMAC_SHA2_384_192);
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa = esp(ENCR_AES_GCM_16, 128, INTEG_NONE);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "aes-gcm-16 is an AEAD"));
	sa = esp(ENCR_CHACHA20_POLY1305, 0, INTEG_NONE);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa = esp(ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_256_128);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "96 bits"));
	sa = esp(ENCR_AES_CBC, 128, INTEG_AES_CMAC_96);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa = esp(ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96);
	sa.esn = true;
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "extended sequence numbers"));
	sa.esn = false;
	sa.replay_window = 64;
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa.replay_window = 32;
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	/* selectors: one port or any; a port range is refused */
	sa.src_ts = (kernel_ts_t){ .family = AF_INET, .from = { 10, 1, 0, 0 },
	                           .to = { 10, 1, 0, 255 }, .proto = 6,
	                           .port_from = 80, .port_to = 80 };
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa.dst_ts = sa.src_ts;
	sa.dst_ts.port_from = 1000;
	sa.dst_ts.port_to = 2000;
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "port range 1000-2000"));
	sa.dst_ts.port_from = 0;
	sa.dst_ts.port_to = 65535;
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	/* an address range of more than 32 prefixes */
	sa.dst_ts.from[3] = 1;
	sa.dst_ts.to[0] = 11; sa.dst_ts.to[1] = 255; sa.dst_ts.to[2] = 255; sa.dst_ts.to[3] = 254;
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	sa.dst_ts.family = 0;   /* not asked */
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	/* marks and XFRM interface IDs: Linux's PF_KEY has neither */
	sa.dir = KERNEL_DIR_IN;
	sa.id.mark = (kernel_mark_t){ 0x2a, 0xff };
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "mark_in: Linux's PF_KEY v2 has no SA or policy marks"));
	sa.id.mark = (kernel_mark_t){ 0, 0 };
	sa.dir = KERNEL_DIR_OUT;
	sa.if_id = 7;
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "if_id_out: Linux's PF_KEY v2 has no XFRM interface IDs"));
	sa.if_id = 0;
	ck_assert(pfk_can_install(&algs, &sa, why, sizeof(why)));
	/* xcbc: expressible, but this kernel did not list it */
	sa = esp(ENCR_AES_CBC, 128, INTEG_AES_XCBC_96);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "does not list"));
	n = fake_register(mem, sizeof(mem), false);
	ck_assert(pfk_parse(mem, n, &m, err, sizeof(err)));
	ck_assert(pfk_algs_from_register(&m, &algs));
	sa = esp(ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256);
	ck_assert(!pfk_can_install(&algs, &sa, why, sizeof(why)));
}
END_TEST

START_TEST(test_key_bits)
{
	uint8_t id;
	uint16_t bits;
	char why[256];

	ck_assert(pfk_encr(ENCR_AES_CTR, 256, &id, &bits, why, sizeof(why)));
	ck_assert_uint_eq(id, SADB_X_EALG_AESCTR);
	ck_assert_uint_eq(bits, 288);   /* key + 32-bit nonce */
	ck_assert(pfk_encr(ENCR_3DES, 0, &id, &bits, why, sizeof(why)));
	ck_assert_uint_eq(bits, 192);
	ck_assert(!pfk_encr(ENCR_AES_CBC, 64, &id, &bits, why, sizeof(why)));
	ck_assert(pfk_integ(INTEG_HMAC_SHA2_384_192, &id, &bits, why, sizeof(why)));
	ck_assert_uint_eq(id, SADB_X_AALG_SHA2_384HMAC);
	ck_assert_uint_eq(bits, 384);
}
END_TEST

static kernel_ts_t ts4(const char *from, const char *to, uint16_t pf, uint16_t pt)
{
	kernel_ts_t t = { .family = AF_INET, .port_from = pf, .port_to = pt };
	ck_assert_int_eq(inet_pton(AF_INET, from, t.from), 1);
	ck_assert_int_eq(inet_pton(AF_INET, to, t.to), 1);
	return t;
}

static const char *pfx(const pfk_prefix_t *p, char *buf)
{
	char a[64];
	inet_ntop(AF_INET, &((const struct sockaddr_in *)&p->addr)->sin_addr, a, sizeof(a));
	sprintf(buf, "%s/%u", a, p->plen);
	return buf;
}

START_TEST(test_prefixes)
{
	pfk_prefix_t out[40];
	char why[128], b[80];
	kernel_ts_t t;
	int n;

	t = ts4("10.1.0.0", "10.1.255.255", 0, 65535);
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), 1);
	ck_assert_str_eq(pfx(&out[0], b), "10.1.0.0/16");
	t = ts4("0.0.0.0", "255.255.255.255", 0, 65535);
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), 1);
	ck_assert_str_eq(pfx(&out[0], b), "0.0.0.0/0");
	t = ts4("10.0.0.1", "10.0.0.6", 0, 65535);
	n = pfk_ts_prefixes(&t, out, 40, why, sizeof(why));
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(pfx(&out[0], b), "10.0.0.1/32");
	ck_assert_str_eq(pfx(&out[1], b), "10.0.0.2/31");
	ck_assert_str_eq(pfx(&out[2], b), "10.0.0.4/31");
	ck_assert_str_eq(pfx(&out[3], b), "10.0.0.6/32");
	t = ts4("192.0.2.7", "192.0.2.7", 500, 500);
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), 1);
	ck_assert_str_eq(pfx(&out[0], b), "192.0.2.7/32");
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&out[0].addr)->sin_port), 500);
	t = ts4("192.0.2.7", "192.0.2.7", 1000, 2000);
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "port range"));
	t = ts4("0.0.0.1", "255.255.255.254", 0, 65535);   /* 62 prefixes */
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), -1);
	t = ts4("10.0.0.9", "10.0.0.1", 0, 65535);
	ck_assert_int_eq(pfk_ts_prefixes(&t, out, 40, why, sizeof(why)), -1);
	/* IPv6 any */
	kernel_ts_t t6 = { .family = AF_INET6, .port_to = 65535 };
	memset(t6.to, 0xff, 16);
	ck_assert_int_eq(pfk_ts_prefixes(&t6, out, 40, why, sizeof(why)), 1);
	ck_assert_uint_eq(out[0].plen, 0);
}
END_TEST

START_TEST(test_priority)
{
	/* host-to-host beats subnet-to-subnet beats any-to-any; a protocol
	 * or port makes it more specific still */
	ck_assert_uint_lt(pfk_priority(32, 32, 0, false), pfk_priority(24, 24, 0, false));
	ck_assert_uint_lt(pfk_priority(24, 24, 0, false), pfk_priority(0, 0, 0, false));
	ck_assert_uint_lt(pfk_priority(24, 24, 6, false), pfk_priority(24, 24, 0, false));
	ck_assert_uint_lt(pfk_priority(24, 24, 6, true), pfk_priority(24, 24, 6, false));
	ck_assert_uint_gt(pfk_priority(128, 128, 6, true), 0);
}
END_TEST

/* Mutated messages: every accessor either refuses or stays inside the
 * buffer (ASan, in the sanitizer build, sees any overread). */
START_TEST(test_mutations)
{
	uint64_t mem[PFK_MSG_MAX / 8];
	size_t n = build_add(mem, sizeof(mem));
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		uint64_t *copy = malloc(n);
		pfk_msg_t m;
		char err[128];
		memcpy(copy, mem, n);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			((uint8_t *)copy)[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) % 8));
		}
		seed = seed * 1103515245 + 12345;
		size_t len = round % 3 ? n : (seed >> 8) % (n + 1);
		if (pfk_parse(copy, len, &m, err, sizeof(err))) {
			struct sockaddr_storage a;
			pfk_policy_t p;
			pfk_alg_t al[8];
			size_t na;
			uint16_t port;
			pfk_get_sa(&m, NULL, NULL, NULL, NULL, NULL);
			pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &a, NULL, NULL);
			pfk_get_address(&m, SADB_EXT_ADDRESS_DST, &a, NULL, NULL);
			pfk_get_policy(&m, &p);
			pfk_get_supported(&m, SADB_EXT_SUPPORTED_AUTH, al, 8, &na);
			pfk_get_nat_t_port(&m, SADB_X_EXT_NAT_T_SPORT, &port);
			pfk_get_lifetime(&m, SADB_EXT_LIFETIME_HARD, NULL, NULL, NULL, NULL);
		}
		free(copy);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pfkey");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_build_parse_add);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_parse_refusals);
	tcase_add_test(tc, test_address_checks);
	tcase_add_test(tc, test_policy_roundtrip);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	tc = tcase_create("xlate");
	tcase_add_test(tc, test_can_install);
	tcase_add_test(tc, test_key_bits);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_priority);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
