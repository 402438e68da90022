/*
 * debug_level.h - parse a debug level as written in daemon.debug_level,
 * on the in.ikev2d command line and (later) by `ikeadm set debug`.
 *
 * A level is one or more terms joined by '+' (add) or '-' (remove), read
 * left to right, e.g. "phase1+phase2", "verbose-codec", "all-crypto",
 * "0x18".  A term is:
 *
 *   op        the default: errors and operational messages only, nothing
 *             verbose (adds nothing; "op" alone clears everything);
 *             "operator" is the same
 *   verbose   every group at the verbose level
 *   all       every group at the verbose and raw levels (packet dumps)
 *   GROUP     that group at the verbose level; GROUP is a name of
 *             <ikev2d/bus.h> or its Solaris ikeadm alias:
 *               cert key phase1|ikesa phase2|childsa pfkey|kernel policy
 *               prop door|ctl config net codec plugin crypto
 *   GROUP:raw that group at the verbose and raw levels
 *   NUMBER    decimal or 0x-hex mask of groups (bus.h values, which are
 *             the Solaris ikeadm bits) at the verbose level
 *
 * Removing a GROUP (or "verbose", "all", a NUMBER) clears both its verbose
 * and raw bits; removing GROUP:raw clears only the raw bit.  Names are
 * case-insensitive.
 */
#ifndef IKEV2D_CONFIG_DEBUG_LEVEL_H
#define IKEV2D_CONFIG_DEBUG_LEVEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse spec into the two masks for bus_set_levels().  On error returns
 * false, leaves the masks untouched and writes a one-line reason (naming
 * the bad term, with a suggestion when one is close) into err. */
bool debug_level_parse(const char *spec, uint32_t *verbose_mask,
                       uint32_t *raw_mask, char *err, size_t errlen);

#endif
