/*
 * kernel_pfkey_plugin.c - the "kernel-pfkey" plugin: provides
 * "kernel-ipsec" with the PF_KEY v2 backend (kernel_pfkey.c).
 *
 * Settings (under plugins.kernel-pfkey):
 *   state_file   journal of what the backend installed, read at the next
 *                start to remove what a crashed daemon left behind
 *                (default $localstatedir/run/in.ikev2d.kernel-pfkey;
 *                "" = no journal)
 *   route_table  routing table for the routes to tunnels' remote selectors
 *                (default 220, as kernel-netlink; 0 = install no routes)
 *   route_rule_priority  priority of the `ip rule` consulting it (220)
 */
#include <linux/capability.h>
#include <stdlib.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/plugin.h>
#include <ikev2d/settings.h>

#include "kernel_pfkey.h"

#define PLUGIN_NAME "kernel-pfkey"

#ifndef IKEV2D_RUNSTATEDIR
#define IKEV2D_RUNSTATEDIR "/var/run"
#endif

static const plugin_setting_t settings[] = {
	{ "state_file", SETTING_STRING, 0, 0,
	  "journal of the SAs and policies installed, for cleaning up after a crash" },
	{ "route_table", SETTING_INT, 0, 0xfffffffeLL,
	  "routing table for tunnel routes (0 = no routes)" },
	{ "route_rule_priority", SETTING_INT, 0, 32765,
	  "priority of the routing rule that consults route_table" },
	{ "getspi", SETTING_BOOL, 0, 0,
	  "inbound SPIs from the kernel (SADB_GETSPI) instead of picked at "
	  "random by the daemon and checked with SADB_GET" },
};

typedef struct {
	ikev2d_plugin_t public;
	kernel_pfkey_t *k;
} pfkey_plugin_t;

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	pfkey_plugin_t *p = (pfkey_plugin_t *)plugin;
	const char *state;
	(void)f;

	if (!load) {
		if (p->k) {
			kernel_ipsec_unregister(kernel_pfkey_ipsec(p->k));
			/* at shutdown, after the engine's Deletes: whatever
			 * it could not remove goes now (nothing under -c) */
			kernel_pfkey_ipsec(p->k)->flush(kernel_pfkey_ipsec(p->k));
			kernel_pfkey_ipsec(p->k)->destroy(kernel_pfkey_ipsec(p->k));
			p->k = NULL;
		}
		return true;
	}
	state = settings_get_str("plugins." PLUGIN_NAME ".state_file",
	                         IKEV2D_RUNSTATEDIR "/in.ikev2d.kernel-pfkey");
	p->k = kernel_pfkey_create(state,
		settings_get_bool("plugins." PLUGIN_NAME ".getspi", true),
		(uint32_t)settings_get_int("plugins." PLUGIN_NAME ".route_table", 220),
		(uint32_t)settings_get_int("plugins." PLUGIN_NAME ".route_rule_priority", 220));
	if (!p->k)
		return false;
	if (!kernel_ipsec_register(PLUGIN_NAME, kernel_pfkey_ipsec(p->k))) {
		kernel_pfkey_ipsec(p->k)->destroy(kernel_pfkey_ipsec(p->k));
		p->k = NULL;
		return false;
	}
	/* the sockets are open already; IP_IPSEC_POLICY bypass on the IKE
	 * sockets and later PF_KEY sockets need CAP_NET_ADMIN */
	kernel_ipsec_declare_capabilities(KERNEL_CAP(CAP_NET_ADMIN));
	log_verbose(DBG_KERNEL, "kernel-pfkey: PF_KEY v2 ready%s%s",
	            state && *state ? ", journal " : "", state ? state : "");
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("kernel-ipsec", feature_cb, NULL),
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

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	pfkey_plugin_t *p = xzalloc(sizeof(*p));

	p->public.name = PLUGIN_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	plugin_settings_register(PLUGIN_NAME, settings,
	                         sizeof(settings) / sizeof(settings[0]));
	return &p->public;
}
