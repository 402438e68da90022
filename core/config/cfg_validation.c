/*
 * cfg_validation.c - the certificate validation policy settings.
 *
 * Solaris sets these with kmfcfg(1) in a KMF policy database; here they
 * are libconfig keys, the KMF option names with '_' for '-' (a '-' is not
 * valid in a libconfig name):
 *
 *   ignore-date            ignore_date = true;
 *   ignore-unknown-eku     ignore_unknown_eku = true;
 *   ignore-trust-anchor    ignore_trust_anchor = true;
 *   trust-intermediate-cas trust_intermediate_cas = true;
 *   max-cert-path-length   max_cert_path_length = N;   (0..32)
 *   validity-adjusttime    validity_adjusttime = SECONDS; (0..30 days)
 *   (revocation)           crl_check = "none" | "if_known" | "strict";
 *   crl-get-crl-uri        crl_get_crl_uri = true;
 *   ocsp-responder         ocsp_responder = "http://...";
 *   ocsp-use-cert-responder ocsp_use_cert_responder = true;
 *   ocsp-ignore-response-sign ocsp_ignore_response_sign = true;
 *   ocsp-response-lifetime ocsp_response_lifetime = SECONDS;
 *   cert-revoke-responder-timeout  cert_revoke_responder_timeout = SECONDS;
 *   ignore-cert-revoke-responder-timeout
 *                          ignore_cert_revoke_responder_timeout = true;
 *
 * They live in a top-level `validation = { ... };` group of ikev2.config
 * or, with `validation_policy_file = "FILE";`, at the top level of FILE.
 */
#define _GNU_SOURCE
#include "config/cfg_validation.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const keys[] = {
	"ignore_date", "ignore_unknown_eku", "ignore_trust_anchor",
	"trust_intermediate_cas", "max_cert_path_length",
	"validity_adjusttime", "crl_check", "crl_get_crl_uri", "ocsp_responder",
	"ocsp_use_cert_responder", "ocsp_ignore_response_sign",
	"ocsp_response_lifetime", "cert_revoke_responder_timeout",
	"ignore_cert_revoke_responder_timeout", NULL
};

#define ADJUST_MAX (30 * 86400)

/* The first of the settings that need a fetcher that is on. */
static void find_fetch(const config_setting_t *g, const char *file,
                       const cert_policy_t *p, char **fetch_file,
                       int *fetch_line)
{
	static const char *const names[] = {
		"crl_get_crl_uri", "ocsp_responder", "ocsp_use_cert_responder",
	};
	bool on[] = { p->crl_get_crl_uri, p->ocsp_responder[0] != '\0',
	              p->ocsp_use_cert_responder };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const config_setting_t *s = config_setting_get_member(g, names[i]);
		if (!on[i] || !s)
			continue;
		const char *f = config_setting_source_file(s);
		*fetch_file = xstrdup(f ? f : file);
		*fetch_line = (int)config_setting_source_line(s);
		return;
	}
}

static void parse_group(cfg_ctx_t *ctx, const config_setting_t *g,
                        const char *where, cert_policy_t *p)
{
	long long v;
	const char *s;

	cfg_check_keys(ctx, g, keys, where);
	cfg_get_bool(ctx, g, "ignore_date", &p->ignore_date);
	cfg_get_bool(ctx, g, "ignore_unknown_eku", &p->ignore_unknown_eku);
	cfg_get_bool(ctx, g, "ignore_trust_anchor", &p->ignore_trust_anchor);
	cfg_get_bool(ctx, g, "trust_intermediate_cas",
	             &p->trust_intermediate_cas);
	if (cfg_get_int(ctx, g, "max_cert_path_length", 0, 32, &v) > 0)
		p->max_path_length = (int)v;
	if (cfg_get_int(ctx, g, "validity_adjusttime", 0, ADJUST_MAX, &v) > 0)
		p->validity_adjusttime = (int)v;
	if (cfg_get_str(ctx, g, "crl_check", false, &s) > 0) {
		if (!strcmp(s, "none"))
			p->crl_check = CRL_CHECK_NONE;
		else if (!strcmp(s, "if_known"))
			p->crl_check = CRL_CHECK_IF_KNOWN;
		else if (!strcmp(s, "strict"))
			p->crl_check = CRL_CHECK_STRICT;
		else
			cfg_error(ctx, config_setting_get_member(g, "crl_check"),
			          "crl_check must be \"none\", \"if_known\" or "
			          "\"strict\", not \"%s\"", s);
	}
	cfg_get_bool(ctx, g, "crl_get_crl_uri", &p->crl_get_crl_uri);
	if (cfg_get_str(ctx, g, "ocsp_responder", false, &s) > 0) {
		if (strncasecmp(s, "http://", 7) != 0 || !s[7])
			cfg_error(ctx, config_setting_get_member(g, "ocsp_responder"),
			          "ocsp_responder must be an http:// URL, not \"%s\"",
			          s);
		else if (strlen(s) >= sizeof(p->ocsp_responder))
			cfg_error(ctx, config_setting_get_member(g, "ocsp_responder"),
			          "ocsp_responder is longer than %zu characters",
			          sizeof(p->ocsp_responder) - 1);
		else
			snprintf(p->ocsp_responder, sizeof(p->ocsp_responder), "%s", s);
	}
	cfg_get_bool(ctx, g, "ocsp_use_cert_responder",
	             &p->ocsp_use_cert_responder);
	cfg_get_bool(ctx, g, "ocsp_ignore_response_sign",
	             &p->ocsp_ignore_response_sign);
	if (cfg_get_int(ctx, g, "ocsp_response_lifetime", 0, 365 * 86400, &v) > 0)
		p->ocsp_response_lifetime = (int)v;
	if (cfg_get_int(ctx, g, "cert_revoke_responder_timeout", 1, 300, &v) > 0)
		p->responder_timeout = (int)v;
	cfg_get_bool(ctx, g, "ignore_cert_revoke_responder_timeout",
	             &p->ignore_responder_timeout);
}

static void parse_file(cfg_ctx_t *ctx, const config_setting_t *at,
                       const char *name, const char *path, cert_policy_t *p,
                       char **fetch_file, int *fetch_line)
{
	lc_config_t lc;
	FILE *f = fopen(path, "r");

	if (!f) {
		cfg_error(ctx, at, "validation_policy_file \"%s\": cannot read: %s",
		          name, strerror(errno));
		return;
	}
	fclose(f);
	config_init(&lc);
	if (!config_read_file(&lc, path)) {
		cfg_error_at(ctx, config_error_file(&lc) ? config_error_file(&lc) :
		             path, config_error_line(&lc), "%s",
		             cfg_syntax_message(config_error_text(&lc)));
	} else {
		parse_group(ctx, config_root_setting(&lc), "the validation policy",
		            p);
		find_fetch(config_root_setting(&lc), path, p, fetch_file,
		           fetch_line);
	}
	config_destroy(&lc);
}

void cfg_validation_parse(cfg_ctx_t *ctx, const config_setting_t *root,
                          const char *dir, cert_policy_t *policy,
                          char **fetch_file, int *fetch_line)
{
	const config_setting_t *g = config_setting_get_member(root, "validation");
	const config_setting_t *f = config_setting_get_member(root,
	                                                      "validation_policy_file");
	const char *s;

	cert_policy_default(policy);
	*fetch_file = NULL;
	*fetch_line = 0;
	if (g && f) {
		cfg_error(ctx, f, "give either a 'validation' group or "
		          "validation_policy_file, not both");
		return;
	}
	if (g) {
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			cfg_error(ctx, g, "'validation' must be a group { ... }, "
			          "not %s", cfg_type_name(config_setting_type(g)));
			return;
		}
		parse_group(ctx, g, "validation", policy);
		find_fetch(g, ctx->file, policy, fetch_file, fetch_line);
	} else if (cfg_get_str(ctx, root, "validation_policy_file", false,
	                       &s) > 0) {
		char *path;

		if (s[0] == '/')
			path = xstrdup(s);
		else if (asprintf(&path, "%s/%s", dir, s) < 0)
			abort();
		parse_file(ctx, f, s, path, policy, fetch_file, fetch_line);
		free(path);
	}
}
