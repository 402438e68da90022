/*
 * parse.c - decoding of the IKE header and of payload chains (RFC 7296
 * §3.1-§3.16, RFC 7383 §2.5).
 *
 * Every length and count is checked against the bytes that remain before a
 * field is read; nothing is allocated per payload beyond the message's
 * arena, and every count is bounded by the CODEC_MAX_* limits.  Offsets in
 * errors are from the start of the buffer being parsed (the message, or the
 * SK plaintext).
 */
#include "codec/codec_internal.h"

#include <stdio.h>

/* Context of one chain being parsed, for error offsets. */
typedef struct {
	message_t *m;
	const uint8_t *base;   /* start of the buffer offsets refer to */
	codec_error_t *err;
	bool inner;
} pctx_t;

#define FAIL(c, type, at, ...) \
	parse_fail((c), (type), (size_t)((at) - (c)->base), __VA_ARGS__)

static codec_status_t parse_fail(pctx_t *c, uint8_t type, size_t off,
                                 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static codec_status_t parse_fail(pctx_t *c, uint8_t type, size_t off,
                                 const char *fmt, ...)
{
	if (!c->err)
		return CODEC_INVALID_SYNTAX;
	char text[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	const char *name = payload_type_name(type);
	codec_fail(c->err, CODEC_INVALID_SYNTAX, type, off,
	           "%s payload at %s offset %zu: %s", name ? name : "unknown",
	           c->inner ? "SK plaintext" : "message", off, text);
	c->err->inner = c->inner;
	return CODEC_INVALID_SYNTAX;
}

codec_status_t ike_parse_header(chunk_t data, ike_header_t *hdr,
                                codec_error_t *err)
{
	if (data.len < IKE_HEADER_LEN)
		return codec_fail(err, CODEC_TRUNCATED, 0, 0,
		                  "message of %zu bytes is shorter than an IKE header",
		                  data.len);
	const uint8_t *p = data.ptr;
	hdr->spi_i = get64(p);
	hdr->spi_r = get64(p + 8);
	hdr->next_payload = p[16];
	hdr->major = p[17] >> 4;
	hdr->minor = p[17] & 0x0f;
	hdr->exchange = p[18];
	hdr->flags = p[19];
	hdr->message_id = get32(p + 20);
	hdr->length = get32(p + 24);
	if (hdr->major != IKEV2_MAJOR_VERSION)
		return codec_fail(err, CODEC_BAD_VERSION, 0, 17,
		                  "IKE major version %u, only 2 is supported",
		                  hdr->major);
	if (hdr->length != data.len)
		return codec_fail(err, CODEC_TRUNCATED, 0, 24,
		                  "IKE header length %u but %zu bytes received",
		                  hdr->length, data.len);
	if (data.len > CODEC_MAX_MESSAGE_LEN)
		return codec_fail(err, CODEC_TRUNCATED, 0, 24,
		                  "message of %zu bytes exceeds the limit of %u",
		                  data.len, CODEC_MAX_MESSAGE_LEN);
	return CODEC_OK;
}

/* ---------------------------------------------------------------- SA */

static codec_status_t parse_transforms(pctx_t *c, const uint8_t *b, size_t n,
                                       unsigned expect, transform_t *out,
                                       unsigned *found)
{
	size_t pos = 0;
	unsigned k = 0;

	while (pos < n) {
		const uint8_t *t = b + pos;
		if (k == expect)
			return FAIL(c, PL_SA, t, "more transforms than the %u announced",
			            expect);
		if (n - pos < 8)
			return FAIL(c, PL_SA, t, "transform truncated (%zu bytes)",
			            n - pos);
		uint8_t last = t[0];
		uint16_t tlen = get16(t + 2);
		if (last != 0 && last != 3)
			return FAIL(c, PL_SA, t, "transform 'last' field %u", last);
		if (tlen < 8 || tlen > n - pos)
			return FAIL(c, PL_SA, t, "transform length %u, %zu bytes left",
			            tlen, n - pos);
		if ((last == 0) != (pos + tlen == n))
			return FAIL(c, PL_SA, t, "transform 'last' field %u disagrees "
			            "with the proposal length", last);
		transform_t *tr = &out[k];
		tr->type = t[4];
		tr->id = get16(t + 6);
		tr->key_len = 0;
		tr->unknown_attr = false;
		bool have_key_len = false;
		size_t apos = 8;
		while (apos < tlen) {
			const uint8_t *a = t + apos;
			if (tlen - apos < 4)
				return FAIL(c, PL_SA, a, "transform attribute truncated");
			uint16_t atype = get16(a);
			if (atype & 0x8000) {
				if ((atype & 0x7fff) == TRANSFORM_ATTR_KEY_LENGTH) {
					if (have_key_len)
						return FAIL(c, PL_SA, a, "duplicate key length attribute");
					have_key_len = true;
					tr->key_len = get16(a + 2);
					if (!tr->key_len)
						return FAIL(c, PL_SA, a, "key length attribute 0");
				} else {
					tr->unknown_attr = true;
				}
				apos += 4;
			} else {
				uint16_t alen = get16(a + 2);
				if (alen > tlen - apos - 4)
					return FAIL(c, PL_SA, a, "attribute length %u, %zu bytes left",
					            alen, tlen - apos - 4);
				tr->unknown_attr = true;
				apos += 4 + (size_t)alen;
			}
		}
		k++;
		pos += tlen;
	}
	if (k != expect)
		return FAIL(c, PL_SA, b + pos, "%u transforms announced, %u present",
		            expect, k);
	*found = k;
	return CODEC_OK;
}

static codec_status_t parse_sa(pctx_t *c, payload_t *p, const uint8_t *b,
                               size_t n)
{
	proposal_t props[CODEC_MAX_PROPOSALS];
	transform_t trans[CODEC_MAX_TRANSFORMS];
	size_t pos = 0;
	unsigned count = 0;
	codec_status_t st;

	while (pos < n) {
		const uint8_t *q = b + pos;
		if (count == CODEC_MAX_PROPOSALS)
			return FAIL(c, PL_SA, q, "more than %d proposals",
			            CODEC_MAX_PROPOSALS);
		if (n - pos < 8)
			return FAIL(c, PL_SA, q, "proposal truncated (%zu bytes)",
			            n - pos);
		uint8_t last = q[0];
		uint16_t plen = get16(q + 2);
		uint8_t spi_len = q[6];
		uint8_t ntrans = q[7];
		if (last != 0 && last != 2)
			return FAIL(c, PL_SA, q, "proposal 'last' field %u", last);
		if (plen < 8 || plen > n - pos)
			return FAIL(c, PL_SA, q, "proposal length %u, %zu bytes left",
			            plen, n - pos);
		if ((last == 0) != (pos + plen == n))
			return FAIL(c, PL_SA, q, "proposal 'last' field %u disagrees "
			            "with the SA length", last);
		if (spi_len > CODEC_MAX_SPI_LEN || 8u + spi_len > plen)
			return FAIL(c, PL_SA, q, "proposal SPI size %u", spi_len);
		if (ntrans > CODEC_MAX_TRANSFORMS)
			return FAIL(c, PL_SA, q, "%u transforms exceed the limit of %d",
			            ntrans, CODEC_MAX_TRANSFORMS);
		proposal_t *pr = &props[count];
		memset(pr, 0, sizeof(*pr));
		pr->number = q[4];
		pr->protocol = q[5];
		pr->spi_len = spi_len;
		memcpy(pr->spi, q + 8, spi_len);
		unsigned found = 0;
		st = parse_transforms(c, q + 8 + spi_len, plen - 8u - spi_len,
		                      ntrans, trans, &found);
		if (st != CODEC_OK)
			return st;
		pr->num_transforms = (uint8_t)found;
		if (found) {
			pr->transforms = message_alloc(c->m, found * sizeof(transform_t));
			memcpy(pr->transforms, trans, found * sizeof(transform_t));
		}
		count++;
		pos += plen;
	}
	if (!count)
		return FAIL(c, PL_SA, b, "SA payload without proposals");
	p->u.sa.num_proposals = (uint8_t)count;
	p->u.sa.proposals = message_alloc(c->m, count * sizeof(proposal_t));
	memcpy(p->u.sa.proposals, props, count * sizeof(proposal_t));
	return CODEC_OK;
}

/* ------------------------------------------------------------ others */

static codec_status_t parse_ts(pctx_t *c, payload_t *p, const uint8_t *b,
                               size_t n)
{
	if (n < 4)
		return FAIL(c, p->type, b, "body of %zu bytes", n);
	unsigned num = b[0];
	/* Zero selectors is well-formed: strongSwan sends an empty TSi in
	 * transport mode when its configured subnet excludes its own address.
	 * The exchange answers TS_UNACCEPTABLE, keeping the IKE SA, where an
	 * INVALID_SYNTAX here would kill it. */
	if (num > CODEC_MAX_TS)
		return FAIL(c, p->type, b, "%u traffic selectors (0..%d allowed)",
		            num, CODEC_MAX_TS);
	ts_t *ts = message_alloc(c->m, num * sizeof(ts_t));
	size_t pos = 4;
	for (unsigned i = 0; i < num; i++) {
		const uint8_t *e = b + pos;
		if (n - pos < 8)
			return FAIL(c, p->type, e, "traffic selector %u truncated", i + 1);
		uint8_t type = e[0];
		uint16_t slen = get16(e + 2);
		size_t alen;
		if (type == TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (type == TS_IPV6_ADDR_RANGE)
			alen = 16;
		else
			return FAIL(c, p->type, e, "unsupported traffic selector type %u",
			            type);
		if (slen != 8 + 2 * alen || slen > n - pos)
			return FAIL(c, p->type, e, "selector length %u for type %u, "
			            "%zu bytes left", slen, type, n - pos);
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].type = type;
		ts[i].protocol = e[1];
		ts[i].start_port = get16(e + 4);
		ts[i].end_port = get16(e + 6);
		memcpy(ts[i].start, e + 8, alen);
		memcpy(ts[i].end, e + 8 + alen, alen);
		pos += slen;
	}
	if (pos != n)
		return FAIL(c, p->type, b + pos, "%zu bytes after the last selector",
		            n - pos);
	p->u.ts.num_ts = (uint8_t)num;
	p->u.ts.ts = ts;
	return CODEC_OK;
}

static codec_status_t parse_cp(pctx_t *c, payload_t *p, const uint8_t *b,
                               size_t n)
{
	cp_attr_t attrs[CODEC_MAX_CP_ATTRS];
	unsigned count = 0;

	if (n < 4)
		return FAIL(c, PL_CP, b, "body of %zu bytes", n);
	p->u.cp.cfg_type = b[0];
	size_t pos = 4;
	while (pos < n) {
		const uint8_t *a = b + pos;
		if (count == CODEC_MAX_CP_ATTRS)
			return FAIL(c, PL_CP, a, "more than %d attributes",
			            CODEC_MAX_CP_ATTRS);
		if (n - pos < 4)
			return FAIL(c, PL_CP, a, "attribute truncated");
		uint16_t alen = get16(a + 2);
		if (alen > n - pos - 4)
			return FAIL(c, PL_CP, a, "attribute length %u, %zu bytes left",
			            alen, n - pos - 4);
		attrs[count].type = get16(a) & 0x7fff;
		attrs[count].value = alen ? chunk_create(a + 4, alen) : chunk_empty;
		count++;
		pos += 4 + (size_t)alen;
	}
	p->u.cp.num_attrs = (uint8_t)count;
	if (count) {
		p->u.cp.attrs = message_alloc(c->m, count * sizeof(cp_attr_t));
		memcpy(p->u.cp.attrs, attrs, count * sizeof(cp_attr_t));
	}
	return CODEC_OK;
}

static codec_status_t parse_delete(pctx_t *c, payload_t *p, const uint8_t *b,
                                   size_t n)
{
	if (n < 4)
		return FAIL(c, PL_DELETE, b, "body of %zu bytes", n);
	uint8_t proto = b[0], spi_len = b[1];
	uint16_t num = get16(b + 2);
	if (proto == PROTO_IKE) {
		if (spi_len != 0 || num != 0)
			return FAIL(c, PL_DELETE, b, "IKE SA delete with SPI size %u, "
			            "%u SPIs", spi_len, num);
	} else if (proto == PROTO_ESP || proto == PROTO_AH) {
		if (spi_len != 4)
			return FAIL(c, PL_DELETE, b, "SPI size %u for protocol %u",
			            spi_len, proto);
		if (num > CODEC_MAX_DELETE_SPIS)
			return FAIL(c, PL_DELETE, b, "%u SPIs exceed the limit of %d",
			            num, CODEC_MAX_DELETE_SPIS);
	} else {
		return FAIL(c, PL_DELETE, b, "protocol %u", proto);
	}
	if (n != 4 + (size_t)num * spi_len)
		return FAIL(c, PL_DELETE, b, "%u SPIs of %u bytes in a body of %zu",
		            num, spi_len, n);
	p->u.del.protocol = proto;
	p->u.del.spi_len = spi_len;
	p->u.del.num_spis = num;
	if (num) {
		p->u.del.spis = message_alloc(c->m, num * sizeof(uint32_t));
		for (unsigned i = 0; i < num; i++)
			p->u.del.spis[i] = get32(b + 4 + 4 * i);
	}
	return CODEC_OK;
}

static codec_status_t parse_body(pctx_t *c, payload_t *p, const uint8_t *b,
                                 size_t n)
{
	switch (p->type) {
	case PL_SA:
		return parse_sa(c, p, b, n);
	case PL_KE:
		if (n < 5)
			return FAIL(c, PL_KE, b, "body of %zu bytes", n);
		p->u.ke.group = get16(b);
		p->u.ke.data = chunk_create(b + 4, n - 4);
		return CODEC_OK;
	case PL_IDI:
	case PL_IDR:
		if (n < 5)
			return FAIL(c, p->type, b, "body of %zu bytes", n);
		p->u.id.type = b[0];
		p->u.id.data = chunk_create(b + 4, n - 4);
		if ((b[0] == ID_IPV4_ADDR && n - 4 != 4) ||
		    (b[0] == ID_IPV6_ADDR && n - 4 != 16))
			return FAIL(c, p->type, b, "address identity of %zu bytes",
			            n - 4);
		return CODEC_OK;
	case PL_CERT:
	case PL_CERTREQ:
		if (n < 1 || (p->type == PL_CERT && n < 2))
			return FAIL(c, p->type, b, "body of %zu bytes", n);
		p->u.cert.encoding = b[0];
		p->u.cert.data = n > 1 ? chunk_create(b + 1, n - 1) : chunk_empty;
		return CODEC_OK;
	case PL_AUTH:
		if (n < 5)
			return FAIL(c, PL_AUTH, b, "body of %zu bytes", n);
		p->u.auth.method = b[0];
		p->u.auth.data = chunk_create(b + 4, n - 4);
		return CODEC_OK;
	case PL_NONCE:
		/* RFC 7296 §3.9: between 16 and 256 octets. */
		if (n < 16 || n > 256)
			return FAIL(c, PL_NONCE, b, "nonce of %zu bytes (16..256)", n);
		p->u.nonce = chunk_create(b, n);
		return CODEC_OK;
	case PL_NOTIFY: {
		if (n < 4)
			return FAIL(c, PL_NOTIFY, b, "body of %zu bytes", n);
		uint8_t spi_len = b[1];
		if (spi_len > CODEC_MAX_SPI_LEN || 4u + spi_len > n)
			return FAIL(c, PL_NOTIFY, b, "SPI size %u in a body of %zu",
			            spi_len, n);
		p->u.notify.protocol = b[0];
		p->u.notify.spi_len = spi_len;
		p->u.notify.type = get16(b + 2);
		memcpy(p->u.notify.spi, b + 4, spi_len);
		p->u.notify.data = n > 4u + spi_len ?
			chunk_create(b + 4 + spi_len, n - 4 - spi_len) : chunk_empty;
		return CODEC_OK;
	}
	case PL_DELETE:
		return parse_delete(c, p, b, n);
	case PL_VENDOR:
		if (n < 1)
			return FAIL(c, PL_VENDOR, b, "empty vendor ID");
		p->u.vendor = chunk_create(b, n);
		return CODEC_OK;
	case PL_TSI:
	case PL_TSR:
		return parse_ts(c, p, b, n);
	case PL_CP:
		return parse_cp(c, p, b, n);
	case PL_EAP:
		if (n < 4 || get16(b + 2) != n)
			return FAIL(c, PL_EAP, b, "EAP length %u in a body of %zu",
			            n >= 4 ? get16(b + 2) : 0, n);
		p->u.eap.data = chunk_create(b, n);
		return CODEC_OK;
	default:
		return FAIL(c, p->type, b, "no parser");
	}
}

static bool type_known(uint8_t type)
{
	return (type >= PL_SA && type <= PL_EAP) || type == PL_SKF;
}

/* Parse the chain in base[start..end), first payload of type 'first'. */
static codec_status_t parse_chain(pctx_t *c, uint8_t first, size_t start,
                                  size_t end, bool encrypted)
{
	uint8_t type = first;
	size_t pos = start;
	unsigned seen = 0;

	while (type != PL_NONE) {
		const uint8_t *h = c->base + pos;
		/* Skipped unknown payloads count too, so a message cannot
		 * make us loop more than this. */
		if (++seen > CODEC_MAX_PAYLOADS * 2)
			return FAIL(c, type, h, "more than %d payloads",
			            CODEC_MAX_PAYLOADS * 2);
		if (end - pos < 4)
			return FAIL(c, type, h, "generic header truncated (%zu bytes left)",
			            end - pos);
		uint8_t next = h[0];
		bool critical = (h[1] & PAYLOAD_CRITICAL) != 0;
		uint16_t len = get16(h + 2);
		if (len < 4 || len > end - pos)
			return FAIL(c, type, h, "payload length %u, %zu bytes left",
			            len, end - pos);
		if (!type_known(type)) {
			if (critical) {
				codec_fail(c->err, CODEC_UNSUPPORTED_CRITICAL, type,
				           pos, "unsupported payload type %u with the "
				           "critical bit at %s offset %zu", type,
				           c->inner ? "SK plaintext" : "message", pos);
				if (c->err)
					c->err->inner = c->inner;
				return CODEC_UNSUPPORTED_CRITICAL;
			}
			/* RFC 7296 §2.5: skip it. */
			pos += len;
			type = next;
			continue;
		}
		payload_t *p = message_new_payload(c->m, type);
		if (!p)
			return FAIL(c, type, h, "more than %d payloads",
			            CODEC_MAX_PAYLOADS);
		p->critical = critical;
		p->encrypted = encrypted;
		const uint8_t *body = h + 4;
		size_t blen = len - 4u;
		if (type == PL_SK || type == PL_SKF) {
			if (encrypted)
				return FAIL(c, type, h, "encrypted payload inside SK");
			if (pos + len != end)
				return FAIL(c, type, h, "not the last payload");
			p->u.sk.inner_type = next;
			p->u.sk.offset = (uint32_t)pos;
			if (type == PL_SKF) {
				if (blen < 5)
					return FAIL(c, type, h, "body of %zu bytes", blen);
				p->u.sk.frag_number = get16(body);
				p->u.sk.frag_total = get16(body + 2);
				body += 4;
				blen -= 4;
			} else if (blen < 1) {
				return FAIL(c, type, h, "empty SK payload");
			}
			p->u.sk.data = chunk_create(body, blen);
			return CODEC_OK;
		}
		codec_status_t st = parse_body(c, p, body, blen);
		if (st != CODEC_OK)
			return st;
		pos += len;
		type = next;
	}
	if (pos != end)
		return FAIL(c, PL_NONE, c->base + pos,
		            "%zu bytes after the last payload", end - pos);
	return CODEC_OK;
}

codec_status_t message_parse_chain(message_t *m, uint8_t first, chunk_t chain,
                                   bool encrypted, codec_error_t *err)
{
	/* An empty chain may come with a NULL pointer; offsets from NULL are
	 * undefined behaviour even when zero. */
	static const uint8_t nothing[1];
	if (!chain.ptr)
		chain = chunk_create(nothing, 0);
	pctx_t c = { .m = m, .base = chain.ptr, .err = err, .inner = encrypted };
	return parse_chain(&c, first, 0, chain.len, encrypted);
}

codec_status_t message_parse(chunk_t data, message_t **out, codec_error_t *err)
{
	ike_header_t hdr;
	codec_status_t st;

	*out = NULL;
	st = ike_parse_header(data, &hdr, err);
	if (st != CODEC_OK)
		return st;
	/* Inline arena: the copy of the message plus room for the arrays of
	 * a typical message (proposals, transforms, selectors). */
	message_t *m = message_alloc_with(data.len + 768);
	m->hdr = hdr;
	uint8_t *raw = message_alloc(m, data.len);
	memcpy(raw, data.ptr, data.len);
	m->raw = chunk_create(raw, data.len);

	pctx_t c = { .m = m, .base = raw, .err = err, .inner = false };
	st = parse_chain(&c, hdr.next_payload, IKE_HEADER_LEN, data.len, false);
	/* Protected messages are checked once decrypted; IKE_SA_INIT is
	 * never protected, so an SK payload in it is a rules violation. */
	if (st == CODEC_OK && (hdr.exchange == EXCH_IKE_SA_INIT ||
	                       (!message_has_sk(m) && !message_has_skf(m))))
		st = message_check(m, err);
	if (st != CODEC_OK) {
		message_destroy(m);
		return st;
	}
	*out = m;
	return CODEC_OK;
}
