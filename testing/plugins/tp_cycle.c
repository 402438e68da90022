/* tp_cycle: two features needing each other, and one independent one. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tcyc:a", tp_cb, NULL),
		PLUGIN_DEPENDS("tcyc:b"),
	PLUGIN_PROVIDE("tcyc:b", tp_cb, NULL),
		PLUGIN_DEPENDS("tcyc:a"),
	PLUGIN_PROVIDE("tcyc:ok", tp_cb, NULL),
};

TP_PLUGIN("tp_cycle", features)
