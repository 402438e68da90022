/*
 * cfg_validation.h - the certificate validation policy: a `validation`
 * group in ikev2.config, or the libconfig file `validation_policy_file`
 * names (the counterpart of Solaris' KMF policy for IKEv2), into a
 * cert_policy_t.
 */
#ifndef IKEV2D_CONFIG_CFG_VALIDATION_H
#define IKEV2D_CONFIG_CFG_VALIDATION_H

#include <ikev2d/cred.h>

#include "config/cfg_ctx.h"

/* Parse whichever of the two root holds (both is an error; neither is
 * cert_policy_default()).  Errors are reported with file:line through
 * ctx.  dir resolves a relative validation_policy_file.  *fetch_file
 * (freshly allocated) and *fetch_line: where the first setting that needs
 * a fetcher plugin is (crl_get_crl_uri, ocsp_responder,
 * ocsp_use_cert_responder), NULL and 0 if none is on. */
void cfg_validation_parse(cfg_ctx_t *ctx, const config_setting_t *root,
                          const char *dir, cert_policy_t *policy,
                          char **fetch_file, int *fetch_line);

#endif
