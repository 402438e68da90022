/*
 * ts.h - traffic selectors: from the configuration, narrowing (RFC 7296
 * §2.9) and checks of what a responder returned.
 */
#ifndef IKEV2D_EXCHANGE_TS_H
#define IKEV2D_EXCHANGE_TS_H

#include <stdbool.h>
#include <sys/socket.h>

#include "codec/payload.h"
#include "config/config.h"

/* The selectors of one side of a child config; a side with none configured
 * is the IKE SA's address on that side (host).  Writes at most max, returns
 * how many. */
int ts_from_cfg(const ts_cfg_t *cfg, int n_cfg,
                const struct sockaddr_storage *host, ts_t *out, int max);

/* Intersection of two selectors; false if empty (or different families). */
bool ts_intersect(const ts_t *a, const ts_t *b, ts_t *out);

/* Narrow: every non-empty intersection of a peer selector with one of ours,
 * without duplicates.  Returns the count (0: TS_UNACCEPTABLE), or -1 when
 * there are more than max (never a silent cut). */
int ts_narrow(const ts_t *theirs, int n_theirs, const ts_t *ours, int n_ours,
              ts_t *out, int max);

/* Whether every selector of 'sub' lies within some selector of 'super'
 * (an initiator checks the responder's narrowed answer). */
bool ts_subset(const ts_t *sub, int n_sub, const ts_t *super, int n_super);

/* "10.1.0.0-10.1.255.255[proto/ports]" into buf (>= TS_STRLEN). */
#define TS_STRLEN 112
char *ts_to_str(const ts_t *ts, char *buf, size_t len);
/* All of a list, space separated, truncated to len. */
char *ts_list_to_str(const ts_t *ts, int n, char *buf, size_t len);

#endif
