/*
 * ctl_stats.c - statistics: engine totals (atomics in the engine), the
 * current IKE SAs by role and the half-open ones per rule (a scan of the
 * SA table, copying one SA at a time), and the per-rule counters
 * (exchange/rule_stats.h).
 */
#include "ctl_stats.h"

#include <ikev2d/fetcher.h>
#include <ikev2d/runtime.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/payload.h"
#include "exchange/engine_ctl.h"

#define MAX_RULES_SHOWN 4096

typedef struct {
	char label[RULE_STATS_LABEL_MAX];
	unsigned current, half_open;
	const rule_stats_t *rs;
} rule_row_t;

typedef struct {
	rule_row_t *rows;
	int n, cap;
} rows_t;

static rule_row_t *row_for(rows_t *r, const char *label)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->rows[i].label, label) == 0)
			return &r->rows[i];
	if (r->n >= MAX_RULES_SHOWN)
		return NULL;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->rows = xrealloc(r->rows, sizeof(*r->rows) * (size_t)r->cap);
	}
	rule_row_t *row = &r->rows[r->n++];
	memset(row, 0, sizeof(*row));
	snprintf(row->label, sizeof(row->label), "%s", label);
	return row;
}

static void add_rs(const rule_stats_t *rs, void *ctx)
{
	rule_row_t *row = row_for(ctx, rs->label);
	if (row)
		row->rs = rs;
}

static uint64_t C(const rule_row_t *row, rule_counter_t c)
{
	return row->rs ? atomic_load_explicit(&((rule_stats_t *)row->rs)->c[c],
	                                      memory_order_relaxed) : 0;
}

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(((const rule_row_t *)a)->label, ((const rule_row_t *)b)->label);
}

/* Failure reasons of a row: calls fn(name, count) for each non-zero. */
static void reasons(const rule_row_t *row,
                    void (*fn)(const char *name, uint64_t n, void *ctx), void *ctx)
{
	uint64_t v;
	if ((v = C(row, RS_FAILED_NO_RESPONSE)))
		fn("no_response", v, ctx);
	if ((v = C(row, RS_FAILED_OTHER)))
		fn("other", v, ctx);
	if (!row->rs)
		return;
	rule_stats_t *rs = (rule_stats_t *)row->rs;
	for (int i = 0; i < RULE_STATS_REASONS; i++) {
		unsigned t = atomic_load(&rs->failed[i].type);
		uint64_t n = atomic_load(&rs->failed[i].count);
		if (t && n) {
			char num[24];
			const char *name = notify_type_name((uint16_t)t);
			if (!name) {
				snprintf(num, sizeof(num), "notify_%u", t);
				name = num;
			}
			fn(name, n, ctx);
		}
	}
	if ((v = atomic_load(&rs->failed_notify_other)))
		fn("other_notify", v, ctx);
}

typedef struct {
	sbuf_t *b;
	stats_format_t fmt;
	const char *label;
	bool first;
	uint64_t total;
} reason_ctx_t;

static void reason_out(const char *name, uint64_t n, void *arg)
{
	reason_ctx_t *r = arg;
	r->total += n;
	switch (r->fmt) {
	case STATS_TEXT:
		sb_printf(r->b, "%s%s %" PRIu64, r->first ? "" : ", ", name, n);
		break;
	case STATS_JSON:
		sb_printf(r->b, "%s", r->first ? "" : ", ");
		sb_json_str(r->b, name);
		sb_printf(r->b, ": %" PRIu64, n);
		break;
	case STATS_PROMETHEUS:
		sb_printf(r->b, "ikev2d_rule_failed_total{rule=");
		sb_prom_str(r->b, r->label);
		sb_printf(r->b, ",reason=");
		sb_prom_str(r->b, name);
		sb_printf(r->b, "} %" PRIu64 "\n", n);
		break;
	}
	r->first = false;
}

static void prom(sbuf_t *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

bool ctl_stats_render(sbuf_t *b, stats_format_t fmt, const char *label,
                      const char **why)
{
	engine_t *e = engine_ctl_hold();
	if (!e) {
		*why = "the IKE engine is not running";
		return false;
	}
	engine_ctl_stats_t st;
	engine_ctl_stats(e, &st);
	rows_t rows = { 0 };
	rule_stats_foreach(e, add_rs, &rows);
	unsigned cur_init = 0, cur_resp = 0;
	uint64_t *h = NULL;
	size_t n = engine_ctl_list(e, &h);
	for (size_t i = 0; i < n; i++) {
		engine_ike_info_t info;
		if (!engine_ctl_ike(e, h[i], &info, NULL, 0))
			continue;
		rule_row_t *row = row_for(&rows, info.rule);
		if (info.established) {
			if (info.initiator)
				cur_init++;
			else
				cur_resp++;
			if (row)
				row->current++;
		} else if (info.half_open && row) {
			row->half_open++;
		}
	}
	free(h);
	/* the configured rules, even those with nothing counted yet */
	config_t *cfg = config_current();
	for (int i = 0; cfg && i < cfg->n_rules; i++)
		row_for(&rows, cfg->rules[i].label);
	bool known = !label;
	for (int i = 0; !known && cfg && i < cfg->n_rules; i++)
		known = strcmp(cfg->rules[i].label, label) == 0;
	for (int i = 0; !known && i < rows.n; i++)
		known = strcmp(rows.rows[i].label, label) == 0 && rows.rows[i].rs;
	if (cfg)
		config_unref(cfg);
	if (!known) {
		engine_ctl_release();
		free(rows.rows);
		*why = "no such rule";
		return false;
	}
	qsort(rows.rows, (size_t)rows.n, sizeof(*rows.rows), cmp_rows);

	const engine_stats_t *s = &st.base;
	uint64_t init_fail = st.init_fail_no_response + st.init_fail_peer;
	switch (fmt) {
	case STATS_TEXT:
		if (!label) {
			sb_printf(b, "IKE SA counts:\n");
			sb_printf(b, "  Current:         initiator %u, responder %u "
			          "(half-open %u, in the table %u)\n", cur_init, cur_resp,
			          s->half_open, s->ike_sas);
			sb_printf(b, "  Established:     initiator %" PRIu64 ", responder %"
			          PRIu64 " (since start)\n", st.init_established,
			          st.resp_established);
			sb_printf(b, "  Attempted:       initiator %" PRIu64 ", responder %"
			          PRIu64 " (failures included)\n", st.init_attempts,
			          st.resp_attempts);
			sb_printf(b, "  Failed:          initiator %" PRIu64 " (no response %"
			          PRIu64 ", peer responded %" PRIu64 "), responder %" PRIu64
			          "\n", init_fail, st.init_fail_no_response,
			          st.init_fail_peer, st.resp_fail);
			sb_printf(b, "  Rekeyed:         IKE SAs %" PRIu64 ", CHILD SAs %"
			          PRIu64 "\n", s->ike_rekeyed_total, s->child_rekeyed_total);
			sb_printf(b, "  CHILD SAs:       %" PRIu64 " installed (rekeys "
			          "included)\n", s->child_established_total);
			sb_printf(b, "  Cookies sent:    %" PRIu64 "\n", s->cookies_sent);
			sb_printf(b, "  Dropped:         %" PRIu64 " invalid messages\n",
			          s->dropped);
			sb_printf(b, "  Waiting:         %u IKE_AUTH%s for a revocation "
			          "answer, %u fetch%s running\n", s->auth_waiting,
			          s->auth_waiting == 1 ? "" : "s", fetcher_active(),
			          fetcher_active() == 1 ? "" : "es");
			sb_printf(b, "  Workers:         %d (%d busy, %d blocked in a "
			          "fetch)\n", runtime_threads(), runtime_busy_threads(),
			          runtime_blocked_threads());
		}
		for (int i = 0; i < rows.n; i++) {
			const rule_row_t *r = &rows.rows[i];
			if (label && strcmp(r->label, label))
				continue;
			sb_printf(b, "Rule '%s':\n", r->label);
			sb_printf(b, "  current %u, half-open %u, established %" PRIu64
			          ", IKE rekeys %" PRIu64 ", CHILD rekeys %" PRIu64 "\n",
			          r->current, r->half_open, C(r, RS_ESTABLISHED),
			          C(r, RS_IKE_REKEYS), C(r, RS_CHILD_REKEYS));
			sb_printf(b, "  retransmits %" PRIu64 ", DPD deaths %" PRIu64
			          ", cookies sent %" PRIu64 "\n", C(r, RS_RETRANSMITS),
			          C(r, RS_DPD_DEATHS), C(r, RS_COOKIES_SENT));
			sb_printf(b, "  failed: ");
			reason_ctx_t rc = { b, fmt, r->label, true, 0 };
			reasons(r, reason_out, &rc);
			sb_printf(b, "%s\n", rc.first ? "none" : "");
		}
		break;
	case STATS_JSON:
		sb_printf(b, "{");
		if (!label) {
			sb_printf(b, "\"ike_sas\": {\"current_initiator\": %u, "
			          "\"current_responder\": %u, \"half_open\": %u, \"in_table\": %u, "
			          "\"established_initiator\": %" PRIu64 ", "
			          "\"established_responder\": %" PRIu64 ", "
			          "\"attempts_initiator\": %" PRIu64 ", "
			          "\"attempts_responder\": %" PRIu64 ", "
			          "\"failed_initiator\": %" PRIu64 ", "
			          "\"failed_initiator_no_response\": %" PRIu64 ", "
			          "\"failed_initiator_peer_responded\": %" PRIu64 ", "
			          "\"failed_responder\": %" PRIu64 ", "
			          "\"rekeyed\": %" PRIu64 "}, ",
			          cur_init, cur_resp, s->half_open, s->ike_sas,
			          st.init_established, st.resp_established, st.init_attempts,
			          st.resp_attempts, init_fail, st.init_fail_no_response,
			          st.init_fail_peer, st.resp_fail, s->ike_rekeyed_total);
			sb_printf(b, "\"child_sas\": {\"installed\": %" PRIu64 ", \"rekeyed\": %"
			          PRIu64 "}, \"cookies_sent\": %" PRIu64 ", \"dropped\": %"
			          PRIu64 ", ", s->child_established_total,
			          s->child_rekeyed_total, s->cookies_sent, s->dropped);
			sb_printf(b, "\"auth_waiting\": %u, \"fetches_running\": %u, "
			          "\"workers\": {\"threads\": %d, \"busy\": %d, "
			          "\"blocked\": %d}, ", s->auth_waiting, fetcher_active(),
			          runtime_threads(), runtime_busy_threads(),
			          runtime_blocked_threads());
		}
		sb_printf(b, "\"rules\": [");
		bool first = true;
		for (int i = 0; i < rows.n; i++) {
			const rule_row_t *r = &rows.rows[i];
			if (label && strcmp(r->label, label))
				continue;
			sb_printf(b, "%s{\"rule\": ", first ? "" : ", ");
			first = false;
			sb_json_str(b, r->label);
			sb_printf(b, ", \"current\": %u, \"half_open\": %u, \"established\": %"
			          PRIu64 ", \"ike_rekeys\": %" PRIu64 ", \"child_rekeys\": %"
			          PRIu64 ", \"retransmits\": %" PRIu64 ", \"dpd_deaths\": %"
			          PRIu64 ", \"cookies_sent\": %" PRIu64 ", \"failed\": {",
			          r->current, r->half_open, C(r, RS_ESTABLISHED),
			          C(r, RS_IKE_REKEYS), C(r, RS_CHILD_REKEYS),
			          C(r, RS_RETRANSMITS), C(r, RS_DPD_DEATHS),
			          C(r, RS_COOKIES_SENT));
			reason_ctx_t rc = { b, fmt, r->label, true, 0 };
			reasons(r, reason_out, &rc);
			sb_printf(b, "}}");
		}
		sb_printf(b, "]}\n");
		break;
	case STATS_PROMETHEUS:
		prom(b, "ikev2d_ike_sas", "gauge", "Established IKE SAs now, by our role.");
		sb_printf(b, "ikev2d_ike_sas{role=\"initiator\"} %u\n", cur_init);
		sb_printf(b, "ikev2d_ike_sas{role=\"responder\"} %u\n", cur_resp);
		prom(b, "ikev2d_ike_sas_half_open", "gauge", "Responder IKE SAs not yet authenticated.");
		sb_printf(b, "ikev2d_ike_sas_half_open %u\n", s->half_open);
		prom(b, "ikev2d_ike_established_total", "counter", "IKE SAs established since start.");
		sb_printf(b, "ikev2d_ike_established_total{role=\"initiator\"} %" PRIu64 "\n",
		          st.init_established);
		sb_printf(b, "ikev2d_ike_established_total{role=\"responder\"} %" PRIu64 "\n",
		          st.resp_established);
		prom(b, "ikev2d_ike_attempts_total", "counter", "IKE SA attempts, failures included.");
		sb_printf(b, "ikev2d_ike_attempts_total{role=\"initiator\"} %" PRIu64 "\n",
		          st.init_attempts);
		sb_printf(b, "ikev2d_ike_attempts_total{role=\"responder\"} %" PRIu64 "\n",
		          st.resp_attempts);
		prom(b, "ikev2d_ike_failed_total", "counter", "IKE SA handshakes that failed.");
		sb_printf(b, "ikev2d_ike_failed_total{role=\"initiator\",reason=\"no_response\"} %"
		          PRIu64 "\n", st.init_fail_no_response);
		sb_printf(b, "ikev2d_ike_failed_total{role=\"initiator\",reason=\"peer_responded\"} %"
		          PRIu64 "\n", st.init_fail_peer);
		sb_printf(b, "ikev2d_ike_failed_total{role=\"responder\",reason=\"any\"} %"
		          PRIu64 "\n", st.resp_fail);
		prom(b, "ikev2d_ike_rekeyed_total", "counter", "IKE SA rekeys.");
		sb_printf(b, "ikev2d_ike_rekeyed_total %" PRIu64 "\n", s->ike_rekeyed_total);
		prom(b, "ikev2d_child_installed_total", "counter", "CHILD SAs installed, rekeys included.");
		sb_printf(b, "ikev2d_child_installed_total %" PRIu64 "\n", s->child_established_total);
		prom(b, "ikev2d_child_rekeyed_total", "counter", "CHILD SA rekeys.");
		sb_printf(b, "ikev2d_child_rekeyed_total %" PRIu64 "\n", s->child_rekeyed_total);
		prom(b, "ikev2d_cookies_sent_total", "counter", "COOKIE notifies sent.");
		sb_printf(b, "ikev2d_cookies_sent_total %" PRIu64 "\n", s->cookies_sent);
		prom(b, "ikev2d_dropped_total", "counter", "IKE messages dropped as invalid.");
		sb_printf(b, "ikev2d_dropped_total %" PRIu64 "\n", s->dropped);
		static const struct { rule_counter_t c; const char *name, *help; } rc[] = {
			{ RS_ESTABLISHED, "ikev2d_rule_established_total", "IKE SAs established, per rule." },
			{ RS_IKE_REKEYS, "ikev2d_rule_ike_rekeys_total", "IKE SA rekeys, per rule." },
			{ RS_CHILD_REKEYS, "ikev2d_rule_child_rekeys_total", "CHILD SA rekeys, per rule." },
			{ RS_RETRANSMITS, "ikev2d_rule_retransmits_total", "Requests retransmitted, per rule." },
			{ RS_DPD_DEATHS, "ikev2d_rule_dpd_deaths_total", "Established IKE SAs whose peer stopped answering, per rule." },
			{ RS_COOKIES_SENT, "ikev2d_rule_cookies_sent_total", "COOKIEs demanded, per rule." },
		};
		for (size_t k = 0; k < sizeof(rc) / sizeof(rc[0]); k++) {
			prom(b, rc[k].name, "counter", rc[k].help);
			for (int i = 0; i < rows.n; i++) {
				sb_printf(b, "%s{rule=", rc[k].name);
				sb_prom_str(b, rows.rows[i].label);
				sb_printf(b, "} %" PRIu64 "\n", C(&rows.rows[i], rc[k].c));
			}
		}
		prom(b, "ikev2d_rule_ike_sas", "gauge", "Established IKE SAs now, per rule.");
		for (int i = 0; i < rows.n; i++) {
			sb_printf(b, "ikev2d_rule_ike_sas{rule=");
			sb_prom_str(b, rows.rows[i].label);
			sb_printf(b, "} %u\n", rows.rows[i].current);
		}
		prom(b, "ikev2d_rule_half_open", "gauge", "Half-open IKE SAs now, per rule.");
		for (int i = 0; i < rows.n; i++) {
			sb_printf(b, "ikev2d_rule_half_open{rule=");
			sb_prom_str(b, rows.rows[i].label);
			sb_printf(b, "} %u\n", rows.rows[i].half_open);
		}
		prom(b, "ikev2d_rule_failed_total", "counter", "Failed IKE SA handshakes, per rule and reason (notify type).");
		for (int i = 0; i < rows.n; i++) {
			reason_ctx_t r = { b, fmt, rows.rows[i].label, true, 0 };
			reasons(&rows.rows[i], reason_out, &r);
		}
		break;
	}
	engine_ctl_release();
	free(rows.rows);
	return true;
}
