/*
 * cfg_on_demand.c - on_demand rules get one outbound trap policy per pair
 * of their CHILD SA selectors (core/exchange/trap.c), and the kernel holds
 * one policy per selector pair (and mark and interface ID: mark_out,
 * if_id_out): two on_demand CHILD SAs with the same pair
 * could never both be started, so the file is refused (file:line of both).
 * The sides are computed as trap.c does: the childsa's local_ts/remote_ts,
 * else the rule's local_addr/remote_addr when it is one address, prefix
 * or range, else any address of the peer's family.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>

#include "config/cfg_rules.h"

typedef struct {
	ts_cfg_t local, remote;
	int rule, child;
} trap_pair_t;

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void side(const ts_cfg_t *ts, int n_ts, const addr_range_t *addrs,
                 int n_addrs, int family, ts_cfg_t **out, int *n)
{
	if (n_ts) {
		*out = xmalloc(sizeof(ts_cfg_t) * (size_t)n_ts);
		memcpy(*out, ts, sizeof(ts_cfg_t) * (size_t)n_ts);
		*n = n_ts;
		return;
	}
	*out = xzalloc(sizeof(ts_cfg_t));
	*n = 1;
	(*out)->port_hi = 65535;
	if (n_addrs == 1) {
		(*out)->addr = addrs[0];
	} else {
		(*out)->addr.family = family;
		memset((*out)->addr.hi, 0xff, alen(family));
	}
}

static bool ts_same(const ts_cfg_t *a, const ts_cfg_t *b)
{
	return a->addr.family == b->addr.family && a->proto == b->proto &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       memcmp(a->addr.lo, b->addr.lo, alen(a->addr.family)) == 0 &&
	       memcmp(a->addr.hi, b->addr.hi, alen(a->addr.family)) == 0;
}

static char *ts_str(const ts_cfg_t *t, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int n;

	inet_ntop(t->addr.family, t->addr.lo, lo, sizeof(lo));
	inet_ntop(t->addr.family, t->addr.hi, hi, sizeof(hi));
	if (strcmp(lo, hi) == 0)
		n = snprintf(buf, len, "%s", lo);
	else
		n = snprintf(buf, len, "%s-%s", lo, hi);
	if (n >= 0 && (size_t)n < len && (t->proto || t->port_lo || t->port_hi != 65535))
		snprintf(buf + n, len - (size_t)n, "[%u/%u-%u]", t->proto,
		         t->port_lo, t->port_hi);
	return buf;
}

void cfg_check_on_demand(cfg_ctx_t *ctx, config_t *cfg, rule_meta_t *meta)
{
	trap_pair_t *pairs = NULL;
	size_t n = 0, cap = 0;

	for (int i = 0; i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (meta[i].bad || !r->on_demand || r->n_remote_addr != 1)
			continue;
		int family = r->remote_addr[0].family;
		for (int c = 0; c < r->n_child; c++) {
			const child_cfg_t *cc = &r->child[c];
			ts_cfg_t *l, *rt;
			int n_l, n_r;
			side(cc->local_ts, cc->n_local_ts, r->local_addr,
			     r->n_local_addr, family, &l, &n_l);
			side(cc->remote_ts, cc->n_remote_ts, r->remote_addr,
			     r->n_remote_addr, family, &rt, &n_r);
			for (int a = 0; a < n_l; a++)
				for (int b = 0; b < n_r; b++) {
					if (l[a].addr.family != rt[b].addr.family)
						continue;
					if (n == cap) {
						cap = cap ? cap * 2 : 16;
						pairs = xrealloc(pairs, cap * sizeof(*pairs));
					}
					pairs[n++] = (trap_pair_t){ l[a], rt[b], i, c };
				}
			free(l);
			free(rt);
		}
	}
	for (size_t j = 1; j < n; j++)
		for (size_t k = 0; k < j; k++) {
			const trap_pair_t *p = &pairs[j], *q = &pairs[k];
			if (!ts_same(&p->local, &q->local) || !ts_same(&p->remote, &q->remote))
				continue;
			/* another mark or interface ID: another kernel policy */
			const child_cfg_t *pc = &cfg->rules[p->rule].child[p->child];
			const child_cfg_t *qc = &cfg->rules[q->rule].child[q->child];
			if (pc->mark_out.value != qc->mark_out.value ||
			    pc->mark_out.mask != qc->mark_out.mask ||
			    pc->if_id_out != qc->if_id_out)
				continue;
			char a[128], b[128];
			ts_str(&p->local, a, sizeof(a));
			ts_str(&p->remote, b, sizeof(b));
			ctx->errors++;
			meta[p->rule].bad = true;
			if (p->rule == q->rule)
				log_error(DBG_CONFIG, "%s:%d: rule '%s' is on_demand and "
				          "its childsa entries %d and %d both protect "
				          "%s === %s: the kernel holds one trap policy "
				          "per selector pair", meta[p->rule].file,
				          meta[p->rule].line, cfg->rules[p->rule].label,
				          q->child + 1, p->child + 1, a, b);
			else
				log_error(DBG_CONFIG, "%s:%d: rule '%s' is on_demand for "
				          "%s === %s like rule '%s' (%s:%d): the kernel "
				          "holds one trap policy per selector pair",
				          meta[p->rule].file, meta[p->rule].line,
				          cfg->rules[p->rule].label, a, b,
				          cfg->rules[q->rule].label, meta[q->rule].file,
				          meta[q->rule].line);
			break;   /* once per pair */
		}
	free(pairs);
}
