/*
 * kernel_check.h - the configuration check the kernel backend takes part
 * in: every transform combination each CHILD SA's esp_xform allows is put to
 * the backend's can_install, so a rule the kernel interface cannot serve
 * (an AEAD under PF_KEY, say) is refused by in.ikev2d -c and at start-up,
 * with the file:line of the esp_xform in force, instead of failing when a
 * peer picks it.
 */
#ifndef IKEV2D_KERNEL_CHECK_H
#define IKEV2D_KERNEL_CHECK_H

#include "config/config.h"

/* Log (group DBG_CONFIG, "file:line: rule 'x' childsa n: reason") every
 * CHILD SA setting the loaded backend cannot install; returns how many.
 * 0 when no backend is loaded or it answers everything. */
int kernel_check_config(const config_t *cfg);

#endif
