/*
 * id.c - identities: our ID payload from the rule, matching the peer's
 * against the rule's remote_id patterns (wildcards, address ranges).
 */
#include "exchange/engine_priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/dn.h"
#include "net/addr.h"

bool id_local(ike_sa_t *sa, uint8_t *type, chunk_t *data)
{
	const id_cfg_t *id = &sa->rule->local_id;
	if (id->type == 0) {
		/* Not configured: our IP address. */
		*data = addr_bytes(&sa->local);
		*type = sa->local.ss_family == AF_INET6 ? ID_IPV6_ADDR : ID_IPV4_ADDR;
		return data->len > 0;
	}
	if (!id->data.len) {
		sa_log(sa, DBG_IKESA, LVL_ERROR, "local_id \"%s\" has no encoding",
		       id->text ? id->text : "");
		return false;
	}
	*type = (uint8_t)id->type;
	*data = id->data;
	return true;
}

/* Shell-style match with '*' only, case-insensitive (DNS names, mail). */
static bool wild_match(const char *pat, const char *s, size_t slen)
{
	size_t i = 0;
	while (*pat) {
		if (*pat == '*') {
			pat++;
			if (!*pat)
				return true;
			for (size_t k = i; k <= slen; k++)
				if (wild_match(pat, s + k, slen - k))
					return true;
			return false;
		}
		if (i >= slen || tolower((unsigned char)*pat) != tolower((unsigned char)s[i]))
			return false;
		pat++;
		i++;
	}
	return i == slen;
}

static bool id_matches(const id_cfg_t *id, uint8_t type, chunk_t data)
{
	if (id->any)
		return true;
	if (id->type != type)
		return false;
	switch (type) {
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR: {
		size_t al = type == ID_IPV4_ADDR ? 4 : 16;
		if (data.len != al)
			return false;
		if (id->addr.family)
			return memcmp(id->addr.lo, data.ptr, al) <= 0 &&
			       memcmp(data.ptr, id->addr.hi, al) <= 0;
		return chunk_equals(id->data, data);
	}
	case ID_FQDN:
	case ID_RFC822_ADDR:
		if (id->wildcard && id->text)
			return wild_match(id->text, (const char *)data.ptr, data.len);
		return id->data.len == data.len &&
		       strncasecmp((const char *)id->data.ptr, (const char *)data.ptr,
		                   data.len) == 0;
	case ID_DER_ASN1_DN:
		/* Compared as names, not bytes: the peer may encode the same
		 * DN with other string types, and patterns may hold '*'. */
		return id->text && dn_match(id->text, data);
	case ID_KEY_ID:
		return chunk_equals(id->data, data);
	default:
		return id->data.len && chunk_equals(id->data, data);
	}
}

bool id_matches_rule(const rule_t *rule, uint8_t type, chunk_t data)
{
	if (rule->n_remote_id == 0)
		return true;
	for (int i = 0; i < rule->n_remote_id; i++)
		if (id_matches(&rule->remote_id[i], type, data))
			return true;
	return false;
}

char *id_to_str(uint8_t type, chunk_t data, char *buf, size_t len)
{
	switch (type) {
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR: {
		char a[INET6_ADDRSTRLEN];
		if (data.len == (type == ID_IPV4_ADDR ? 4u : 16u) &&
		    inet_ntop(type == ID_IPV4_ADDR ? AF_INET : AF_INET6, data.ptr, a,
		              sizeof(a))) {
			snprintf(buf, len, "%s", a);
			return buf;
		}
		break;
	}
	case ID_FQDN:
	case ID_RFC822_ADDR: {
		size_t n = 0;
		for (size_t i = 0; i < data.len && n + 1 < len; i++)
			buf[n++] = isprint(data.ptr[i]) ? (char)data.ptr[i] : '?';
		buf[n] = '\0';
		return buf;
	}
	case ID_DER_ASN1_DN:
		if (dn_to_text(data, buf, len))
			return buf;
		break;
	default:
		break;
	}
	/* KEY_ID (opaque bytes) and types we do not know: hex, with the
	 * prefix strongSwan uses for a KEY_ID so admins recognise it. */
	size_t n = type == ID_KEY_ID ? (size_t)snprintf(buf, len, "@#")
	                             : (size_t)snprintf(buf, len, "type%u:", type);
	for (size_t i = 0; i < data.len && n + 3 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%02x", data.ptr[i]);
	return buf;
}
