/*
 * debug_level.c - the debug level grammar of debug_level.h.
 */
#include "config/debug_level.h"
#include "config/suggest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ikev2d/bus.h>

/* Longest term we accept; anything longer cannot be a valid name or a
 * 32-bit number. */
#define TERM_MAX 32

static const struct {
	const char *name;
	uint32_t group;
} group_names[] = {
	{ "cert",    DBG_CERT },
	{ "key",     DBG_KEY },
	{ "phase1",  DBG_IKESA },
	{ "ikesa",   DBG_IKESA },
	{ "phase2",  DBG_CHILDSA },
	{ "childsa", DBG_CHILDSA },
	{ "pfkey",   DBG_KERNEL },
	{ "kernel",  DBG_KERNEL },
	{ "policy",  DBG_POLICY },
	{ "prop",    DBG_PROP },
	{ "door",    DBG_CTL },
	{ "ctl",     DBG_CTL },
	{ "config",  DBG_CONFIG },
	{ "net",     DBG_NET },
	{ "codec",   DBG_CODEC },
	{ "plugin",  DBG_PLUGIN },
	{ "crypto",  DBG_CRYPTO },
};

#define N_GROUP_NAMES (sizeof(group_names) / sizeof(group_names[0]))

/* Every word the grammar knows, for suggestions. */
static const char *const all_words[] = {
	"op", "operator", "verbose", "all",
	"cert", "key", "phase1", "ikesa", "phase2", "childsa", "pfkey",
	"kernel", "policy", "prop", "door", "ctl", "config", "net", "codec",
	"plugin", "crypto", NULL
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parse a number term: decimal or 0x hex, all digits, within DBG_ALL. */
static bool parse_number(const char *term, uint32_t *mask)
{
	char *end;
	unsigned long long v;

	if (term[0] < '0' || term[0] > '9')
		return false;
	errno = 0;
	v = strtoull(term, &end, 0);
	if (errno || *end || v > 0xffffffffULL)
		return false;
	*mask = (uint32_t)v;
	return true;
}

/* Resolve one term into the verbose and raw bits it names.  Returns false
 * with a message in err when the term is unknown. */
static bool resolve_term(const char *term, uint32_t *verbose, uint32_t *raw,
                         char *err, size_t errlen)
{
	char name[TERM_MAX + 1];
	const char *colon = strchr(term, ':');
	bool want_raw = false;
	size_t len = colon ? (size_t)(colon - term) : strlen(term);

	if (colon) {
		if (strcasecmp(colon + 1, "raw") != 0) {
			set_err(err, errlen, "debug level: '%s': only ':raw' may "
			        "follow a group name", term);
			return false;
		}
		want_raw = true;
	}
	if (len == 0 || len > TERM_MAX) {
		set_err(err, errlen, "debug level: bad term '%s'", term);
		return false;
	}
	memcpy(name, term, len);
	name[len] = '\0';

	*verbose = *raw = 0;
	if (!want_raw) {
		/* "operator" is the seed's long name of "op" */
		if (strcasecmp(name, "op") == 0 || strcasecmp(name, "operator") == 0)
			return true;
		if (strcasecmp(name, "verbose") == 0) {
			*verbose = DBG_ALL;
			return true;
		}
		if (strcasecmp(name, "all") == 0) {
			*verbose = *raw = DBG_ALL;
			return true;
		}
		if (parse_number(name, verbose)) {
			if (*verbose & ~(uint32_t)DBG_ALL) {
				char all[16];
				snprintf(all, sizeof(all), "0x%x", (unsigned)DBG_ALL);
				set_err(err, errlen, "debug level: '%s' has bits "
				        "outside the known groups (%s)", name, all);
				return false;
			}
			return true;
		}
	}
	for (size_t i = 0; i < N_GROUP_NAMES; i++) {
		if (strcasecmp(name, group_names[i].name) == 0) {
			*verbose = group_names[i].group;
			*raw = want_raw ? group_names[i].group : 0;
			return true;
		}
	}
	if (want_raw) {
		set_err(err, errlen, "debug level: '%s' is not a group name "
		        "(':raw' follows a group such as 'phase1')", name);
		return false;
	}
	{
		const char *s = suggest_closest(name, all_words);
		char hint[64] = "";
		if (s)
			snprintf(hint, sizeof(hint), " (did you mean '%s'?)", s);
		set_err(err, errlen, "debug level: unknown name '%s'%s", name, hint);
	}
	return false;
}

bool debug_level_parse(const char *spec, uint32_t *verbose_mask,
                       uint32_t *raw_mask, char *err, size_t errlen)
{
	uint32_t verbose = 0, raw = 0;
	const char *p = spec;

	if (!spec || !*spec) {
		set_err(err, errlen, "debug level: empty");
		return false;
	}
	while (*p) {
		char term[TERM_MAX + 8];
		bool remove = false;
		size_t len;
		uint32_t v, r;

		/* Every term but possibly the first starts at an operator;
		 * a first term without one adds. */
		if (*p == '+' || *p == '-') {
			remove = *p == '-';
			p++;
		}
		len = strcspn(p, "+-");
		if (len == 0) {
			set_err(err, errlen, "debug level: missing name after "
			        "'%s' in '%s'", remove ? "-" : "+", spec);
			return false;
		}
		if (len >= sizeof(term)) {
			set_err(err, errlen, "debug level: term too long in "
			        "'%s'", spec);
			return false;
		}
		memcpy(term, p, len);
		term[len] = '\0';
		p += len;
		if (!resolve_term(term, &v, &r, err, errlen))
			return false;
		if (remove) {
			/* Removing "x:raw" keeps x verbose; removing x
			 * removes both levels. */
			if (r && strchr(term, ':')) {
				raw &= ~r;
			} else {
				verbose &= ~v;
				raw &= ~v;
			}
		} else {
			verbose |= v | r;  /* raw implies verbose */
			raw |= r;
		}
	}
	*verbose_mask = verbose;
	*raw_mask = raw;
	return true;
}
