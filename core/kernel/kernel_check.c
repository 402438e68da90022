/*
 * kernel_check.c - puts each CHILD SA's possible transforms to the kernel
 * backend's can_install (see kernel_check.h).
 */
#include "kernel/kernel_check.h"

#include <stdio.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>

/* Distinct reasons already reported for one CHILD SA (a proposal with four
 * ciphers and three MACs asks twelve times; one AEAD is one message). */
#define MAX_REASONS 16

typedef struct {
	char why[MAX_REASONS][320];
	int n;
} reasons_t;

static bool seen(reasons_t *r, const char *why)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->why[i], why) == 0)
			return true;
	if (r->n < MAX_REASONS)
		snprintf(r->why[r->n++], sizeof(r->why[0]), "%s", why);
	return false;
}

static int check_one(const config_t *cfg, const rule_t *rule, int ci,
                     const child_cfg_t *cc, kernel_sa_t *sa,
                     const cfg_src_t *at, reasons_t *r)
{
	char why[320];

	if (kernel_can_install(sa, why, sizeof(why))) {
		/* installable as far as the backend can tell now, with a
		 * reason to worry (a kernel without ESP lacking an
		 * algorithm, say) */
		if (why[0] && !seen(r, why))
			log_op(DBG_CONFIG, "%s:%d: warning: rule '%s' childsa %d: %s "
			       "(kernel backend %s)", at->file ? at->file : cfg->path,
			       at->line, rule->label ? rule->label : "(no label)", ci + 1,
			       why, kernel_ipsec_name() ? kernel_ipsec_name() : "?");
		return 0;
	}
	if (!why[0])
		snprintf(why, sizeof(why), "the kernel backend cannot install it");
	if (seen(r, why))
		return 0;
	(void)cc;
	log_error(DBG_CONFIG, "%s:%d: rule '%s' childsa %d: %s (kernel "
	          "backend %s)", at->file ? at->file : cfg->path, at->line,
	          rule->label ? rule->label : "(no label)", ci + 1, why,
	          kernel_ipsec_name() ? kernel_ipsec_name() : "?");
	return 1;
}

static void ts_to_kernel(const ts_cfg_t *t, kernel_ts_t *k)
{
	memset(k, 0, sizeof(*k));
	k->family = t->addr.family;
	memcpy(k->from, t->addr.lo, sizeof(k->from));
	memcpy(k->to, t->addr.hi, sizeof(k->to));
	k->proto = t->proto;
	k->port_from = t->port_lo;
	k->port_to = t->port_hi;
}

/* Put each local_ts / remote_ts to can_install (in src_ts / dst_ts of an
 * SA the backend accepts otherwise). */
static int check_selectors(const config_t *cfg, const rule_t *rule, int ci,
                           const kernel_sa_t *good)
{
	const child_cfg_t *cc = &rule->child[ci];
	int errors = 0;

	for (int side = 0; side < 2; side++) {
		const ts_cfg_t *list = side ? cc->remote_ts : cc->local_ts;
		int n = side ? cc->n_remote_ts : cc->n_local_ts;
		for (int i = 0; i < n; i++) {
			kernel_sa_t sa = *good;
			char why[320], ts[KERNEL_TS_STRLEN];
			kernel_ts_t *k = side ? &sa.dst_ts : &sa.src_ts;

			ts_to_kernel(&list[i], k);
			why[0] = '\0';
			if (kernel_can_install(&sa, why, sizeof(why)))
				continue;
			log_error(DBG_CONFIG, "%s:%d: rule '%s' childsa %d: %s %s: %s "
			          "(kernel backend %s)",
			          cc->src.file ? cc->src.file : cfg->path, cc->src.line,
			          rule->label ? rule->label : "(no label)", ci + 1,
			          side ? "remote_ts" : "local_ts",
			          kernel_ts_to_str(k, ts, sizeof(ts)),
			          why[0] ? why : "the kernel backend cannot install it",
			          kernel_ipsec_name() ? kernel_ipsec_name() : "?");
			errors++;
		}
	}
	return errors;
}

static int check_child(const config_t *cfg, const rule_t *rule, int ci)
{
	const child_cfg_t *cc = &rule->child[ci];
	const cfg_src_t *esp_at = cc->esp_src.line ? &cc->esp_src : &cc->src;
	const cfg_src_t *replay_at = cc->replay_src.line ? &cc->replay_src : &cc->src;
	reasons_t r = { .n = 0 };
	int errors = 0;
	kernel_sa_t sa = {
		.id.protocol = KERNEL_PROTO_ESP,
		.mode = cc->mode == MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT
		                                   : KERNEL_MODE_TUNNEL,
	};
	kernel_sa_t good = { .encr_alg = 0 };

	for (int p = 0; p < cc->n_esp; p++) {
		const proposal_cfg_t *prop = &cc->esp[p];
		int n_integ = prop->n_integ ? prop->n_integ : 1;
		int n_esn = prop->n_esn ? prop->n_esn : 1;
		for (int e = 0; e < prop->n_encr; e++)
			for (int i = 0; i < n_integ; i++)
				for (int s = 0; s < n_esn; s++) {
					sa.encr_alg = prop->encr[e].id;
					sa.encr_keylen_bits = prop->encr[e].keylen;
					sa.integ_alg = prop->n_integ ? prop->integ[i]
					                             : INTEG_NONE;
					sa.esn = prop->n_esn && prop->esn[s] == ESN_YES;
					int bad = check_one(cfg, rule, ci, cc, &sa,
					                    esp_at, &r);
					errors += bad;
					if (!bad && !good.encr_alg)
						good = sa;
				}
	}
	/* Each configured selector on its own, with a combination the
	 * backend took (PF_KEY has no port ranges, say). */
	if (good.encr_alg)
		errors += check_selectors(cfg, rule, ci, &good);
	/* The replay window on its own, with a combination the backend
	 * took: only a window the file asked for (a default the backend
	 * cannot give is the backend's to bound, as its man page says). */
	if (cc->replay_src.line && good.encr_alg) {
		good.replay_window = cc->replay_window;
		errors += check_one(cfg, rule, ci, cc, &good, replay_at, &r);
		good.replay_window = 0;
	}
	/* Marks and interface IDs, each direction with its own, with a
	 * combination the backend took (PF_KEY and the userspace engine
	 * have neither). */
	for (int k = 0; good.encr_alg && k < 4; k++) {
		kernel_sa_t x = good;
		bool in = k == CFG_XFRM_MARK_IN || k == CFG_XFRM_IF_ID_IN;
		x.dir = in ? KERNEL_DIR_IN : KERNEL_DIR_OUT;
		if (k == CFG_XFRM_MARK_IN || k == CFG_XFRM_MARK_OUT)
			x.id.mark = in ? cc->mark_in : cc->mark_out;
		else
			x.if_id = in ? cc->if_id_in : cc->if_id_out;
		if (!x.id.mark.mask && !x.if_id)
			continue;
		const cfg_src_t *at = cc->xfrm_src[k].line ? &cc->xfrm_src[k] : &cc->src;
		errors += check_one(cfg, rule, ci, cc, &x, at, &r);
	}
	return errors;
}

int kernel_check_config(const config_t *cfg)
{
	int errors = 0;

	if (!cfg || !kernel_ipsec_name())
		return 0;
	for (int i = 0; i < cfg->n_rules; i++)
		for (int c = 0; c < cfg->rules[i].n_child; c++)
			errors += check_child(cfg, &cfg->rules[i], c);
	return errors;
}
