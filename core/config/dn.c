/*
 * dn.c - distinguished names between their text and DER forms (dn.h), with
 * a small, strict DER reader: every length is checked against what is
 * left before anything is read.
 */
#include "config/dn.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ASN1_SEQUENCE   0x30
#define ASN1_SET        0x31
#define ASN1_OID        0x06
#define ASN1_UTF8       0x0c
#define ASN1_PRINTABLE  0x13
#define ASN1_T61        0x14
#define ASN1_IA5        0x16

#define DN_MAX_OID 32

typedef struct {
	uint8_t oid[DN_MAX_OID];
	size_t oid_len;
	char value[DN_MAX_VALUE + 1];
	size_t value_len;
} rdn_t;

typedef struct {
	const char *name;
	const char *oid;   /* DER contents of the OID */
	size_t oid_len;
	uint8_t str_type;  /* 0: Printable when possible, else UTF8 */
} attr_t;

#define OID(s) s, sizeof(s) - 1

/* First name of an OID is the one dn_to_text prints. */
static const attr_t attrs[] = {
	{ "C",            OID("\x55\x04\x06"), ASN1_PRINTABLE },
	{ "ST",           OID("\x55\x04\x08"), 0 },
	{ "S",            OID("\x55\x04\x08"), 0 },
	{ "L",            OID("\x55\x04\x07"), 0 },
	{ "O",            OID("\x55\x04\x0a"), 0 },
	{ "OU",           OID("\x55\x04\x0b"), 0 },
	{ "CN",           OID("\x55\x04\x03"), 0 },
	{ "SN",           OID("\x55\x04\x04"), 0 },
	{ "GN",           OID("\x55\x04\x2a"), 0 },
	{ "G",            OID("\x55\x04\x2a"), 0 },
	{ "serialNumber", OID("\x55\x04\x05"), ASN1_PRINTABLE },
	{ "T",            OID("\x55\x04\x0c"), 0 },
	{ "title",        OID("\x55\x04\x0c"), 0 },
	{ "street",       OID("\x55\x04\x09"), 0 },
	{ "postalCode",   OID("\x55\x04\x11"), 0 },
	{ "initials",     OID("\x55\x04\x2b"), 0 },
	{ "pseudonym",    OID("\x55\x04\x41"), 0 },
	{ "dnQualifier",  OID("\x55\x04\x2e"), ASN1_PRINTABLE },
	{ "E",            OID("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"), ASN1_IA5 },
	{ "emailAddress", OID("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01"), ASN1_IA5 },
	{ "DC",           OID("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19"), ASN1_IA5 },
	{ "UID",          OID("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01"), 0 },
};

#define N_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

/* ---------------------------------------------------------------- OIDs */

/* "2.5.4.3" into DER contents. */
static bool oid_from_dotted(const char *s, uint8_t *out, size_t *len)
{
	unsigned long arcs[16];
	size_t n = 0, used = 0;

	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s) || n == 16)
			return false;
		arcs[n++] = strtoul(s, &end, 10);
		if (arcs[n - 1] > 0xffffffffUL)
			return false;
		s = end;
		if (*s == '.')
			s++;
		else if (*s)
			return false;
	}
	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		return false;
	arcs[1] += arcs[0] * 40;
	for (size_t i = 1; i < n; i++) {
		uint8_t tmp[5];
		size_t k = 0;
		unsigned long v = arcs[i];
		do {
			tmp[k++] = v & 0x7f;
			v >>= 7;
		} while (v);
		if (used + k > DN_MAX_OID)
			return false;
		while (k--)
			out[used++] = tmp[k] | (k ? 0x80 : 0);
	}
	*len = used;
	return true;
}

static bool oid_to_dotted(const uint8_t *oid, size_t len, char *buf,
                          size_t buflen)
{
	unsigned long v = 0;
	size_t used = 0;
	bool first = true;

	for (size_t i = 0; i < len; i++) {
		if (v > (0xffffffffUL >> 7))
			return false;
		v = (v << 7) | (oid[i] & 0x7f);
		if (oid[i] & 0x80) {
			if (i + 1 == len)
				return false;
			continue;
		}
		int w;
		if (first) {
			unsigned long a = v < 80 ? v / 40 : 2;
			w = snprintf(buf + used, buflen - used, "%lu.%lu", a,
			             v - a * 40);
			first = false;
		} else {
			w = snprintf(buf + used, buflen - used, ".%lu", v);
		}
		if (w < 0 || (size_t)w >= buflen - used)
			return false;
		used += (size_t)w;
		v = 0;
	}
	return !first;
}

/* ------------------------------------------------------------ the text */

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Parse text into RDNs.  Values keep '*' as written (for patterns). */
static bool parse_text(const char *text, rdn_t *rdns, int *n_rdns, char *err,
                       size_t errlen)
{
	const char *p = text;
	int n = 0;

	for (;;) {
		char name[64];
		size_t nl = 0, trail;
		rdn_t *r;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' && n > 0) {
			set_err(err, errlen, "dn '%s' ends with a separator", text);
			return false;
		}
		if (n == DN_MAX_RDNS) {
			set_err(err, errlen, "dn '%s' has too many attributes", text);
			return false;
		}
		r = &rdns[n];
		memset(r, 0, sizeof(*r));
		while (*p && *p != '=' && *p != ',' && *p != ';') {
			if (nl + 1 >= sizeof(name)) {
				set_err(err, errlen, "dn '%s': attribute name too "
				        "long", text);
				return false;
			}
			name[nl++] = *p++;
		}
		while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
			nl--;
		name[nl] = '\0';
		if (*p != '=' || nl == 0) {
			set_err(err, errlen, "dn '%s' must be attribute=value "
			        "pairs separated by ','", text);
			return false;
		}
		p++;
		{
			size_t i;
			for (i = 0; i < N_ATTRS; i++) {
				if (strcasecmp(attrs[i].name, name) == 0)
					break;
			}
			if (i < N_ATTRS) {
				memcpy(r->oid, attrs[i].oid, attrs[i].oid_len);
				r->oid_len = attrs[i].oid_len;
			} else if (!oid_from_dotted(name, r->oid, &r->oid_len)) {
				set_err(err, errlen, "dn: unknown attribute '%s' (use "
				        "C, ST, L, O, OU, CN, SN, GN, T, E, DC, UID, "
				        "... or a dotted OID)", name);
				return false;
			}
		}
		while (*p == ' ' || *p == '\t')
			p++;
		trail = 0;  /* value length up to the last significant char */
		while (*p && *p != ',' && *p != ';') {
			char c = *p++;
			bool escaped = false;
			if (c == '\\') {
				if (isxdigit((unsigned char)p[0]) &&
				    isxdigit((unsigned char)p[1])) {
					char hex[3] = { p[0], p[1], 0 };
					c = (char)strtoul(hex, NULL, 16);
					p += 2;
				} else if (*p) {
					c = *p++;
				} else {
					set_err(err, errlen, "dn '%s' ends with a lone "
					        "'\\'", text);
					return false;
				}
				escaped = true;
			}
			if (r->value_len == DN_MAX_VALUE) {
				set_err(err, errlen, "dn '%s': a value is too long",
				        text);
				return false;
			}
			r->value[r->value_len++] = c;
			if (escaped || (c != ' ' && c != '\t'))
				trail = r->value_len;
		}
		r->value_len = trail;
		r->value[trail] = '\0';
		if (trail == 0) {
			set_err(err, errlen, "dn: attribute '%s' has an empty "
			        "value", name);
			return false;
		}
		n++;
		if (*p == '\0')
			break;
		p++;  /* separator */
	}
	*n_rdns = n;
	return true;
}

static bool is_printable_string(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && !strchr(" '()+,-./:=?", c))
			return false;
	}
	return true;
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20)
			return false;
	}
	return true;
}

static bool is_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t extra;
		if (u[i] < 0x80)
			extra = 0;
		else if ((u[i] & 0xe0) == 0xc0 && u[i] >= 0xc2)
			extra = 1;
		else if ((u[i] & 0xf0) == 0xe0)
			extra = 2;
		else if ((u[i] & 0xf8) == 0xf0 && u[i] <= 0xf4)
			extra = 3;
		else
			return false;
		if (len - i - 1 < extra)
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
		}
		i += extra + 1;
	}
	return true;
}

/* ------------------------------------------------------------- writing */

typedef struct {
	uint8_t *ptr;
	size_t len, cap;
} buf_t;

static void put(buf_t *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->ptr = xrealloc(b->ptr, b->cap);
	}
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
}

/* Tag and length header for len content bytes. */
static void put_header(buf_t *b, uint8_t tag, size_t len)
{
	uint8_t h[4] = { tag };
	size_t n;

	if (len < 0x80) {
		h[1] = (uint8_t)len;
		n = 2;
	} else if (len < 0x100) {
		h[1] = 0x81;
		h[2] = (uint8_t)len;
		n = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		n = 4;
	}
	put(b, h, n);
}

static size_t header_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

bool dn_from_text(const char *text, chunk_t *der, char *err, size_t errlen)
{
	rdn_t *rdns = xzalloc(sizeof(rdn_t) * DN_MAX_RDNS);
	uint8_t types[DN_MAX_RDNS];
	size_t total = 0;
	int n = 0;
	buf_t b = { NULL, 0, 0 };

	if (!parse_text(text, rdns, &n, err, errlen)) {
		free(rdns);
		return false;
	}
	for (int i = 0; i < n; i++) {
		rdn_t *r = &rdns[i];
		uint8_t t = 0;
		for (size_t k = 0; k < N_ATTRS; k++) {
			if (attrs[k].oid_len == r->oid_len &&
			    memcmp(attrs[k].oid, r->oid, r->oid_len) == 0) {
				t = attrs[k].str_type;
				break;
			}
		}
		if (t == ASN1_IA5 && !is_ascii(r->value, r->value_len)) {
			set_err(err, errlen, "dn: value '%s' must be plain ASCII",
			        r->value);
			free(rdns);
			return false;
		}
		if (t == ASN1_PRINTABLE &&
		    !is_printable_string(r->value, r->value_len)) {
			set_err(err, errlen, "dn: value '%s' may hold only letters, "
			        "digits and ' ()+,-./:=?", r->value);
			free(rdns);
			return false;
		}
		if (!t)
			t = is_printable_string(r->value, r->value_len) ?
			    ASN1_PRINTABLE : ASN1_UTF8;
		if (t == ASN1_UTF8 && !is_utf8(r->value, r->value_len)) {
			set_err(err, errlen, "dn: value '%s' is not valid UTF-8",
			        r->value);
			free(rdns);
			return false;
		}
		types[i] = t;
		{
			size_t atv = header_len(r->oid_len) + r->oid_len +
			             header_len(r->value_len) + r->value_len;
			size_t set = header_len(atv) + atv;
			total += header_len(set) + set;
		}
	}
	put_header(&b, ASN1_SEQUENCE, total);
	for (int i = 0; i < n; i++) {
		rdn_t *r = &rdns[i];
		size_t atv = header_len(r->oid_len) + r->oid_len +
		             header_len(r->value_len) + r->value_len;
		put_header(&b, ASN1_SET, header_len(atv) + atv);
		put_header(&b, ASN1_SEQUENCE, atv);
		put_header(&b, ASN1_OID, r->oid_len);
		put(&b, r->oid, r->oid_len);
		put_header(&b, types[i], r->value_len);
		put(&b, r->value, r->value_len);
	}
	free(rdns);
	*der = chunk_create(b.ptr, b.len);
	return true;
}

/* ------------------------------------------------------------- reading */

/* One TLV from *c: short or long (1-2 byte) definite lengths only. */
static bool read_tlv(chunk_t *c, uint8_t *tag, chunk_t *value)
{
	size_t len, hdr = 2;

	if (c->len < 2)
		return false;
	*tag = c->ptr[0];
	len = c->ptr[1];
	if (len == 0x81) {
		if (c->len < 3)
			return false;
		len = c->ptr[2];
		hdr = 3;
	} else if (len == 0x82) {
		if (c->len < 4)
			return false;
		len = ((size_t)c->ptr[2] << 8) | c->ptr[3];
		hdr = 4;
	} else if (len & 0x80) {
		return false;
	}
	if (c->len - hdr < len)
		return false;
	*value = chunk_create(c->ptr + hdr, len);
	c->ptr += hdr + len;
	c->len -= hdr + len;
	return true;
}

static bool parse_der(chunk_t der, rdn_t *rdns, int *n_rdns)
{
	chunk_t name, rest;
	uint8_t tag;
	int n = 0;

	if (!read_tlv(&der, &tag, &name) || tag != ASN1_SEQUENCE || der.len)
		return false;
	rest = name;
	while (rest.len) {
		chunk_t set, atv, oid, val, seq;
		uint8_t t;
		if (!read_tlv(&rest, &t, &set) || t != ASN1_SET || !set.len)
			return false;
		while (set.len) {
			rdn_t *r;
			chunk_t whole;
			if (n == DN_MAX_RDNS)
				return false;
			if (!read_tlv(&set, &t, &seq) || t != ASN1_SEQUENCE)
				return false;
			atv = seq;
			if (!read_tlv(&atv, &t, &oid) || t != ASN1_OID ||
			    !oid.len || oid.len > DN_MAX_OID)
				return false;
			whole = atv;
			if (!read_tlv(&atv, &t, &val) || atv.len)
				return false;
			r = &rdns[n++];
			memcpy(r->oid, oid.ptr, oid.len);
			r->oid_len = oid.len;
			if (t == ASN1_UTF8 || t == ASN1_PRINTABLE ||
			    t == ASN1_IA5 || t == ASN1_T61) {
				if (val.len > DN_MAX_VALUE)
					return false;
				memcpy(r->value, val.ptr, val.len);
				r->value_len = val.len;
			} else {
				/* RFC 4514 #hex of the whole value element. */
				if (1 + 2 * whole.len > DN_MAX_VALUE)
					return false;
				r->value[0] = '#';
				chunk_to_hex(whole, r->value + 1);
				r->value_len = 1 + 2 * whole.len;
			}
			r->value[r->value_len] = '\0';
		}
	}
	*n_rdns = n;
	return true;
}

bool dn_to_text(chunk_t der, char *buf, size_t len)
{
	rdn_t *rdns = xzalloc(sizeof(rdn_t) * DN_MAX_RDNS);
	size_t used = 0;
	int n;
	bool ok = false;

	if (!len || !parse_der(der, rdns, &n))
		goto out;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		char dotted[96];
		const char *name = NULL;
		rdn_t *r = &rdns[i];

		for (size_t k = 0; k < N_ATTRS && !name; k++) {
			if (attrs[k].oid_len == r->oid_len &&
			    memcmp(attrs[k].oid, r->oid, r->oid_len) == 0)
				name = attrs[k].name;
		}
		if (!name) {
			if (!oid_to_dotted(r->oid, r->oid_len, dotted, sizeof(dotted)))
				goto out;
			name = dotted;
		}
		int w = snprintf(buf + used, len - used, "%s%s=", i ? ", " : "",
		                 name);
		if (w < 0 || (size_t)w >= len - used)
			goto out;
		used += (size_t)w;
		for (size_t k = 0; k < r->value_len; k++) {
			unsigned char c = (unsigned char)r->value[k];
			char esc[5];
			size_t el;
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\%02X", c);
				el = 3;
			} else if (strchr(",;+\\\"", c)) {
				esc[0] = '\\';
				esc[1] = (char)c;
				el = 2;
			} else {
				esc[0] = (char)c;
				el = 1;
			}
			if (used + el >= len)
				goto out;
			memcpy(buf + used, esc, el);
			used += el;
		}
		buf[used] = '\0';
	}
	ok = true;
out:
	free(rdns);
	return ok;
}

/* '*' matches any run; case-insensitive; linear backtracking to the last
 * star, so no pattern can make it exponential. */
static bool wild_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

	while (i < slen) {
		if (p < plen && pat[p] == '*') {
			star_p = p++;
			star_i = i;
		} else if (p < plen && tolower((unsigned char)pat[p]) ==
		                       tolower((unsigned char)s[i])) {
			p++;
			i++;
		} else if (star_p != (size_t)-1) {
			p = star_p + 1;
			i = ++star_i;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

bool dn_match(const char *pattern, chunk_t der)
{
	rdn_t *want = xzalloc(sizeof(rdn_t) * DN_MAX_RDNS);
	rdn_t *have = xzalloc(sizeof(rdn_t) * DN_MAX_RDNS);
	int nw, nh;
	bool ok = false;

	if (!parse_text(pattern, want, &nw, NULL, 0) ||
	    !parse_der(der, have, &nh) || nw != nh)
		goto out;
	for (int i = 0; i < nw; i++) {
		if (want[i].oid_len != have[i].oid_len ||
		    memcmp(want[i].oid, have[i].oid, want[i].oid_len) != 0 ||
		    !wild_match(want[i].value, want[i].value_len, have[i].value,
		                have[i].value_len))
			goto out;
	}
	ok = true;
out:
	free(want);
	free(have);
	return ok;
}
