/*
 * ctl_stats.h - the statistics of `ikeadm get stats` and of the metrics
 * endpoint, from one snapshot of the engine's counters.
 */
#ifndef IKEV2D_CTL_STATS_H
#define IKEV2D_CTL_STATS_H

#include <stdbool.h>

#include "ctl_out.h"

typedef enum {
	STATS_TEXT,
	STATS_JSON,
	STATS_PROMETHEUS,
} stats_format_t;

/* Render the statistics (only rule 'label' when not NULL); false when
 * the engine is not running or the rule is unknown (*why set). */
bool ctl_stats_render(sbuf_t *b, stats_format_t fmt, const char *label,
                      const char **why);

#endif
