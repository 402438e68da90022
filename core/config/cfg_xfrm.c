/*
 * cfg_xfrm.c - mark_in / mark_out / if_id_in / if_id_out (cfg_xfrm.h).
 *
 * A mark is written "value/mask" or "value" (mask 0xffffffff), each part
 * decimal or 0x-hex, or as a plain integer (the value, mask 0xffffffff);
 * "none" clears one inherited from an outer level.  XFRM matches a packet
 * when (packet mark & mask) == value, so a value with bits outside its
 * mask could never match and is refused, as is mask 0 (it would match
 * every packet: leave the keyword out instead).  An interface ID is an
 * integer 1..4294967295 (0 or "none": no interface).
 */
#include "config/cfg_xfrm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const mark_keys[] = { "mark_in", "mark_out" };
static const char *const if_id_keys[] = { "if_id_in", "if_id_out" };

/* One 32-bit number, decimal or 0x-hex, the whole of [s, end). */
static bool u32_part(const char *s, const char *end, uint32_t *out)
{
	char buf[24], *e;
	size_t n = (size_t)(end - s);

	if (n == 0 || n >= sizeof(buf) || *s == '-' || *s == '+' || *s == ' ')
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	unsigned long long v = strtoull(buf, &e, 0);
	if (errno || *e || v > 0xffffffffULL)
		return false;
	*out = (uint32_t)v;
	return true;
}

char *cfg_mark_str(const kernel_mark_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "0x%x/0x%x", m->value, m->mask);
	return buf;
}

/* A 32-bit integer written in hex above 0x7fffffff: libconfig reads
 * 0xfffffffe as the int -2 (it takes an unsuffixed hex literal as 32 bits
 * wide); its bits are what was meant. */
static long long int_value(const config_setting_t *s)
{
	long long v = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT && v < 0 &&
	    config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		v += 1LL << 32;
	return v;
}

static int parse_mark(cfg_ctx_t *ctx, const config_setting_t *g,
                      const char *name, kernel_mark_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	kernel_mark_t m = { 0, 0xffffffffu };

	if (!s)
		return 0;
	int type = config_setting_type(s);
	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		long long v = int_value(s);
		if (v < 0 || v > 0xffffffffLL) {
			cfg_error(ctx, s, "%s %lld is not a 32-bit mark (0..4294967295, "
			          "or \"value/mask\")", name, v);
			return -1;
		}
		m.value = (uint32_t)v;
	} else if (type == CONFIG_TYPE_STRING) {
		const char *t = config_setting_get_string(s);
		if (strcasecmp(t, "none") == 0) {
			*out = (kernel_mark_t){ 0, 0 };
			return 1;
		}
		const char *slash = strchr(t, '/');
		const char *end = t + strlen(t);
		if (!u32_part(t, slash ? slash : end, &m.value) ||
		    (slash && !u32_part(slash + 1, end, &m.mask))) {
			cfg_error(ctx, s, "%s '%s' is not a mark: write \"value/mask\" "
			          "or \"value\" with 32-bit numbers (decimal or 0x-hex), "
			          "e.g. \"0x2a/0xff\", or \"none\"", name, t);
			return -1;
		}
	} else {
		cfg_error(ctx, s, "'%s' must be a string (\"value/mask\") or an "
		          "integer, not %s", name, cfg_type_name(type));
		return -1;
	}
	if (m.mask == 0) {
		cfg_error(ctx, s, "%s: mask 0 would match every packet; leave %s out "
		          "(or write \"none\") for no mark", name, name);
		return -1;
	}
	if (m.value & ~m.mask) {
		cfg_error(ctx, s, "%s: value 0x%x has bits outside mask 0x%x, so no "
		          "packet could ever match it", name, m.value, m.mask);
		return -1;
	}
	*out = m;
	return 1;
}

static int parse_if_id(cfg_ctx_t *ctx, const config_setting_t *g,
                       const char *name, uint32_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING &&
	    strcasecmp(config_setting_get_string(s), "none") == 0) {
		*out = 0;
		return 1;
	}
	long long v;
	int type = config_setting_type(s);
	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		v = int_value(s);
		if (v < 0 || v > 0xffffffffLL) {
			cfg_error(ctx, s, "%s %lld is not an interface ID (1..4294967295, "
			          "0 or \"none\" for none)", name, v);
			return -1;
		}
	} else if (!cfg_int_value(ctx, s, name, 0, 0xffffffffLL, &v)) {
		return -1;
	}
	*out = (uint32_t)v;
	return 1;
}

bool cfg_xfrm_parse(cfg_ctx_t *ctx, const config_setting_t *g, child_cfg_t *c)
{
	kernel_mark_t *marks[2] = { &c->mark_in, &c->mark_out };
	uint32_t *ids[2] = { &c->if_id_in, &c->if_id_out };
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		int rc = parse_mark(ctx, g, mark_keys[i], marks[i]);
		ok &= rc >= 0;
		if (rc > 0)
			c->xfrm_src[CFG_XFRM_MARK_IN + i] =
				cfg_src_of(config_setting_get_member(g, mark_keys[i]));
		rc = parse_if_id(ctx, g, if_id_keys[i], ids[i]);
		ok &= rc >= 0;
		if (rc > 0)
			c->xfrm_src[CFG_XFRM_IF_ID_IN + i] =
				cfg_src_of(config_setting_get_member(g, if_id_keys[i]));
	}
	return ok;
}

bool cfg_xfrm_used(const child_cfg_t *c)
{
	return c->mark_in.mask || c->mark_out.mask || c->if_id_in || c->if_id_out;
}
