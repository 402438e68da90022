/*
 * kernel_null_rec.c - the null backend's compact records: packing the
 * kernel-ipsec API's structures into them and back, comparing and
 * hashing them (kernel_null_rec.h).
 */
#include "kernel_null_rec.h"

#include <netinet/in.h>
#include <string.h>

void cn_addr_pack(const struct sockaddr_storage *in, cn_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (in->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)in;
		out->family = AF_INET;
		memcpy(out->addr, &s->sin_addr, 4);
		out->port = ntohs(s->sin_port);
	} else if (in->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)in;
		out->family = AF_INET6;
		memcpy(out->addr, &s->sin6_addr, 16);
		out->port = ntohs(s->sin6_port);
	}
}

void cn_addr_unpack(const cn_addr_t *in, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, in->addr, 4);
		s->sin_port = htons(in->port);
	} else if (in->family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, in->addr, 16);
		s->sin6_port = htons(in->port);
	}
}

void cn_ts_pack(const kernel_ts_t *in, cn_ts_t *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family != AF_INET && in->family != AF_INET6)
		return;
	out->family = (uint8_t)in->family;
	out->proto = in->proto;
	memcpy(out->from, in->from, in->family == AF_INET ? 4 : 16);
	memcpy(out->to, in->to, in->family == AF_INET ? 4 : 16);
	out->port_from = in->port_from;
	out->port_to = in->port_to;
}

void cn_ts_unpack(const cn_ts_t *in, kernel_ts_t *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->proto = in->proto;
	memcpy(out->from, in->from, 16);
	memcpy(out->to, in->to, 16);
	out->port_from = in->port_from;
	out->port_to = in->port_to;
}

void cn_sa_id_pack(const kernel_sa_id_t *in, cn_sa_id_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_addr_pack(&in->dst, &out->dst);
	out->protocol = in->protocol;
	out->spi = in->spi;
	out->mark_value = in->mark.value;
	out->mark_mask = in->mark.mask;
}

void cn_sa_id_unpack(const cn_sa_id_t *in, kernel_sa_id_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_addr_unpack(&in->dst, &out->dst);
	out->protocol = in->protocol;
	out->spi = in->spi;
	out->mark.value = in->mark_value;
	out->mark.mask = in->mark_mask;
}

size_t cn_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

bool cn_sa_id_equals(const cn_sa_id_t *a, const cn_sa_id_t *b)
{
	return a->spi == b->spi && a->protocol == b->protocol &&
	       a->mark_value == b->mark_value && a->mark_mask == b->mark_mask &&
	       a->dst.family == b->dst.family &&
	       memcmp(a->dst.addr, b->dst.addr, cn_addr_len(a->dst.family)) == 0;
}

uint64_t cn_fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t cn_sa_id_hash(const cn_sa_id_t *id)
{
	uint64_t h = FNV_BASIS;

	h = cn_fnv(h, &id->spi, sizeof(id->spi));
	h = cn_fnv(h, &id->protocol, 1);
	h = cn_fnv(h, &id->mark_value, sizeof(id->mark_value));
	return cn_fnv(h, id->dst.addr, cn_addr_len(id->dst.family));
}

void cn_sa_pack(const kernel_sa_t *in, cn_sa_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_sa_id_pack(&in->id, &out->id);
	cn_addr_pack(&in->src, &out->src);
	out->dir = (uint8_t)in->dir;
	out->mode = (uint8_t)in->mode;
	out->encap = in->encap;
	out->esn = in->esn;
	out->encr_key_len = (uint8_t)(in->encr_key.len > 255 ? 255 : in->encr_key.len);
	out->integ_key_len = (uint8_t)(in->integ_key.len > 255 ? 255 : in->integ_key.len);
	out->encr_alg = in->encr_alg;
	out->encr_keylen_bits = in->encr_keylen_bits;
	out->encr_salt_len = in->encr_salt_len;
	out->integ_alg = in->integ_alg;
	out->icv_bits = in->icv_bits;
	out->reqid = in->reqid;
	out->replay_window = in->replay_window;
	cn_ts_pack(&in->src_ts, &out->src_ts);
	cn_ts_pack(&in->dst_ts, &out->dst_ts);
	out->soft = in->soft;
	out->hard = in->hard;
}

void cn_sa_unpack(const cn_sa_t *in, kernel_sa_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_sa_id_unpack(&in->id, &out->id);
	cn_addr_unpack(&in->src, &out->src);
	out->dir = (kernel_dir_t)in->dir;
	out->mode = (kernel_mode_t)in->mode;
	out->encap = in->encap;
	out->esn = in->esn;
	out->encr_alg = in->encr_alg;
	out->encr_keylen_bits = in->encr_keylen_bits;
	out->encr_salt_len = in->encr_salt_len;
	out->integ_alg = in->integ_alg;
	out->icv_bits = in->icv_bits;
	out->reqid = in->reqid;
	out->replay_window = in->replay_window;
	cn_ts_unpack(&in->src_ts, &out->src_ts);
	cn_ts_unpack(&in->dst_ts, &out->dst_ts);
	out->soft = in->soft;
	out->hard = in->hard;
}

void cn_policy_pack(const kernel_policy_t *in, cn_policy_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_ts_pack(&in->src_ts, &out->src_ts);
	cn_ts_pack(&in->dst_ts, &out->dst_ts);
	cn_addr_pack(&in->sa_src, &out->sa_src);
	cn_addr_pack(&in->sa_dst, &out->sa_dst);
	out->dir = (uint8_t)in->dir;
	out->action = (uint8_t)in->action;
	out->mode = (uint8_t)in->mode;
	out->protocol = in->protocol;
	out->reqid = in->reqid;
	out->priority = in->priority;
	out->mark_value = in->mark.value;
	out->mark_mask = in->mark.mask;
}

void cn_policy_unpack(const cn_policy_t *in, kernel_policy_t *out)
{
	memset(out, 0, sizeof(*out));
	cn_ts_unpack(&in->src_ts, &out->src_ts);
	cn_ts_unpack(&in->dst_ts, &out->dst_ts);
	cn_addr_unpack(&in->sa_src, &out->sa_src);
	cn_addr_unpack(&in->sa_dst, &out->sa_dst);
	out->dir = (kernel_dir_t)in->dir;
	out->action = (kernel_policy_action_t)in->action;
	out->mode = (kernel_mode_t)in->mode;
	out->protocol = in->protocol;
	out->reqid = in->reqid;
	out->priority = in->priority;
	out->mark.value = in->mark_value;
	out->mark.mask = in->mark_mask;
}

/* Packed selectors are zero-filled past the address, so whole-struct
 * comparison is exact. */
bool cn_policy_same_name(const cn_policy_t *a, const cn_policy_t *b)
{
	return a->dir == b->dir && a->mark_value == b->mark_value &&
	       a->mark_mask == b->mark_mask &&
	       memcmp(&a->src_ts, &b->src_ts, sizeof(a->src_ts)) == 0 &&
	       memcmp(&a->dst_ts, &b->dst_ts, sizeof(a->dst_ts)) == 0;
}

uint64_t cn_policy_hash(const cn_policy_t *p)
{
	uint64_t h = FNV_BASIS;

	h = cn_fnv(h, &p->src_ts, sizeof(p->src_ts));
	h = cn_fnv(h, &p->dst_ts, sizeof(p->dst_ts));
	h = cn_fnv(h, &p->dir, 1);
	return cn_fnv(h, &p->mark_value, sizeof(p->mark_value));
}
