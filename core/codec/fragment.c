/*
 * fragment.c - RFC 7383 fragmentation: splitting a protected message into
 * SKF messages, and reassembling received ones.
 */
#include "codec/fragment.h"
#include "codec/codec_internal.h"

#include <stdlib.h>

/* ---------------------------------------------------------- sending */

codec_status_t message_generate_fragments(message_t *m, sk_ctx_t *sk,
                                          size_t max_len, chunk_t **frags,
                                          size_t *count, codec_error_t *err)
{
	writer_t w;
	codec_status_t st = CODEC_OK;

	*frags = NULL;
	*count = 0;
	size_t ovh = sk_overhead(sk, 0);
	if (!ovh)
		return codec_fail(err, CODEC_CRYPTO, PL_SKF, 0,
		                  "no usable cipher for SKF payloads");
	/* Largest plaintext piece such that the fragment fits: IKE header,
	 * SKF header (SK's 4 + 4), IV, piece + pad length rounded up to the
	 * block size, ICV. */
	size_t piece = max_len > IKE_HEADER_LEN + 4 ? max_len - IKE_HEADER_LEN - 4 : 0;
	while (piece && IKE_HEADER_LEN + 4 + sk_overhead(sk, piece) + piece > max_len)
		piece--;
	if (!piece)
		return codec_fail(err, CODEC_TOO_BIG, PL_SKF, 0,
		                  "fragment size %zu leaves no room for data",
		                  max_len);

	writer_init(&w, 1024);
	if (!codec_write_chain(&w, m, 0, m->count)) {
		memwipe(w.buf, w.len);
		writer_free(&w);
		return codec_fail(err, CODEC_TOO_BIG, 0, 0,
		                  "inner payloads exceed %u bytes",
		                  CODEC_MAX_MESSAGE_LEN);
	}
	size_t n = w.len ? (w.len + piece - 1) / piece : 1;
	if (n > CODEC_MAX_FRAGMENTS) {
		memwipe(w.buf, w.len);
		writer_free(&w);
		return codec_fail(err, CODEC_TOO_BIG, PL_SKF, 0,
		                  "%zu fragments needed, limit %d", n,
		                  CODEC_MAX_FRAGMENTS);
	}
	chunk_t *out = xzalloc(n * sizeof(chunk_t));
	m->hdr.next_payload = PL_SKF;
	uint8_t first = m->count ? m->payloads[0].type : PL_NONE;
	for (size_t i = 0; i < n && st == CODEC_OK; i++) {
		size_t off = i * piece;
		size_t len = w.len - off < piece ? w.len - off : piece;
		st = sk_protect(&m->hdr, PL_SKF, i == 0 ? first : PL_NONE,
		                (uint16_t)(i + 1), (uint16_t)n,
		                chunk_create(w.buf + off, len), sk, &out[i], err);
	}
	memwipe(w.buf, w.len);
	writer_free(&w);
	if (st != CODEC_OK) {
		fragments_free(out, n);
		return st;
	}
	for (size_t i = 0; i < m->count; i++)
		m->payloads[i].encrypted = true;
	*frags = out;
	*count = n;
	return CODEC_OK;
}

void fragments_free(chunk_t *frags, size_t count)
{
	if (!frags)
		return;
	for (size_t i = 0; i < count; i++)
		chunk_free(&frags[i]);
	free(frags);
}

/* -------------------------------------------------------- receiving */

struct frag_reasm {
	size_t max_frags;
	size_t max_bytes;
	bool active;
	ike_header_t hdr;        /* of the first fragment received */
	uint8_t first_type;      /* inner type from fragment 1 */
	uint16_t total;
	uint16_t received;
	size_t bytes;            /* plaintext held */
	chunk_t piece[CODEC_MAX_FRAGMENTS];  /* index = number - 1 */
	bool have[CODEC_MAX_FRAGMENTS];
};

frag_reasm_t *frag_reasm_create(size_t max_frags, size_t max_bytes)
{
	frag_reasm_t *r = xzalloc(sizeof(*r));
	if (max_frags == 0 || max_frags > CODEC_MAX_FRAGMENTS)
		max_frags = CODEC_MAX_FRAGMENTS;
	r->max_frags = max_frags;
	r->max_bytes = max_bytes ? max_bytes : CODEC_MAX_MESSAGE_LEN;
	return r;
}

void frag_reasm_reset(frag_reasm_t *r)
{
	for (size_t i = 0; i < CODEC_MAX_FRAGMENTS; i++) {
		chunk_clear(&r->piece[i]);
		r->have[i] = false;
	}
	r->active = false;
	r->total = r->received = 0;
	r->bytes = 0;
	r->first_type = PL_NONE;
}

bool frag_reasm_pending(const frag_reasm_t *r, uint32_t *message_id)
{
	if (r->active && message_id)
		*message_id = r->hdr.message_id;
	return r->active;
}

void frag_reasm_destroy(frag_reasm_t *r)
{
	if (!r)
		return;
	frag_reasm_reset(r);
	free(r);
}

#define ignored(err, fmt, a, b) \
	codec_fail((err), CODEC_FRAG_IGNORED, PL_SKF, 0, fmt, (unsigned)(a), \
	           (unsigned)(b))

codec_status_t frag_reasm_add(frag_reasm_t *r, const message_t *frag,
                              sk_ctx_t *sk, message_t **done,
                              codec_error_t *err)
{
	*done = NULL;
	if (!frag->count || frag->payloads[frag->count - 1].type != PL_SKF)
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_SKF, 0,
		                  "message has no SKF payload");
	const sk_payload_t *skf = &frag->payloads[frag->count - 1].u.sk;
	unsigned num = skf->frag_number, total = skf->frag_total;

	if (num == 0 || num > total)
		return ignored(err, "fragment number %u of %u", num, total);
	if (total > r->max_frags)
		return ignored(err, "%u fragments announced, limit %u", total,
		               (unsigned)r->max_frags);
	if (r->active && frag->hdr.message_id != r->hdr.message_id)
		frag_reasm_reset(r);   /* a new message: the old one is stale */
	if (r->active && total < r->total)
		return ignored(err, "total %u below the %u seen before", total,
		               r->total);
	if (r->active && num <= r->total && r->have[num - 1] &&
	    total == r->total)
		return ignored(err, "duplicate fragment %u of %u", num, total);

	/* Each fragment is verified on its own (RFC 7383 §2.6) before it
	 * can change any state.  Decrypt into a scratch message. */
	message_t *tmp = message_alloc_with(0);
	chunk_t plain;
	codec_status_t st = sk_unprotect(tmp, frag->raw, skf->offset + 8,
	                                 skf->data, sk, &plain, err);
	if (st != CODEC_OK) {
		message_destroy(tmp);
		return st;
	}
	if (r->active && total > r->total)
		frag_reasm_reset(r);   /* the peer re-fragmented: start over */
	if (r->bytes + plain.len > r->max_bytes) {
		size_t have = r->bytes;
		message_destroy(tmp);
		frag_reasm_reset(r);
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_SKF, 0,
		                  "fragments exceed %zu bytes (had %zu)",
		                  r->max_bytes, have);
	}
	if (!r->active) {
		r->active = true;
		r->hdr = frag->hdr;
		r->total = (uint16_t)total;
	}
	if (num == 1) {
		r->first_type = skf->inner_type;
		r->hdr = frag->hdr;
	}
	r->piece[num - 1] = plain.len ? chunk_clone(plain) : chunk_empty;
	r->have[num - 1] = true;
	r->bytes += plain.len;
	r->received++;
	message_destroy(tmp);
	if (r->received < r->total)
		return CODEC_OK;

	/* Complete: join, parse, check. */
	message_t *m = message_alloc_with(r->bytes + 768);
	m->hdr = r->hdr;
	m->hdr.next_payload = PL_SKF;
	m->wipe = true;
	m->decrypted = true;
	uint8_t *joined = message_alloc(m, r->bytes ? r->bytes : 1);
	size_t pos = 0;
	for (unsigned i = 0; i < r->total; i++) {
		if (r->piece[i].len)
			memcpy(joined + pos, r->piece[i].ptr, r->piece[i].len);
		pos += r->piece[i].len;
	}
	uint8_t first = r->first_type;
	frag_reasm_reset(r);
	st = message_parse_chain(m, first, chunk_create(joined, pos), true, err);
	if (st == CODEC_OK)
		st = message_check(m, err);
	if (st != CODEC_OK) {
		message_destroy(m);
		return st;
	}
	*done = m;
	return CODEC_OK;
}
