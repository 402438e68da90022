/* tp_base: two features with no needs. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tbase:one", tp_cb, NULL),
	PLUGIN_PROVIDE("tbase:two", tp_cb, NULL),
};

TP_PLUGIN("tp_base", features)
