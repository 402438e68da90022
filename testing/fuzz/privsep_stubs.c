/*
 * privsep_stubs.c - what fuzz_privsep needs of core/config when it is
 * built straight from the sources (build-fuzzers.sh): its configuration is
 * a static one that is never freed, so references are no-ops.
 */
#include "config/config.h"

config_t *config_ref(config_t *cfg)
{
	return cfg;
}

void config_unref(config_t *cfg)
{
	(void)cfg;
}
