/*
 * privsep_stubs.c - what fuzz_privsep needs of core/config when it is
 * built straight from the sources (build-fuzzers.sh): its configuration is
 * a static one that is never freed, so references are no-ops; and the
 * runtime's clock, which the guard's SPI ageing reads.
 */
#include "config/config.h"

#include <time.h>

#include <ikev2d/runtime.h>

config_t *config_ref(config_t *cfg)
{
	return cfg;
}

void config_unref(config_t *cfg)
{
	(void)cfg;
}

uint64_t time_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
