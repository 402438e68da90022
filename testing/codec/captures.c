/*
 * captures.c - see captures.h.
 */
#include "captures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const capture_names[] = {
	"ikev2-decrypt-3des-sha1_160",
	"ikev2-decrypt-aes128ccm12-2",
	"ikev2-decrypt-aes128ccm12",
	"ikev2-decrypt-aes192ctr",
	"ikev2-decrypt-aes256cbc",
	"ikev2-decrypt-aes256ccm16",
	"ikev2-decrypt-aes256gcm16",
	"ikev2-decrypt-aes256gcm8",
};
const int capture_count = sizeof(capture_names) / sizeof(capture_names[0]);

static int parse_chain(const char *s, chain_item_t *out)
{
	int n = 0;
	while (*s && n < CAPTURE_MAX_CHAIN) {
		while (*s == ' ')
			s++;
		if (!*s || *s == '\n')
			break;
		char *end;
		out[n].type = (uint8_t)strtoul(s, &end, 10);
		out[n].notify = 0;
		if (*end == ':')
			out[n].notify = (uint16_t)strtoul(end + 1, &end, 10);
		n++;
		s = end;
	}
	return n;
}

static chunk_t hexval(const char *s)
{
	char buf[8192];
	size_t n = strcspn(s, "\n");
	if (n == 0 || (n == 1 && s[0] == '-') || n >= sizeof(buf))
		return chunk_empty;
	memcpy(buf, s, n);
	buf[n] = 0;
	return chunk_from_hex(buf);
}

bool capture_load(const char *name, capture_t *c)
{
	char path[1024], line[8192];
	const char *top = getenv("top_srcdir");
	snprintf(path, sizeof(path), "%s/testing/vectors/pcaps/%s.txt",
	         top ? top : ".", name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return false;
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	capture_msg_t *m = NULL;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');
		v = v ? v + 1 : line + strlen(line);
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!strncmp(line, "encr ", 5))
			sscanf(v, "%u %u %u", &c->encr, &c->key_bits, &c->aead_icv);
		else if (!strncmp(line, "integ ", 6))
			sscanf(v, "%u", &c->integ);
		else if (!strncmp(line, "spi_i ", 6))
			c->spi_i = strtoull(v, NULL, 16);
		else if (!strncmp(line, "spi_r ", 6))
			c->spi_r = strtoull(v, NULL, 16);
		else if (!strncmp(line, "sk_ei ", 6))
			c->sk_ei = hexval(v);
		else if (!strncmp(line, "sk_er ", 6))
			c->sk_er = hexval(v);
		else if (!strncmp(line, "sk_ai ", 6))
			c->sk_ai = hexval(v);
		else if (!strncmp(line, "sk_ar ", 6))
			c->sk_ar = hexval(v);
		else if (!strncmp(line, "msg ", 4)) {
			if (c->n_msgs == CAPTURE_MAX_MSGS)
				break;
			m = &c->msgs[c->n_msgs++];
			m->frame = atoi(v);
		} else if (!m) {
			continue;
		} else if (!strncmp(line, "exchange ", 9)) {
			sscanf(v, "%31s", m->exchange);
		} else if (!strncmp(line, "flags ", 6)) {
			m->flags = (unsigned)strtoul(v, NULL, 16);
		} else if (!strncmp(line, "mid ", 4)) {
			m->mid = (uint32_t)strtoul(v, NULL, 10);
		} else if (!strncmp(line, "data ", 5)) {
			m->data = hexval(v);
		} else if (!strncmp(line, "outer", 5)) {
			m->n_outer = parse_chain(v, m->outer);
		} else if (!strncmp(line, "plain ", 6)) {
			m->has_plain = true;
			m->plain = hexval(v);
		} else if (!strncmp(line, "inner", 5)) {
			m->n_inner = parse_chain(v, m->inner);
		} else if (!strncmp(line, "auth ", 5)) {
			m->auth = hexval(v);
		}
	}
	fclose(f);
	if (!c->n_msgs || !c->encr) {
		fprintf(stderr, "%s: no messages or keys\n", path);
		capture_free(c);
		return false;
	}
	return true;
}

void capture_free(capture_t *c)
{
	chunk_free(&c->sk_ei);
	chunk_free(&c->sk_er);
	chunk_free(&c->sk_ai);
	chunk_free(&c->sk_ar);
	for (int i = 0; i < c->n_msgs; i++) {
		chunk_free(&c->msgs[i].data);
		chunk_free(&c->msgs[i].plain);
		chunk_free(&c->msgs[i].auth);
	}
	memset(c, 0, sizeof(*c));
}
