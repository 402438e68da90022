/*
 * example.c - an ikev2d plugin built out of tree, against the installed
 * headers and ikev2d.pc only (see Makefile).  It provides one feature,
 * "example:hello", that needs nothing, and logs when it is activated and
 * deactivated.  Copy it to start a plugin of your own.
 */
#include <ikev2d/bus.h>
#include <ikev2d/plugin.h>

#include <stdlib.h>

/* The loader refuses the module unless this equals its own ABI string. */
const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

static bool hello(ikev2d_plugin_t *plugin, const plugin_feature_t *feature, bool load)
{
	(void)plugin;
	log_op(DBG_PLUGIN, "example plugin: %s %s", feature->name,
	       load ? "activated" : "deactivated");
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("example:hello", hello, NULL),
		PLUGIN_SDEPEND("rng"),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **out)
{
	(void)self;
	*out = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	free(self);
}

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = "example";
	p->get_features = get_features;
	p->destroy = destroy;
	return p;
}
