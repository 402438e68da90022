/*
 * lc.h - include libconfig under another name.
 *
 * libconfig calls its parsed tree 'config_t', and so does config.h for our
 * configuration.  Files that use both include this header, which renames
 * libconfig's type to lc_config_t (the functions keep their names; only
 * the type name in their prototypes changes, not the ABI).
 */
#ifndef IKEV2D_CONFIG_LC_H
#define IKEV2D_CONFIG_LC_H

#define config_t lc_config_t
#include <libconfig.h>
#undef config_t

#endif
