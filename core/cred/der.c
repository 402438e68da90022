/*
 * der.c - strict DER reading and nested DER writing (see der.h).
 */
#include "cred/der.h"

#include <stdlib.h>

bool der_get(chunk_t *in, uint8_t tag, chunk_t *content)
{
	const uint8_t *p = in->ptr;
	size_t left = in->len, len;

	if (left < 2 || p[0] != tag)
		return false;
	if (p[1] < 0x80) {
		len = p[1];
		p += 2;
		left -= 2;
	} else {
		size_t n = p[1] & 0x7f;

		/* No indefinite form, at most 4 length octets, no leading
		 * zero, and the long form only where the short one fails. */
		if (n == 0 || n > 4 || left - 2 < n || p[2] == 0)
			return false;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = (len << 8) | p[2 + i];
		if (len < 0x80)
			return false;
		p += 2 + n;
		left -= 2 + n;
	}
	if (len > left)
		return false;
	*content = chunk_create(p, len);
	in->ptr = (uint8_t *)p + len;
	in->len = left - len;
	return true;
}

void der_buf_init(der_buf_t *b)
{
	b->size = 64;
	b->len = 0;
	b->ptr = xmalloc(b->size);
}

static void reserve(der_buf_t *b, size_t more)
{
	if (b->len + more <= b->size)
		return;
	while (b->len + more > b->size)
		b->size *= 2;
	b->ptr = xrealloc(b->ptr, b->size);
}

static size_t length_octets(size_t len)
{
	size_t n = 1;

	if (len >= 0x80)
		for (size_t v = len; v; v >>= 8)
			n++;
	return n;
}

static void write_length(uint8_t *out, size_t len)
{
	size_t n = length_octets(len);

	if (n == 1) {
		out[0] = (uint8_t)len;
		return;
	}
	out[0] = 0x80 | (uint8_t)(n - 1);
	for (size_t i = n - 1; i >= 1; i--, len >>= 8)
		out[i] = (uint8_t)len;
}

void der_put(der_buf_t *b, uint8_t tag, chunk_t content)
{
	size_t n = length_octets(content.len);

	reserve(b, 1 + n + content.len);
	b->ptr[b->len] = tag;
	write_length(b->ptr + b->len + 1, content.len);
	if (content.len)
		memcpy(b->ptr + b->len + 1 + n, content.ptr, content.len);
	b->len += 1 + n + content.len;
}

size_t der_begin(der_buf_t *b, uint8_t tag)
{
	reserve(b, 1);
	b->ptr[b->len++] = tag;
	return b->len;  /* where the length goes once the content is known */
}

void der_end(der_buf_t *b, size_t mark)
{
	size_t len = b->len - mark, n = length_octets(len);

	reserve(b, n);
	memmove(b->ptr + mark + n, b->ptr + mark, len);
	write_length(b->ptr + mark, len);
	b->len += n;
}

chunk_t der_buf_take(der_buf_t *b)
{
	chunk_t c = chunk_create(b->ptr, b->len);

	b->ptr = NULL;
	b->len = b->size = 0;
	return c;
}
