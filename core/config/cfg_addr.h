/*
 * cfg_addr.h - addresses, prefixes, ranges and traffic selectors as
 * written in ikev2.config.
 */
#ifndef IKEV2D_CONFIG_CFG_ADDR_H
#define IKEV2D_CONFIG_CFG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "config/cfg_ctx.h"

/*
 * Parse "192.0.2.1", "192.0.2.0/24", "192.0.2.10-192.0.2.20" or the IPv6
 * equivalents into an inclusive range.  A prefix with host bits set is
 * accepted and widened to the whole prefix.  On error writes a reason.
 */
bool addr_range_parse(const char *text, addr_range_t *out, char *err,
                      size_t errlen);

/* Whether the range is exactly one address. */
bool addr_range_is_single(const addr_range_t *r);

/* Member 'name' of g: one string or a list of them.  Returns 0 absent,
 * 1 ok (*out allocated, *n set), -1 on error (reported). */
int cfg_addr_list(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                  addr_range_t **out, int *n);

/* Member 'name' of g: one selector or a list; a selector is an address
 * string or a group { addr; protocol; port; }. */
int cfg_ts_list(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                ts_cfg_t **out, int *n);

#endif
