/*
 * ctl_proto.c - framing and request parsing of the control socket
 * (ctl_proto.h).  Every length is checked against what is left before a
 * byte is read; the parser is also what testing/fuzz feeds.
 */
#include "ctl_proto.h"

#include <stdlib.h>
#include <string.h>

const char *ctl_hdr_parse(const uint8_t *b, ctl_hdr_t *h, uint32_t max_len)
{
	if (b[0] != 'I' || b[1] != 'K')
		return "not a control frame (bad magic)";
	h->version = b[2];
	h->type = b[3];
	h->length = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
	            (uint32_t)b[6] << 8 | b[7];
	if (h->version != CTL_VERSION)
		return "unsupported protocol version";
	if (h->length > max_len)
		return "frame too large";
	return NULL;
}

void ctl_hdr_write(uint8_t *b, uint8_t type, uint32_t length)
{
	b[0] = 'I';
	b[1] = 'K';
	b[2] = CTL_VERSION;
	b[3] = type;
	b[4] = (uint8_t)(length >> 24);
	b[5] = (uint8_t)(length >> 16);
	b[6] = (uint8_t)(length >> 8);
	b[7] = (uint8_t)length;
}

static bool arg_char_ok(uint8_t c)
{
	return c >= 0x20 || c == '\t' || c == '\n';
}

const char *ctl_request_parse(const uint8_t *body, size_t len, ctl_request_t *r)
{
	memset(r, 0, sizeof(*r));
	if (len < 6)
		return "request too short";
	if (len > CTL_MAX_REQUEST)
		return "request too large";
	uint32_t flags = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
	                 (uint32_t)body[2] << 8 | body[3];
	unsigned argc = (unsigned)body[4] << 8 | body[5];
	if (flags & ~CTL_F_KNOWN)
		return "unknown request flags";
	if (argc == 0 || argc > CTL_MAX_ARGS)
		return "bad argument count";
	size_t rest = len - 6;
	char *buf = malloc(rest ? rest : 1);
	if (!buf)
		return "out of memory";
	memcpy(buf, body + 6, rest);
	size_t off = 0;
	for (unsigned i = 0; i < argc; i++) {
		size_t start = off;
		while (off < rest && buf[off] != '\0') {
			if (!arg_char_ok((uint8_t)buf[off])) {
				explicit_bzero(buf, rest ? rest : 1);
				free(buf);
				return "control character in an argument";
			}
			off++;
		}
		if (off >= rest) {
			explicit_bzero(buf, rest ? rest : 1);
			free(buf);
			return "argument not terminated";
		}
		if (off - start > CTL_MAX_ARG) {
			explicit_bzero(buf, rest ? rest : 1);
			free(buf);
			return "argument too long";
		}
		r->argv[i] = buf + start;
		off++;   /* the NUL */
	}
	if (off != rest) {
		explicit_bzero(buf, rest ? rest : 1);
		free(buf);
		return "bytes after the last argument";
	}
	r->flags = flags;
	r->argc = (int)argc;
	r->argv[argc] = NULL;
	r->buf = buf;
	r->len = rest ? rest : 1;
	return NULL;
}

void ctl_request_free(ctl_request_t *r)
{
	/* arguments may be a key (add preshared) or a PIN (token login) */
	if (r->buf)
		explicit_bzero(r->buf, r->len);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

bool ctl_request_encode(uint32_t flags, int argc, char *const *argv,
                        uint8_t **out, size_t *out_len)
{
	if (argc < 1 || argc > CTL_MAX_ARGS)
		return false;
	size_t len = 6;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (l > CTL_MAX_ARG)
			return false;
		len += l + 1;
	}
	if (len > CTL_MAX_REQUEST)
		return false;
	uint8_t *b = malloc(CTL_HDR_LEN + len);
	if (!b)
		return false;
	ctl_hdr_write(b, CTL_REQUEST, (uint32_t)len);
	uint8_t *p = b + CTL_HDR_LEN;
	p[0] = (uint8_t)(flags >> 24);
	p[1] = (uint8_t)(flags >> 16);
	p[2] = (uint8_t)(flags >> 8);
	p[3] = (uint8_t)flags;
	p[4] = (uint8_t)(argc >> 8);
	p[5] = (uint8_t)argc;
	p += 6;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(p, argv[i], l);
		p += l;
	}
	*out = b;
	*out_len = CTL_HDR_LEN + len;
	return true;
}
