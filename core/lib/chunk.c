/*
 * chunk.c - byte strings, secure wiping and checked allocation.
 */
#include <ikev2d/chunk.h>

#include "lib/secmem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void memwipe(void *ptr, size_t len)
{
	if (!ptr || !len)
		return;
	/* explicit_bzero is not optimised away even when ptr dies next. */
	explicit_bzero(ptr, len);
}

bool memeq_const(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static void out_of_memory(size_t len)
{
	fprintf(stderr, "ikev2d: out of memory allocating %zu bytes\n", len);
	abort();
}

void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);
	if (!p)
		out_of_memory(len);
	return p;
}

void *xzalloc(size_t len)
{
	void *p = calloc(1, len ? len : 1);
	if (!p)
		out_of_memory(len);
	return p;
}

void *xrealloc(void *old, size_t len)
{
	void *p = realloc(old, len ? len : 1);
	if (!p)
		out_of_memory(len);
	return p;
}

char *xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = xmalloc(len);
	memcpy(p, s, len);
	return p;
}

chunk_t chunk_alloc(size_t len)
{
	return chunk_create(xmalloc(len), len);
}

chunk_t chunk_clone(chunk_t c)
{
	chunk_t r = chunk_alloc(c.len);
	if (c.len)
		memcpy(r.ptr, c.ptr, c.len);
	return r;
}

chunk_t chunk_cat(size_t n, const chunk_t *parts)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		/* A sum that wraps would allocate too little and overrun. */
		if (parts[i].len > SIZE_MAX - len)
			out_of_memory(SIZE_MAX);
		len += parts[i].len;
	}
	chunk_t r = chunk_alloc(len);
	uint8_t *p = r.ptr;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len)
			memcpy(p, parts[i].ptr, parts[i].len);
		p += parts[i].len;
	}
	return r;
}

chunk_t chunk_alloc_secure(size_t len)
{
	return chunk_create(secmem_alloc(len), len);
}

chunk_t chunk_clone_secure(chunk_t c)
{
	chunk_t d = chunk_alloc_secure(c.len);
	if (c.len)
		memcpy(d.ptr, c.ptr, c.len);
	return d;
}

void *xzalloc_secure(size_t len)
{
	void *p = secmem_alloc(len);
	memset(p, 0, len);
	return p;
}

void xfree_secure(void *ptr)
{
	secmem_free(ptr);   /* wiped there; NULL is ignored */
}

bool memory_is_secure(const void *ptr)
{
	return secmem_owns(ptr);
}

void chunk_free(chunk_t *c)
{
	if (secmem_owns(c->ptr))
		secmem_free(c->ptr);   /* wiped there */
	else
		free(c->ptr);
	*c = chunk_empty;
}

void chunk_clear(chunk_t *c)
{
	memwipe(c->ptr, c->len);
	chunk_free(c);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

chunk_t chunk_from_hex(const char *hex)
{
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	size_t digits = 0;
	for (const char *p = hex; *p; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (hexval(*p) < 0)
			return chunk_empty;
		digits++;
	}
	if (digits == 0 || digits % 2)
		return chunk_empty;
	chunk_t r = chunk_alloc(digits / 2);
	size_t i = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (hi < 0) {
			hi = hexval(*p);
		} else {
			r.ptr[i++] = (uint8_t)(hi << 4 | hexval(*p));
			hi = -1;
		}
	}
	return r;
}

char *chunk_to_hex(chunk_t c, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < c.len; i++) {
		buf[2 * i] = digits[c.ptr[i] >> 4];
		buf[2 * i + 1] = digits[c.ptr[i] & 0xf];
	}
	buf[2 * c.len] = '\0';
	return buf;
}
