/*
 * message.c - the message object: its arena, payload list, lookups,
 * builders and log summary.
 *
 * A message is one allocation holding the struct and an inline arena sized
 * for the common case (the received bytes plus room for arrays); bigger
 * needs chain extra blocks.  Parsed and added payload data all live there,
 * so freeing the message frees everything, and no payload points into a
 * buffer the caller owns.
 */
#include "codec/codec_internal.h"

#include <stdio.h>
#include <stdlib.h>

struct codec_arena_block {
	codec_arena_block_t *next;
	size_t size;
	/* data follows, 16-byte aligned */
	_Alignas(16) uint8_t data[];
};

#define ARENA_ALIGN 8u
#define ARENA_MIN_BLOCK 1024u

codec_status_t codec_fail(codec_error_t *err, codec_status_t status,
                          uint8_t payload, size_t offset, const char *fmt, ...)
{
	if (!err)
		return status;
	err->status = status;
	switch (status) {
	case CODEC_BAD_VERSION:
		err->notify = N_INVALID_MAJOR_VERSION;
		break;
	case CODEC_UNSUPPORTED_CRITICAL:
		err->notify = N_UNSUPPORTED_CRITICAL_PAYLOAD;
		break;
	case CODEC_INVALID_SYNTAX:
		err->notify = N_INVALID_SYNTAX;
		break;
	default:
		err->notify = 0;
		break;
	}
	err->payload = payload;
	err->offset = (uint32_t)offset;
	err->inner = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return status;
}

/* ------------------------------------------------------------ arena */

message_t *message_alloc_with(size_t inline_size)
{
	inline_size = (inline_size + 15) & ~(size_t)15;
	message_t *m = xmalloc(sizeof(*m) + inline_size);
	memset(&m->hdr, 0, sizeof(m->hdr));
	m->raw = chunk_empty;
	m->decrypted = false;
	m->count = 0;
	m->arena = NULL;
	m->arena_pos = (uint8_t *)(m + 1);
	m->arena_left = inline_size;
	m->inline_size = inline_size;
	m->wipe = false;
	return m;
}

void *message_alloc(message_t *m, size_t len)
{
	len = (len + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (len > m->arena_left) {
		size_t size = len > ARENA_MIN_BLOCK ? len : ARENA_MIN_BLOCK;
		codec_arena_block_t *b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->next = m->arena;
		m->arena = b;
		m->arena_pos = b->data;
		m->arena_left = size;
	}
	void *p = m->arena_pos;
	m->arena_pos += len;
	m->arena_left -= len;
	return p;
}

chunk_t message_copy(message_t *m, chunk_t data)
{
	if (!data.len)
		return chunk_empty;
	uint8_t *p = message_alloc(m, data.len);
	memcpy(p, data.ptr, data.len);
	return chunk_create(p, data.len);
}

message_t *message_create(uint8_t exchange, uint8_t flags, uint64_t spi_i,
                          uint64_t spi_r, uint32_t message_id)
{
	message_t *m = message_alloc_with(ARENA_MIN_BLOCK);
	m->hdr.spi_i = spi_i;
	m->hdr.spi_r = spi_r;
	m->hdr.major = IKEV2_MAJOR_VERSION;
	m->hdr.minor = IKEV2_MINOR_VERSION;
	m->hdr.exchange = exchange;
	m->hdr.flags = flags;
	m->hdr.message_id = message_id;
	return m;
}

void message_destroy(message_t *m)
{
	if (!m)
		return;
	codec_arena_block_t *b = m->arena;
	while (b) {
		codec_arena_block_t *next = b->next;
		if (m->wipe)
			memwipe(b->data, b->size);
		free(b);
		b = next;
	}
	if (m->wipe)
		memwipe(m + 1, m->inline_size);
	free(m);
}

/* ---------------------------------------------------------- lookups */

bool message_has_sk(const message_t *m)
{
	return message_find(m, PL_SK) != NULL;
}

bool message_has_skf(const message_t *m)
{
	return message_find(m, PL_SKF) != NULL;
}

payload_t *message_find(const message_t *m, uint8_t type)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->payloads[i].type == type)
			return (payload_t *)&m->payloads[i];
	return NULL;
}

payload_t *message_find_next(const message_t *m, const payload_t *prev,
                             uint8_t type)
{
	size_t i = prev ? (size_t)(prev - m->payloads) + 1 : 0;
	for (; i < m->count; i++)
		if (m->payloads[i].type == type)
			return (payload_t *)&m->payloads[i];
	return NULL;
}

notify_payload_t *message_find_notify(const message_t *m, uint16_t type)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->payloads[i].type == PL_NOTIFY &&
		    m->payloads[i].u.notify.type == type)
			return (notify_payload_t *)&m->payloads[i].u.notify;
	return NULL;
}

notify_payload_t *message_find_error_notify(const message_t *m)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->payloads[i].type == PL_NOTIFY &&
		    m->payloads[i].u.notify.type < 16384)
			return (notify_payload_t *)&m->payloads[i].u.notify;
	return NULL;
}

char *message_summary(const message_t *m, char *buf, size_t len)
{
	if (!len)
		return buf;
	size_t pos = 0;
	const char *ex = exchange_type_name(m->hdr.exchange);
	char exbuf[16];
	if (!ex) {
		snprintf(exbuf, sizeof(exbuf), "EXCH(%u)", m->hdr.exchange);
		ex = exbuf;
	}
	int n = snprintf(buf, len, "%s %s %u [", ex,
	                 message_is_response(m) ? "response" : "request",
	                 m->hdr.message_id);
	pos = n < 0 ? 0 : (size_t)n;
	for (size_t i = 0; i < m->count && pos < len; i++) {
		const payload_t *p = &m->payloads[i];
		const char *name = payload_type_short(p->type);
		if (p->type == PL_NOTIFY) {
			const char *nn = notify_type_name(p->u.notify.type);
			if (nn)
				n = snprintf(buf + pos, len - pos, " N(%s)", nn);
			else
				n = snprintf(buf + pos, len - pos, " N(%u)",
				             p->u.notify.type);
		} else if (p->type == PL_SKF) {
			n = snprintf(buf + pos, len - pos, " SKF(%u/%u)",
			             p->u.sk.frag_number, p->u.sk.frag_total);
		} else if (name) {
			n = snprintf(buf + pos, len - pos, " %s", name);
		} else {
			n = snprintf(buf + pos, len - pos, " PL(%u)", p->type);
		}
		pos += n < 0 ? 0 : (size_t)n;
	}
	if (pos < len)
		snprintf(buf + pos, len - pos, " ]");
	return buf;
}

/* --------------------------------------------------------- builders */

payload_t *message_new_payload(message_t *m, uint8_t type)
{
	if (m->count >= CODEC_MAX_PAYLOADS)
		return NULL;
	payload_t *p = &m->payloads[m->count++];
	memset(p, 0, sizeof(*p));
	p->type = type;
	return p;
}

payload_t *message_add_sa(message_t *m, const proposal_t *proposals, size_t n)
{
	if (n == 0 || n > CODEC_MAX_PROPOSALS)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (proposals[i].num_transforms > CODEC_MAX_TRANSFORMS ||
		    proposals[i].spi_len > CODEC_MAX_SPI_LEN)
			return NULL;
	payload_t *p = message_new_payload(m, PL_SA);
	if (!p)
		return NULL;
	proposal_t *props = message_alloc(m, n * sizeof(*props));
	for (size_t i = 0; i < n; i++) {
		props[i] = proposals[i];
		size_t tlen = proposals[i].num_transforms * sizeof(transform_t);
		props[i].transforms = tlen ? message_alloc(m, tlen) : NULL;
		if (tlen)
			memcpy(props[i].transforms, proposals[i].transforms, tlen);
	}
	p->u.sa.num_proposals = (uint8_t)n;
	p->u.sa.proposals = props;
	return p;
}

payload_t *message_add_ke(message_t *m, uint16_t group, chunk_t data)
{
	payload_t *p = message_new_payload(m, PL_KE);
	if (p) {
		p->u.ke.group = group;
		p->u.ke.data = message_copy(m, data);
	}
	return p;
}

payload_t *message_add_id(message_t *m, uint8_t pl_type, uint8_t id_type,
                          chunk_t data)
{
	if (pl_type != PL_IDI && pl_type != PL_IDR)
		return NULL;
	payload_t *p = message_new_payload(m, pl_type);
	if (p) {
		p->u.id.type = id_type;
		p->u.id.data = message_copy(m, data);
	}
	return p;
}

payload_t *message_add_cert(message_t *m, uint8_t pl_type, uint8_t encoding,
                            chunk_t data)
{
	if (pl_type != PL_CERT && pl_type != PL_CERTREQ)
		return NULL;
	payload_t *p = message_new_payload(m, pl_type);
	if (p) {
		p->u.cert.encoding = encoding;
		p->u.cert.data = message_copy(m, data);
	}
	return p;
}

payload_t *message_add_auth(message_t *m, uint8_t method, chunk_t data)
{
	payload_t *p = message_new_payload(m, PL_AUTH);
	if (p) {
		p->u.auth.method = method;
		p->u.auth.data = message_copy(m, data);
	}
	return p;
}

payload_t *message_add_nonce(message_t *m, chunk_t nonce)
{
	payload_t *p = message_new_payload(m, PL_NONCE);
	if (p)
		p->u.nonce = message_copy(m, nonce);
	return p;
}

payload_t *message_add_notify(message_t *m, uint8_t protocol, chunk_t spi,
                              uint16_t type, chunk_t data)
{
	if (spi.len > CODEC_MAX_SPI_LEN)
		return NULL;
	payload_t *p = message_new_payload(m, PL_NOTIFY);
	if (p) {
		p->u.notify.protocol = protocol;
		p->u.notify.spi_len = (uint8_t)spi.len;
		if (spi.len)
			memcpy(p->u.notify.spi, spi.ptr, spi.len);
		p->u.notify.type = type;
		p->u.notify.data = message_copy(m, data);
	}
	return p;
}

payload_t *message_add_delete(message_t *m, uint8_t protocol,
                              const uint32_t *spis, size_t n)
{
	if (n > CODEC_MAX_DELETE_SPIS || (protocol == PROTO_IKE && n))
		return NULL;
	payload_t *p = message_new_payload(m, PL_DELETE);
	if (p) {
		p->u.del.protocol = protocol;
		p->u.del.spi_len = protocol == PROTO_IKE ? 0 : 4;
		p->u.del.num_spis = (uint16_t)n;
		if (n) {
			p->u.del.spis = message_alloc(m, n * sizeof(uint32_t));
			memcpy(p->u.del.spis, spis, n * sizeof(uint32_t));
		}
	}
	return p;
}

payload_t *message_add_vendor(message_t *m, chunk_t vid)
{
	payload_t *p = message_new_payload(m, PL_VENDOR);
	if (p)
		p->u.vendor = message_copy(m, vid);
	return p;
}

payload_t *message_add_ts(message_t *m, uint8_t pl_type, const ts_t *ts,
                          size_t n)
{
	if ((pl_type != PL_TSI && pl_type != PL_TSR) || n == 0 ||
	    n > CODEC_MAX_TS)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (ts[i].type != TS_IPV4_ADDR_RANGE &&
		    ts[i].type != TS_IPV6_ADDR_RANGE)
			return NULL;
	payload_t *p = message_new_payload(m, pl_type);
	if (p) {
		p->u.ts.num_ts = (uint8_t)n;
		p->u.ts.ts = message_alloc(m, n * sizeof(ts_t));
		memcpy(p->u.ts.ts, ts, n * sizeof(ts_t));
	}
	return p;
}

payload_t *message_add_cp(message_t *m, uint8_t cfg_type,
                          const cp_attr_t *attrs, size_t n)
{
	if (n > CODEC_MAX_CP_ATTRS)
		return NULL;
	payload_t *p = message_new_payload(m, PL_CP);
	if (p) {
		p->u.cp.cfg_type = cfg_type;
		p->u.cp.num_attrs = (uint8_t)n;
		if (n) {
			p->u.cp.attrs = message_alloc(m, n * sizeof(cp_attr_t));
			for (size_t i = 0; i < n; i++) {
				p->u.cp.attrs[i].type = attrs[i].type & 0x7fff;
				p->u.cp.attrs[i].value = message_copy(m, attrs[i].value);
			}
		}
	}
	return p;
}

payload_t *message_add_eap(message_t *m, chunk_t eap)
{
	payload_t *p = message_new_payload(m, PL_EAP);
	if (p)
		p->u.eap.data = message_copy(m, eap);
	return p;
}

payload_t *message_add_raw(message_t *m, uint8_t type, bool critical,
                           chunk_t body)
{
	payload_t *p = message_new_payload(m, type);
	if (p) {
		p->critical = critical;
		p->raw_body = true;
		p->u.unknown = message_copy(m, body);
	}
	return p;
}
