/*
 * plugin_probe.c - load the plugins named on the command line (from the
 * usual search path) and print what loaded: "loaded: <summary>".  Exit 0 if
 * every named plugin is loaded.  Used by tests that build plugins outside
 * the tree.
 */
#include "lib/plugin_loader.h"

#include <ikev2d/bus.h>

#include <stdio.h>
#include <stdlib.h>

static void print_log(bus_listener_t *self, dbg_group_t g, dbg_level_t l, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

int main(int argc, char **argv)
{
	bus_listener_t out = { .log = print_log };

	if (argc < 2) {
		fprintf(stderr, "usage: plugin_probe name...\n");
		return 2;
	}
	bus_add_listener(&out);
	/* Every named plugin is critical: the exit status says if all loaded. */
	bool ok = plugin_loader_load((const char *const *)&argv[1], argc - 1,
	                             (const char *const *)&argv[1], argc - 1);
	char *summary = plugin_loader_summary();
	printf("loaded: %s\n", summary);
	fflush(stdout);
	free(summary);
	plugin_loader_unload();
	bus_remove_listener(&out);
	return ok ? 0 : 1;
}
