/*
 * cfg_rules.c - rules, their CHILD SAs and the defaults they inherit.
 */
#include "config/cfg_rules.h"
#include "config/cfg_addr.h"
#include "config/cfg_ident.h"
#include "config/cfg_xform.h"
#include "config/cfg_xfrm.h"
#include "config/dn.h"
#include "config/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits that keep a runaway generated file from exhausting memory. */
#define CFG_MAX_RULES    100000
#define CFG_MAX_CHILDREN 64
#define CFG_MAX_LABEL    128

#define DEFAULT_IKESA_LIFETIME  14400   /* 4 hours */
#define DEFAULT_CHILD_LIFETIME  3600    /* 1 hour */
#define DEFAULT_REPLAY_WINDOW   64

const char *const cfg_child_default_keys[] = {
	"esp_xform", "mode", "childsa_pfs", "childsa_lifetime_secs",
	"childsa_softlife_secs", "childsa_lifetime_kb", "childsa_softlife_kb",
	"replay_window", "mark_in", "mark_out", "if_id_in", "if_id_out",
	"require_kernel_policy", NULL
};

static proposal_cfg_t *dup_proposals(const proposal_cfg_t *p, int n)
{
	proposal_cfg_t *c;

	if (!n || !p)
		return NULL;
	c = xmalloc(sizeof(*c) * (size_t)n);
	memcpy(c, p, sizeof(*c) * (size_t)n);
	return c;
}

void cfg_defaults_init(cfg_defaults_t *d)
{
	memset(d, 0, sizeof(*d));
	cfg_default_proposals(true, &d->ike, &d->n_ike);
	cfg_default_proposals(false, &d->child.esp, &d->child.n_esp);
	d->ikesa_lifetime_secs = DEFAULT_IKESA_LIFETIME;
	d->dpd_interval_secs = 0;
	d->child.mode = MODE_TUNNEL;
	d->child.pfs_group = 0;
	d->child.lifetime_secs = DEFAULT_CHILD_LIFETIME;
	d->child.replay_window = DEFAULT_REPLAY_WINDOW;
}

void cfg_defaults_free(cfg_defaults_t *d)
{
	free(d->ike);
	free(d->child.esp);
	memset(d, 0, sizeof(*d));
}

/* A copy the next level may override. */
static void defaults_copy(cfg_defaults_t *dst, const cfg_defaults_t *src)
{
	*dst = *src;
	dst->ike = dup_proposals(src->ike, src->n_ike);
	dst->child.esp = dup_proposals(src->child.esp, src->child.n_esp);
	dst->child.local_ts = dst->child.remote_ts = NULL;
	dst->child.n_local_ts = dst->child.n_remote_ts = 0;
}

/* childsa_pfs: 0 / "none", a group number or a group name. */
static int parse_pfs(cfg_ctx_t *ctx, const config_setting_t *g, uint16_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, "childsa_pfs");
	long long v;

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *name = config_setting_get_string(s);
		int id;
		if (strcasecmp(name, "none") == 0) {
			*out = 0;
			return 1;
		}
		id = cfg_ke_from_name(name);
		if (id < 0) {
			cfg_error(ctx, s, "childsa_pfs '%s' is not a known group", name);
			return -1;
		}
		*out = (uint16_t)id;
		return 1;
	}
	if (!cfg_int_value(ctx, s, "childsa_pfs", 0, 65535, &v))
		return -1;
	if (v != 0 && (!transform_name(TRANS_KE, (uint16_t)v) || v == KE_MODP_768)) {
		cfg_error(ctx, s, "childsa_pfs %lld is not a supported group "
		          "(0 for none, or 2, 5, 14-26, 31, 32)", v);
		return -1;
	}
	*out = (uint16_t)v;
	return 1;
}

bool cfg_defaults_parse(cfg_ctx_t *ctx, const config_setting_t *g,
                        cfg_defaults_t *d, bool with_ike)
{
	bool ok = true;
	long long v;
	const char *mode;
	proposal_cfg_t *props;
	int n, rc;

	if (!with_ike)
		goto child_keys;
	if ((rc = cfg_proposals(ctx, g, "ikesa_xform", true, &props, &n)) > 0) {
		free(d->ike);
		d->ike = props;
		d->n_ike = n;
	} else if (rc < 0) {
		ok = false;
	}
	if ((rc = cfg_get_int(ctx, g, "ikesa_lifetime_secs", 60, 2592000, &v)) > 0)
		d->ikesa_lifetime_secs = (uint32_t)v;
	ok &= rc >= 0;
	if ((rc = cfg_get_int(ctx, g, "dpd_interval", 0, 86400, &v)) > 0)
		d->dpd_interval_secs = (uint32_t)v;
	ok &= rc >= 0;
child_keys:
	if ((rc = cfg_proposals(ctx, g, "esp_xform", false, &props, &n)) > 0) {
		free(d->child.esp);
		d->child.esp = props;
		d->child.n_esp = n;
		d->child.esp_src = cfg_src_of(config_setting_get_member(g, "esp_xform"));
	} else if (rc < 0) {
		ok = false;
	}
	if ((rc = cfg_get_str(ctx, g, "mode", false, &mode)) > 0) {
		if (strcasecmp(mode, "tunnel") == 0) {
			d->child.mode = MODE_TUNNEL;
		} else if (strcasecmp(mode, "transport") == 0) {
			d->child.mode = MODE_TRANSPORT;
		} else {
			cfg_error(ctx, config_setting_get_member(g, "mode"),
			          "mode must be \"tunnel\" or \"transport\", not '%s'",
			          mode);
			ok = false;
		}
	}
	ok &= rc >= 0;
	ok &= parse_pfs(ctx, g, &d->child.pfs_group) >= 0;
	if ((rc = cfg_get_int(ctx, g, "childsa_lifetime_secs", 60, 2592000, &v)) > 0)
		d->child.lifetime_secs = (uint32_t)v;
	ok &= rc >= 0;
	if ((rc = cfg_get_int(ctx, g, "childsa_softlife_secs", 30, 2592000, &v)) > 0) {
		d->child.softlife_secs = (uint32_t)v;
		d->softlife_secs_set = true;
	}
	ok &= rc >= 0;
	if ((rc = cfg_get_int(ctx, g, "childsa_lifetime_kb", 0,
	                      (1LL << 42), &v)) > 0)
		d->child.lifetime_kb = (uint64_t)v;
	ok &= rc >= 0;
	if ((rc = cfg_get_int(ctx, g, "childsa_softlife_kb", 0,
	                      (1LL << 42), &v)) > 0) {
		d->child.softlife_kb = (uint64_t)v;
		d->softlife_kb_set = true;
	}
	ok &= rc >= 0;
	if ((rc = cfg_get_int(ctx, g, "replay_window", 0, 4096, &v)) > 0) {
		d->child.replay_window = (uint32_t)v;
		d->child.replay_src = cfg_src_of(config_setting_get_member(g, "replay_window"));
	}
	ok &= rc >= 0;
	ok &= cfg_get_bool(ctx, g, "require_kernel_policy",
	                   &d->child.require_kernel_policy) >= 0;
	ok &= cfg_xfrm_parse(ctx, g, &d->child);
	return ok;
}

/* Fill in soft lifetimes and check them against the hard ones. */
static bool finish_child(cfg_ctx_t *ctx, const config_setting_t *where,
                         const cfg_defaults_t *d, child_cfg_t *c)
{
	if (!d->softlife_secs_set)
		c->softlife_secs = c->lifetime_secs / 10 * 9;
	if (!d->softlife_kb_set)
		c->softlife_kb = c->lifetime_kb / 10 * 9;
	if (c->softlife_secs > c->lifetime_secs) {
		cfg_error(ctx, where, "childsa_softlife_secs (%u) is above "
		          "childsa_lifetime_secs (%u)", c->softlife_secs,
		          c->lifetime_secs);
		return false;
	}
	if (c->lifetime_kb && c->softlife_kb > c->lifetime_kb) {
		cfg_error(ctx, where, "childsa_softlife_kb (%llu) is above "
		          "childsa_lifetime_kb (%llu)",
		          (unsigned long long)c->softlife_kb,
		          (unsigned long long)c->lifetime_kb);
		return false;
	}
	if (!c->lifetime_kb && c->softlife_kb) {
		cfg_error(ctx, where, "childsa_softlife_kb needs "
		          "childsa_lifetime_kb");
		return false;
	}
	return true;
}

/* Whether two address lists share a family (an empty list is "any"). */
static bool families_meet(const int *a, int na, const int *b, int nb)
{
	if (!na || !nb)
		return true;
	for (int i = 0; i < na; i++) {
		for (int j = 0; j < nb; j++) {
			if (a[i] == b[j])
				return true;
		}
	}
	return false;
}

static bool ts_families_meet(const child_cfg_t *c)
{
	int a[256], b[256];

	for (int i = 0; i < c->n_local_ts && i < 256; i++)
		a[i] = c->local_ts[i].addr.family;
	for (int i = 0; i < c->n_remote_ts && i < 256; i++)
		b[i] = c->remote_ts[i].addr.family;
	return families_meet(a, c->n_local_ts < 256 ? c->n_local_ts : 256,
	                     b, c->n_remote_ts < 256 ? c->n_remote_ts : 256);
}

static bool addr_families_meet(const rule_t *r)
{
	int a[256], b[256];

	for (int i = 0; i < r->n_local_addr && i < 256; i++)
		a[i] = r->local_addr[i].family;
	for (int i = 0; i < r->n_remote_addr && i < 256; i++)
		b[i] = r->remote_addr[i].family;
	return families_meet(a, r->n_local_addr < 256 ? r->n_local_addr : 256,
	                     b, r->n_remote_addr < 256 ? r->n_remote_addr : 256);
}

static void child_free(child_cfg_t *c)
{
	free(c->local_ts);
	free(c->remote_ts);
	free(c->esp);
}

void rule_free(rule_t *r)
{
	free(r->label);
	free(r->required_signer);
	free(r->local_addr);
	free(r->remote_addr);
	id_cfg_free(&r->local_id);
	for (int i = 0; i < r->n_remote_id; i++)
		id_cfg_free(&r->remote_id[i]);
	free(r->remote_id);
	free(r->ike);
	for (int i = 0; i < r->n_child; i++)
		child_free(&r->child[i]);
	free(r->child);
	chunk_clear(&r->local_key);
	chunk_clear(&r->remote_key);
	memset(r, 0, sizeof(*r));
}

static uint32_t label_hash(const char *s)
{
	uint32_t h = 2166136261u;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

void label_index_init(label_index_t *ix, int n_rules)
{
	size_t cap = 16;

	while (cap < (size_t)n_rules * 2)
		cap <<= 1;
	ix->slots = xzalloc(sizeof(int) * cap);
	ix->mask = cap - 1;
}

int label_index_find(const label_index_t *ix, const rule_t *rules,
                     const char *label)
{
	for (size_t i = label_hash(label) & ix->mask;; i = (i + 1) & ix->mask) {
		int slot = ix->slots[i];
		if (!slot)
			return -1;
		if (strcmp(rules[slot - 1].label, label) == 0)
			return slot - 1;
	}
}

void label_index_add(label_index_t *ix, const rule_t *rules, int r)
{
	size_t i = label_hash(rules[r].label) & ix->mask;

	while (ix->slots[i])
		i = (i + 1) & ix->mask;
	ix->slots[i] = r + 1;
}

void label_index_free(label_index_t *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

static const char *const child_only_keys[] = { "local_ts", "remote_ts" };

static bool parse_child(cfg_ctx_t *ctx, const config_setting_t *g,
                        const cfg_defaults_t *rule_defaults, child_cfg_t *out)
{
	const char *keys[16];
	size_t nk = 0;
	cfg_defaults_t d;
	bool ok = true;

	for (size_t i = 0; i < 2; i++)
		keys[nk++] = child_only_keys[i];
	for (size_t i = 0; cfg_child_default_keys[i]; i++)
		keys[nk++] = cfg_child_default_keys[i];
	keys[nk] = NULL;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, g, "childsa entries must be groups { local_ts = ...; "
		          "... }, not %s", cfg_type_name(config_setting_type(g)));
		return false;
	}
	if (cfg_check_keys(ctx, g, keys, "childsa"))
		ok = false;
	defaults_copy(&d, rule_defaults);
	/* ikesa_* keys were rejected above; only child keys are read. */
	if (!cfg_defaults_parse(ctx, g, &d, false))
		ok = false;
	*out = d.child;
	out->src = cfg_src_of(g);
	out->esp = d.child.esp;
	d.child.esp = NULL;
	free(d.ike);
	if (cfg_ts_list(ctx, g, "local_ts", &out->local_ts, &out->n_local_ts) < 0)
		ok = false;
	if (cfg_ts_list(ctx, g, "remote_ts", &out->remote_ts,
	                &out->n_remote_ts) < 0)
		ok = false;
	if (ok && !finish_child(ctx, g, &d, out))
		ok = false;
	if (ok && !ts_families_meet(out)) {
		cfg_error(ctx, g, "local_ts and remote_ts have no address family "
		          "in common (IPv4 with IPv6)");
		ok = false;
	}
	return ok;
}

static const struct {
	const char *name;
	auth_method_t method;
} auth_methods[] = {
	{ "preshared",   AUTH_PSK },
	{ "rsa_sig",     AUTH_RSA_SIG },
	{ "dss_sig",     AUTH_DSS_SIG },
	{ "ecdsa_sig",   AUTH_ECDSA_256 },
	{ "ecdsa_256",   AUTH_ECDSA_256 },
	{ "ecdsa_384",   AUTH_ECDSA_384 },
	{ "ecdsa_521",   AUTH_ECDSA_521 },
	{ "digital_sig", AUTH_DIGITAL_SIG },
	{ "rsa_pss_sig", AUTH_DIGITAL_SIG },   /* RFC 7427, RSASSA-PSS */
};

static const char *const auth_method_names[] = {
	"preshared", "rsa_sig", "dss_sig", "ecdsa_sig", "ecdsa_256",
	"ecdsa_384", "ecdsa_521", "digital_sig", "rsa_pss_sig", NULL
};

/* One auth_method-like key into *out; 0 absent, 1 set, -1 error. */
static int parse_method_key(cfg_ctx_t *ctx, const config_setting_t *g,
                            const char *key, auth_method_t *out)
{
	const char *name;
	int rc = cfg_get_str(ctx, g, key, false, &name);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < sizeof(auth_methods) / sizeof(auth_methods[0]); i++) {
		if (strcasecmp(name, auth_methods[i].name) == 0) {
			*out = auth_methods[i].method;
			return 1;
		}
	}
	const char *sug = suggest_closest(name, auth_method_names);
	const config_setting_t *s = config_setting_get_member(g, key);
	if (sug)
		cfg_error(ctx, s, "%s '%s' is unknown (did you mean '%s'?)", key,
		          name, sug);
	else
		cfg_error(ctx, s, "%s '%s' is unknown (use preshared, rsa_sig, "
		          "dss_sig, ecdsa_sig or digital_sig)", key, name);
	return -1;
}

/* auth_method sets both directions; local_auth_method (how we
 * authenticate) and remote_auth_method (how the peer must) override it
 * for one, which gives mixed authentication (PSK one way, a signature
 * the other). */
static bool parse_auth_method(cfg_ctx_t *ctx, const config_setting_t *g,
                              rule_t *r, const char *where)
{
	auth_method_t both = 0, local = 0, remote = 0;
	int rb = parse_method_key(ctx, g, "auth_method", &both);
	int rl = parse_method_key(ctx, g, "local_auth_method", &local);
	int rr = parse_method_key(ctx, g, "remote_auth_method", &remote);

	if (rb < 0 || rl < 0 || rr < 0)
		return false;
	if (rb == 0 && (rl == 0 || rr == 0)) {
		cfg_error(ctx, g, "%s has no 'auth_method' (preshared, rsa_sig, "
		          "dss_sig, ecdsa_sig or digital_sig)%s", where,
		          rl || rr ? " for both directions" : "");
		return false;
	}
	r->auth_method = rl ? local : both;
	/* rsa_pss_sig is digital_sig signing RSA with PSS. */
	const char *lname = NULL;
	if (cfg_get_str(ctx, g, rl ? "local_auth_method" : "auth_method", false,
	                &lname) > 0)
		r->prefer_pss = strcasecmp(lname, "rsa_pss_sig") == 0;
	r->remote_auth_method = rr ? remote : both;
	const char *signer;
	if (cfg_get_str(ctx, g, "required_signer", false, &signer) > 0) {
		const config_setting_t *s = config_setting_get_member(g, "required_signer");
		chunk_t der;
		char err[160];
		if (r->remote_auth_method == AUTH_PSK)
			cfg_error(ctx, s, "required_signer needs a certificate "
			          "method for the peer, not preshared");
		else if (!dn_from_text(signer, &der, err, sizeof(err)))
			cfg_error(ctx, s, "required_signer: %s", err);
		else {
			chunk_free(&der);
			r->required_signer = xstrdup(signer);
		}
	}
	return true;
}

static const char *const rule_own_keys[] = {
	"label", "local_addr", "remote_addr", "local_id", "remote_id",
	"auth_method", "local_auth_method", "remote_auth_method",
	"required_signer", "ikesa_xform", "ikesa_lifetime_secs", "dpd_interval",
	"auto_start", "on_demand", "start_retry_limit", "childsa", NULL
};

/* Parse one rule; errors are the rule's (ctx->in_rule). */
static void parse_rule(cfg_ctx_t *ctx, const config_setting_t *g,
                       const cfg_defaults_t *globals, rule_t *r,
                       const char *label_for_msgs)
{
	const char *keys[32];
	char where[CFG_MAX_LABEL + 16];
	size_t nk = 0;
	cfg_defaults_t d;
	const config_setting_t *cs;

	for (size_t i = 0; rule_own_keys[i]; i++)
		keys[nk++] = rule_own_keys[i];
	for (size_t i = 0; cfg_child_default_keys[i]; i++)
		keys[nk++] = cfg_child_default_keys[i];
	keys[nk] = NULL;

	snprintf(where, sizeof(where), "rule '%s'", label_for_msgs);
	cfg_check_keys(ctx, g, keys, where);

	cfg_addr_list(ctx, g, "local_addr", &r->local_addr, &r->n_local_addr);
	cfg_addr_list(ctx, g, "remote_addr", &r->remote_addr, &r->n_remote_addr);
	cfg_local_id(ctx, g, "local_id", &r->local_id);
	if (cfg_remote_ids(ctx, g, "remote_id", &r->remote_id,
	                   &r->n_remote_id) > 0) {
		/* An "any" entry makes the whole list "any". */
		for (int i = 0; i < r->n_remote_id; i++) {
			if (r->remote_id[i].any) {
				for (int j = 0; j < r->n_remote_id; j++)
					id_cfg_free(&r->remote_id[j]);
				free(r->remote_id);
				r->remote_id = NULL;
				r->n_remote_id = 0;
				break;
			}
		}
	}
	if (!addr_families_meet(r))
		cfg_error(ctx, config_setting_get_member(g, "remote_addr"),
		          "local_addr and remote_addr have no address family in "
		          "common (IPv4 with IPv6): the rule could never match");
	parse_auth_method(ctx, g, r, where);
	/* Both ways of initiating need one peer address to send to.  Skip
	 * the check when remote_addr itself was wrong (already said). */
	bool addr_failed = config_setting_get_member(g, "remote_addr") &&
	                   r->n_remote_addr == 0;
	bool single_peer = r->n_remote_addr == 1 &&
	                   addr_range_is_single(&r->remote_addr[0]);
	if (cfg_get_bool(ctx, g, "auto_start", &r->auto_start) > 0 &&
	    r->auto_start && !addr_failed && !single_peer)
		cfg_error(ctx, config_setting_get_member(g, "auto_start"),
		          "auto_start needs remote_addr to be a single "
		          "address to start from");
	/* on_demand: trap policies for the CHILD SAs, installed while the
	 * rule is configured; the kernel's ACQUIRE for traffic they match
	 * starts the rule. */
	if (cfg_get_bool(ctx, g, "on_demand", &r->on_demand) > 0 &&
	    r->on_demand && !addr_failed && !single_peer)
		cfg_error(ctx, config_setting_get_member(g, "on_demand"),
		          "on_demand needs remote_addr to be a single address "
		          "to start to (the kernel's ACQUIRE names only the "
		          "traffic)");
	/* Tries after an unanswered start: without end for a site-to-site
	 * auto_start tunnel, a few for on_demand (traffic asks again). */
	r->start_retry_limit = r->auto_start ? -1 : r->on_demand ? 5 : 0;
	long long retries;
	if (cfg_get_int(ctx, g, "start_retry_limit", -1, 1000000, &retries) > 0) {
		if (!r->auto_start && !r->on_demand)
			cfg_error(ctx, config_setting_get_member(g, "start_retry_limit"),
			          "start_retry_limit applies only to a rule with "
			          "auto_start or on_demand (nothing starts this one)");
		r->start_retry_limit = (int)retries;
	}

	defaults_copy(&d, globals);
	cfg_defaults_parse(ctx, g, &d, true);
	r->ike = d.ike;
	r->n_ike = d.n_ike;
	d.ike = NULL;
	d.n_ike = 0;
	r->ikesa_lifetime_secs = d.ikesa_lifetime_secs;
	r->dpd_interval_secs = d.dpd_interval_secs;

	cs = config_setting_get_member(g, "childsa");
	if (!cs) {
		/* One CHILD SA between the two IKE addresses. */
		r->child = xzalloc(sizeof(*r->child));
		r->n_child = 1;
		r->child[0] = d.child;
		d.child.esp = NULL;
		finish_child(ctx, g, &d, &r->child[0]);
	} else if (config_setting_type(cs) == CONFIG_TYPE_GROUP ||
	           config_setting_type(cs) == CONFIG_TYPE_LIST) {
		bool single = config_setting_type(cs) == CONFIG_TYPE_GROUP;
		int n = single ? 1 : config_setting_length(cs);
		if (n == 0 || n > CFG_MAX_CHILDREN) {
			cfg_error(ctx, cs, "childsa must have 1..%d entries",
			          CFG_MAX_CHILDREN);
		} else {
			r->child = xzalloc(sizeof(*r->child) * (size_t)n);
			for (int i = 0; i < n; i++) {
				const config_setting_t *e = single ? cs :
					config_setting_get_elem(cs, (unsigned)i);
				child_cfg_t *c = &r->child[r->n_child];
				if (parse_child(ctx, e, &d, c)) {
					r->n_child++;
				} else {
					child_free(c);
					memset(c, 0, sizeof(*c));
				}
			}
		}
	} else {
		cfg_error(ctx, cs, "childsa must be a list ( { ... }, ... ), not %s",
		          cfg_type_name(config_setting_type(cs)));
	}
	cfg_defaults_free(&d);
}

bool cfg_rules_parse(cfg_ctx_t *ctx, const config_setting_t *root,
                     const cfg_defaults_t *globals, config_t *cfg,
                     rule_meta_t **meta_out)
{
	const config_setting_t *rules = config_setting_get_member(root, "rules");
	rule_meta_t *meta;
	label_index_t ix;
	int n;

	*meta_out = NULL;
	if (!rules)
		return true;
	if (config_setting_type(rules) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, rules, "'rules' must be a list ( { ... }, ... ), "
		          "not %s", cfg_type_name(config_setting_type(rules)));
		return false;
	}
	n = config_setting_length(rules);
	if (n > CFG_MAX_RULES) {
		cfg_error(ctx, rules, "more than %d rules", CFG_MAX_RULES);
		return false;
	}
	if (n == 0)
		return true;
	cfg->rules = xzalloc(sizeof(*cfg->rules) * (size_t)n);
	meta = xzalloc(sizeof(*meta) * (size_t)n);
	label_index_init(&ix, n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(rules, (unsigned)i);
		rule_t *r = &cfg->rules[i];
		const char *label = NULL;
		char unnamed[32];
		int rc;

		cfg->n_rules = i + 1;
		meta[i].file = cfg_file(ctx, g);
		meta[i].line = cfg_line(g);
		r->line = meta[i].line;
		ctx->in_rule = true;
		ctx->rule_bad = false;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_error(ctx, g, "rules entries must be groups { label = "
			          "...; ... }, not %s",
			          cfg_type_name(config_setting_type(g)));
			meta[i].bad = true;
			ctx->in_rule = false;
			continue;
		}
		rc = cfg_get_str(ctx, g, "label", false, &label);
		snprintf(unnamed, sizeof(unnamed), "#%d", i + 1);
		if (rc == 0) {
			cfg_error(ctx, g, "rule %s has no 'label'", unnamed);
		} else if (rc > 0) {
			if (strlen(label) > CFG_MAX_LABEL) {
				cfg_error(ctx, config_setting_get_member(g, "label"),
				          "label is longer than %d characters",
				          CFG_MAX_LABEL);
			} else {
				int j = label_index_find(&ix, cfg->rules, label);
				r->label = xstrdup(label);
				if (j >= 0)
					cfg_error(ctx, config_setting_get_member(g, "label"),
					          "duplicate rule label '%s' (first "
					          "used at %s:%d)", label,
					          meta[j].file, meta[j].line);
				else
					label_index_add(&ix, cfg->rules, i);
			}
		}
		parse_rule(ctx, g, globals, r, r->label ? r->label : unnamed);
		meta[i].bad = ctx->rule_bad;
		ctx->in_rule = false;
	}
	label_index_free(&ix);
	*meta_out = meta;
	return true;
}
