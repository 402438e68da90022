/* tp_dup: provides what tp_base provides, plus one feature that can never
 * load; loaded after tp_base it is left with nothing. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tbase:one", tp_cb, NULL),
	PLUGIN_PROVIDE("tdup:own", tp_cb, NULL),
		PLUGIN_DEPENDS("tnothing:at-all"),
};

TP_PLUGIN("tp_dup", features)
