/*
 * tp_common.h - shared by the small test plugins of the loader tests.
 *
 * Every feature callback logs "tp <plugin> load|unload <feature>" on the bus
 * so the tests can see what was activated and in which order.  A feature
 * whose arg is the string "fail" refuses to load.
 */
#ifndef TP_COMMON_H
#define TP_COMMON_H

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/plugin.h>

#include <stdlib.h>
#include <string.h>

static inline bool tp_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f, bool load)
{
	bool refuse = load && f->arg && strcmp((const char *)f->arg, "fail") == 0;

	log_op(DBG_PLUGIN, "tp %s %s %s%s", plugin->name, load ? "load" : "unload",
	       f->name, refuse ? " refused" : "");
	return !refuse;
}

static inline void tp_destroy(ikev2d_plugin_t *plugin)
{
	log_op(DBG_PLUGIN, "tp %s destroy", plugin->name);
	free(plugin);
}

/* Define the plugin's exported symbols around a static feature table. */
#define TP_PLUGIN(pname, table)                                              \
	const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;                  \
	static size_t tp_get_features(ikev2d_plugin_t *self,                 \
	                              const plugin_feature_t **out)          \
	{                                                                    \
		*out = table;                                                \
		return sizeof(table) / sizeof(table[0]);                     \
	}                                                                    \
	ikev2d_plugin_t *ikev2d_plugin_create(void);                         \
	ikev2d_plugin_t *ikev2d_plugin_create(void)                          \
	{                                                                    \
		ikev2d_plugin_t *p = xzalloc(sizeof(*p));                    \
		p->name = pname;                                             \
		p->get_features = tp_get_features;                           \
		p->destroy = tp_destroy;                                     \
		return p;                                                    \
	}

#endif
