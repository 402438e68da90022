/*
 * cfg_ident.c - identities as configured, encoded for the ID payload
 * where the core can (see id_cfg_t in config.h).
 */
#include "config/cfg_ident.h"
#include "config/cfg_addr.h"
#include "config/dn.h"
#include "config/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG_MAX_IDS 64
/* Longest ID text accepted: far above any FQDN (253) or sane DN. */
#define CFG_MAX_ID_LEN 1024

static const struct {
	const char *name;
	id_type_t type;   /* 0 for "ip": the family decides */
} id_types[] = {
	{ "ip", 0 },
	{ "ipv4", ID_IPV4_ADDR },
	{ "ipv6", ID_IPV6_ADDR },
	{ "fqdn", ID_FQDN },
	{ "dns", ID_FQDN },
	{ "user_fqdn", ID_RFC822_ADDR },
	{ "mbox", ID_RFC822_ADDR },
	{ "email", ID_RFC822_ADDR },
	{ "dn", ID_DER_ASN1_DN },
	{ "key_id", ID_KEY_ID },
};

static const char *const id_type_names[] = {
	"ip", "ipv4", "ipv6", "fqdn", "dns", "user_fqdn", "mbox", "email",
	"dn", "key_id", NULL
};

static const char *const id_keys[] = { "type", "value", NULL };

void id_cfg_free(id_cfg_t *id)
{
	free(id->text);
	chunk_free(&id->data);
	memset(id, 0, sizeof(*id));
}

static bool printable(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static bool parse_ip_id(cfg_ctx_t *ctx, const config_setting_t *vs,
                        id_type_t want, bool remote, const char *value,
                        id_cfg_t *id)
{
	char err[160];
	addr_range_t r;

	if (!addr_range_parse(value, &r, err, sizeof(err))) {
		cfg_error(ctx, vs, "ID value: %s", err);
		return false;
	}
	if (want && (want == ID_IPV4_ADDR) != (r.family == AF_INET)) {
		cfg_error(ctx, vs, "ID value '%s' is not an %s address", value,
		          want == ID_IPV4_ADDR ? "IPv4" : "IPv6");
		return false;
	}
	id->type = r.family == AF_INET ? ID_IPV4_ADDR : ID_IPV6_ADDR;
	id->addr = r;
	if (addr_range_is_single(&r)) {
		id->data = chunk_clone(chunk_create(r.lo,
		                       r.family == AF_INET ? 4 : 16));
	} else if (!remote) {
		cfg_error(ctx, vs, "local_id '%s' must be a single address, "
		          "not a prefix or range", value);
		return false;
	}
	return true;
}

bool cfg_id_parse(cfg_ctx_t *ctx, const config_setting_t *s, bool remote,
                  id_cfg_t *out)
{
	const char *what = remote ? "remote_id" : "local_id";
	const char *type = NULL, *value = NULL;
	const config_setting_t *ts, *vs;
	id_cfg_t id;
	size_t i;

	memset(&id, 0, sizeof(id));
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, s, "%s must be a group { type = \"...\"; value = "
		          "\"...\"; }, not %s", what,
		          cfg_type_name(config_setting_type(s)));
		return false;
	}
	if (cfg_check_keys(ctx, s, id_keys, what))
		return false;
	ts = config_setting_get_member(s, "type");
	vs = config_setting_get_member(s, "value");
	if (!ts || !vs) {
		cfg_error(ctx, s, "%s needs both 'type' and 'value'", what);
		return false;
	}
	if (cfg_get_str(ctx, s, "type", false, &type) < 0 ||
	    cfg_get_str(ctx, s, "value", true, &value) < 0)
		return false;
	for (i = 0; i < sizeof(id_types) / sizeof(id_types[0]); i++) {
		if (strcasecmp(type, id_types[i].name) == 0)
			break;
	}
	if (i == sizeof(id_types) / sizeof(id_types[0])) {
		const char *sug = suggest_closest(type, id_type_names);
		cfg_error(ctx, ts, "%s type '%s' is unknown%s%s%s (use ip, ipv4, "
		          "ipv6, fqdn, dns, user_fqdn, mbox, email, dn or key_id)",
		          what, type, sug ? " (did you mean '" : "",
		          sug ? sug : "", sug ? "'?)" : "");
		return false;
	}
	if (strlen(value) > CFG_MAX_ID_LEN || !printable(value)) {
		cfg_error(ctx, vs, "%s value is too long or has control "
		          "characters", what);
		return false;
	}
	id.type = id_types[i].type;
	if (!*value) {
		if (!remote) {
			cfg_error(ctx, vs, "local_id value must not be empty");
			return false;
		}
		id.any = true;
		id.type = id.type ? id.type : ID_IPV4_ADDR;
		id.text = xstrdup("");
		*out = id;
		return true;
	}
	id.wildcard = strchr(value, '*') != NULL;
	if (id.wildcard && !remote) {
		cfg_error(ctx, vs, "local_id '%s' must not contain '*' wildcards",
		          value);
		return false;
	}
	switch ((int)id.type) {
	case 0:
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (id.wildcard) {
			cfg_error(ctx, vs, "an IP %s cannot use '*'; write a prefix "
			          "(\"192.0.2.0/24\") or a range (\"a-b\")", what);
			return false;
		}
		if (!parse_ip_id(ctx, vs, id.type, remote, value, &id))
			return false;
		break;
	case ID_FQDN:
		if (strpbrk(value, " \t@")) {
			cfg_error(ctx, vs, "fqdn '%s' must be a host name (no "
			          "blanks or '@'; use type user_fqdn for e-mail "
			          "addresses)", value);
			return false;
		}
		break;
	case ID_RFC822_ADDR:
		if (!strchr(value, '@') && !id.wildcard) {
			cfg_error(ctx, vs, "user_fqdn '%s' must be an e-mail "
			          "address (user@domain)", value);
			return false;
		}
		break;
	case ID_DER_ASN1_DN: {
		char err[200];
		chunk_t der;
		if (!dn_from_text(value, &der, err, sizeof(err))) {
			cfg_error(ctx, vs, "%s (write it like \"C=US, O=Example, "
			          "CN=host\")", err);
			return false;
		}
		/* A pattern is matched as text (dn_match); an exact DN goes
		 * into the payload as DER. */
		if (id.wildcard)
			chunk_free(&der);
		else
			id.data = der;
		break;
	}
	case ID_KEY_ID:
		if (id.wildcard) {
			cfg_error(ctx, vs, "a key_id cannot use '*' wildcards");
			return false;
		}
		if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
			id.data = chunk_from_hex(value);
			if (!id.data.len) {
				cfg_error(ctx, vs, "key_id '%s' is not valid hex",
				          value);
				return false;
			}
		}
		break;
	default:
		break;
	}
	/* Text forms go into the payload as written. */
	if (!id.data.len && !id.wildcard && id.type != ID_DER_ASN1_DN &&
	    id.type != ID_IPV4_ADDR && id.type != ID_IPV6_ADDR)
		id.data = chunk_clone(chunk_from_str(value));
	id.text = xstrdup(value);
	*out = id;
	return true;
}

int cfg_local_id(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                 id_cfg_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	return cfg_id_parse(ctx, s, false, out) ? 1 : -1;
}

int cfg_remote_ids(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                   id_cfg_t **out, int *n)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	id_cfg_t *ids;
	int count, got = 0;
	bool ok = true;

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		ids = xzalloc(sizeof(*ids));
		if (!cfg_id_parse(ctx, s, true, ids)) {
			free(ids);
			return -1;
		}
		*out = ids;
		*n = 1;
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "%s must be a group { type; value; } or a list "
		          "( { ... }, { ... } ) of them, not %s", name,
		          cfg_type_name(config_setting_type(s)));
		return -1;
	}
	count = config_setting_length(s);
	if (count == 0 || count > CFG_MAX_IDS) {
		cfg_error(ctx, s, "%s must list 1..%d IDs", name, CFG_MAX_IDS);
		return -1;
	}
	ids = xzalloc(sizeof(*ids) * (size_t)count);
	for (int i = 0; i < count; i++) {
		if (cfg_id_parse(ctx, config_setting_get_elem(s, (unsigned)i),
		                 true, &ids[got]))
			got++;
		else
			ok = false;
	}
	if (!ok) {
		for (int i = 0; i < got; i++)
			id_cfg_free(&ids[i]);
		free(ids);
		return -1;
	}
	*out = ids;
	*n = count;
	return 1;
}
