/*
 * privsep_msg.c - encoding and checked decoding of the privsep messages
 * (privsep_msg.h).  The decoder never trusts the sender: lengths first,
 * then enumerations and families, and the bytes of an address past what
 * its family uses are zeroed so that no backend sees them.
 */
#include "kernel/privsep_msg.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

const char *psm_type_name(uint16_t type)
{
	switch (type) {
	case PSM_GET_SPI:      return "get_spi";
	case PSM_ADD_SA:       return "add_sa";
	case PSM_UPDATE_SA:    return "update_sa";
	case PSM_QUERY_SA:     return "query_sa";
	case PSM_DEL_SA:       return "del_sa";
	case PSM_ADD_POLICY:   return "add_policy";
	case PSM_QUERY_POLICY: return "query_policy";
	case PSM_DEL_POLICY:   return "del_policy";
	case PSM_FLUSH:        return "flush";
	case PSM_MATCH_POLICY: return "match_policy";
	case PSM_REPLY:        return "reply";
	case PSM_EVENT:        return "event";
	case PSM_ESP:          return "esp";
	case PSM_RELOAD:       return "reload";
	case PSM_READY:        return "ready";
	case PSM_READ:         return "read";
	case PSM_READ_DONE:    return "read_done";
	}
	return "unknown";
}

/* The fixed body length of a type; -1 = unknown type. */
static long body_len(uint16_t type)
{
	switch (type) {
	case PSM_GET_SPI:      return sizeof(psm_get_spi_t);
	case PSM_ADD_SA:       return sizeof(psm_sa_t);
	case PSM_UPDATE_SA:    return sizeof(psm_update_sa_t);
	case PSM_QUERY_SA:
	case PSM_DEL_SA:       return sizeof(kernel_sa_id_t);
	case PSM_ADD_POLICY:
	case PSM_QUERY_POLICY:
	case PSM_MATCH_POLICY:
	case PSM_DEL_POLICY:   return sizeof(kernel_policy_t);
	case PSM_FLUSH:
	case PSM_READY:        return 0;
	case PSM_REPLY:        return sizeof(psm_reply_t);
	case PSM_EVENT:        return sizeof(kernel_event_t);
	case PSM_ESP:          return sizeof(psm_esp_t);
	case PSM_RELOAD:       return sizeof(psm_reload_t);
	case PSM_READ:         return sizeof(psm_read_t);
	case PSM_READ_DONE:    return sizeof(psm_read_done_t);
	}
	return -1;
}

#define FAIL(...) do { snprintf(why, why_len, __VA_ARGS__); return false; } while (0)

/* Keep only what the family uses; false for a family other than
 * AF_INET/AF_INET6 (or AF_UNSPEC when allowed). */
static bool clean_addr(struct sockaddr_storage *ss, bool unspec_ok)
{
	struct sockaddr_storage c;

	memset(&c, 0, sizeof(c));
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss, *b = (struct sockaddr_in *)&c;
		b->sin_family = AF_INET;
		b->sin_port = a->sin_port;
		b->sin_addr = a->sin_addr;
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss, *b = (struct sockaddr_in6 *)&c;
		b->sin6_family = AF_INET6;
		b->sin6_port = a->sin6_port;
		b->sin6_addr = a->sin6_addr;
		b->sin6_scope_id = a->sin6_scope_id;
	} else if (!(unspec_ok && ss->ss_family == AF_UNSPEC)) {
		return false;
	}
	*ss = c;
	return true;
}

static bool ts_ok(const kernel_ts_t *ts, bool any_ok)
{
	if (ts->family == 0)
		return any_ok;
	if (ts->family != AF_INET && ts->family != AF_INET6)
		return false;
	size_t n = ts->family == AF_INET ? 4 : 16;
	return memcmp(ts->from, ts->to, n) <= 0 && ts->port_from <= ts->port_to;
}

static bool id_ok(kernel_sa_id_t *id)
{
	return clean_addr(&id->dst, false) &&
	       (id->protocol == KERNEL_PROTO_ESP || id->protocol == KERNEL_PROTO_AH);
}

static bool check_body(psm_msg_t *m, char *why, size_t why_len)
{
	switch (m->hdr.type) {
	case PSM_GET_SPI:
		if (!clean_addr(&m->u.get_spi.src, false) ||
		    !clean_addr(&m->u.get_spi.dst, false) ||
		    m->u.get_spi.src.ss_family != m->u.get_spi.dst.ss_family)
			FAIL("bad address family");
		if (m->u.get_spi.protocol != KERNEL_PROTO_ESP &&
		    m->u.get_spi.protocol != KERNEL_PROTO_AH)
			FAIL("bad protocol %u", m->u.get_spi.protocol);
		return true;
	case PSM_ADD_SA: {
		psm_sa_t *s = &m->u.sa;
		if (!id_ok(&s->id) || !clean_addr(&s->src, false) ||
		    s->src.ss_family != s->id.dst.ss_family)
			FAIL("bad SA id or addresses");
		if (s->dir > KERNEL_DIR_OUT || s->mode > KERNEL_MODE_TUNNEL)
			FAIL("bad direction or mode");
		if (s->encr_key_len > PSM_KEY_MAX || s->integ_key_len > PSM_KEY_MAX)
			FAIL("key longer than %d bytes", PSM_KEY_MAX);
		if (s->encap > 1 || s->esn > 1)
			FAIL("bad flag");
		if (!ts_ok(&s->src_ts, true) || !ts_ok(&s->dst_ts, true))
			FAIL("bad SA selector");
		if (!clean_addr(&s->nat_oa_src, true) || !clean_addr(&s->nat_oa_dst, true))
			FAIL("bad NAT original address");
		return true;
	}
	case PSM_UPDATE_SA:
		if (!id_ok(&m->u.update.id) || !clean_addr(&m->u.update.new_src, false) ||
		    !clean_addr(&m->u.update.new_dst, false) || m->u.update.encap > 1)
			FAIL("bad SA id or addresses");
		return true;
	case PSM_QUERY_SA:
	case PSM_DEL_SA:
		if (!id_ok(&m->u.id))
			FAIL("bad SA id");
		return true;
	case PSM_ADD_POLICY:
	case PSM_QUERY_POLICY:
	case PSM_MATCH_POLICY:
	case PSM_DEL_POLICY: {
		kernel_policy_t *p = &m->u.policy;
		if ((unsigned)p->dir > KERNEL_DIR_FWD ||
		    (unsigned)p->action > KERNEL_POLICY_DROP ||
		    (unsigned)p->mode > KERNEL_MODE_TUNNEL)
			FAIL("bad direction, action or mode");
		if (!ts_ok(&p->src_ts, false) || !ts_ok(&p->dst_ts, false) ||
		    p->src_ts.family != p->dst_ts.family)
			FAIL("bad selector");
		if (!clean_addr(&p->sa_src, true) || !clean_addr(&p->sa_dst, true))
			FAIL("bad template address");
		return true;
	}
	case PSM_REPLY:
		if (m->u.reply.ok != 0 && m->u.reply.ok != 1)
			FAIL("bad reply status");
		return true;
	case PSM_EVENT: {
		kernel_event_t *e = &m->u.event;
		switch (e->type) {
		case KERNEL_EV_ACQUIRE:
			if (!ts_ok(&e->acquire.src_ts, true) || !ts_ok(&e->acquire.dst_ts, true) ||
			    !ts_ok(&e->acquire.pkt_src_ts, true) ||
			    !ts_ok(&e->acquire.pkt_dst_ts, true))
				FAIL("bad ACQUIRE selector");
			if (!clean_addr(&e->acquire.tmpl_src, true) ||
			    !clean_addr(&e->acquire.tmpl_dst, true) ||
			    (unsigned)e->acquire.mode > KERNEL_MODE_TUNNEL)
				FAIL("bad ACQUIRE template");
			uint8_t fb;   /* a bool's byte, read as a byte */
			memcpy(&fb, &e->acquire.foreign, 1);
			if (fb > 1)
				FAIL("bad ACQUIRE flag");
			return true;
		case KERNEL_EV_EXPIRE:
			if (!id_ok(&e->expire.sa))
				FAIL("bad EXPIRE SA");
			return true;
		case KERNEL_EV_MAPPING:
			if (!id_ok(&e->mapping.sa) || !clean_addr(&e->mapping.new_peer, false))
				FAIL("bad MAPPING");
			return true;
		}
		FAIL("unknown event %d", (int)e->type);
	}
	case PSM_ESP:
		if (m->u.esp.esp_len != m->var_len || m->var_len == 0 ||
		    m->var_len > PSM_ESP_MAX)
			FAIL("ESP length %u does not match the message",
			     (unsigned)m->u.esp.esp_len);
		if (!clean_addr(&m->u.esp.from, false) || !clean_addr(&m->u.esp.to, false))
			FAIL("bad ESP addresses");
		return true;
	case PSM_RELOAD: {
		psm_reload_t *r = &m->u.reload;
		uint64_t sum = (uint64_t)r->path_len + r->text_len + r->psk_path_len +
		               r->psk_text_len;
		if (sum != m->var_len)
			FAIL("reload lengths do not add up");
		if (r->path_len == 0 || r->path_len > 4096 || r->psk_path_len > 4096 ||
		    r->text_len > PSM_TEXT_MAX || r->psk_text_len > PSM_TEXT_MAX)
			FAIL("reload part too long");
		if (memchr(m->var, 0, m->var_len))
			FAIL("NUL inside a reload text");
		return true;
	}
	case PSM_READ: {
		psm_read_t *r = &m->u.read;
		if ((uint64_t)r->path_len + r->psk_path_len != m->var_len)
			FAIL("read lengths do not add up");
		if (r->path_len > 4096 || r->psk_path_len > 4096)
			FAIL("read path too long");
		if (memchr(m->var, 0, m->var_len))
			FAIL("NUL inside a read path");
		if ((r->path_len && m->var[0] != '/') ||
		    (r->psk_path_len && m->var[r->path_len] != '/'))
			FAIL("read path not absolute");
		return true;
	}
	case PSM_READ_DONE:
		if (m->u.read_done.msg_len != m->var_len || m->var_len > PSM_READ_MSG_MAX ||
		    (m->u.read_done.ok != 0 && m->u.read_done.ok != 1))
			FAIL("bad read answer");
		if (memchr(m->var, 0, m->var_len))
			FAIL("NUL inside a read answer");
		return true;
	}
	return true;
}

bool psm_decode(const uint8_t *buf, size_t n, bool truncated, psm_msg_t *m,
                char *why, size_t why_len)
{
	psm_hdr_t h;

	if (why && why_len)
		why[0] = '\0';
	memset(m, 0, sizeof(*m));
	if (truncated)
		FAIL("oversized message (more than %zu bytes)", (size_t)PSM_MSG_MAX);
	if (n < sizeof(h))
		FAIL("truncated header (%zu bytes)", n);
	memcpy(&h, buf, sizeof(h));
	if (h.len != n)
		FAIL("length %u in the header, %zu received", (unsigned)h.len, n);
	long want = body_len(h.type);
	if (want < 0)
		FAIL("unknown type %u", (unsigned)h.type);
	if (h.reserved != 0)
		FAIL("reserved header bits set");
	bool variable = h.type == PSM_ESP || h.type == PSM_RELOAD ||
	                h.type == PSM_READ || h.type == PSM_READ_DONE;
	size_t body = n - sizeof(h);
	if (variable ? body < (size_t)want : body != (size_t)want)
		FAIL("%s: body of %zu bytes, %ld expected", psm_type_name(h.type),
		     body, want);
	m->hdr = h;
	memcpy(&m->u, buf + sizeof(h), (size_t)want);
	if (variable) {
		m->var = buf + sizeof(h) + want;
		m->var_len = body - (size_t)want;
	}
	return check_body(m, why, why_len);
}

size_t psm_encode(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
                  const void *body, size_t blen, const void *var, size_t vlen)
{
	psm_hdr_t h = { .type = type, .seq = seq };
	size_t n = sizeof(h) + blen + vlen;

	if (n > cap || n > PSM_MSG_MAX)
		return 0;
	h.len = (uint32_t)n;
	memcpy(buf, &h, sizeof(h));
	if (blen)
		memcpy(buf + sizeof(h), body, blen);
	if (vlen)
		memcpy(buf + sizeof(h) + blen, var, vlen);
	return n;
}

bool psm_send(int fd, uint16_t type, uint32_t seq, const void *body,
              size_t blen, const void *var, size_t vlen)
{
	psm_hdr_t h = { .type = type, .seq = seq };
	struct iovec iov[3] = {
		{ &h, sizeof(h) }, { (void *)body, blen }, { (void *)var, vlen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
	ssize_t r;

	if (sizeof(h) + blen + vlen > PSM_MSG_MAX)
		return false;
	h.len = (uint32_t)(sizeof(h) + blen + vlen);
	do {
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r == (ssize_t)h.len;
}

bool psm_sa_from_kernel(psm_sa_t *p, const kernel_sa_t *sa)
{
	memset(p, 0, sizeof(*p));
	if (sa->encr_key.len > PSM_KEY_MAX || sa->integ_key.len > PSM_KEY_MAX)
		return false;
	p->id = sa->id;
	p->src = sa->src;
	p->dir = sa->dir;
	p->mode = sa->mode;
	p->reqid = sa->reqid;
	p->replay_window = sa->replay_window;
	p->if_id = sa->if_id;
	p->encap = sa->encap;
	p->esn = sa->esn;
	p->encr_salt_len = sa->encr_salt_len;
	p->encr_alg = sa->encr_alg;
	p->encr_keylen_bits = sa->encr_keylen_bits;
	p->integ_alg = sa->integ_alg;
	p->icv_bits = sa->icv_bits;
	p->soft = sa->soft;
	p->hard = sa->hard;
	p->src_ts = sa->src_ts;
	p->dst_ts = sa->dst_ts;
	p->nat_oa_src = sa->nat_oa_src;
	p->nat_oa_dst = sa->nat_oa_dst;
	p->encr_key_len = (uint16_t)sa->encr_key.len;
	p->integ_key_len = (uint16_t)sa->integ_key.len;
	if (sa->encr_key.len)
		memcpy(p->encr_key, sa->encr_key.ptr, sa->encr_key.len);
	if (sa->integ_key.len)
		memcpy(p->integ_key, sa->integ_key.ptr, sa->integ_key.len);
	return true;
}

void psm_sa_to_kernel(kernel_sa_t *sa, psm_sa_t *p)
{
	memset(sa, 0, sizeof(*sa));
	sa->id = p->id;
	sa->src = p->src;
	sa->dir = (kernel_dir_t)p->dir;
	sa->mode = (kernel_mode_t)p->mode;
	sa->reqid = p->reqid;
	sa->replay_window = p->replay_window;
	sa->if_id = p->if_id;
	sa->encap = p->encap;
	sa->esn = p->esn;
	sa->encr_salt_len = p->encr_salt_len;
	sa->encr_alg = p->encr_alg;
	sa->encr_keylen_bits = p->encr_keylen_bits;
	sa->integ_alg = p->integ_alg;
	sa->icv_bits = p->icv_bits;
	sa->soft = p->soft;
	sa->hard = p->hard;
	sa->src_ts = p->src_ts;
	sa->dst_ts = p->dst_ts;
	sa->nat_oa_src = p->nat_oa_src;
	sa->nat_oa_dst = p->nat_oa_dst;
	sa->encr_key = chunk_create(p->encr_key, p->encr_key_len);
	sa->integ_key = chunk_create(p->integ_key, p->integ_key_len);
}

bool psm_env_parse(const char *text, psm_env_t *e)
{
	int v[9];
	int used = 0;

	if (!text)
		return false;
	if (sscanf(text, "%d,%d,%d,%d,%d,%d,%d,%d,%d%n", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7], &v[8], &used) != 9 || text[used])
		return false;
	for (int i = 0; i < 3; i++)
		if (v[i] < 0)
			return false;
	e->ctl = v[0];
	e->kernel = v[1];
	e->events = v[2];
	for (int i = 0; i < 4; i++)
		e->socks[i] = v[3 + i];
	e->encap = v[7] != 0;
	e->esp = v[8] != 0;
	return true;
}

char *psm_reload_text(const psm_msg_t *m, const char *path, size_t *len)
{
	const psm_reload_t *r = &m->u.reload;
	const char *v = (const char *)m->var;
	const char *p1 = v, *t1 = v + r->path_len;
	const char *p2 = t1 + r->text_len, *t2 = p2 + r->psk_path_len;
	const char *text = NULL;
	size_t tl = 0;

	if (strlen(path) == r->path_len && memcmp(path, p1, r->path_len) == 0) {
		text = t1; tl = r->text_len;
	} else if (r->psk_path_len && strlen(path) == r->psk_path_len &&
	           memcmp(path, p2, r->psk_path_len) == 0) {
		text = t2; tl = r->psk_text_len;
	}
	if (!text)
		return NULL;
	char *out = xzalloc(tl + 1);
	memcpy(out, text, tl);
	*len = tl;
	return out;
}
