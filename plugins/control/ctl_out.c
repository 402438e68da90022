/*
 * ctl_out.c - text buffers for the control plugin's output.
 */
#include "ctl_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

static void reserve(sbuf_t *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void sb_printf(sbuf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(b, (size_t)n);
	if ((size_t)n < sizeof(small)) {
		memcpy(b->p + b->len, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sb_puts(sbuf_t *b, const char *s)
{
	size_t n = strlen(s);
	reserve(b, n);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void sb_u64(sbuf_t *b, unsigned long long v)
{
	char d[24];
	int i = (int)sizeof(d) - 1;
	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_puts(b, d + i);
}

void sb_json_str(sbuf_t *b, const char *s)
{
	const unsigned char *c = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)c);
	/* worst case: every byte as \u00XX */
	reserve(b, 6 * n + 2);
	b->p[b->len++] = '"';
	for (; *c; c++) {
		if (*c == '"' || *c == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)*c;
		} else if (*c < 0x20 || *c == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			memcpy(b->p + b->len, "\\u00", 4);
			b->p[b->len + 4] = hex[*c >> 4];
			b->p[b->len + 5] = hex[*c & 15];
			b->len += 6;
		} else {
			b->p[b->len++] = (char)*c;
		}
	}
	reserve(b, 1);
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void sb_prom_str(sbuf_t *b, const char *s)
{
	reserve(b, 2);
	b->p[b->len++] = '"';
	for (const char *c = s ? s : ""; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_printf(b, "\\%c", *c);
		else if (*c == '\n')
			sb_printf(b, "\\n");
		else {
			reserve(b, 1);
			b->p[b->len++] = *c;
		}
	}
	reserve(b, 1);
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void sb_reset(sbuf_t *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void sb_free(sbuf_t *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
