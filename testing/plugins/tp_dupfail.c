/* tp_dupfail: provides tbase:one but refuses it, so a later provider
 * (tp_base) must take over. */
#include "tp_common.h"

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("tbase:one", tp_cb, "fail"),
	PLUGIN_PROVIDE("tdupfail:ok", tp_cb, NULL),
};

TP_PLUGIN("tp_dupfail", features)
