/*
 * cfg_xform.h - ikesa_xform and esp_xform: transform groups turned into
 * proposals.
 *
 *   ikesa_xform = ( { encr_alg = "aes"; encr_keylen = [128, 256];
 *                     auth_alg = "sha256"; prf_alg = "sha256";
 *                     dh_group = [19, 14]; } , ... );
 *   esp_xform   = ( { encr_alg = "aes-gcm"; encr_keylen = 256;
 *                     esn = "either"; } , ... );
 *
 * Each group is one proposal, the cross product of its lists.
 */
#ifndef IKEV2D_CONFIG_CFG_XFORM_H
#define IKEV2D_CONFIG_CFG_XFORM_H

#include "config/config.h"
#include "config/cfg_ctx.h"

/* Upper bound on groups in one ikesa_xform/esp_xform list. */
#define CFG_MAX_PROPOSALS 32

/* Member 'name' of g: one xform group or a list of them, for IKE
 * (ike = true) or ESP.  Returns 0 absent, 1 ok, -1 error (reported). */
int cfg_proposals(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                  bool ike, proposal_cfg_t **out, int *n);

/* Built-in defaults, when neither the file nor the rule gives any. */
void cfg_default_proposals(bool ike, proposal_cfg_t **out, int *n);

/* Algorithm name lookups (aliases of ikev2.config, then the canonical
 * transform names); -1 if unknown. */
int cfg_encr_from_name(const char *name);
int cfg_integ_from_name(const char *name);
int cfg_prf_from_name(const char *name);
int cfg_ke_from_name(const char *name);

#endif
