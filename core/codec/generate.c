/*
 * generate.c - encoding of the IKE header and payload chains, the exact
 * inverse of parse.c: everything generate writes, parse accepts and turns
 * back into the same structs.
 */
#include "codec/codec_internal.h"

#include <stdlib.h>

void writer_init(writer_t *w, size_t hint)
{
	w->cap = hint < 256 ? 256 : hint;
	w->buf = xmalloc(w->cap);
	w->len = 0;
	w->overflow = false;
}

uint8_t *writer_reserve(writer_t *w, size_t n)
{
	if (w->overflow || n > CODEC_MAX_MESSAGE_LEN - w->len) {
		w->overflow = true;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap * 2;
		while (cap < w->len + n)
			cap *= 2;
		w->buf = xrealloc(w->buf, cap);
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

void writer_free(writer_t *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static bool put_bytes(writer_t *w, const void *data, size_t n)
{
	uint8_t *p = writer_reserve(w, n);
	if (!p)
		return false;
	if (n)
		memcpy(p, data, n);
	return true;
}

static bool write_sa(writer_t *w, const sa_payload_t *sa)
{
	for (unsigned i = 0; i < sa->num_proposals; i++) {
		const proposal_t *pr = &sa->proposals[i];
		size_t start = w->len;
		uint8_t *h = writer_reserve(w, 8);
		if (!h)
			return false;
		h[0] = i + 1u < sa->num_proposals ? 2 : 0;
		h[1] = 0;
		h[4] = pr->number;
		h[5] = pr->protocol;
		h[6] = pr->spi_len;
		h[7] = pr->num_transforms;
		if (!put_bytes(w, pr->spi, pr->spi_len))
			return false;
		for (unsigned k = 0; k < pr->num_transforms; k++) {
			const transform_t *t = &pr->transforms[k];
			uint8_t *th = writer_reserve(w, t->key_len ? 12 : 8);
			if (!th)
				return false;
			th[0] = k + 1u < pr->num_transforms ? 3 : 0;
			th[1] = 0;
			put16(th + 2, t->key_len ? 12 : 8);
			th[4] = t->type;
			th[5] = 0;
			put16(th + 6, t->id);
			if (t->key_len) {
				put16(th + 8, 0x8000 | TRANSFORM_ATTR_KEY_LENGTH);
				put16(th + 10, t->key_len);
			}
		}
		size_t plen = w->len - start;
		if (plen > 0xffff) {
			w->overflow = true;
			return false;
		}
		put16(w->buf + start + 2, (uint16_t)plen);
	}
	return true;
}

static bool write_type_data(writer_t *w, uint8_t type, chunk_t data)
{
	uint8_t *h = writer_reserve(w, 4);
	if (!h)
		return false;
	h[0] = type;
	h[1] = h[2] = h[3] = 0;
	return put_bytes(w, data.ptr, data.len);
}

static bool write_ts(writer_t *w, const ts_payload_t *tsp)
{
	uint8_t *h = writer_reserve(w, 4);
	if (!h)
		return false;
	h[0] = tsp->num_ts;
	h[1] = h[2] = h[3] = 0;
	for (unsigned i = 0; i < tsp->num_ts; i++) {
		const ts_t *ts = &tsp->ts[i];
		size_t alen = ts->type == TS_IPV6_ADDR_RANGE ? 16 : 4;
		uint8_t *e = writer_reserve(w, 8 + 2 * alen);
		if (!e)
			return false;
		e[0] = ts->type;
		e[1] = ts->protocol;
		put16(e + 2, (uint16_t)(8 + 2 * alen));
		put16(e + 4, ts->start_port);
		put16(e + 6, ts->end_port);
		memcpy(e + 8, ts->start, alen);
		memcpy(e + 8 + alen, ts->end, alen);
	}
	return true;
}

static bool write_body(writer_t *w, const payload_t *p)
{
	uint8_t *h;

	if (p->raw_body)
		return put_bytes(w, p->u.unknown.ptr, p->u.unknown.len);
	switch (p->type) {
	case PL_SA:
		return write_sa(w, &p->u.sa);
	case PL_KE:
		if (!(h = writer_reserve(w, 4)))
			return false;
		put16(h, p->u.ke.group);
		h[2] = h[3] = 0;
		return put_bytes(w, p->u.ke.data.ptr, p->u.ke.data.len);
	case PL_IDI:
	case PL_IDR:
		return write_type_data(w, p->u.id.type, p->u.id.data);
	case PL_CERT:
	case PL_CERTREQ:
		return put_bytes(w, &p->u.cert.encoding, 1) &&
		       put_bytes(w, p->u.cert.data.ptr, p->u.cert.data.len);
	case PL_AUTH:
		return write_type_data(w, p->u.auth.method, p->u.auth.data);
	case PL_NONCE:
		return put_bytes(w, p->u.nonce.ptr, p->u.nonce.len);
	case PL_NOTIFY:
		if (!(h = writer_reserve(w, 4)))
			return false;
		h[0] = p->u.notify.protocol;
		h[1] = p->u.notify.spi_len;
		put16(h + 2, p->u.notify.type);
		return put_bytes(w, p->u.notify.spi, p->u.notify.spi_len) &&
		       put_bytes(w, p->u.notify.data.ptr, p->u.notify.data.len);
	case PL_DELETE:
		if (!(h = writer_reserve(w, 4 + 4 * (size_t)p->u.del.num_spis)))
			return false;
		h[0] = p->u.del.protocol;
		h[1] = p->u.del.spi_len;
		put16(h + 2, p->u.del.num_spis);
		for (unsigned i = 0; i < p->u.del.num_spis; i++)
			put32(h + 4 + 4 * i, p->u.del.spis[i]);
		return true;
	case PL_VENDOR:
		return put_bytes(w, p->u.vendor.ptr, p->u.vendor.len);
	case PL_TSI:
	case PL_TSR:
		return write_ts(w, &p->u.ts);
	case PL_CP:
		if (!(h = writer_reserve(w, 4)))
			return false;
		h[0] = p->u.cp.cfg_type;
		h[1] = h[2] = h[3] = 0;
		for (unsigned i = 0; i < p->u.cp.num_attrs; i++) {
			const cp_attr_t *a = &p->u.cp.attrs[i];
			if (a->value.len > 0xffff || !(h = writer_reserve(w, 4))) {
				w->overflow = true;
				return false;
			}
			put16(h, a->type & 0x7fff);
			put16(h + 2, (uint16_t)a->value.len);
			if (!put_bytes(w, a->value.ptr, a->value.len))
				return false;
		}
		return true;
	case PL_EAP:
		return put_bytes(w, p->u.eap.data.ptr, p->u.eap.data.len);
	default:
		/* SK/SKF are produced by sk.c, unknown types only raw. */
		w->overflow = true;
		return false;
	}
}

bool codec_write_chain(writer_t *w, const message_t *m, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const payload_t *p = &m->payloads[i];
		size_t start = w->len;
		uint8_t *h = writer_reserve(w, 4);
		if (!h)
			return false;
		h[0] = i + 1 < to ? m->payloads[i + 1].type : PL_NONE;
		h[1] = p->critical ? PAYLOAD_CRITICAL : 0;
		if (!write_body(w, p))
			return false;
		size_t len = w->len - start;
		if (len > 0xffff) {
			w->overflow = true;
			return false;
		}
		put16(w->buf + start + 2, (uint16_t)len);
	}
	return true;
}

void codec_write_header(uint8_t *p, const ike_header_t *h, uint8_t first,
                        uint32_t length)
{
	put64(p, h->spi_i);
	put64(p + 8, h->spi_r);
	p[16] = first;
	p[17] = (uint8_t)(h->major << 4 | (h->minor & 0x0f));
	p[18] = h->exchange;
	p[19] = h->flags;
	put32(p + 20, h->message_id);
	put32(p + 24, length);
}

codec_status_t message_generate(message_t *m, chunk_t *out, codec_error_t *err)
{
	writer_t w;

	*out = chunk_empty;
	for (size_t i = 0; i < m->count; i++)
		if (m->payloads[i].type == PL_SK || m->payloads[i].type == PL_SKF)
			return codec_fail(err, CODEC_TOO_BIG, m->payloads[i].type, 0,
			                  "message_generate cannot write SK/SKF "
			                  "payloads; use message_generate_sk");
	writer_init(&w, 512);
	writer_reserve(&w, IKE_HEADER_LEN);
	if (!codec_write_chain(&w, m, 0, m->count)) {
		writer_free(&w);
		return codec_fail(err, CODEC_TOO_BIG, 0, 0,
		                  "message exceeds %u bytes, or a payload is too "
		                  "big or has no encoder", CODEC_MAX_MESSAGE_LEN);
	}
	m->hdr.next_payload = m->count ? m->payloads[0].type : PL_NONE;
	m->hdr.length = (uint32_t)w.len;
	codec_write_header(w.buf, &m->hdr, m->hdr.next_payload, (uint32_t)w.len);
	*out = chunk_create(w.buf, w.len);
	m->raw = message_copy(m, *out);
	return CODEC_OK;
}
