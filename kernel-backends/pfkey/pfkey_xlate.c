/*
 * pfkey_xlate.c - IKEv2 transforms and selectors in PF_KEY terms
 * (pfkey_xlate.h says what cannot be translated, and why).
 */
#include "pfkey_xlate.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <ikev2d/transform.h>

bool pfk_algs_from_register(const pfk_msg_t *m, pfk_algs_t *algs)
{
	size_t n;

	memset(algs, 0, sizeof(*algs));
	if (!pfk_get_supported(m, SADB_EXT_SUPPORTED_AUTH, algs->auth,
	                       sizeof(algs->auth) / sizeof(algs->auth[0]), &n))
		n = 0;
	algs->n_auth = n < 64 ? n : 64;
	if (!pfk_get_supported(m, SADB_EXT_SUPPORTED_ENCRYPT, algs->encr,
	                       sizeof(algs->encr) / sizeof(algs->encr[0]), &n))
		n = 0;
	algs->n_encr = n < 64 ? n : 64;
	algs->known = algs->n_auth || algs->n_encr;
	return algs->known;
}

static const char *encr_name(uint16_t id)
{
	const char *n = transform_name(TRANS_ENCR, id);
	return n ? n : "unknown cipher";
}

static const char *integ_name(uint16_t id)
{
	const char *n = transform_name(TRANS_INTEG, id);
	return n ? n : "unknown integrity algorithm";
}

bool pfk_encr(uint16_t encr, uint16_t keylen_bits, uint8_t *id,
              uint16_t *key_bits, char *why, size_t len)
{
	switch (encr) {
	case ENCR_3DES:
		*id = SADB_EALG_3DESCBC;
		*key_bits = 192;
		return true;
	case ENCR_NULL:
		*id = SADB_EALG_NULL;
		*key_bits = 0;
		return true;
	case ENCR_AES_CBC:
	case ENCR_AES_CTR:
		if (keylen_bits != 128 && keylen_bits != 192 && keylen_bits != 256) {
			snprintf(why, len, "%s with a %u-bit key cannot be installed "
			         "(128, 192 or 256)", encr_name(encr), keylen_bits);
			return false;
		}
		*id = encr == ENCR_AES_CBC ? SADB_X_EALG_AESCBC : SADB_X_EALG_AESCTR;
		/* RFC 3686: the 4-byte nonce rides at the end of the key */
		*key_bits = (uint16_t)(keylen_bits + (encr == ENCR_AES_CTR ? 32 : 0));
		return true;
	case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8: case ENCR_AES_GCM_12: case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC: case ENCR_CHACHA20_POLY1305:
		snprintf(why, len, "esp_xform %s is an AEAD, which Linux's PF_KEY "
		         "v2 cannot install (use kernel-netlink, or aes/aes-ctr/3des "
		         "with sha1, sha384 or sha512)", encr_name(encr));
		return false;
	}
	snprintf(why, len, "esp_xform cipher %s (%u) has no PF_KEY v2 id",
	         encr_name(encr), encr);
	return false;
}

bool pfk_integ(uint16_t integ, uint8_t *id, uint16_t *key_bits, char *why,
               size_t len)
{
	switch (integ) {
	case INTEG_NONE:
		*id = SADB_AALG_NONE; *key_bits = 0; return true;
	case INTEG_HMAC_MD5_96:
		*id = SADB_AALG_MD5HMAC; *key_bits = 128; return true;
	case INTEG_HMAC_SHA1_96:
		*id = SADB_AALG_SHA1HMAC; *key_bits = 160; return true;
	case INTEG_AES_XCBC_96:
		*id = SADB_X_AALG_AES_XCBC_MAC; *key_bits = 128; return true;
	case INTEG_HMAC_SHA2_384_192:
		*id = SADB_X_AALG_SHA2_384HMAC; *key_bits = 384; return true;
	case INTEG_HMAC_SHA2_512_256:
		*id = SADB_X_AALG_SHA2_512HMAC; *key_bits = 512; return true;
	case INTEG_HMAC_SHA2_256_128:
		snprintf(why, len, "esp_xform auth_alg %s cannot be installed "
		         "through PF_KEY v2: Linux truncates SADB_X_AALG_SHA2_256HMAC "
		         "to 96 bits, not the 128 bits IKEv2 negotiates (use "
		         "kernel-netlink, or sha1, sha384 or sha512)",
		         integ_name(integ));
		return false;
	}
	snprintf(why, len, "esp_xform auth_alg %s has no PF_KEY v2 id on Linux "
	         "(use kernel-netlink, or sha1, sha384 or sha512)",
	         integ_name(integ));
	return false;
}

static const pfk_alg_t *find_alg(const pfk_alg_t *list, size_t n, uint8_t id)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].id == id)
			return &list[i];
	return NULL;
}

bool pfk_can_install(const pfk_algs_t *algs, const kernel_sa_t *sa,
                     char *why, size_t len)
{
	uint8_t eid, aid;
	uint16_t ebits, abits;
	const pfk_alg_t *a;

	if (sa->id.protocol != KERNEL_PROTO_ESP) {
		snprintf(why, len, "only ESP SAs are installed through PF_KEY");
		return false;
	}
	if (sa->id.mark.mask || sa->if_id) {
		bool in = sa->dir == KERNEL_DIR_IN;
		snprintf(why, len, "%s: Linux's PF_KEY v2 has no %s (use "
		         "kernel-netlink)", sa->id.mark.mask ? (in ? "mark_in" : "mark_out")
		                                             : (in ? "if_id_in" : "if_id_out"),
		         sa->id.mark.mask ? "SA or policy marks" : "XFRM interface IDs");
		return false;
	}
	if (!pfk_encr(sa->encr_alg, sa->encr_keylen_bits, &eid, &ebits, why, len) ||
	    !pfk_integ(sa->integ_alg, &aid, &abits, why, len))
		return false;
	if (sa->esn) {
		snprintf(why, len, "esp_xform esn = yes: PF_KEY v2 has no extended "
		         "sequence numbers (use kernel-netlink, or esn = no)");
		return false;
	}
	if (sa->replay_window > PFK_REPLAY_MAX) {
		snprintf(why, len, "replay_window %u: Linux's PF_KEY v2 keeps at "
		         "most %d packets (use kernel-netlink, or replay_window <= "
		         "%d)", sa->replay_window, PFK_REPLAY_MAX, PFK_REPLAY_MAX);
		return false;
	}
	for (int side = 0; side < 2; side++) {
		const kernel_ts_t *ts = side ? &sa->dst_ts : &sa->src_ts;
		pfk_prefix_t pfx[PFK_TS_PREFIXES_MAX];
		char r[160];
		if (ts->family && pfk_ts_prefixes(ts, pfx, PFK_TS_PREFIXES_MAX,
		                                  r, sizeof(r)) < 0) {
			snprintf(why, len, "%s", r);
			return false;
		}
	}
	if (!algs || !algs->known)
		return true;
	if (sa->encr_alg != ENCR_NULL || eid != SADB_EALG_NULL) {
		a = find_alg(algs->encr, algs->n_encr, eid);
		if (!a || ebits < a->minbits || ebits > a->maxbits) {
			snprintf(why, len, "esp_xform %s (%u-bit key): this kernel's "
			         "PF_KEY REGISTER answer does not list it%s",
			         encr_name(sa->encr_alg), sa->encr_keylen_bits,
			         a ? " with that key size" : " (module missing?)");
			return false;
		}
	}
	if (aid != SADB_AALG_NONE) {
		a = find_alg(algs->auth, algs->n_auth, aid);
		if (!a || abits < a->minbits || abits > a->maxbits) {
			snprintf(why, len, "esp_xform auth_alg %s: this kernel's PF_KEY "
			         "REGISTER answer does not list it (module missing?)",
			         integ_name(sa->integ_alg));
			return false;
		}
	}
	return true;
}

/* ------------------------------------------------------------ selectors */

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void set_addr(struct sockaddr_storage *ss, int family, const uint8_t *a)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, a, 4);
	else
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, a, 16);
}

/* a += 1 at bit position (bits-1-plen)... i.e. add 2^(bits-plen); false on
 * wrap past the top of the address space. */
static bool add_block(uint8_t *a, size_t al, int host_bits)
{
	int byte = (int)al - 1 - host_bits / 8;
	unsigned carry = 1u << (host_bits % 8);

	for (; byte >= 0 && carry; byte--) {
		unsigned v = a[byte] + carry;
		a[byte] = (uint8_t)v;
		carry = v >> 8;
	}
	return carry == 0;
}

/* Whether the low host_bits of a are zero. */
static bool aligned(const uint8_t *a, size_t al, int host_bits)
{
	for (int b = 0; b < host_bits; b++) {
		size_t byte = al - 1 - (size_t)b / 8;
		if (a[byte] & (1u << (b % 8)))
			return false;
	}
	return true;
}

/* Whether a + 2^host_bits - 1 <= hi. */
static bool fits(const uint8_t *a, const uint8_t *hi, size_t al, int host_bits)
{
	uint8_t end[16];

	memcpy(end, a, al);
	for (int b = 0; b < host_bits; b++)
		end[al - 1 - (size_t)b / 8] |= (uint8_t)(1u << (b % 8));
	return memcmp(end, hi, al) <= 0;
}

int pfk_ts_prefixes(const kernel_ts_t *ts, pfk_prefix_t *out, int max,
                    char *why, size_t len)
{
	size_t al = ts->family == AF_INET6 ? 16 : 4;
	int bits = (int)al * 8, n = 0;
	uint16_t port = 0;
	uint8_t cur[16];

	if (ts->family != AF_INET && ts->family != AF_INET6) {
		snprintf(why, len, "selector of unknown family %d", ts->family);
		return -1;
	}
	if (!(ts->port_from == 0 && ts->port_to == 65535)) {
		if (ts->port_from != ts->port_to) {
			snprintf(why, len, "port range %u-%u: PF_KEY selectors take "
			         "one port or any", ts->port_from, ts->port_to);
			return -1;
		}
		port = ts->port_from;
	}
	if (memcmp(ts->from, ts->to, al) > 0) {
		snprintf(why, len, "selector range ends before it starts");
		return -1;
	}
	memcpy(cur, ts->from, al);
	for (;;) {
		int host = bits;
		/* the largest aligned block at cur that stays within to */
		while (host > 0 && !(aligned(cur, al, host) && fits(cur, ts->to, al, host)))
			host--;
		if (n == max) {
			snprintf(why, len, "selector range needs more than %d "
			         "prefixes", max);
			return -1;
		}
		set_addr(&out[n].addr, ts->family, cur);
		set_port(&out[n].addr, port);
		out[n].plen = (uint8_t)(bits - host);
		n++;
		uint8_t end[16];
		memcpy(end, cur, al);
		for (int b = 0; b < host; b++)
			end[al - 1 - (size_t)b / 8] |= (uint8_t)(1u << (b % 8));
		if (memcmp(end, ts->to, al) >= 0)
			break;
		if (!add_block(cur, al, host))
			break;
	}
	return n;
}

uint8_t pfk_ts_proto(const kernel_ts_t *ts)
{
	return ts->proto ? ts->proto : IPSEC_PROTO_ANY;
}

uint32_t pfk_priority(uint8_t src_plen, uint8_t dst_plen, uint8_t proto,
                      bool ports)
{
	/* 2000 leaves room below for 2 * 128 prefix bits * 4 + 3 */
	return 2000u - 4u * ((uint32_t)src_plen + dst_plen) -
	       (proto ? 2u : 0u) - (ports ? 1u : 0u);
}

uint8_t pfk_dir(kernel_dir_t dir)
{
	switch (dir) {
	case KERNEL_DIR_IN:  return IPSEC_DIR_INBOUND;
	case KERNEL_DIR_OUT: return IPSEC_DIR_OUTBOUND;
	case KERNEL_DIR_FWD: return IPSEC_DIR_FWD;
	}
	return 0;
}
