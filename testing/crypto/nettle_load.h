/*
 * nettle_load.h - load the nettle plugin as shipped (the module in the
 * build tree, through the real plugin loader) for a crypto test.
 */
#ifndef TESTING_NETTLE_LOAD_H
#define TESTING_NETTLE_LOAD_H

#include <check.h>
#include <stdbool.h>

#include "lib/plugin_loader.h"

/* Load "nettle"; the test fails if it cannot be loaded. */
static inline void nettle_load(void)
{
	static const char *const names[] = { "nettle" };

	ck_assert_msg(plugin_loader_load(names, 1, names, 1),
	              "the nettle plugin did not load (IKEV2D_PLUGIN_PATH?)");
}

static inline void nettle_unload(void)
{
	plugin_loader_unload();
}

#endif
