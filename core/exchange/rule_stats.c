/*
 * rule_stats.c - per-rule counters without locks (see rule_stats.h).
 */
#include "exchange/rule_stats.h"
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

static uint32_t label_hash(const char *s)
{
	uint32_t h = 2166136261u;          /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The slot of a label, created on first use.  Another thread may publish
 * the same label at the same time: the loser frees its copy and uses the
 * winner's. */
static rule_stats_t *lookup(rule_stats_table_t *t, const char *label, bool create)
{
	if (!label || strlen(label) >= RULE_STATS_LABEL_MAX)
		label = "-";
	uint32_t h = label_hash(label);
	rule_stats_t *mine = NULL;
	for (unsigned i = 0; i < RULE_STATS_SLOTS; i++) {
		_Atomic(rule_stats_t *) *slot = &t->slot[(h + i) % RULE_STATS_SLOTS];
		rule_stats_t *rs = atomic_load_explicit(slot, memory_order_acquire);
		while (!rs) {
			if (!create)
				return NULL;
			if (!mine) {
				mine = xzalloc(sizeof(*mine));
				strcpy(mine->label, label);
			}
			if (atomic_compare_exchange_strong_explicit(slot, &rs, mine,
			    memory_order_acq_rel, memory_order_acquire))
				return mine;
			/* lost: rs is now the winner's entry */
		}
		if (strcmp(rs->label, label) == 0) {
			free(mine);
			return rs;
		}
	}
	free(mine);
	/* The table is full: count under "-" if that has a slot. */
	return strcmp(label, "-") ? lookup(t, "-", false) : NULL;
}

void rule_stats_add(engine_t *e, const rule_t *rule, rule_counter_t what)
{
	if (!rule || what >= RS_COUNTERS)
		return;
	rule_stats_t *rs = lookup(&e->rule_stats, rule->label, true);
	if (rs)
		atomic_fetch_add_explicit(&rs->c[what], 1, memory_order_relaxed);
}

void rule_stats_failed(engine_t *e, const rule_t *rule, bool no_response,
                       uint16_t notify)
{
	if (!rule)
		return;
	if (no_response || !notify) {
		rule_stats_add(e, rule, no_response ? RS_FAILED_NO_RESPONSE
		                                    : RS_FAILED_OTHER);
		return;
	}
	rule_stats_t *rs = lookup(&e->rule_stats, rule->label, true);
	if (!rs)
		return;
	for (int i = 0; i < RULE_STATS_REASONS; i++) {
		unsigned type = atomic_load_explicit(&rs->failed[i].type,
		                                     memory_order_acquire);
		if (!type) {
			unsigned zero = 0;
			if (atomic_compare_exchange_strong(&rs->failed[i].type,
			                                   &zero, notify))
				type = notify;
			else
				type = zero;
		}
		if (type == notify) {
			atomic_fetch_add_explicit(&rs->failed[i].count, 1,
			                          memory_order_relaxed);
			return;
		}
	}
	atomic_fetch_add_explicit(&rs->failed_notify_other, 1, memory_order_relaxed);
}

const rule_stats_t *rule_stats_find(engine_t *e, const char *label)
{
	return lookup(&e->rule_stats, label, false);
}

void rule_stats_foreach(engine_t *e, void (*fn)(const rule_stats_t *rs, void *ctx),
                        void *ctx)
{
	for (unsigned i = 0; i < RULE_STATS_SLOTS; i++) {
		rule_stats_t *rs = atomic_load_explicit(&e->rule_stats.slot[i],
		                                        memory_order_acquire);
		if (rs)
			fn(rs, ctx);
	}
}

const char *rule_counter_name(rule_counter_t what)
{
	static const char *const names[RS_COUNTERS] = {
		[RS_ESTABLISHED] = "established",
		[RS_IKE_REKEYS] = "ike_rekeys",
		[RS_CHILD_REKEYS] = "child_rekeys",
		[RS_RETRANSMITS] = "retransmits",
		[RS_DPD_DEATHS] = "dpd_deaths",
		[RS_COOKIES_SENT] = "cookies_sent",
		[RS_FAILED_NO_RESPONSE] = "failed_no_response",
		[RS_FAILED_OTHER] = "failed_other",
	};
	return what < RS_COUNTERS ? names[what] : "?";
}

void rule_stats_free(rule_stats_table_t *t)
{
	for (unsigned i = 0; i < RULE_STATS_SLOTS; i++) {
		free(atomic_load(&t->slot[i]));
		atomic_store(&t->slot[i], NULL);
	}
}
