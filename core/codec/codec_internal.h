/*
 * codec_internal.h - helpers shared by the codec's source files: byte-order
 * access, error reporting, the growing output buffer.  Not for other
 * components.
 */
#ifndef IKEV2D_CODEC_INTERNAL_H
#define IKEV2D_CODEC_INTERNAL_H

#include "codec/message.h"

#include <stdarg.h>

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffff);
}

/* Fill *err (if not NULL) and return status.  'notify' is derived from
 * status.  The text is formatted only when err is given. */
codec_status_t codec_fail(codec_error_t *err, codec_status_t status,
                          uint8_t payload, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Output buffer that grows up to CODEC_MAX_MESSAGE_LEN. */
typedef struct {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool overflow;  /* a write would have exceeded the limit */
} writer_t;

void writer_init(writer_t *w, size_t hint);
/* Reserve n bytes at the end; NULL (and overflow set) past the limit. */
uint8_t *writer_reserve(writer_t *w, size_t n);
void writer_free(writer_t *w);

/* Encode payloads[from..to) of m as a chain (generic headers linked, the
 * last one's next payload 0).  Returns false on overflow. */
bool codec_write_chain(writer_t *w, const message_t *m, size_t from, size_t to);

/* Write the 28-byte IKE header (length patched by the caller). */
void codec_write_header(uint8_t *p, const ike_header_t *h, uint8_t first,
                        uint32_t length);

/* A message with an inline arena of at least inline_size bytes. */
message_t *message_alloc_with(size_t inline_size);

/* Append a payload slot to m (not initialised beyond type), or NULL. */
payload_t *message_new_payload(message_t *m, uint8_t type);

/* Verify and decrypt the body of an SK/SKF payload: 'raw' is the whole
 * message, 'aad_end' the end of the (SK or SKF) payload header,
 * 'data' the IV|ciphertext|ICV inside raw.  On success *plain is the
 * inner chain (padding removed) in memory from m's arena. */
codec_status_t sk_unprotect(message_t *m, chunk_t raw, size_t aad_end,
                            chunk_t data, sk_ctx_t *sk, chunk_t *plain,
                            codec_error_t *err);

/* Build a whole protected message: header (next payload = outer_type),
 * SK or SKF payload header (for SKF with frag number/total), IV,
 * encrypted 'plain', padding, ICV.  *out freshly allocated. */
codec_status_t sk_protect(const ike_header_t *hdr, uint8_t outer_type,
                          uint8_t inner_type, uint16_t frag_number,
                          uint16_t frag_total, chunk_t plain, sk_ctx_t *sk,
                          chunk_t *out, codec_error_t *err);

#endif
