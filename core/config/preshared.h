/*
 * preshared.h - ikev2.preshared: pre-shared keys attached to rules by
 * label.
 *
 *   keys = (
 *     { label = "gw-a_to_gw-b"; key = "correct horse battery staple"; },
 *     { label = [ "r1", "r2" ]; local_key = "0x0123456789abcdef";
 *       remote_key = "another secret"; }
 *   );
 *
 * A key value is a libconfig string.  One that starts with 0x (or 0X) is
 * hexadecimal: the digits after the prefix, two per byte, optionally
 * separated by ':' or ' ' ("0x01:23:45"); anything else is the key's text,
 * byte for byte (libconfig escapes such as \" and \\ apply).
 */
#ifndef IKEV2D_CONFIG_PRESHARED_H
#define IKEV2D_CONFIG_PRESHARED_H

#include <stdbool.h>
#include <stddef.h>

#include <ikev2d/chunk.h>

#include "config/config.h"
#include "config/cfg_ctx.h"
#include "config/cfg_rules.h"

/* Keys shorter than this (bytes) get a warning. */
#define PSK_MIN_STRONG 16

/* Largest preshared file accepted. */
#define PRESHARED_MAX_SIZE (16 * 1024 * 1024)

/* Decode one key value as described above into fresh memory (the caller
 * chunk_clear()s it).  On error writes a reason that never contains the
 * key. */
bool psk_parse_value(const char *text, chunk_t *out, char *err, size_t errlen);

/*
 * Load path and attach its keys to cfg's rules.  A missing file is an
 * error only when required.  The file is refused unless it is a regular
 * file owned by the effective uid with no group/other permission bits.
 * Errors in an entry count as rule errors (ignore_errors drops the entry);
 * errors about the file itself are fatal.  edits (NULL: none): ikeadm's
 * key changes, applied to the file's entries first.  Returns false if the file
 * could not be used at all.
 */
bool preshared_load(cfg_ctx_t *ctx, const char *path, bool required,
                    config_t *cfg, rule_meta_t *meta,
                    const struct config_edits *edits);

#endif
