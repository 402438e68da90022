/*
 * cfg_ident.h - local_id and remote_id: { type = "..."; value = "..."; }.
 */
#ifndef IKEV2D_CONFIG_CFG_IDENT_H
#define IKEV2D_CONFIG_CFG_IDENT_H

#include "config/config.h"
#include "config/cfg_ctx.h"

/* Parse one ID group s.  A remote ID may be a pattern ('*', prefix,
 * range) or empty (any).  Returns false after reporting. */
bool cfg_id_parse(cfg_ctx_t *ctx, const config_setting_t *s, bool remote,
                  id_cfg_t *out);

/* Member 'name' of g: one ID group, or a list of them (remote only).
 * Returns 0 absent, 1 ok, -1 error. */
int cfg_local_id(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                 id_cfg_t *out);
int cfg_remote_ids(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                   id_cfg_t **out, int *n);

void id_cfg_free(id_cfg_t *id);

#endif
