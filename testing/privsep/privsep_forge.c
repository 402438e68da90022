/*
 * privsep_forge.c - plays a compromised engine for
 * testing/suites/privsep-forged.sh: builds one forged request with the
 * engine-side codec (core/kernel/privsep_msg.h), or raw bytes, sends it to
 * the test socket the engine's kernel-privsep opens when
 * IKEV2D_PRIVSEP_TEST_SOCKET is set (it relays it unchanged to the parent)
 * and prints the parent's verdict:
 *
 *   privsep-forge SOCKET CASE LOCAL REMOTE
 *
 * LOCAL/REMOTE are the IPv4 outer addresses of the daemon's rule.  Prints
 * "CASE accepted", "CASE refused" or "CASE no-answer"; exit 0 when it got
 * an answer.  Cases:
 *   get-spi-ok        get_spi for the rule's own addresses (must be accepted:
 *                     shows the relay works and the checks are not blanket)
 *   get-spi-foreign   get_spi for addresses no rule allows
 *   sa-unallocated    inbound add_sa with an SPI the parent never allocated
 *   sa-foreign        outbound add_sa to an address no rule allows
 *   sa-alg            outbound add_sa with an algorithm no proposal allows
 *   sa-keylen         outbound add_sa whose key length contradicts its algorithm
 *   del-foreign       del_sa of an SA the parent did not install
 *   policy-wide       protect policy 0.0.0.0/0 -> 0.0.0.0/0 (out of any rule)
 *   policy-bypass     a pass (bypass) policy inside the rule's selectors
 *   policy-drop       a drop policy inside the rule's selectors
 *   policy-admin-ok   protect policy 10.88.1.0/24 -> 10.88.2.0/24 (outside
 *                     the rule's selectors), tunnel LOCAL -> REMOTE, reqid
 *                     7070: what an administrator's policy justifies (the
 *                     suite adds one to kernel-null: accepted; without it,
 *                     or once it is gone: refused)
 *   policy-admin-reqid   the same with reqid 7071
 *   policy-admin-wide    the same from 10.88.0.0/16
 *   policy-admin-mode    the same in transport mode
 *   policy-admin-tmpl    the same to 10.77.0.99 (the suite's other rule's
 *                     peer, not the administrator's template's)
 *   flush             flush while the daemon runs
 *   truncated         a header claiming an add_sa, 20 bytes sent
 *   oversized         a datagram larger than the largest message
 *   garbage           random bytes
 *   badlen            a get_spi whose header length is not what was sent
 *
 * And to the keys process (the engine's IKEV2D_PRIVSEP_KEYS_TEST_SOCKET
 * relay, core/cred/keys_msg.h):
 *
 *   privsep-forge SOCKET keys-CASE [PRIVATE-HEX]
 *
 *   keys-store        the public keystore (must be accepted); with
 *                     PRIVATE-HEX (the key's private scalar) every answer is
 *                     searched for those octets: "keys-store accepted N
 *                     items" or "keys-store LEAKED"
 *   keys-sign-ok      IKE_AUTH-shaped octets, key 0, ECDSA P-256 (accepted)
 *   keys-sign-arbitrary  64 octets of the forger's choice
 *   keys-sign-tbs     a DER SEQUENCE (as a certificate's TBS would be)
 *   keys-sign-ikeauth an IKE header of exchange IKE_AUTH, not IKE_SA_INIT
 *   keys-sign-scheme  RSA PKCS#1 with the ECDSA key
 *   keys-sign-key     key index 7 (no such key)
 *   keys-sign-gen     keystore generation 99 (not loaded)
 *   keys-read         message type 6 with a key file's path ("send me the
 *                     key": no such message exists)
 *   keys-oversized    a datagram larger than the largest message
 *   keys-garbage      random bytes
 */
#define _GNU_SOURCE 1   /* memmem */
#include "cred/keys_msg.h"
#include "kernel/privsep_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ikev2d/transform.h>

static void v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &s->sin_addr) != 1) {
		fprintf(stderr, "privsep-forge: bad address %s\n", ip);
		exit(2);
	}
}

static void ts4(kernel_ts_t *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = AF_INET;
	inet_pton(AF_INET, from, ts->from);
	inet_pton(AF_INET, to, ts->to);
	ts->port_to = 65535;
}

/* An outbound AES-GCM-16-128 SA local -> remote (what the suite's rule
 * allows), for the add_sa cases to spoil one field of. */
static void good_sa(psm_sa_t *s, const char *local, const char *remote)
{
	memset(s, 0, sizeof(*s));
	v4(&s->id.dst, remote, 0);
	v4(&s->src, local, 0);
	s->id.spi = 0xc0ffee01;
	s->id.protocol = KERNEL_PROTO_ESP;
	s->dir = KERNEL_DIR_OUT;
	s->mode = KERNEL_MODE_TUNNEL;
	s->encr_alg = ENCR_AES_GCM_16;
	s->encr_keylen_bits = 128;
	s->encr_salt_len = 4;
	s->icv_bits = 128;
	s->encr_key_len = 20;
	memset(s->encr_key, 0x5a, 20);
}

/* An IKE_SA_INIT request (SA, KE, Nonce) and a 64-octet trailer. */
static size_t init_octets(uint8_t *d, uint8_t exchange)
{
	size_t n = 28;
	memset(d, 0, 512);
	memset(d, 0x11, 8);
	d[16] = 33;
	d[17] = 0x20;
	d[18] = exchange;
	d[19] = 0x08;
	const uint8_t types[3][2] = { { 34, 44 }, { 40, 40 }, { 0, 36 } };
	for (int i = 0; i < 3; i++) {
		d[n] = types[i][0];
		d[n + 3] = types[i][1];
		memset(d + n + 4, 0x30 + i, types[i][1] - 4);
		n += types[i][1];
	}
	d[27] = (uint8_t)n;
	memset(d + n, 0x5a, 64);
	return n + 64;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int keys_main(const char *sock, const char *c, const char *hex)
{
	static uint8_t buf[KSM_MSG_MAX + 200];
	uint8_t data[1024], secret[128];
	size_t n = 0, slen = 0;
	uint32_t seq = 0x4343;
	ksm_sign_t s = { .gen = 1, .index = 0, .scheme = SIG_ECDSA_P256_SHA256 };

	for (size_t i = 0; hex && hex[i] && hex[i + 1] && slen < sizeof(secret); i += 2) {
		int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return 2;
		secret[slen++] = (uint8_t)(hi << 4 | lo);
	}
	const size_t H = sizeof(ksm_hdr_t);
	ksm_hdr_t h = { .seq = seq };
	if (strcmp(c, "keys-store") == 0) {
		h.type = KSM_STORE;
		h.len = (uint32_t)H;
		memcpy(buf, &h, H);
		n = H;
	} else if (strncmp(c, "keys-sign-", 10) == 0) {
		size_t dl = init_octets(data, 34);
		if (strcmp(c, "keys-sign-arbitrary") == 0) {
			memset(data, 0x41, 64);
			dl = 64;
		} else if (strcmp(c, "keys-sign-tbs") == 0) {
			memset(data, 0x41, 600);
			data[0] = 0x30; data[1] = 0x82; data[2] = 0x02; data[3] = 0x54;
			dl = 600;
		} else if (strcmp(c, "keys-sign-ikeauth") == 0) {
			dl = init_octets(data, 35);
		} else if (strcmp(c, "keys-sign-scheme") == 0) {
			s.scheme = SIG_RSA_PKCS1_SHA256;
		} else if (strcmp(c, "keys-sign-key") == 0) {
			s.index = 7;
		} else if (strcmp(c, "keys-sign-gen") == 0) {
			s.gen = 99;
		} else if (strcmp(c, "keys-sign-ok") != 0) {
			fprintf(stderr, "privsep-forge: unknown case %s\n", c);
			return 2;
		}
		s.data_len = (uint32_t)dl;
		h.type = KSM_SIGN;
		h.len = (uint32_t)(H + sizeof(s) + dl);
		memcpy(buf, &h, H);
		memcpy(buf + H, &s, sizeof(s));
		memcpy(buf + H + sizeof(s), data, dl);
		n = h.len;
	} else if (strcmp(c, "keys-read") == 0) {
		static const char path[] = "/etc/inet/ike/keystore/private/ours.key";
		ksm_token_t t = { .uri_len = sizeof(path) - 1 };
		h.type = 6;
		h.len = (uint32_t)(H + sizeof(t) + t.uri_len);
		memcpy(buf, &h, H);
		memcpy(buf + H, &t, sizeof(t));
		memcpy(buf + H + sizeof(t), path, t.uri_len);
		n = h.len;
	} else if (strcmp(c, "keys-oversized") == 0) {
		h.type = KSM_SIGN;
		h.len = (uint32_t)(KSM_MSG_MAX + 100);
		memset(buf, 0x41, sizeof(buf));
		memcpy(buf, &h, H);
		n = h.len;
	} else if (strcmp(c, "keys-garbage") == 0) {
		FILE *r = fopen("/dev/urandom", "r");
		n = 300;
		if (!r || fread(buf, 1, n, r) != n)
			return 2;
		fclose(r);
		memcpy(buf + 8, &seq, sizeof(seq));
	} else {
		fprintf(stderr, "privsep-forge: unknown case %s\n", c);
		return 2;
	}

	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un me = { .sun_family = AF_UNIX }, to = { .sun_family = AF_UNIX };
	snprintf(me.sun_path, sizeof(me.sun_path), "%s.%ld", sock, (long)getpid());
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", sock);
	unlink(me.sun_path);
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("privsep-forge: socket");
		return 2;
	}
	struct timeval tv = { .tv_sec = 15 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)n) {
		perror("privsep-forge: sendto");
		unlink(me.sun_path);
		return 2;
	}
	unsigned items = 0;
	bool leaked = false;
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		ksm_msg_t m;
		char why[128];
		if (r <= 0 || !ksm_decode(buf, (size_t)r, false, &m, why, sizeof(why))) {
			unlink(me.sun_path);
			printf("%s no-answer\n", c);
			return 1;
		}
		if (slen && r >= (ssize_t)slen && memmem(buf, (size_t)r, secret, slen))
			leaked = true;
		if (m.hdr.type == KSM_ITEM) {
			items++;
			continue;
		}
		unlink(me.sun_path);
		if (m.hdr.type == KSM_END) {
			if (leaked)
				printf("%s LEAKED\n", c);
			else
				printf("%s %s %u items\n", c, m.u.end.ok ? "accepted" : "refused",
				       items);
			return 0;
		}
		bool ok = m.u.result.ok == 1 && (m.hdr.type != KSM_SIG || m.var_len > 0);
		printf("%s %s\n", c, ok ? "accepted" : "refused");
		return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strncmp(argv[2], "keys-", 5) == 0 && argc <= 4)
		return keys_main(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	if (argc != 5) {
		fprintf(stderr, "usage: privsep-forge SOCKET CASE LOCAL REMOTE\n");
		return 2;
	}
	const char *sock = argv[1], *c = argv[2], *local = argv[3], *remote = argv[4];
	static uint8_t buf[PSM_MSG_MAX + 200];
	size_t n = 0;
	uint32_t seq = 0x4242;

	if (strcmp(c, "get-spi-ok") == 0 || strcmp(c, "get-spi-foreign") == 0) {
		psm_get_spi_t q;
		memset(&q, 0, sizeof(q));
		bool ok = strcmp(c, "get-spi-ok") == 0;
		v4(&q.src, ok ? remote : "198.51.100.7", 0);
		v4(&q.dst, ok ? local : "198.51.100.8", 0);
		q.protocol = KERNEL_PROTO_ESP;
		n = psm_encode(buf, sizeof(buf), PSM_GET_SPI, seq, &q, sizeof(q), NULL, 0);
	} else if (strncmp(c, "sa-", 3) == 0) {
		psm_sa_t s;
		good_sa(&s, local, remote);
		if (strcmp(c, "sa-unallocated") == 0) {
			v4(&s.id.dst, local, 0);
			v4(&s.src, remote, 0);
			s.dir = KERNEL_DIR_IN;
			s.id.spi = 0xdeadbeef;
		} else if (strcmp(c, "sa-foreign") == 0) {
			v4(&s.id.dst, "203.0.113.66", 0);
		} else if (strcmp(c, "sa-alg") == 0) {
			s.encr_alg = ENCR_3DES;
			s.encr_keylen_bits = 192;
			s.encr_salt_len = 0;
			s.encr_key_len = 24;
			s.integ_alg = INTEG_HMAC_MD5_96;
			s.icv_bits = 96;
			s.integ_key_len = 16;
		} else if (strcmp(c, "sa-keylen") == 0) {
			s.encr_key_len = 8;
		} else {
			fprintf(stderr, "privsep-forge: unknown case %s\n", c);
			return 2;
		}
		n = psm_encode(buf, sizeof(buf), PSM_ADD_SA, seq, &s, sizeof(s), NULL, 0);
	} else if (strcmp(c, "del-foreign") == 0) {
		kernel_sa_id_t id;
		memset(&id, 0, sizeof(id));
		v4(&id.dst, remote, 0);
		id.spi = 0x0badf00d;
		id.protocol = KERNEL_PROTO_ESP;
		n = psm_encode(buf, sizeof(buf), PSM_DEL_SA, seq, &id, sizeof(id), NULL, 0);
	} else if (strncmp(c, "policy-", 7) == 0) {
		kernel_policy_t p;
		memset(&p, 0, sizeof(p));
		p.dir = KERNEL_DIR_OUT;
		p.mode = KERNEL_MODE_TUNNEL;
		p.protocol = KERNEL_PROTO_ESP;
		v4(&p.sa_src, local, 0);
		v4(&p.sa_dst, remote, 0);
		ts4(&p.src_ts, "10.77.1.0", "10.77.1.255");
		ts4(&p.dst_ts, "10.77.2.0", "10.77.2.255");
		if (strcmp(c, "policy-wide") == 0) {
			ts4(&p.src_ts, "0.0.0.0", "255.255.255.255");
			ts4(&p.dst_ts, "0.0.0.0", "255.255.255.255");
		} else if (strcmp(c, "policy-bypass") == 0) {
			p.action = KERNEL_POLICY_PASS;
		} else if (strcmp(c, "policy-drop") == 0) {
			p.action = KERNEL_POLICY_DROP;
		} else if (strncmp(c, "policy-admin-", 13) == 0) {
			ts4(&p.src_ts, "10.88.1.0", "10.88.1.255");
			ts4(&p.dst_ts, "10.88.2.0", "10.88.2.255");
			p.reqid = 7070;
			if (strcmp(c, "policy-admin-reqid") == 0)
				p.reqid = 7071;
			else if (strcmp(c, "policy-admin-wide") == 0)
				ts4(&p.src_ts, "10.88.0.0", "10.88.255.255");
			else if (strcmp(c, "policy-admin-mode") == 0)
				p.mode = KERNEL_MODE_TRANSPORT;
			else if (strcmp(c, "policy-admin-tmpl") == 0)
				v4(&p.sa_dst, "10.77.0.99", 0);
			else if (strcmp(c, "policy-admin-ok") != 0) {
				fprintf(stderr, "privsep-forge: unknown case %s\n", c);
				return 2;
			}
		} else {
			fprintf(stderr, "privsep-forge: unknown case %s\n", c);
			return 2;
		}
		n = psm_encode(buf, sizeof(buf), PSM_ADD_POLICY, seq, &p, sizeof(p), NULL, 0);
	} else if (strcmp(c, "flush") == 0) {
		n = psm_encode(buf, sizeof(buf), PSM_FLUSH, seq, NULL, 0, NULL, 0);
	} else if (strcmp(c, "truncated") == 0) {
		psm_hdr_t h = { .type = PSM_ADD_SA, .len = sizeof(psm_hdr_t) + sizeof(psm_sa_t),
		                .seq = seq };
		memcpy(buf, &h, sizeof(h));
		n = 20;
	} else if (strcmp(c, "oversized") == 0) {
		psm_hdr_t h = { .type = PSM_ADD_POLICY, .len = PSM_MSG_MAX + 100, .seq = seq };
		memset(buf, 0x41, sizeof(buf));
		memcpy(buf, &h, sizeof(h));
		n = PSM_MSG_MAX + 100;
	} else if (strcmp(c, "garbage") == 0) {
		FILE *r = fopen("/dev/urandom", "r");
		n = 300;
		if (!r || fread(buf, 1, n, r) != n)
			return 2;
		fclose(r);
		memcpy(buf + 8, &seq, sizeof(seq));
	} else if (strcmp(c, "badlen") == 0) {
		psm_get_spi_t q;
		memset(&q, 0, sizeof(q));
		n = psm_encode(buf, sizeof(buf), PSM_GET_SPI, seq, &q, sizeof(q), NULL, 0);
		n -= 8;   /* the header still says the full length */
	} else {
		fprintf(stderr, "privsep-forge: unknown case %s\n", c);
		return 2;
	}
	if (n == 0) {
		fprintf(stderr, "privsep-forge: cannot encode %s\n", c);
		return 2;
	}

	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un me = { .sun_family = AF_UNIX }, to = { .sun_family = AF_UNIX };
	snprintf(me.sun_path, sizeof(me.sun_path), "%s.%ld", sock, (long)getpid());
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", sock);
	unlink(me.sun_path);
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("privsep-forge: socket");
		return 2;
	}
	struct timeval tv = { .tv_sec = 15 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)n) {
		perror("privsep-forge: sendto");
		unlink(me.sun_path);
		return 2;
	}
	ssize_t r = recv(fd, buf, sizeof(buf), 0);
	unlink(me.sun_path);
	psm_msg_t m;
	char why[128];
	if (r <= 0 || !psm_decode(buf, (size_t)r, false, &m, why, sizeof(why)) ||
	    m.hdr.type != PSM_REPLY) {
		printf("%s no-answer\n", c);
		return 1;
	}
	printf("%s %s\n", c, m.u.reply.ok ? "accepted" : "refused");
	return 0;
}
