/*
 * cfg_xfrm.h - the CHILD SA keywords that tie SAs and policies to XFRM
 * marks and interface IDs: mark_in, mark_out ("value/mask"), if_id_in,
 * if_id_out (names as strongSwan's swanctl.conf has them).  Inheritable
 * like the other CHILD SA settings (top level < rule < childsa).
 */
#ifndef IKEV2D_CONFIG_CFG_XFRM_H
#define IKEV2D_CONFIG_CFG_XFRM_H

#include "config/config.h"
#include "config/cfg_ctx.h"

/* Read those keywords of group g over c (and c->xfrm_src: where each
 * was written).  False if any was wrong (reported). */
bool cfg_xfrm_parse(cfg_ctx_t *ctx, const config_setting_t *g, child_cfg_t *c);

/* Whether c names a mark or interface ID at all. */
bool cfg_xfrm_used(const child_cfg_t *c);

/* "mark 0x2a/0xff" style text of a mark, for messages. */
char *cfg_mark_str(const kernel_mark_t *m, char *buf, size_t len);

#endif
