/* tp_fail: a feature whose callback refuses, and one that needs it. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tfail:bad", tp_cb, "fail"),
	PLUGIN_PROVIDE("tfail:dependent", tp_cb, NULL),
		PLUGIN_DEPENDS("tfail:bad"),
};

TP_PLUGIN("tp_fail", features)
