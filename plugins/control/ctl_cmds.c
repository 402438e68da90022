/*
 * ctl_cmds.c - the control commands: parsing a request's words, running
 * the command against the engine (exchange/engine_ctl.h) and the daemon's
 * services, writing text or JSON output.
 *
 * A command runs as steps on a worker (ctl_server.c).  Listing IKE or
 * CHILD SAs copies DUMP_BATCH SAs per step from a snapshot of handles and
 * sends them before the next step, so no SA stays checked out while
 * anything is written, and a client that reads slowly parks the command
 * instead of a worker.
 */
#include "ctl_cmds.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/cred.h>
#include <ikev2d/transform.h>

#include "config/config.h"
#include "config/config_edits.h"
#include "config/debug_level.h"
#include "exchange/engine_ctl.h"
#include "exchange/proposal.h"
#include "net/addr.h"

#include "ctl_out.h"
#include "ctl_stats.h"

#define DUMP_BATCH 256
#define MAX_CHILDREN 32

/* ------------------------------------------------------ debug level */

static pthread_mutex_t debug_lock = PTHREAD_MUTEX_INITIALIZER;
static char *debug_spec;          /* as last set by ikeadm, or NULL */

void ctl_cmds_init(void)
{
}

void ctl_cmds_deinit(void)
{
	pthread_mutex_lock(&debug_lock);
	free(debug_spec);
	debug_spec = NULL;
	pthread_mutex_unlock(&debug_lock);
}

/* ------------------------------------------------------------ state */

typedef enum {
	M_ALL,       /* every SA */
	M_NUM,       /* #N */
	M_SPI,       /* SPIi SPIr */
	M_ADDR,      /* local remote */
	M_ID,        /* type local-id remote-id */
	M_RULE,      /* every SA of a rule */
} match_kind_t;

typedef struct {
	match_kind_t kind;
	uint64_t num;
	uint64_t spi_i, spi_r;
	struct sockaddr_storage l, r;
	char lid[ENGINE_CTL_STR], rid[ENGINE_CTL_STR];
	char rule[RULE_STATS_LABEL_MAX];
} match_t;

typedef enum {
	ACT_SHOW,      /* dump/get ikesa */
	ACT_CHILD,     /* dump childsa */
	ACT_DELETE,    /* del ikesa, flush, terminate */
} action_t;

struct ctl_cmd {
	ctl_request_t req;
	uid_t uid;
	bool json, numeric, paranoid;
	bool listing;              /* an SA walk in progress */
	action_t act;
	match_t m;
	bool single;               /* get: one object, not an array */
	uint64_t *handles;
	size_t n, pos;
	unsigned matched;
	sbuf_t out;
};

static ctl_cmd_t *cmd_start(ctl_conn_t *c, ctl_request_t *req)
{
	ctl_cmd_t *cmd = xzalloc(sizeof(*cmd));
	cmd->req = *req;
	cmd->uid = ctl_conn_uid(c);
	cmd->json = req->flags & CTL_F_JSON;
	cmd->numeric = req->flags & CTL_F_NUMERIC;
	cmd->paranoid = req->flags & CTL_F_PARANOID;
	return cmd;
}

static void cmd_free(ctl_cmd_t *cmd)
{
	ctl_request_free(&cmd->req);
	free(cmd->handles);
	sb_free(&cmd->out);
	free(cmd);
}

/* Send what was formatted so far. */
static bool flush(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	bool ok = true;
	if (cmd->out.len)
		ok = ctl_conn_data(c, cmd->out.p, cmd->out.len);
	sb_reset(&cmd->out);
	return ok;
}

/* Send the output and the END frame: the command is done. */
static bool finish(ctl_cmd_t *cmd, ctl_conn_t *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool finish(ctl_cmd_t *cmd, ctl_conn_t *c, int status, const char *fmt, ...)
{
	char msg[512] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	flush(cmd, c);
	ctl_conn_end(c, status, msg);
	return true;
}

/* ------------------------------------------------------ formatting */

static void hex64(uint64_t v, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
}

static void json_addr(sbuf_t *b, const char *name, const struct sockaddr_storage *a,
                      const char *id)
{
	char ip[ADDR_STRLEN];
	sb_puts(b, "\"");
	sb_puts(b, name);
	sb_puts(b, "\": {\"address\": ");
	sb_json_str(b, addr_ip_to_str(a, ip, sizeof(ip)));
	sb_puts(b, ", \"port\": ");
	sb_u64(b, addr_get_port(a));
	sb_puts(b, ", \"id\": ");
	sb_json_str(b, id);
	sb_puts(b, "}");
}

static void show_ike(ctl_cmd_t *cmd, const engine_ike_info_t *i)
{
	sbuf_t *b = &cmd->out;
	char si[17], sr[17], l[ADDR_STRLEN], r[ADDR_STRLEN];
	hex64(i->spi_i, si);
	hex64(i->spi_r, sr);
	if (cmd->json) {
		/* (sb_puts/sb_u64, not printf: this runs for every SA of a dump) */
		sb_puts(b, "{\"id\": ");
		sb_u64(b, i->unique_id);
		sb_puts(b, ", \"rule\": ");
		sb_json_str(b, i->rule);
		sb_puts(b, ", \"state\": \"");
		sb_puts(b, i->state);
		sb_puts(b, i->initiator ? "\", \"role\": \"initiator\", " :
		                          "\", \"role\": \"responder\", ");
		json_addr(b, "local", &i->local, i->local_id);
		sb_puts(b, ", ");
		json_addr(b, "remote", &i->remote, i->remote_id);
		sb_puts(b, ", \"spi_i\": \"");
		sb_puts(b, si);
		sb_puts(b, "\", \"spi_r\": \"");
		sb_puts(b, sr);
		sb_puts(b, "\", \"algorithms\": ");
		sb_json_str(b, i->algs);
		sb_puts(b, i->natt ? ", \"natt\": true" : ", \"natt\": false");
		sb_puts(b, i->nat_local ? ", \"nat_local\": true" : ", \"nat_local\": false");
		sb_puts(b, i->nat_remote ? ", \"nat_remote\": true" : ", \"nat_remote\": false");
		sb_puts(b, ", \"age_secs\": ");
		sb_u64(b, i->age_secs);
		sb_puts(b, ", \"established_secs\": ");
		sb_u64(b, i->established_secs);
		sb_puts(b, ", \"retransmits\": ");
		sb_u64(b, i->retransmits);
		sb_puts(b, ", \"child_sas\": ");
		sb_u64(b, (unsigned long long)(i->n_children > 0 ? i->n_children : 0));
		sb_puts(b, "}");
		return;
	}
	sb_printf(b, "IKE SA #%" PRIu64 ": rule '%s', %s, %s", i->unique_id, i->rule,
	          i->state, i->initiator ? "initiator" : "responder");
	if (i->established)
		sb_printf(b, ", up %" PRIu64 " s", i->established_secs);
	else
		sb_printf(b, ", age %" PRIu64 " s", i->age_secs);
	sb_printf(b, "\n  Local  %s \"%s\"\n  Remote %s \"%s\"\n",
	          addr_to_str(&i->local, l, sizeof(l)), i->local_id,
	          addr_to_str(&i->remote, r, sizeof(r)), i->remote_id);
	sb_printf(b, "  SPIs %s_i %s_r\n", si, sr);
	if (i->algs[0])
		sb_printf(b, "  %s%s%s%s\n", i->algs, i->natt ? ", NAT-T" : "",
		          i->nat_local ? " (NAT here)" : "",
		          i->nat_remote ? " (NAT at the peer)" : "");
	sb_printf(b, "  CHILD SAs: %d\n", i->n_children);
}

static void show_child(ctl_cmd_t *cmd, engine_child_info_t *c, bool first)
{
	sbuf_t *b = &cmd->out;
	engine_ctl_child_usage(c);
	if (cmd->json) {
		sb_printf(b, "%s{\"ike_sa\": %" PRIu64 ", \"id\": %" PRIu64
		          ", \"state\": \"%s\", \"spi_in\": \"%08x\", \"spi_out\": \"%08x\""
		          ", \"algorithms\": ", first ? "" : ",\n", c->ike_unique_id,
		          c->unique_id, c->state, c->spi_in, c->spi_out);
		sb_json_str(b, c->algs);
		sb_printf(b, ", \"mode\": \"%s\", \"local_ts\": ",
		          c->transport ? "transport" : "tunnel");
		sb_json_str(b, c->ts_local);
		sb_printf(b, ", \"remote_ts\": ");
		sb_json_str(b, c->ts_remote);
		sb_printf(b, ", \"reqid\": %u, \"age_secs\": %" PRIu64, c->reqid,
		          c->age_secs);
		if (c->have_usage)
			sb_printf(b, ", \"bytes_in\": %" PRIu64 ", \"packets_in\": %" PRIu64
			          ", \"bytes_out\": %" PRIu64 ", \"packets_out\": %" PRIu64 "}",
			          c->in.bytes, c->in.packets, c->out.bytes, c->out.packets);
		else
			sb_printf(b, ", \"bytes_in\": null, \"packets_in\": null, "
			          "\"bytes_out\": null, \"packets_out\": null}");
		return;
	}
	sb_printf(b, "CHILD SA of IKE SA #%" PRIu64 ": %s, SPIs %08x_i %08x_o, %s "
	          "mode, %s\n  %s === %s, reqid %u, age %" PRIu64 " s\n",
	          c->ike_unique_id, c->state, c->spi_in, c->spi_out,
	          c->transport ? "transport" : "tunnel", c->algs, c->ts_local,
	          c->ts_remote, c->reqid, c->age_secs);
	if (c->have_usage)
		sb_printf(b, "  in %" PRIu64 " bytes %" PRIu64 " packets, out %" PRIu64
		          " bytes %" PRIu64 " packets\n", c->in.bytes, c->in.packets,
		          c->out.bytes, c->out.packets);
	else
		sb_printf(b, "  traffic counters not available from the kernel backend\n");
}

/* -------------------------------------------------------- matching */

static bool parse_hex64(const char *s, uint64_t *v)
{
	if (strncasecmp(s, "0x", 2) == 0)
		s += 2;
	size_t n = strlen(s);
	if (n == 0 || n > 16)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		x = x << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
		                        tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*v = x;
	return true;
}

static bool parse_num(const char *s, uint64_t *v)
{
	if (*s == '#')
		s++;
	if (!*s || strlen(s) > 19)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	*v = strtoull(s, NULL, 10);
	return true;
}

static const char *const id_words[] = {
	"ip", "ipv4", "ipv6", "fqdn", "dns", "domain", "user_fqdn", "mbox",
	"mailbox", "email", "dn", "der_asn1_dn", "keyid", "key_id", NULL
};

/* An IKE SA identifier (ikeadm(8)): #N, SPIi SPIr (or SPIi:SPIr), local
 * and remote address, or an identity type with local and remote id. */
static const char *parse_match(char **w, int n, match_t *m)
{
	memset(m, 0, sizeof(*m));
	if (n == 1) {
		const char *colon = strchr(w[0], ':');
		if (parse_num(w[0], &m->num)) {
			m->kind = M_NUM;
			return NULL;
		}
		if (colon && !strchr(colon + 1, ':')) {
			char a[32];
			size_t l = (size_t)(colon - w[0]);
			if (l < sizeof(a)) {
				memcpy(a, w[0], l);
				a[l] = '\0';
				if (parse_hex64(a, &m->spi_i) && parse_hex64(colon + 1, &m->spi_r)) {
					m->kind = M_SPI;
					return NULL;
				}
			}
		}
		return "an IKE SA is named by #N, an SPI pair, an address pair or "
		       "an identity pair (see ikeadm help get)";
	}
	if (n == 2) {
		if (strlen(w[0]) == 16 && strlen(w[1]) == 16 &&
		    parse_hex64(w[0], &m->spi_i) && parse_hex64(w[1], &m->spi_r)) {
			m->kind = M_SPI;
			return NULL;
		}
		if ((strncasecmp(w[0], "0x", 2) == 0 || strncasecmp(w[1], "0x", 2) == 0) &&
		    parse_hex64(w[0], &m->spi_i) && parse_hex64(w[1], &m->spi_r)) {
			m->kind = M_SPI;
			return NULL;
		}
		if (addr_from_str(w[0], 0, &m->l) && addr_from_str(w[1], 0, &m->r)) {
			m->kind = M_ADDR;
			return NULL;
		}
		return "two words name an IKE SA by its SPI pair (16 hex digits each) "
		       "or by its local and remote address";
	}
	if (n == 3) {
		for (int i = 0; id_words[i]; i++) {
			if (strcasecmp(w[0], id_words[i]) == 0) {
				m->kind = M_ID;
				snprintf(m->lid, sizeof(m->lid), "%s", w[1]);
				snprintf(m->rid, sizeof(m->rid), "%s", w[2]);
				return NULL;
			}
		}
		return "an identity pair is TYPE LOCAL-ID REMOTE-ID, TYPE one of ip, "
		       "fqdn, user_fqdn, dn, keyid";
	}
	return "too many words for an IKE SA identifier";
}

static bool id_eq(const char *pattern, const char *have)
{
	/* "type:value" as configured versus the bare value on the wire */
	const char *colon = strchr(have, ':');
	return strcasecmp(pattern, have) == 0 ||
	       (colon && strcasecmp(pattern, colon + 1) == 0);
}

static bool matches(const match_t *m, const engine_ike_info_t *i)
{
	switch (m->kind) {
	case M_ALL:  return true;
	case M_NUM:  return i->unique_id == m->num;
	case M_SPI:  return i->spi_i == m->spi_i && i->spi_r == m->spi_r;
	case M_ADDR: return addr_ip_equals(&m->l, &i->local) &&
	                    addr_ip_equals(&m->r, &i->remote);
	case M_ID:   return id_eq(m->lid, i->local_id) && id_eq(m->rid, i->remote_id);
	case M_RULE: return strcmp(m->rule, i->rule) == 0;
	}
	return false;
}

/* --------------------------------------------------------- SA walks */

static bool start_walk(ctl_cmd_t *cmd, ctl_conn_t *c, action_t act)
{
	engine_t *e = engine_ctl_hold();
	if (!e)
		return finish(cmd, c, CTL_S_FAILED, "the IKE engine is not running");
	cmd->n = engine_ctl_list(e, &cmd->handles);
	engine_ctl_release();
	cmd->act = act;
	cmd->listing = true;
	if (cmd->json && !cmd->single)
		sb_printf(&cmd->out, "[");
	return false;
}

/* One batch of the walk; true when the command is done. */
static bool walk_step(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	engine_t *e = engine_ctl_hold();
	if (!e)
		return finish(cmd, c, CTL_S_FAILED, "the IKE engine stopped");
	engine_child_info_t *kids = cmd->act == ACT_CHILD ?
	                            xmalloc(sizeof(*kids) * MAX_CHILDREN) : NULL;
	size_t end = cmd->pos + DUMP_BATCH < cmd->n ? cmd->pos + DUMP_BATCH : cmd->n;
	int nkids_total = 0;
	engine_child_info_t *pending = NULL;
	int n_pending = 0;
	for (; cmd->pos < end; cmd->pos++) {
		engine_ike_info_t info;
		if (!engine_ctl_ike(e, cmd->handles[cmd->pos], &info, kids,
		                    kids ? MAX_CHILDREN : 0))
			continue;
		if (!matches(&cmd->m, &info))
			continue;
		if (cmd->act == ACT_DELETE) {
			char why[128];
			snprintf(why, sizeof(why), "delete requested by ikeadm (uid %ld)",
			         (long)cmd->uid);
			if (engine_ctl_ike_delete(e, info.handle, why)) {
				cmd->matched++;
				if (!cmd->json)
					sb_printf(&cmd->out, "IKE SA #%" PRIu64 " (rule '%s'): "
					          "deleting\n", info.unique_id, info.rule);
				else
					sb_printf(&cmd->out, "%s%" PRIu64, cmd->matched > 1 ?
					          ", " : "", info.unique_id);
			}
			continue;
		}
		if (cmd->act == ACT_SHOW) {
			if (cmd->matched)
				sb_puts(&cmd->out, cmd->json ? ",\n" : "\n");
			cmd->matched++;
			show_ike(cmd, &info);
			continue;
		}
		/* children: kernel counters are asked after release */
		int k = info.n_children < MAX_CHILDREN ? info.n_children : MAX_CHILDREN;
		pending = xrealloc(pending, sizeof(*pending) * (size_t)(n_pending + k));
		memcpy(pending + n_pending, kids, sizeof(*kids) * (size_t)k);
		n_pending += k;
		nkids_total += k;
	}
	engine_ctl_release();
	free(kids);
	for (int i = 0; i < n_pending; i++) {
		show_child(cmd, &pending[i], cmd->matched == 0);
		cmd->matched++;
	}
	free(pending);
	(void)nkids_total;
	if (cmd->pos < cmd->n) {
		if (!flush(cmd, c))
			return true;   /* client gone */
		return false;
	}
	/* done */
	if (cmd->json && !cmd->single)
		sb_printf(&cmd->out, "]\n");
	else if (cmd->json && cmd->single && !cmd->matched)
		sb_printf(&cmd->out, "null\n");
	else if (cmd->json)
		sb_printf(&cmd->out, "\n");
	if (cmd->act == ACT_DELETE) {
		if (!cmd->matched && cmd->m.kind != M_ALL && cmd->m.kind != M_RULE)
			return finish(cmd, c, CTL_S_NOT_FOUND, "no such IKE SA");
		return finish(cmd, c, CTL_S_OK, NULL);
	}
	if (cmd->single && !cmd->matched)
		return finish(cmd, c, CTL_S_NOT_FOUND, "no such IKE SA");
	if (!cmd->json && !cmd->matched && cmd->act == ACT_SHOW)
		sb_printf(&cmd->out, "No IKE SAs.\n");
	if (!cmd->json && !cmd->matched && cmd->act == ACT_CHILD)
		sb_printf(&cmd->out, "No CHILD SAs.\n");
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ----------------------------------------------------------- rules */

static void range_str(const addr_range_t *r, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	inet_ntop(r->family, r->lo, lo, sizeof(lo));
	inet_ntop(r->family, r->hi, hi, sizeof(hi));
	size_t n = r->family == AF_INET ? 4 : 16;
	if (memcmp(r->lo, r->hi, n) == 0)
		snprintf(buf, len, "%s", lo);
	else
		snprintf(buf, len, "%s-%s", lo, hi);
}

static void ranges(sbuf_t *b, bool json, const addr_range_t *r, int n)
{
	if (json)
		sb_printf(b, "[");
	else if (!n)
		sb_printf(b, "any");
	for (int i = 0; i < n; i++) {
		char s[2 * INET6_ADDRSTRLEN + 2];
		range_str(&r[i], s, sizeof(s));
		if (json) {
			sb_printf(b, "%s", i ? ", " : "");
			sb_json_str(b, s);
		} else {
			sb_printf(b, "%s%s", i ? " " : "", s);
		}
	}
	if (json)
		sb_printf(b, "]");
}

static void ts_list(sbuf_t *b, bool json, const ts_cfg_t *t, int n)
{
	if (json)
		sb_printf(b, "[");
	else if (!n)
		sb_printf(b, "(the IKE SA's address)");
	for (int i = 0; i < n; i++) {
		char s[160], a[2 * INET6_ADDRSTRLEN + 2];
		range_str(&t[i].addr, a, sizeof(a));
		if (t[i].proto || t[i].port_lo || t[i].port_hi != 65535)
			snprintf(s, sizeof(s), "%s[%u/%u-%u]", a, t[i].proto, t[i].port_lo,
			         t[i].port_hi);
		else
			snprintf(s, sizeof(s), "%s", a);
		if (json) {
			sb_printf(b, "%s", i ? ", " : "");
			sb_json_str(b, s);
		} else {
			sb_printf(b, "%s%s", i ? " " : "", s);
		}
	}
	if (json)
		sb_printf(b, "]");
}

static void xform_names(sbuf_t *b, transform_type_t t, const uint16_t *ids,
                        const xform_t *ex, int n, bool numeric)
{
	for (int i = 0; i < n; i++) {
		uint16_t id = ex ? ex[i].id : ids[i];
		const char *name = transform_name(t, id);
		if (numeric || !name)
			sb_printf(b, "%s%u", i ? "," : "", id);
		else
			sb_printf(b, "%s%s", i ? "," : "", name);
		if (ex && ex[i].keylen)
			sb_printf(b, "-%u", ex[i].keylen);
	}
}

static void proposals(sbuf_t *b, bool json, bool numeric, const proposal_cfg_t *p,
                      int n, bool esp)
{
	if (json)
		sb_printf(b, "[");
	for (int i = 0; i < n; i++) {
		sbuf_t t = { 0 };
		sb_printf(&t, "encr=");
		xform_names(&t, TRANS_ENCR, NULL, p[i].encr, p[i].n_encr, numeric);
		if (p[i].n_integ) {
			sb_printf(&t, " integ=");
			xform_names(&t, TRANS_INTEG, p[i].integ, NULL, p[i].n_integ, numeric);
		}
		if (!esp && p[i].n_prf) {
			sb_printf(&t, " prf=");
			xform_names(&t, TRANS_PRF, p[i].prf, NULL, p[i].n_prf, numeric);
		}
		if (p[i].n_ke) {
			sb_printf(&t, " ke=");
			xform_names(&t, TRANS_KE, p[i].ke, NULL, p[i].n_ke, numeric);
		}
		if (json) {
			sb_printf(b, "%s", i ? ", " : "");
			sb_json_str(b, t.p);
		} else {
			sb_printf(b, "%s%s", i ? "; " : "", t.p);
		}
		sb_free(&t);
	}
	if (json)
		sb_printf(b, "]");
}

static const char *auth_name(auth_method_t m)
{
	switch ((int)m) {
	case AUTH_PSK:         return "preshared";
	case AUTH_RSA_SIG:     return "rsa_sig";
	case AUTH_DSS_SIG:     return "dss_sig";
	case AUTH_ECDSA_256:   return "ecdsa_sig";
	case AUTH_ECDSA_384:   return "ecdsa_sig";
	case AUTH_ECDSA_521:   return "ecdsa_sig";
	case AUTH_DIGITAL_SIG: return "digital_sig";
	}
	return "?";
}

static void id_text(sbuf_t *b, bool json, const id_cfg_t *id)
{
	const char *t = id->text ? id->text : "";
	if (json)
		sb_json_str(b, id->any ? "" : t);
	else
		sb_printf(b, "\"%s\"", id->any ? "(any)" : t);
}

static void show_rule(ctl_cmd_t *cmd, const rule_t *r, bool first)
{
	sbuf_t *b = &cmd->out;
	bool j = cmd->json;
	if (j) {
		sb_printf(b, "%s{\"label\": ", first ? "" : ",\n");
		sb_json_str(b, r->label);
		sb_printf(b, ", \"auth_method\": \"%s\", \"local_addr\": ",
		          auth_name(r->auth_method));
		ranges(b, true, r->local_addr, r->n_local_addr);
		sb_printf(b, ", \"remote_addr\": ");
		ranges(b, true, r->remote_addr, r->n_remote_addr);
		sb_printf(b, ", \"local_id\": ");
		if (r->local_id.type)
			id_text(b, true, &r->local_id);
		else
			sb_printf(b, "\"\"");
		sb_printf(b, ", \"remote_id\": [");
		for (int i = 0; i < r->n_remote_id; i++) {
			sb_printf(b, "%s", i ? ", " : "");
			id_text(b, true, &r->remote_id[i]);
		}
		sb_printf(b, "], \"ikesa_xform\": ");
		proposals(b, true, cmd->numeric, r->ike, r->n_ike, false);
		sb_printf(b, ", \"ikesa_lifetime_secs\": %u, \"dpd_interval\": %u, "
		          "\"auto_start\": %s, \"on_demand\": %s, \"preshared_key\": %s, "
		          "\"childsa\": [", r->ikesa_lifetime_secs, r->dpd_interval_secs,
		          r->auto_start ? "true" : "false", r->on_demand ? "true" : "false",
		          (r->local_key.len || r->remote_key.len) ? "true" : "false");
		for (int i = 0; i < r->n_child; i++) {
			const child_cfg_t *c = &r->child[i];
			sb_printf(b, "%s{\"local_ts\": ", i ? ", " : "");
			ts_list(b, true, c->local_ts, c->n_local_ts);
			sb_printf(b, ", \"remote_ts\": ");
			ts_list(b, true, c->remote_ts, c->n_remote_ts);
			sb_printf(b, ", \"esp_xform\": ");
			proposals(b, true, cmd->numeric, c->esp, c->n_esp, true);
			sb_printf(b, ", \"mode\": \"%s\", \"childsa_pfs\": %u, "
			          "\"childsa_lifetime_secs\": %u, \"childsa_softlife_secs\": %u}",
			          c->mode == MODE_TRANSPORT ? "transport" : "tunnel",
			          c->pfs_group, c->lifetime_secs, c->softlife_secs);
		}
		sb_printf(b, "]}");
		return;
	}
	if (!first)
		sb_printf(b, "\n");
	sb_printf(b, "Label '%s'\n", r->label);
	sb_printf(b, "  auth_method %s\n  local_addr ", auth_name(r->auth_method));
	ranges(b, false, r->local_addr, r->n_local_addr);
	sb_printf(b, "\n  remote_addr ");
	ranges(b, false, r->remote_addr, r->n_remote_addr);
	sb_printf(b, "\n  local_id ");
	if (r->local_id.type)
		id_text(b, false, &r->local_id);
	else
		sb_printf(b, "(the local address)");
	sb_printf(b, "\n  remote_id");
	if (!r->n_remote_id)
		sb_printf(b, " (any)");
	for (int i = 0; i < r->n_remote_id; i++) {
		sb_printf(b, " ");
		id_text(b, false, &r->remote_id[i]);
	}
	sb_printf(b, "\n  ikesa_xform ");
	proposals(b, false, cmd->numeric, r->ike, r->n_ike, false);
	sb_printf(b, "\n  ikesa_lifetime_secs %u, dpd_interval %u%s%s\n",
	          r->ikesa_lifetime_secs, r->dpd_interval_secs,
	          r->auto_start ? ", auto_start" : "", r->on_demand ? ", on_demand" : "");
	sb_printf(b, "  preshared key: %s\n",
	          (r->local_key.len || r->remote_key.len) ? "yes" : "no");
	for (int i = 0; i < r->n_child; i++) {
		const child_cfg_t *c = &r->child[i];
		sb_printf(b, "  childsa %d: ", i + 1);
		ts_list(b, false, c->local_ts, c->n_local_ts);
		sb_printf(b, " === ");
		ts_list(b, false, c->remote_ts, c->n_remote_ts);
		sb_printf(b, ", %s mode\n    esp_xform ",
		          c->mode == MODE_TRANSPORT ? "transport" : "tunnel");
		proposals(b, false, cmd->numeric, c->esp, c->n_esp, true);
		sb_printf(b, "\n    childsa_pfs %u, lifetime %u s, softlife %u s\n",
		          c->pfs_group, c->lifetime_secs, c->softlife_secs);
	}
}

/* Key material: only to root, only unmasked without -p. */
static void key_out(ctl_cmd_t *cmd, const char *name, chunk_t k, bool first)
{
	sbuf_t *b = &cmd->out;
	sbuf_t v = { 0 };
	if (cmd->uid != 0) {
		sb_printf(&v, "(hidden: root only)");
	} else {
		sb_printf(&v, "0x");
		for (size_t i = 0; i < k.len; i++) {
			if (cmd->paranoid)
				sb_printf(&v, "XX");
			else
				sb_printf(&v, "%02x", k.ptr[i]);
		}
	}
	if (cmd->json) {
		sb_printf(b, "%s\"%s\": ", first ? "" : ", ", name);
		sb_json_str(b, v.p);
	} else {
		sb_printf(b, "  %s %s\n", name, v.p);
	}
	if (v.p)
		memwipe(v.p, v.len);
	sb_free(&v);
}

static void show_psk(ctl_cmd_t *cmd, const rule_t *r, bool first)
{
	sbuf_t *b = &cmd->out;
	bool same = chunk_equals(r->local_key, r->remote_key);
	if (cmd->json) {
		sb_printf(b, "%s{\"label\": ", first ? "" : ",\n");
		sb_json_str(b, r->label);
		sb_printf(b, ", ");
		if (same) {
			key_out(cmd, "key", r->local_key, true);
		} else {
			key_out(cmd, "local_key", r->local_key, true);
			key_out(cmd, "remote_key", r->remote_key, false);
		}
		sb_printf(b, "}");
		return;
	}
	sb_printf(b, "%sLabel '%s'\n", first ? "" : "\n", r->label);
	if (same) {
		key_out(cmd, "key", r->local_key, true);
	} else {
		key_out(cmd, "local_key", r->local_key, true);
		key_out(cmd, "remote_key", r->remote_key, true);
	}
}

/* dump/get rule and preshared: one pass over the configuration. */
static bool cmd_rules(ctl_cmd_t *cmd, ctl_conn_t *c, const char *label, bool psk)
{
	config_t *cfg = config_current();
	if (!cfg)
		return finish(cmd, c, CTL_S_FAILED, "no configuration in force");
	int shown = 0;
	if (cmd->json && !label)
		sb_printf(&cmd->out, "[");
	for (int i = 0; i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (label && strcmp(r->label, label))
			continue;
		if (psk && !r->local_key.len && !r->remote_key.len)
			continue;
		if (psk)
			show_psk(cmd, r, shown == 0);
		else
			show_rule(cmd, r, shown == 0);
		shown++;
	}
	config_unref(cfg);
	if (cmd->json)
		sb_printf(&cmd->out, "%s\n", label ? (shown ? "" : "null") : "]");
	else if (!shown && !label)
		sb_printf(&cmd->out, psk ? "No preshared keys.\n" : "No rules.\n");
	if (label && !shown) {
		sb_reset(&cmd->out);
		if (cmd->json)
			sb_printf(&cmd->out, "null\n");
		return finish(cmd, c, CTL_S_NOT_FOUND, psk ? "no preshared key for "
		              "rule '%s'" : "no rule '%s'", label);
	}
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ------------------------------------------------ algorithms, groups */

static bool cmd_algs(ctl_cmd_t *cmd, ctl_conn_t *c, transform_type_t t,
                     const char *title)
{
	sbuf_t *b = &cmd->out;
	int shown = 0;
	if (cmd->json)
		sb_printf(b, "[");
	else
		sb_printf(b, "%s (IKE; \"available\" = a loaded plugin provides it):\n",
		          title);
	for (unsigned id = 1; id < 1024; id++) {
		const char *name = transform_name(t, (uint16_t)id);
		if (!name)
			continue;
		bool avail = proposal_xform_available(t, (uint16_t)id);
		if (cmd->json) {
			sb_printf(b, "%s{\"id\": %u, \"name\": ", shown ? ", " : "", id);
			sb_json_str(b, name);
			sb_printf(b, ", \"available\": %s}", avail ? "true" : "false");
		} else if (cmd->numeric) {
			sb_printf(b, "  %u%s\n", id, avail ? "" : " (not available)");
		} else {
			sb_printf(b, "  %-5u %-24s%s\n", id, name, avail ? "available" : "");
		}
		shown++;
	}
	if (cmd->json)
		sb_printf(b, "]\n");
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ----------------------------------------------------------- debug */

static bool cmd_get_debug(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	uint32_t v, r;
	bus_get_levels(&v, &r);
	char spec[256];
	pthread_mutex_lock(&debug_lock);
	if (debug_spec) {
		snprintf(spec, sizeof(spec), "%s", debug_spec);
	} else {
		config_t *cfg = config_current();
		snprintf(spec, sizeof(spec), "%s", cfg && cfg->daemon.debug_level ?
		         cfg->daemon.debug_level : "op");
		if (cfg)
			config_unref(cfg);
	}
	pthread_mutex_unlock(&debug_lock);
	const engine_ctl_daemon_t *d = engine_ctl_daemon();
	char file[512] = "";
	if (d && d->logfile && d->logfile())
		snprintf(file, sizeof(file), "%s", d->logfile());
	if (cmd->json) {
		sb_printf(&cmd->out, "{\"debug_level\": ");
		sb_json_str(&cmd->out, spec);
		sb_printf(&cmd->out, ", \"verbose_mask\": %u, \"raw_mask\": %u, "
		          "\"logfile\": ", v, r);
		if (file[0])
			sb_json_str(&cmd->out, file);
		else
			sb_printf(&cmd->out, "null");
		sb_printf(&cmd->out, "}\n");
	} else {
		sb_printf(&cmd->out, "Debug level: %s (verbose 0x%04x, raw 0x%04x)\n",
		          spec, v, r);
		sb_printf(&cmd->out, "Debug logfile: %s\n", file[0] ? file : "(none)");
	}
	return finish(cmd, c, CTL_S_OK, NULL);
}

static bool cmd_set_debug(ctl_cmd_t *cmd, ctl_conn_t *c, const char *level,
                          const char *file)
{
	uint32_t v = 0, r = 0;
	char err[256];
	if (!debug_level_parse(level, &v, &r, err, sizeof(err)))
		return finish(cmd, c, CTL_S_USAGE, "%s", err);
	if (file) {
		/* the daemon opens it with its privileges: root's decision */
		if (cmd->uid != 0)
			return finish(cmd, c, CTL_S_DENIED, "only root may name a debug "
			              "logfile");
		if (file[0] != '/')
			return finish(cmd, c, CTL_S_USAGE, "the logfile must be an "
			              "absolute path");
		const engine_ctl_daemon_t *d = engine_ctl_daemon();
		if (!d || !d->set_logfile)
			return finish(cmd, c, CTL_S_UNSUPPORTED, "not supported by this "
			              "daemon: a debug logfile");
		if (!d->set_logfile(file))
			return finish(cmd, c, CTL_S_FAILED, "cannot open %s (see the "
			              "daemon's log)", file);
	}
	bus_set_levels(v, r);
	pthread_mutex_lock(&debug_lock);
	free(debug_spec);
	debug_spec = xstrdup(level);
	pthread_mutex_unlock(&debug_lock);
	log_op(DBG_CTL, "control: debug level set to %s (verbose 0x%04x, raw 0x%04x)"
	       " by uid %ld%s%s", level, v, r, (long)cmd->uid, file ? ", logfile " : "",
	       file ? file : "");
	if (!cmd->json)
		sb_printf(&cmd->out, "Debug level: %s (verbose 0x%04x, raw 0x%04x)\n",
		          level, v, r);
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* -------------------------------------------------------- defaults */

static bool cmd_defaults(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	config_t *cfg = config_current();
	if (!cfg)
		return finish(cmd, c, CTL_S_FAILED, "no configuration in force");
	const daemon_cfg_t *d = &cfg->daemon;
	struct { const char *key; long long v; } ints[] = {
		{ "ike_port", d->ike_port }, { "natt_port", d->natt_port },
		{ "min_threads", d->min_threads }, { "max_threads", d->max_threads },
		{ "response_wait_time", d->response_wait_time },
		{ "retry_limit", d->retry_limit },
		{ "retry_timer_init_ms", d->retry_timer_init_ms },
		{ "retry_timer_max_secs", d->retry_timer_max_secs },
		{ "half_open_max", d->half_open_max },
		{ "half_open_max_per_peer", d->half_open_max_per_peer },
		{ "half_open_timeout_secs", d->half_open_timeout_secs },
		{ "cookie_threshold", d->cookie_threshold },
		{ "nat_keepalive_secs", d->nat_keepalive_secs },
		{ "fragmentation_mtu", d->fragmentation_mtu },
		{ "ke_reuse_secs", d->ke_reuse_secs },
		{ "ke_reuse_max_uses", d->ke_reuse_max_uses },
	};
	struct { const char *key; const char *v; } strs[] = {
		{ "debug_level", d->debug_level ? d->debug_level : "op" },
		{ "debug_logfile", d->debug_logfile },
		{ "preshared_file", d->preshared_file },
		{ "pid_file", d->pid_file },
	};
	sbuf_t *b = &cmd->out;
	if (cmd->json) {
		sb_printf(b, "{\"config_file\": ");
		sb_json_str(b, cfg->path);
		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			sb_printf(b, ", \"daemon.%s\": %lld", ints[i].key, ints[i].v);
		sb_printf(b, ", \"daemon.fragmentation\": %s",
		          d->fragmentation_enable ? "true" : "false");
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
			sb_printf(b, ", \"daemon.%s\": ", strs[i].key);
			if (strs[i].v)
				sb_json_str(b, strs[i].v);
			else
				sb_printf(b, "null");
		}
		sb_printf(b, "}\n");
	} else {
		sb_printf(b, "Values in force (built-in defaults unless %s sets them);\n"
		          "each line names the ikev2.config keyword that changes it:\n",
		          cfg->path);
		for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			sb_printf(b, "  daemon.%-24s %lld\n", ints[i].key, ints[i].v);
		sb_printf(b, "  daemon.%-24s %s\n", "fragmentation",
		          d->fragmentation_enable ? "true" : "false");
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			sb_printf(b, "  daemon.%-24s %s\n", strs[i].key,
			          strs[i].v ? strs[i].v : "(none)");
	}
	config_unref(cfg);
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ------------------------------------------------------------ read */

static bool cmd_read(ctl_cmd_t *cmd, ctl_conn_t *c, bool psk, const char *file)
{
	const engine_ctl_daemon_t *d = engine_ctl_daemon();
	if (!d || !d->reload)
		return finish(cmd, c, CTL_S_UNSUPPORTED, "not supported by this daemon: "
		              "reloading");
	if (file && cmd->uid != 0)
		return finish(cmd, c, CTL_S_DENIED, "only root may have the daemon read "
		              "another file; others: ikeadm read %s", psk ? "preshared" :
		              "rule");
	if (file && file[0] != '/')
		return finish(cmd, c, CTL_S_USAGE, "the file must be an absolute path");
	char err[512] = "";
	log_op(DBG_CTL, "control: read %s%s%s requested by uid %ld",
	       psk ? "preshared" : "rule", file ? " " : "", file ? file : "",
	       (long)cmd->uid);
	/* read rule FILE: FILE is a whole ikev2.config; read preshared FILE:
	 * the daemon's configuration with FILE's keys */
	bool ok = d->reload(psk ? NULL : file, psk ? file : NULL, err, sizeof(err));
	if (!ok)
		return finish(cmd, c, CTL_S_FAILED, "%s", err);
	config_t *cfg = config_current();
	if (!cmd->json)
		sb_printf(&cmd->out, "Configuration in force: %d rule%s from %s; "
		          "established SAs keep their rules\n", cfg ? cfg->n_rules : 0,
		          cfg && cfg->n_rules == 1 ? "" : "s", cfg ? cfg->path : "?");
	if (cfg)
		config_unref(cfg);
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ------------------------------------------------- add, del, write */

/* add rule|preshared TEXT, del rule|preshared LABEL: a change to the
 * running set, checked and put in force as a reload (established SAs keep
 * their rules); root only, since it changes policy or keys. */
static bool cmd_edit(ctl_cmd_t *cmd, ctl_conn_t *c, bool add, bool psk,
                     int nwords, char **words)
{
	const engine_ctl_daemon_t *d = engine_ctl_daemon();
	const char *what = psk ? "preshared" : "rule";
	if (!d || !d->edit)
		return finish(cmd, c, CTL_S_UNSUPPORTED, "not supported by this daemon: "
		              "changing the running configuration");
	if (cmd->uid != 0)
		return finish(cmd, c, CTL_S_DENIED, "only root may %s %s", add ? "add" :
		              "delete", psk ? "keys" : "rules");
	config_edits_t *ed = config_edits_new();
	char label[128] = "", err[512] = "";
	if (add) {
		/* the client sends the braces as one word; join any others */
		size_t len = 1;
		for (int i = 0; i < nwords; i++)
			len += strlen(words[i]) + 1;
		char *text = xzalloc(len);
		for (int i = 0; i < nwords; i++) {
			strcat(text, words[i]);
			if (i + 1 < nwords)
				strcat(text, " ");
		}
		bool ok = psk ? config_edits_add_key(ed, text, label, sizeof(label), err,
		                                     sizeof(err))
		              : config_edits_add_rule(ed, text, label, sizeof(label), err,
		                                      sizeof(err));
		memwipe(text, len);
		free(text);
		if (!ok) {
			config_edits_free(ed);
			return finish(cmd, c, CTL_S_USAGE, "add %s: %s", what, err);
		}
	} else {
		snprintf(label, sizeof(label), "%s", words[0]);
		if (psk)
			config_edits_del_key(ed, label);
		else
			config_edits_del_rule(ed, label);
	}
	log_op(DBG_CTL, "control: %s %s '%s' requested by uid %ld", add ? "add" : "del",
	       what, label, (long)cmd->uid);
	bool ok = d->edit(ed, err, sizeof(err));
	config_edits_free(ed);
	if (!ok)
		return finish(cmd, c, CTL_S_FAILED, "%s", err);
	if (!cmd->json)
		sb_printf(&cmd->out, "%s '%s' %s; established SAs keep their rules "
		          "(not in any file: ikeadm write rule|preshared FILE keeps "
		          "it, a reload drops it)\n", psk ? "Key of" : "Rule", label,
		          add ? (psk ? "set" : "added") : "deleted");
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* write rule: the configuration in force as text; the client writes it
 * to a new file (never the live one).  Root: it may hold a token PIN. */
static bool cmd_write_rule(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	const engine_ctl_daemon_t *d = engine_ctl_daemon();
	if (!d || !d->config_text)
		return finish(cmd, c, CTL_S_UNSUPPORTED, "not supported by this daemon: "
		              "write rule");
	if (cmd->uid != 0)
		return finish(cmd, c, CTL_S_DENIED, "only root may write the rules");
	char err[512] = "";
	char *text = d->config_text(cmd->paranoid, err, sizeof(err));
	if (!text)
		return finish(cmd, c, CTL_S_FAILED, "%s", err);
	sb_printf(&cmd->out, "# written by ikeadm from the running in.ikev2d\n%s", text);
	memwipe(text, strlen(text));
	free(text);
	flush(cmd, c);
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ------------------------------------------------------------ token */

/* token login OBJECT PIN (ikeadm read the PIN from its terminal) and
 * token logout OBJECT: the daemon's PKCS#11 token (daemon.pkcs11_token),
 * named by its URI or its label; root only. */
static bool cmd_token(ctl_cmd_t *cmd, ctl_conn_t *c, bool login,
                      const char *object, const char *pin)
{
	if (cmd->uid != 0)
		return finish(cmd, c, CTL_S_DENIED, "only root may log in to or out of "
		              "the token");
	if (login && (!pin || !*pin))
		return finish(cmd, c, CTL_S_USAGE, "token login: no PIN");
	char uri[512];
	if (strncmp(object, "pkcs11:", 7) == 0)
		snprintf(uri, sizeof(uri), "%s", object);
	else
		snprintf(uri, sizeof(uri), "pkcs11:token=%s", object);
	config_t *cfg = config_current();
	bool ours = cfg && cfg->daemon.pkcs11_uri &&
	            strcmp(cfg->daemon.pkcs11_uri, uri) == 0;
	char configured[512];
	snprintf(configured, sizeof(configured), "%s", cfg && cfg->daemon.pkcs11_uri ?
	         cfg->daemon.pkcs11_uri : "");
	if (cfg)
		config_unref(cfg);
	if (!ours)
		return configured[0] ?
		       finish(cmd, c, CTL_S_NOT_FOUND, "no token '%s': the daemon's "
		              "token is %s", object, configured) :
		       finish(cmd, c, CTL_S_NOT_FOUND, "no token '%s': the daemon has "
		              "none (daemon.pkcs11_token)", object);
	log_op(DBG_CTL, "control: token %s %s requested by uid %ld",
	       login ? "login" : "logout", uri, (long)cmd->uid);
	bool ok = login ? cred_token_login(uri, pin) : cred_token_logout(uri);
	if (!ok)
		return finish(cmd, c, CTL_S_FAILED, login ?
		              "token %s refused the PIN, or is not open (see the "
		              "daemon's log)" : "token %s is not open", uri);
	if (!cmd->json)
		sb_printf(&cmd->out, "Token %s %s\n", uri, login ?
		          "unlocked: its keys sign" : "locked: its keys sign nothing");
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* Text of a preshared file with the running keys (write preshared). */
static bool cmd_write_preshared(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	if (cmd->uid != 0)
		return finish(cmd, c, CTL_S_DENIED, "key material is for root only");
	config_t *cfg = config_current();
	if (!cfg)
		return finish(cmd, c, CTL_S_FAILED, "no configuration in force");
	sbuf_t *b = &cmd->out;
	sb_printf(b, "# written by ikeadm from the running in.ikev2d\nkeys = (\n");
	int n = 0;
	for (int i = 0; i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (!r->local_key.len && !r->remote_key.len)
			continue;
		sb_printf(b, "%s\t{ label = ", n++ ? ",\n" : "");
		sb_json_str(b, r->label);
		bool same = chunk_equals(r->local_key, r->remote_key);
		const char *names[2] = { same ? "key" : "local_key", "remote_key" };
		chunk_t keys[2] = { r->local_key, r->remote_key };
		for (int k = 0; k < (same ? 1 : 2); k++) {
			if (!keys[k].len)
				continue;
			sb_printf(b, "; %s = \"0x", names[k]);
			for (size_t j = 0; j < keys[k].len; j++)
				sb_printf(b, cmd->paranoid ? "XX" : "%02x", keys[k].ptr[j]);
			sb_printf(b, "\"");
		}
		sb_printf(b, "; }");
	}
	sb_printf(b, "\n);\n");
	config_unref(cfg);
	flush(cmd, c);   /* the key text is wiped by sb_reset's reuse below */
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* ---------------------------------------------------------- dispatch */

static const char *const help_text[][2] = {
	{ "get", "get debug|stats [RULE]|defaults\n"
	         "get ikesa ID        one IKE SA (ID: #N | SPIi SPIr | LOCAL REMOTE |\n"
	         "                    TYPE LOCAL-ID REMOTE-ID)\n"
	         "get rule LABEL      one rule\n"
	         "get preshared LABEL the key of one rule (root only; -p masks it)\n" },
	{ "set", "set debug LEVEL [FILE]  e.g. op, verbose, phase1+phase2, all-codec;\n"
	         "                        FILE (root, absolute path): debug logfile\n" },
	{ "del", "del ikesa ID        delete an IKE SA (Delete sent to the peer)\n"
	         "del rule LABEL      take a rule out of the running set (root)\n"
	         "del preshared LABEL take a key out of the running set (root)\n" },
	{ "add", "add rule { ... }    a rule (ikev2.config syntax) into the running\n"
	         "                    set (root); SAs stay, a reload drops it\n"
	         "add preshared { ... }  a key entry (ikev2.preshared syntax), replacing\n"
	         "                    its labels' keys (root; interactive mode only)\n" },
	{ "read", "read rule [FILE]    load ikev2.config (FILE: another one, root) and put\n"
	          "                    it in force as SIGHUP does; SAs stay\n"
	          "read preshared [FILE]  the same with the keys of FILE\n" },
	{ "write", "write rule [FILE]   the running configuration (ikeadm's changes\n"
	           "                    in) into a new FILE, or to stdout (root)\n"
	           "write preshared FILE  the running keys into a new FILE (root)\n" },
	{ "dump", "dump ikesa|childsa|rule|preshared|groups|encralgs|authalgs\n" },
	{ "flush", "flush ikesa         delete every IKE SA\n" },
	{ "token", "token login OBJECT  unlock the PKCS#11 token (URI or label; the PIN\n"
	           "                    is read from the terminal; root)\n"
	           "token logout OBJECT lock it again: its keys sign nothing (root)\n" },
	{ "initiate", "initiate RULE       start an IKE SA and its CHILD SAs for RULE\n" },
	{ "terminate", "terminate ikesa ID | terminate rule LABEL | terminate childsa SPI\n" },
};

static bool cmd_help(ctl_cmd_t *cmd, ctl_conn_t *c, const char *which)
{
	size_t n = sizeof(help_text) / sizeof(help_text[0]);
	for (size_t i = 0; i < n; i++)
		if (!which || strcmp(which, help_text[i][0]) == 0)
			sb_printf(&cmd->out, "%s", help_text[i][1]);
	if (which && !cmd->out.len)
		return finish(cmd, c, CTL_S_USAGE, "no command '%s' (ikeadm help)", which);
	return finish(cmd, c, CTL_S_OK, NULL);
}

static bool cmd_initiate(ctl_cmd_t *cmd, ctl_conn_t *c, const char *label)
{
	config_t *cfg = config_current();
	bool known = cfg && config_find_rule(cfg, label);
	if (cfg)
		config_unref(cfg);
	if (!known)
		return finish(cmd, c, CTL_S_NOT_FOUND, "no rule '%s'", label);
	engine_t *e = engine_ctl_hold();
	if (!e)
		return finish(cmd, c, CTL_S_FAILED, "the IKE engine is not running");
	log_op(DBG_CTL, "control: initiate %s requested by uid %ld", label,
	       (long)cmd->uid);
	bool ok = engine_initiate(e, label);
	engine_ctl_release();
	if (!ok)
		return finish(cmd, c, CTL_S_FAILED, "cannot initiate '%s' (see the "
		              "daemon's log)", label);
	if (!cmd->json)
		sb_printf(&cmd->out, "Initiating rule '%s'\n", label);
	return finish(cmd, c, CTL_S_OK, NULL);
}

/* terminate childsa SPI: find the IKE SA that owns it. */
static bool cmd_terminate_child(ctl_cmd_t *cmd, ctl_conn_t *c, const char *spi_s)
{
	uint64_t spi;
	if (!parse_hex64(spi_s, &spi) || spi > 0xffffffffu)
		return finish(cmd, c, CTL_S_USAGE, "a CHILD SA is named by its inbound "
		              "SPI (8 hex digits, as dump childsa shows)");
	engine_t *e = engine_ctl_hold();
	if (!e)
		return finish(cmd, c, CTL_S_FAILED, "the IKE engine is not running");
	uint64_t *h = NULL;
	size_t n = engine_ctl_list(e, &h);
	bool done = false;
	engine_child_info_t *kids = xmalloc(sizeof(*kids) * MAX_CHILDREN);
	for (size_t i = 0; i < n && !done; i++) {
		engine_ike_info_t info;
		if (!engine_ctl_ike(e, h[i], &info, kids, MAX_CHILDREN))
			continue;
		for (int k = 0; k < info.n_children && k < MAX_CHILDREN; k++)
			if (kids[k].spi_in == (uint32_t)spi)
				done = engine_ctl_child_delete(e, h[i], (uint32_t)spi);
	}
	free(kids);
	free(h);
	engine_ctl_release();
	if (!done)
		return finish(cmd, c, CTL_S_NOT_FOUND, "no installed CHILD SA with "
		              "inbound SPI %08x", (unsigned)spi);
	if (!cmd->json)
		sb_printf(&cmd->out, "CHILD SA %08x_i: deleting\n", (unsigned)spi);
	return finish(cmd, c, CTL_S_OK, NULL);
}

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static bool unsupported(ctl_cmd_t *cmd, ctl_conn_t *c, const char *what,
                        const char *instead)
{
	return finish(cmd, c, CTL_S_UNSUPPORTED, "not supported by this daemon: %s%s%s",
	              what, instead ? "; " : "", instead ? instead : "");
}

static bool run(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	int argc = cmd->req.argc;
	char **w = cmd->req.argv;
	const char *a1 = argc > 1 ? w[1] : NULL, *a2 = argc > 2 ? w[2] : NULL;

	if (is(w[0], "help"))
		return argc <= 2 ? cmd_help(cmd, c, a1)
		                 : finish(cmd, c, CTL_S_USAGE, "usage: help [COMMAND]");
	if (is(w[0], "get") && is(a1, "debug") && argc == 2)
		return cmd_get_debug(cmd, c);
	if (is(w[0], "get") && is(a1, "stats") && argc <= 3) {
		const char *why = NULL;
		stats_format_t f = cmd->json ? STATS_JSON : STATS_TEXT;
		if (!ctl_stats_render(&cmd->out, f, a2, &why))
			return finish(cmd, c, strcmp(why, "no such rule") ? CTL_S_FAILED :
			              CTL_S_NOT_FOUND, "%s", why);
		return finish(cmd, c, CTL_S_OK, NULL);
	}
	if (is(w[0], "get") && is(a1, "defaults") && argc == 2)
		return cmd_defaults(cmd, c);
	if (is(w[0], "get") && is(a1, "priv"))
		return unsupported(cmd, c, "privilege levels (IKEv1 only)", NULL);
	if (is(w[0], "set") && is(a1, "debug") && (argc == 3 || argc == 4))
		return cmd_set_debug(cmd, c, a2, argc == 4 ? w[3] : NULL);
	if (is(w[0], "set") && is(a1, "priv"))
		return unsupported(cmd, c, "privilege levels (IKEv1 only)", NULL);
	if ((is(w[0], "get") || is(w[0], "del") || is(w[0], "terminate")) &&
	    is(a1, "ikesa") && argc >= 3) {
		const char *err = parse_match(w + 2, argc - 2, &cmd->m);
		if (err)
			return finish(cmd, c, CTL_S_USAGE, "%s", err);
		cmd->single = is(w[0], "get");
		return start_walk(cmd, c, cmd->single ? ACT_SHOW : ACT_DELETE);
	}
	if (is(w[0], "flush") && is(a1, "ikesa") && argc == 2) {
		log_op(DBG_CTL, "control: flush ikesa requested by uid %ld", (long)cmd->uid);
		return start_walk(cmd, c, ACT_DELETE);
	}
	if (is(w[0], "terminate") && is(a1, "rule") && argc == 3) {
		config_t *cfg = config_current();
		bool known = cfg && config_find_rule(cfg, a2);
		if (cfg)
			config_unref(cfg);
		if (!known)
			return finish(cmd, c, CTL_S_NOT_FOUND, "no rule '%s'", a2);
		cmd->m.kind = M_RULE;
		snprintf(cmd->m.rule, sizeof(cmd->m.rule), "%s", a2);
		return start_walk(cmd, c, ACT_DELETE);
	}
	if (is(w[0], "terminate") && is(a1, "childsa") && argc == 3)
		return cmd_terminate_child(cmd, c, a2);
	if (is(w[0], "initiate") && argc == 2)
		return cmd_initiate(cmd, c, a1);
	if (is(w[0], "dump") && argc == 2) {
		if (is(a1, "ikesa") || is(a1, "p1"))
			return start_walk(cmd, c, ACT_SHOW);
		if (is(a1, "childsa"))
			return start_walk(cmd, c, ACT_CHILD);
		if (is(a1, "rule"))
			return cmd_rules(cmd, c, NULL, false);
		if (is(a1, "preshared"))
			return cmd_rules(cmd, c, NULL, true);
		if (is(a1, "groups"))
			return cmd_algs(cmd, c, TRANS_KE, "Key exchange groups");
		if (is(a1, "encralgs"))
			return cmd_algs(cmd, c, TRANS_ENCR, "Encryption algorithms");
		if (is(a1, "authalgs"))
			return cmd_algs(cmd, c, TRANS_INTEG, "Integrity (authentication) "
			                "algorithms");
		if (is(a1, "certcache"))
			return unsupported(cmd, c, "the certificate cache (IKEv1 only)", NULL);
	}
	if (is(w[0], "get") && is(a1, "rule") && argc == 3)
		return cmd_rules(cmd, c, a2, false);
	if (is(w[0], "get") && is(a1, "preshared") && argc == 3)
		return cmd_rules(cmd, c, a2, true);
	if (is(w[0], "read") && (is(a1, "rule") || is(a1, "preshared")) &&
	    (argc == 2 || argc == 3))
		return cmd_read(cmd, c, is(a1, "preshared"), a2);
	if (is(w[0], "write") && is(a1, "preshared") && argc == 2)
		return cmd_write_preshared(cmd, c);
	if (is(w[0], "write") && is(a1, "rule") && argc == 2)
		return cmd_write_rule(cmd, c);
	if (is(w[0], "add") && (is(a1, "rule") || is(a1, "preshared")) && argc >= 3)
		return cmd_edit(cmd, c, true, is(a1, "preshared"), argc - 2, w + 2);
	if (is(w[0], "del") && (is(a1, "rule") || is(a1, "preshared")) && argc == 3)
		return cmd_edit(cmd, c, false, is(a1, "preshared"), 1, w + 2);
	if (is(w[0], "token") && is(a1, "login") && argc == 4)
		return cmd_token(cmd, c, true, a2, w[3]);
	if (is(w[0], "token") && is(a1, "logout") && argc == 3)
		return cmd_token(cmd, c, false, a2, NULL);
	return finish(cmd, c, CTL_S_USAGE, "unknown command or wrong arguments: '%s%s%s'"
	              " (ikeadm help)", w[0], a1 ? " " : "", a1 ? a1 : "");
}

static bool cmd_step(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	if (!ctl_conn_alive(c))
		return true;
	if (cmd->listing)
		return walk_step(cmd, c);
	bool done = run(cmd, c);
	if (!done && cmd->listing)
		return false;   /* walk_step from the next step on */
	return done;
}

const ctl_handlers_t ctl_cmd_handlers = {
	.start = cmd_start,
	.step = cmd_step,
	.free = cmd_free,
};

/* ------------------------------------------------------------ metrics */

static bool metrics_step(ctl_cmd_t *cmd, ctl_conn_t *c)
{
	const char *line = cmd->req.argv[0];
	sbuf_t body = { 0 };
	const char *status = "200 OK";
	const char *why = NULL;
	if (strncmp(line, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
		sb_printf(&body, "GET only\n");
	} else if (strncmp(line + 4, "/metrics ", 9) != 0 &&
	           strncmp(line + 4, "/metrics\r", 9) != 0 &&
	           strncmp(line + 4, "/ ", 2) != 0) {
		status = "404 Not Found";
		sb_printf(&body, "try /metrics\n");
	} else if (!ctl_stats_render(&body, STATS_PROMETHEUS, NULL, &why)) {
		status = "503 Service Unavailable";
		sb_reset(&body);
		sb_printf(&body, "%s\n", why);
	}
	sb_printf(&cmd->out, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; "
	          "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	          status, body.len);
	ctl_conn_data(c, cmd->out.p, cmd->out.len);
	if (body.len)
		ctl_conn_data(c, body.p, body.len);
	sb_free(&body);
	return true;
}

const ctl_handlers_t ctl_metrics_handlers = {
	.start = cmd_start,
	.step = metrics_step,
	.free = cmd_free,
};
