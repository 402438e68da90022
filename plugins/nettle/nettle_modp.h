/*
 * nettle_modp.h - the MODP group table (nettle_modp_params.c) that the
 * MODP key exchange (nettle_modp.c) uses.
 */
#ifndef NETTLE_MODP_H
#define NETTLE_MODP_H

#include <stddef.h>

typedef struct {
	int group;              /* ke_id_t */
	const char *prime;      /* hex */
	const char *generator;  /* hex */
	const char *subgroup;   /* hex order q of g (RFC 5114), or NULL for a
	                         * safe prime (q = (p-1)/2 is not needed) */
	unsigned exp_bits;      /* private exponent length; 0: below q */
} nettle_modp_group_t;

extern const nettle_modp_group_t nettle_modp_groups[];
extern const size_t nettle_modp_group_count;

/* Free the parsed group parameters (plugin unload). */
void nettle_modp_cleanup(void);

#endif
