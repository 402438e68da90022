/*
 * cfg_rules.h - the rules list, the global IKE defaults rules inherit, and
 * the CHILD SA settings children inherit from their rule.
 *
 * Inheritance: built-in default < top level of ikev2.config < rule <
 * childsa entry.  ikesa_xform, ikesa_lifetime_secs and dpd_interval are
 * rule settings; esp_xform, mode, childsa_pfs, childsa_lifetime_secs,
 * childsa_softlife_secs, childsa_lifetime_kb, childsa_softlife_kb and
 * replay_window, mark_in, mark_out, if_id_in and if_id_out are CHILD SA
 * settings, valid at all three levels.
 */
#ifndef IKEV2D_CONFIG_CFG_RULES_H
#define IKEV2D_CONFIG_CFG_RULES_H

#include "config/config.h"
#include "config/cfg_ctx.h"

/* Defaults one level passes down to the next. */
typedef struct {
	proposal_cfg_t *ike; int n_ike;
	uint32_t ikesa_lifetime_secs;
	uint32_t dpd_interval_secs;
	child_cfg_t child;           /* esp, mode, pfs, lifetimes, replay */
	bool softlife_secs_set;      /* else 90% of the lifetime */
	bool softlife_kb_set;
} cfg_defaults_t;

/* Where each parsed rule came from, and whether it had errors. */
typedef struct {
	const char *file;
	int line;
	bool bad;
} rule_meta_t;

/* Built-in defaults (free with cfg_defaults_free). */
void cfg_defaults_init(cfg_defaults_t *d);
void cfg_defaults_free(cfg_defaults_t *d);

/* Read the inheritable keywords of group g over *d: with_ike for the top
 * level of the file and a rule (also ikesa_xform, ikesa_lifetime_secs,
 * dpd_interval), without for a childsa entry.  Returns false if any was
 * wrong (reported). */
bool cfg_defaults_parse(cfg_ctx_t *ctx, const config_setting_t *g,
                        cfg_defaults_t *d, bool with_ike);

/* Parse the 'rules' list of the root into cfg->rules and meta (same
 * length).  Returns false only for errors outside a rule. */
bool cfg_rules_parse(cfg_ctx_t *ctx, const config_setting_t *root,
                     const cfg_defaults_t *globals, config_t *cfg,
                     rule_meta_t **meta);

/* Keywords valid at the top level and in a rule that are inheritable
 * defaults (for unknown-keyword checks). */
extern const char *const cfg_child_default_keys[];

void rule_free(rule_t *r);

/* on_demand rules whose CHILD SAs would need the same trap policy (one
 * selector pair) are errors: reported with both rules' file:line, counted,
 * the later rule marked bad (cfg_on_demand.c). */
void cfg_check_on_demand(cfg_ctx_t *ctx, config_t *cfg, rule_meta_t *meta);

/* Rules by label in O(1), so files with many rules load in linear time.
 * Open addressing over indexes into the rules array (first rule with a
 * label wins). */
typedef struct {
	int *slots;     /* rule index + 1; 0 = empty */
	size_t mask;    /* capacity - 1 */
} label_index_t;

void label_index_init(label_index_t *ix, int n_rules);
/* Index of the rule with this label, or -1. */
int label_index_find(const label_index_t *ix, const rule_t *rules,
                     const char *label);
/* Add rule i (its label must not be indexed yet). */
void label_index_add(label_index_t *ix, const rule_t *rules, int i);
void label_index_free(label_index_t *ix);

#endif
