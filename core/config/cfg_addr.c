/*
 * cfg_addr.c - address ranges and traffic selectors.
 */
#include "config/cfg_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Upper bound on addresses or selectors in one keyword: keeps a typo in
 * a generated file from turning into a huge allocation. */
#define CFG_MAX_ADDRS 256

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* One address, either family. */
static bool parse_one(const char *text, int *family, uint8_t *bytes)
{
	if (inet_pton(AF_INET, text, bytes) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, bytes) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

bool addr_range_parse(const char *text, addr_range_t *out, char *err,
                      size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(text, '/'), *dash = strchr(text, '-');
	addr_range_t r;
	size_t len = strlen(text);

	memset(&r, 0, sizeof(r));
	if (len == 0 || len >= sizeof(buf) * 2) {
		snprintf(err, errlen, "'%s' is not an address, prefix or range",
		         text);
		return false;
	}
	if (slash && dash) {
		snprintf(err, errlen, "'%s' mixes a prefix and a range", text);
		return false;
	}
	if (dash) {
		addr_range_t hi;
		size_t l = (size_t)(dash - text);
		if (l < sizeof(buf)) {
			memcpy(buf, text, l);
			buf[l] = '\0';
		}
		if (l >= sizeof(buf) || !parse_one(buf, &r.family, r.lo)) {
			snprintf(err, errlen, "'%s': bad range start", text);
			return false;
		}
		if (!parse_one(dash + 1, &hi.family, r.hi)) {
			snprintf(err, errlen, "'%s': bad range end", text);
			return false;
		}
		if (hi.family != r.family) {
			snprintf(err, errlen, "'%s': range mixes IPv4 and IPv6",
			         text);
			return false;
		}
		if (memcmp(r.lo, r.hi, family_len(r.family)) > 0) {
			snprintf(err, errlen, "'%s': range start is above its end",
			         text);
			return false;
		}
		*out = r;
		return true;
	}
	if (slash) {
		size_t l = (size_t)(slash - text), bits;
		char *end;
		unsigned long plen;

		if (l >= sizeof(buf)) {
			snprintf(err, errlen, "'%s': bad prefix", text);
			return false;
		}
		memcpy(buf, text, l);
		buf[l] = '\0';
		if (!parse_one(buf, &r.family, r.lo)) {
			snprintf(err, errlen, "'%s': bad prefix address", text);
			return false;
		}
		bits = family_len(r.family) * 8;
		if (slash[1] < '0' || slash[1] > '9') {
			snprintf(err, errlen, "'%s': bad prefix length", text);
			return false;
		}
		plen = strtoul(slash + 1, &end, 10);
		if (*end || plen > bits) {
			snprintf(err, errlen, "'%s': prefix length must be "
			         "0..%zu", text, bits);
			return false;
		}
		memcpy(r.hi, r.lo, family_len(r.family));
		for (size_t i = 0; i < family_len(r.family); i++) {
			size_t first = i * 8;
			uint8_t mask;
			if (first + 8 <= plen)
				mask = 0xff;
			else if (first >= plen)
				mask = 0;
			else
				mask = (uint8_t)(0xff << (8 - (plen - first)));
			r.lo[i] &= mask;
			r.hi[i] |= (uint8_t)~mask;
		}
		*out = r;
		return true;
	}
	if (!parse_one(text, &r.family, r.lo)) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address",
		         text);
		return false;
	}
	memcpy(r.hi, r.lo, sizeof(r.hi));
	*out = r;
	return true;
}

bool addr_range_is_single(const addr_range_t *r)
{
	return memcmp(r->lo, r->hi, family_len(r->family)) == 0;
}

typedef struct {
	const char *name;
	void *items;
	size_t item_size;
	int n;
	int max;            /* 0: CFG_MAX_ADDRS */
	const char *why;    /* what makes max the limit, for the error */
} collect_t;

static bool grow(cfg_ctx_t *ctx, const config_setting_t *s, collect_t *c)
{
	int max = c->max ? c->max : CFG_MAX_ADDRS;
	if (c->n >= max) {
		cfg_error(ctx, s, "'%s' has more than %d entries%s", c->name,
		          max, c->why ? c->why : "");
		return false;
	}
	c->items = xrealloc(c->items, (size_t)(c->n + 1) * c->item_size);
	memset((uint8_t *)c->items + (size_t)c->n * c->item_size, 0,
	       c->item_size);
	return true;
}

static bool addr_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	collect_t *c = arg;
	char err[160];
	addr_range_t r;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, s, "'%s' entries must be strings (address, "
		          "prefix or range), not %s", c->name,
		          cfg_type_name(config_setting_type(s)));
		return false;
	}
	if (!addr_range_parse(config_setting_get_string(s), &r, err,
	                      sizeof(err))) {
		cfg_error(ctx, s, "%s: %s", c->name, err);
		return false;
	}
	if (!grow(ctx, s, c))
		return false;
	((addr_range_t *)c->items)[c->n++] = r;
	return true;
}

int cfg_addr_list(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                  addr_range_t **out, int *n)
{
	collect_t c = { name, NULL, sizeof(addr_range_t), 0 };
	int rc = cfg_each(ctx, g, name, addr_elem, &c);

	if (rc <= 0) {
		free(c.items);
		return rc;
	}
	*out = c.items;
	*n = c.n;
	return 1;
}

/* Protocol by name or number. */
static bool ts_protocol(cfg_ctx_t *ctx, const config_setting_t *s,
                        uint8_t *proto)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
		{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 },
		{ "ipv6-icmp", 58 }, { "sctp", 132 },
	};
	long long v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *name = config_setting_get_string(s);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcasecmp(name, names[i].name) == 0) {
				*proto = names[i].num;
				return true;
			}
		}
		cfg_error(ctx, s, "protocol '%s' is unknown (use a number "
		          "0..255 or one of any, icmp, tcp, udp, gre, esp, ah, "
		          "icmpv6, sctp)", name);
		return false;
	}
	if (!cfg_int_value(ctx, s, "protocol", 0, 255, &v))
		return false;
	*proto = (uint8_t)v;
	return true;
}

/* Port: a number, or "lo-hi". */
static bool ts_port(cfg_ctx_t *ctx, const config_setting_t *s, ts_cfg_t *ts)
{
	long long v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *text = config_setting_get_string(s);
		char *end;
		unsigned long lo, hi;

		if (text[0] < '0' || text[0] > '9')
			goto bad;
		lo = strtoul(text, &end, 10);
		if (*end == '\0') {
			hi = lo;
		} else {
			if (*end != '-' || end[1] < '0' || end[1] > '9')
				goto bad;
			hi = strtoul(end + 1, &end, 10);
			if (*end)
				goto bad;
		}
		if (lo > 65535 || hi > 65535 || lo > hi) {
			cfg_error(ctx, s, "port range '%s' must be within "
			          "0..65535, low to high", text);
			return false;
		}
		ts->port_lo = (uint16_t)lo;
		ts->port_hi = (uint16_t)hi;
		return true;
bad:
		cfg_error(ctx, s, "port '%s' must be a number or a range "
		          "\"lo-hi\"", text);
		return false;
	}
	if (!cfg_int_value(ctx, s, "port", 0, 65535, &v))
		return false;
	ts->port_lo = ts->port_hi = (uint16_t)v;
	return true;
}

static bool ts_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	static const char *const keys[] = { "addr", "protocol", "port", NULL };
	collect_t *c = arg;
	ts_cfg_t ts = { .port_lo = 0, .port_hi = 65535 };
	const config_setting_t *a = s;
	char err[160], where[64];
	bool ok = true;

	if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		const config_setting_t *p;
		snprintf(where, sizeof(where), "a %s selector", c->name);
		if (cfg_check_keys(ctx, s, keys, where))
			ok = false;
		a = config_setting_get_member(s, "addr");
		if (!a) {
			cfg_error(ctx, s, "%s selector needs 'addr'", c->name);
			return false;
		}
		if ((p = config_setting_get_member(s, "protocol")) &&
		    !ts_protocol(ctx, p, &ts.proto))
			ok = false;
		if ((p = config_setting_get_member(s, "port"))) {
			if (!ts_port(ctx, p, &ts))
				ok = false;
			else if (ok && ts.proto == 0) {
				cfg_error(ctx, p, "a port needs a 'protocol' "
				          "(tcp, udp, ...)");
				ok = false;
			}
		}
	}
	if (config_setting_type(a) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, a, "'%s' entries must be strings or groups { addr "
		          "= ...; protocol = ...; port = ...; }, not %s", c->name,
		          cfg_type_name(config_setting_type(a)));
		return false;
	}
	if (!addr_range_parse(config_setting_get_string(a), &ts.addr, err,
	                      sizeof(err))) {
		cfg_error(ctx, a, "%s: %s", c->name, err);
		return false;
	}
	if (!ok || !grow(ctx, s, c))
		return false;
	((ts_cfg_t *)c->items)[c->n++] = ts;
	return true;
}

int cfg_ts_list(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                ts_cfg_t **out, int *n)
{
	/* Every selector goes into one TS payload, whose count is 8 bits. */
	collect_t c = { name, NULL, sizeof(ts_cfg_t), 0, 255,
	                " (a TS payload carries at most 255 traffic selectors, "
	                "RFC 7296 section 3.13)" };
	const config_setting_t *s = config_setting_get_member(g, name);
	int rc;

	/* A single group is one selector, not a list of members. */
	if (s && config_setting_type(s) == CONFIG_TYPE_GROUP)
		rc = ts_elem(ctx, s, &c) ? 1 : -1;
	else
		rc = cfg_each(ctx, g, name, ts_elem, &c);
	if (rc <= 0) {
		free(c.items);
		return rc;
	}
	*out = c.items;
	*n = c.n;
	return 1;
}
