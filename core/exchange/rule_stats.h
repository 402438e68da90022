/*
 * rule_stats.h - per-rule counters for `ikeadm get stats` and the metrics
 * endpoint: established, failed (by notify), rekeys, retransmits, DPD
 * deaths, cookies sent.
 *
 * Counted on the hot path, so nothing here takes a lock: the counters of
 * a rule label live in a fixed open-addressing table whose slots are
 * filled once with a compare-and-swap and never emptied while the engine
 * lives (a reload that drops a rule keeps its totals; a rule that comes
 * back counts on).  Counters are relaxed atomics.
 *
 * Owner: core/exchange ("control").
 */
#ifndef IKEV2D_EXCHANGE_RULE_STATS_H
#define IKEV2D_EXCHANGE_RULE_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

typedef struct engine engine_t;

/* Slots of the table; labels past this many are counted under "-". */
#define RULE_STATS_SLOTS 1024
/* Distinct notify types remembered per rule (then "other"). */
#define RULE_STATS_REASONS 8
#define RULE_STATS_LABEL_MAX 128

typedef enum {
	RS_ESTABLISHED,
	RS_IKE_REKEYS,
	RS_CHILD_REKEYS,
	RS_RETRANSMITS,
	RS_DPD_DEATHS,
	RS_COOKIES_SENT,
	RS_FAILED_NO_RESPONSE,    /* the peer never answered */
	RS_FAILED_OTHER,          /* failed without a notify */
	RS_COUNTERS
} rule_counter_t;

typedef struct {
	char label[RULE_STATS_LABEL_MAX];  /* written before the slot is published */
	atomic_uint_fast64_t c[RS_COUNTERS];
	struct {
		atomic_uint type;          /* notify type; 0 = free slot */
		atomic_uint_fast64_t count;
	} failed[RULE_STATS_REASONS];
	atomic_uint_fast64_t failed_notify_other;  /* reasons past the slots */
} rule_stats_t;

typedef struct {
	_Atomic(rule_stats_t *) slot[RULE_STATS_SLOTS];
} rule_stats_table_t;

/* Count one event for the rule (NULL: nothing is counted). */
void rule_stats_add(engine_t *e, const rule_t *rule, rule_counter_t what);
/* A failed handshake: no response, else by notify (0: other). */
void rule_stats_failed(engine_t *e, const rule_t *rule, bool no_response,
                       uint16_t notify);
/* The counters of a label, or NULL when nothing was counted for it. */
const rule_stats_t *rule_stats_find(engine_t *e, const char *label);
/* Call fn for every label counted so far (any order). */
void rule_stats_foreach(engine_t *e, void (*fn)(const rule_stats_t *rs,
                        void *ctx), void *ctx);
const char *rule_counter_name(rule_counter_t what);
/* Free the table (engine teardown). */
void rule_stats_free(rule_stats_table_t *t);

#endif
