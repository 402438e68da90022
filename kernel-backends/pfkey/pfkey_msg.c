/*
 * pfkey_msg.c - building and validating PF_KEY v2 messages (pfkey_msg.h).
 *
 * Lengths in PF_KEY are counted in 8-byte units (RFC 2367 §2.2); every
 * extension starts on an 8-byte boundary, so a message in an aligned
 * buffer gives aligned extension pointers.
 */
#include "pfkey_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define UNIT 8

static size_t round8(size_t n)
{
	return (n + UNIT - 1) & ~(size_t)(UNIT - 1);
}

/* ------------------------------------------------------------ building */

void pfk_begin(pfk_buf_t *b, uint64_t *mem, size_t cap, uint8_t type,
               uint8_t satype, uint32_t seq, uint32_t pid)
{
	struct sadb_msg *h = (struct sadb_msg *)mem;

	b->buf = mem;
	b->cap = cap;
	b->len = sizeof(*h);
	b->overflow = cap < sizeof(*h);
	if (b->overflow)
		return;
	memset(h, 0, sizeof(*h));
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_type = type;
	h->sadb_msg_satype = satype;
	h->sadb_msg_seq = seq;
	h->sadb_msg_pid = pid;
}

/* Room for an extension of len bytes (rounded up), zeroed, with its
 * length and type set; NULL when it does not fit. */
static void *ext(pfk_buf_t *b, uint16_t type, size_t len)
{
	size_t n = round8(len);
	struct sadb_ext *e;

	if (b->overflow || n > b->cap - b->len || n / UNIT > UINT16_MAX) {
		b->overflow = true;
		return NULL;
	}
	e = (struct sadb_ext *)((uint8_t *)b->buf + b->len);
	memset(e, 0, n);
	e->sadb_ext_len = (uint16_t)(n / UNIT);
	e->sadb_ext_type = type;
	b->len += n;
	return e;
}

size_t pfk_end(pfk_buf_t *b)
{
	if (b->overflow || b->len / UNIT > UINT16_MAX)
		return 0;
	((struct sadb_msg *)b->buf)->sadb_msg_len = (uint16_t)(b->len / UNIT);
	return b->len;
}

void pfk_wipe(pfk_buf_t *b)
{
	if (b->buf)
		explicit_bzero(b->buf, b->len < b->cap ? b->len : b->cap);
}

void pfk_add_sa(pfk_buf_t *b, uint32_t spi, uint8_t replay, uint8_t auth,
                uint8_t encrypt, uint32_t flags)
{
	struct sadb_sa *sa = ext(b, SADB_EXT_SA, sizeof(*sa));

	if (!sa)
		return;
	sa->sadb_sa_spi = htonl(spi);
	sa->sadb_sa_replay = replay;
	sa->sadb_sa_state = SADB_SASTATE_MATURE;
	sa->sadb_sa_auth = auth;
	sa->sadb_sa_encrypt = encrypt;
	sa->sadb_sa_flags = flags;
}

static size_t sockaddr_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) :
	       family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

void pfk_add_address(pfk_buf_t *b, uint16_t exttype,
                     const struct sockaddr_storage *addr, uint8_t prefixlen,
                     uint8_t proto)
{
	size_t sl = sockaddr_len(addr->ss_family);
	struct sadb_address *a;

	if (!sl) {
		b->overflow = true;   /* nothing sensible to send */
		return;
	}
	a = ext(b, exttype, sizeof(*a) + sl);
	if (!a)
		return;
	a->sadb_address_proto = proto;
	a->sadb_address_prefixlen = prefixlen;
	memcpy(a + 1, addr, sl);
}

void pfk_add_key(pfk_buf_t *b, uint16_t exttype, chunk_t key)
{
	struct sadb_key *k;

	if (key.len * 8 > UINT16_MAX) {
		b->overflow = true;
		return;
	}
	k = ext(b, exttype, sizeof(*k) + key.len);
	if (!k)
		return;
	k->sadb_key_bits = (uint16_t)(key.len * 8);
	if (key.len)
		memcpy(k + 1, key.ptr, key.len);
}

void pfk_add_lifetime(pfk_buf_t *b, uint16_t exttype, uint64_t packets,
                      uint64_t bytes, uint64_t addtime)
{
	struct sadb_lifetime *l = ext(b, exttype, sizeof(*l));

	if (!l)
		return;
	l->sadb_lifetime_allocations = packets > UINT32_MAX ? UINT32_MAX
	                                                     : (uint32_t)packets;
	l->sadb_lifetime_bytes = bytes;
	l->sadb_lifetime_addtime = addtime;
}

void pfk_add_sa2(pfk_buf_t *b, uint8_t mode, uint32_t reqid)
{
	struct sadb_x_sa2 *s = ext(b, SADB_X_EXT_SA2, sizeof(*s));

	if (!s)
		return;
	s->sadb_x_sa2_mode = mode;
	s->sadb_x_sa2_reqid = reqid;
}

void pfk_add_spirange(pfk_buf_t *b, uint32_t min, uint32_t max)
{
	struct sadb_spirange *r = ext(b, SADB_EXT_SPIRANGE, sizeof(*r));

	if (!r)
		return;
	r->sadb_spirange_min = min;
	r->sadb_spirange_max = max;
}

void pfk_add_nat_t(pfk_buf_t *b, uint8_t type, uint16_t sport, uint16_t dport)
{
	struct sadb_x_nat_t_type *t = ext(b, SADB_X_EXT_NAT_T_TYPE, sizeof(*t));
	struct sadb_x_nat_t_port *p;

	if (!t)
		return;
	t->sadb_x_nat_t_type_type = type;
	if ((p = ext(b, SADB_X_EXT_NAT_T_SPORT, sizeof(*p))))
		p->sadb_x_nat_t_port_port = htons(sport);
	if ((p = ext(b, SADB_X_EXT_NAT_T_DPORT, sizeof(*p))))
		p->sadb_x_nat_t_port_port = htons(dport);
}

void pfk_add_policy(pfk_buf_t *b, uint16_t type, uint8_t dir, uint32_t id,
                    uint32_t priority, const pfk_ipsecrequest_t *req)
{
	size_t rl = 0, sl = 0;
	struct sadb_x_policy *p;

	if (req) {
		sl = sockaddr_len(req->src.ss_family);
		if (sl && req->dst.ss_family != req->src.ss_family) {
			b->overflow = true;
			return;
		}
		rl = round8(sizeof(struct sadb_x_ipsecrequest) + 2 * sl);
	}
	p = ext(b, SADB_X_EXT_POLICY, sizeof(*p) + rl);
	if (!p)
		return;
	p->sadb_x_policy_type = type;
	p->sadb_x_policy_dir = dir;
	p->sadb_x_policy_id = id;
	p->sadb_x_policy_priority = priority;
	if (req) {
		struct sadb_x_ipsecrequest *r = (struct sadb_x_ipsecrequest *)(p + 1);
		r->sadb_x_ipsecrequest_len = (uint16_t)rl;   /* bytes, not units */
		r->sadb_x_ipsecrequest_proto = req->proto;
		r->sadb_x_ipsecrequest_mode = req->mode;
		r->sadb_x_ipsecrequest_level = req->level;
		r->sadb_x_ipsecrequest_reqid = req->reqid;
		if (sl) {
			memcpy((uint8_t *)(r + 1), &req->src, sl);
			memcpy((uint8_t *)(r + 1) + sl, &req->dst, sl);
		}
	}
}

/* ------------------------------------------------------------- parsing */

/* The smallest a kernel extension of each type can be (its structure;
 * addresses also carry a sockaddr, checked when read). */
static size_t min_len(uint16_t type)
{
	switch (type) {
	case SADB_EXT_SA:               return sizeof(struct sadb_sa);
	case SADB_EXT_LIFETIME_CURRENT:
	case SADB_EXT_LIFETIME_HARD:
	case SADB_EXT_LIFETIME_SOFT:    return sizeof(struct sadb_lifetime);
	case SADB_EXT_ADDRESS_SRC:
	case SADB_EXT_ADDRESS_DST:
	case SADB_EXT_ADDRESS_PROXY:
	case SADB_X_EXT_NAT_T_OA:       return sizeof(struct sadb_address);
	case SADB_EXT_KEY_AUTH:
	case SADB_EXT_KEY_ENCRYPT:      return sizeof(struct sadb_key);
	case SADB_EXT_IDENTITY_SRC:
	case SADB_EXT_IDENTITY_DST:     return sizeof(struct sadb_ident);
	case SADB_EXT_SENSITIVITY:      return sizeof(struct sadb_sens);
	case SADB_EXT_PROPOSAL:         return sizeof(struct sadb_prop);
	case SADB_EXT_SUPPORTED_AUTH:
	case SADB_EXT_SUPPORTED_ENCRYPT: return sizeof(struct sadb_supported);
	case SADB_EXT_SPIRANGE:         return sizeof(struct sadb_spirange);
	case SADB_X_EXT_KMPRIVATE:      return sizeof(struct sadb_x_kmprivate);
	case SADB_X_EXT_POLICY:         return sizeof(struct sadb_x_policy);
	case SADB_X_EXT_SA2:            return sizeof(struct sadb_x_sa2);
	case SADB_X_EXT_NAT_T_TYPE:     return sizeof(struct sadb_x_nat_t_type);
	case SADB_X_EXT_NAT_T_SPORT:
	case SADB_X_EXT_NAT_T_DPORT:    return sizeof(struct sadb_x_nat_t_port);
	case SADB_X_EXT_SEC_CTX:        return sizeof(struct sadb_x_sec_ctx);
	case SADB_X_EXT_KMADDRESS:      return sizeof(struct sadb_x_kmaddress);
	case SADB_X_EXT_FILTER:         return sizeof(struct sadb_x_filter);
	}
	return sizeof(struct sadb_ext);
}

bool pfk_parse(const void *msg, size_t n, pfk_msg_t *out, char *err,
               size_t errlen)
{
	const uint8_t *p = msg;
	const struct sadb_msg *h = msg;
	size_t off, total;

	memset(out, 0, sizeof(*out));
	if (((uintptr_t)msg & (UNIT - 1)) != 0) {
		snprintf(err, errlen, "message buffer not 8-byte aligned");
		return false;
	}
	if (n < sizeof(*h)) {
		snprintf(err, errlen, "%zu bytes, shorter than a header", n);
		return false;
	}
	if (h->sadb_msg_version != PF_KEY_V2) {
		snprintf(err, errlen, "version %u, not PF_KEY v2",
		         h->sadb_msg_version);
		return false;
	}
	total = (size_t)h->sadb_msg_len * UNIT;
	if (total < sizeof(*h) || total > n) {
		snprintf(err, errlen, "header says %zu bytes, %zu received",
		         total, n);
		return false;
	}
	for (off = sizeof(*h); off < total;) {
		const struct sadb_ext *e = (const struct sadb_ext *)(p + off);
		size_t left = total - off, len;

		if (left < sizeof(*e)) {
			snprintf(err, errlen, "%zu stray bytes at offset %zu",
			         left, off);
			return false;
		}
		len = (size_t)e->sadb_ext_len * UNIT;
		if (len == 0 || len > left) {
			snprintf(err, errlen, "extension %u at offset %zu: length "
			         "%zu, %zu bytes left", e->sadb_ext_type, off, len,
			         left);
			return false;
		}
		if (e->sadb_ext_type == 0 || e->sadb_ext_type > SADB_EXT_MAX) {
			snprintf(err, errlen, "unknown extension type %u at offset "
			         "%zu", e->sadb_ext_type, off);
			return false;
		}
		if (len < min_len(e->sadb_ext_type)) {
			snprintf(err, errlen, "extension %u: %zu bytes, needs %zu",
			         e->sadb_ext_type, len, min_len(e->sadb_ext_type));
			return false;
		}
		if (out->ext[e->sadb_ext_type]) {
			snprintf(err, errlen, "extension %u appears twice",
			         e->sadb_ext_type);
			return false;
		}
		out->ext[e->sadb_ext_type] = e;
		off += len;
	}
	out->hdr = h;
	return true;
}

static size_t ext_bytes(const struct sadb_ext *e)
{
	return (size_t)e->sadb_ext_len * UNIT;
}

bool pfk_get_sa(const pfk_msg_t *m, uint32_t *spi, uint8_t *auth,
                uint8_t *encrypt, uint8_t *replay, uint8_t *state)
{
	const struct sadb_sa *sa = (const struct sadb_sa *)m->ext[SADB_EXT_SA];

	if (!sa)
		return false;
	if (spi)
		*spi = ntohl(sa->sadb_sa_spi);
	if (auth)
		*auth = sa->sadb_sa_auth;
	if (encrypt)
		*encrypt = sa->sadb_sa_encrypt;
	if (replay)
		*replay = sa->sadb_sa_replay;
	if (state)
		*state = sa->sadb_sa_state;
	return true;
}

uint8_t pfk_full_prefix(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* A sockaddr of avail bytes at p: AF_INET or AF_INET6, long enough. */
static bool read_sockaddr(const uint8_t *p, size_t avail,
                          struct sockaddr_storage *out, size_t *used)
{
	sa_family_t fam;
	size_t sl;

	if (avail < sizeof(sa_family_t))
		return false;
	memcpy(&fam, p, sizeof(fam));
	sl = sockaddr_len(fam);
	if (!sl || sl > avail)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out, p, sl);
	if (used)
		*used = sl;
	return true;
}

bool pfk_get_address(const pfk_msg_t *m, uint16_t exttype,
                     struct sockaddr_storage *addr, uint8_t *prefixlen,
                     uint8_t *proto)
{
	const struct sadb_address *a;

	if (exttype > SADB_EXT_MAX || !(a = (const void *)m->ext[exttype]))
		return false;
	if (!read_sockaddr((const uint8_t *)(a + 1),
	                   ext_bytes(m->ext[exttype]) - sizeof(*a), addr, NULL))
		return false;
	if (a->sadb_address_prefixlen > pfk_full_prefix(addr->ss_family))
		return false;
	if (prefixlen)
		*prefixlen = a->sadb_address_prefixlen;
	if (proto)
		*proto = a->sadb_address_proto;
	return true;
}

bool pfk_get_sa2(const pfk_msg_t *m, uint8_t *mode, uint32_t *reqid)
{
	const struct sadb_x_sa2 *s = (const void *)m->ext[SADB_X_EXT_SA2];

	if (!s)
		return false;
	if (mode)
		*mode = s->sadb_x_sa2_mode;
	if (reqid)
		*reqid = s->sadb_x_sa2_reqid;
	return true;
}

bool pfk_get_lifetime(const pfk_msg_t *m, uint16_t exttype,
                      uint64_t *packets, uint64_t *bytes, uint64_t *addtime,
                      uint64_t *usetime)
{
	const struct sadb_lifetime *l;

	if ((exttype != SADB_EXT_LIFETIME_CURRENT &&
	     exttype != SADB_EXT_LIFETIME_HARD &&
	     exttype != SADB_EXT_LIFETIME_SOFT) ||
	    !(l = (const void *)m->ext[exttype]))
		return false;
	if (packets)
		*packets = l->sadb_lifetime_allocations;
	if (bytes)
		*bytes = l->sadb_lifetime_bytes;
	if (addtime)
		*addtime = l->sadb_lifetime_addtime;
	if (usetime)
		*usetime = l->sadb_lifetime_usetime;
	return true;
}

bool pfk_get_nat_t_port(const pfk_msg_t *m, uint16_t exttype, uint16_t *port)
{
	const struct sadb_x_nat_t_port *p;

	if ((exttype != SADB_X_EXT_NAT_T_SPORT &&
	     exttype != SADB_X_EXT_NAT_T_DPORT) ||
	    !(p = (const void *)m->ext[exttype]))
		return false;
	*port = ntohs(p->sadb_x_nat_t_port_port);
	return true;
}

bool pfk_get_nat_t_type(const pfk_msg_t *m, uint8_t *type)
{
	const struct sadb_x_nat_t_type *t = (const void *)m->ext[SADB_X_EXT_NAT_T_TYPE];

	if (!t)
		return false;
	*type = t->sadb_x_nat_t_type_type;
	return true;
}

bool pfk_get_policy(const pfk_msg_t *m, pfk_policy_t *out)
{
	const struct sadb_x_policy *p = (const void *)m->ext[SADB_X_EXT_POLICY];
	const uint8_t *r;
	size_t left;

	memset(out, 0, sizeof(*out));
	if (!p)
		return false;
	out->type = p->sadb_x_policy_type;
	out->dir = p->sadb_x_policy_dir;
	out->id = p->sadb_x_policy_id;
	out->priority = p->sadb_x_policy_priority;
	r = (const uint8_t *)(p + 1);
	left = ext_bytes(m->ext[SADB_X_EXT_POLICY]) - sizeof(*p);
	while (left > 0) {
		const struct sadb_x_ipsecrequest *q = (const void *)r;
		pfk_ipsecrequest_t *o;
		size_t qlen, used, rest;

		if (left < sizeof(*q))
			return false;
		qlen = q->sadb_x_ipsecrequest_len;   /* in bytes (Linux) */
		if (qlen < sizeof(*q) || qlen > left)
			return false;
		if (out->n_req == (int)(sizeof(out->req) / sizeof(out->req[0])))
			return false;
		o = &out->req[out->n_req++];
		o->proto = (uint8_t)q->sadb_x_ipsecrequest_proto;
		o->mode = q->sadb_x_ipsecrequest_mode;
		o->level = q->sadb_x_ipsecrequest_level;
		o->reqid = q->sadb_x_ipsecrequest_reqid;
		rest = qlen - sizeof(*q);
		if (rest >= sizeof(sa_family_t) * 2) {
			const uint8_t *a = (const uint8_t *)(q + 1);
			if (!read_sockaddr(a, rest, &o->src, &used) ||
			    !read_sockaddr(a + used, rest - used, &o->dst, NULL) ||
			    o->src.ss_family != o->dst.ss_family)
				return false;
		}
		r += qlen;
		left -= qlen;
	}
	return true;
}

bool pfk_get_supported(const pfk_msg_t *m, uint16_t exttype, pfk_alg_t *out,
                       size_t max, size_t *n)
{
	const struct sadb_supported *s;
	const struct sadb_alg *a;
	size_t count;

	*n = 0;
	if ((exttype != SADB_EXT_SUPPORTED_AUTH &&
	     exttype != SADB_EXT_SUPPORTED_ENCRYPT) ||
	    !(s = (const void *)m->ext[exttype]))
		return false;
	count = (ext_bytes(m->ext[exttype]) - sizeof(*s)) / sizeof(*a);
	a = (const struct sadb_alg *)(s + 1);
	for (size_t i = 0; i < count; i++) {
		if (i < max)
			out[i] = (pfk_alg_t){ a[i].sadb_alg_id, a[i].sadb_alg_ivlen,
			                      a[i].sadb_alg_minbits,
			                      a[i].sadb_alg_maxbits };
	}
	*n = count;
	return true;
}

const char *pfk_type_name(uint8_t type)
{
	static const char *const names[] = {
		[SADB_GETSPI] = "GETSPI", [SADB_UPDATE] = "UPDATE",
		[SADB_ADD] = "ADD", [SADB_DELETE] = "DELETE", [SADB_GET] = "GET",
		[SADB_ACQUIRE] = "ACQUIRE", [SADB_REGISTER] = "REGISTER",
		[SADB_EXPIRE] = "EXPIRE", [SADB_FLUSH] = "FLUSH",
		[SADB_DUMP] = "DUMP", [SADB_X_PROMISC] = "X_PROMISC",
		[SADB_X_PCHANGE] = "X_PCHANGE", [SADB_X_SPDUPDATE] = "X_SPDUPDATE",
		[SADB_X_SPDADD] = "X_SPDADD", [SADB_X_SPDDELETE] = "X_SPDDELETE",
		[SADB_X_SPDGET] = "X_SPDGET", [SADB_X_SPDACQUIRE] = "X_SPDACQUIRE",
		[SADB_X_SPDDUMP] = "X_SPDDUMP", [SADB_X_SPDFLUSH] = "X_SPDFLUSH",
		[SADB_X_SPDSETIDX] = "X_SPDSETIDX",
		[SADB_X_SPDEXPIRE] = "X_SPDEXPIRE",
		[SADB_X_SPDDELETE2] = "X_SPDDELETE2",
		[SADB_X_NAT_T_NEW_MAPPING] = "X_NAT_T_NEW_MAPPING",
		[SADB_X_MIGRATE] = "X_MIGRATE",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "?";
}
