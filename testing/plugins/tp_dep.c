/* tp_dep: hard, missing, soft and wildcard needs. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tdep:x", tp_cb, NULL),
		PLUGIN_DEPENDS("tbase:one"),
	PLUGIN_PROVIDE("tdep:y", tp_cb, NULL),
		PLUGIN_DEPENDS("tmissing:z"),
	PLUGIN_PROVIDE("tdep:soft", tp_cb, NULL),
		PLUGIN_SDEPEND("tbase:two"),
		PLUGIN_SDEPEND("tmissing:q"),
	PLUGIN_PROVIDE("tdep:wild", tp_cb, NULL),
		PLUGIN_DEPENDS("tbase:*"),
};

TP_PLUGIN("tp_dep", features)
