/*
 * knl_plugin.c - the "kernel-netlink" plugin: provides "kernel-ipsec" by
 * installing SAs and policies into the Linux kernel's XFRM framework over
 * netlink (libmnl), with routes for tunnels in a table of its own.
 *
 * Settings (under plugins.kernel-netlink):
 *   priority_base     first priority of the band our policies use
 *                     (default 1000000; the band is 4096 wide: a policy
 *                     in it is taken for ours, a leftover at start-up)
 *   route_table       routing table for the routes to the remote selectors
 *                     of tunnels (default 220; 0 = install no routes)
 *   route_rule_priority  priority of the `ip rule` that consults it (220)
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/plugin.h>
#include <ikev2d/settings.h>

#include "knl.h"

/* rtm_protocol of our routes (unassigned in iproute2's rt_protos). */
#define KNL_ROUTE_PROTO 158

static const plugin_setting_t settings[] = {
	{ "priority_base", SETTING_INT, 1, 0xffffffffLL - KNL_PRIO_BAND,
	  "first priority of the band (4096 wide) the daemon's policies use" },
	{ "route_table", SETTING_INT, 0, 0xfffffffeLL,
	  "routing table for tunnel routes (0 = no routes)" },
	{ "route_rule_priority", SETTING_INT, 0, 32765,
	  "priority of the routing rule that consults route_table" },
	{ "allocspi", SETTING_BOOL, 0, 0,
	  "inbound SPIs from the kernel (XFRM_MSG_ALLOCSPI) instead of picked "
	  "at random by the daemon and checked with XFRM_MSG_GETSA" },
};

typedef struct {
	ikev2d_plugin_t public;
	knl_t *k;
} knl_plugin_t;

static struct mnl_socket *open_nl(int bus, const char *what)
{
	struct mnl_socket *s = mnl_socket_open(bus);
	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_error(DBG_KERNEL, KNL_NAME ": cannot open the %s netlink socket: "
		          "%s%s", what, strerror(errno),
		          errno == EPROTONOSUPPORT ? " (the kernel has no XFRM netlink: "
		          "module xfrm_user)" : errno == EPERM || errno == EACCES ?
		          " (needs CAP_NET_ADMIN)" : "");
		if (s)
			mnl_socket_close(s);
		return NULL;
	}
	int one = 1;
	/* the kernel's reason in error answers, without the request echoed */
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	return s;
}

static void knl_destroy(kernel_ipsec_t *self)
{
	knl_t *k = (knl_t *)self;
	knl_events_close(k);
	if (k->xfrm && !k->check_only)
		knl_flush(self);
	if (!k->check_only)
		knl_route_rule(k, false);
	if (k->xfrm)
		mnl_socket_close(k->xfrm);
	if (k->rtnl)
		mnl_socket_close(k->rtnl);
	knl_set_free(&k->sas);
	knl_set_free(&k->policies);
	knl_set_free(&k->routes);
	knl_set_free(&k->spis);
	knl_probe_free(k);
	pthread_mutex_destroy(&k->xfrm_lock);
	pthread_mutex_destroy(&k->state_lock);
	free(k);
}

static knl_t *knl_create(void)
{
	knl_t *k = xzalloc(sizeof(*k));
	k->public = (kernel_ipsec_t){
		.get_spi = knl_get_spi,
		.add_sa = knl_add_sa,
		.update_sa = knl_update_sa,
		.query_sa = knl_query_sa,
		.del_sa = knl_del_sa,
		.add_policy = knl_add_policy,
		.query_policy = knl_query_policy,
		.del_policy = knl_del_policy,
		.match_policy = knl_match_policy,
		.bypass_socket = NULL,   /* core/net sets IP_XFRM_POLICY itself */
		.flush = knl_flush,
		.can_install = knl_can_install,
		.destroy = knl_destroy,
	};
	pthread_mutex_init(&k->xfrm_lock, NULL);
	pthread_mutex_init(&k->state_lock, NULL);
	knl_set_init(&k->sas, sizeof(knl_sa_key_t));
	knl_set_init(&k->policies, sizeof(knl_pol_key_t));
	knl_set_init(&k->routes, sizeof(knl_route_key_t));
	knl_set_init(&k->spis, sizeof(knl_sa_key_t));
	k->events_fd = -1;
	k->prio_base = (uint32_t)settings_get_int("plugins." KNL_NAME ".priority_base", 1000000);
	k->route_table = (uint32_t)settings_get_int("plugins." KNL_NAME ".route_table", 220);
	k->route_rule_prio = (uint32_t)settings_get_int("plugins." KNL_NAME ".route_rule_priority", 220);
	k->route_proto = KNL_ROUTE_PROTO;
	k->allocspi = settings_get_bool("plugins." KNL_NAME ".allocspi", true);
	k->xfrm = open_nl(NETLINK_XFRM, "XFRM");
	if (!k->xfrm) {
		knl_destroy(&k->public);
		return NULL;
	}
	if (k->route_table) {
		k->rtnl = open_nl(NETLINK_ROUTE, "route");
		if (!k->rtnl) {
			knl_destroy(&k->public);
			return NULL;
		}
	}
	return k;
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	knl_plugin_t *p = (knl_plugin_t *)plugin;

	if (!load) {
		if (p->k) {
			kernel_ipsec_unregister(&p->k->public);
			knl_destroy(&p->k->public);
			p->k = NULL;
		}
		return true;
	}
	p->k = knl_create();
	if (!p->k)
		return false;
	/* Said at in.ikev2d -c and at start-up: on a kernel without ESP
	 * every CHILD SA would fail at install time. */
	char why[256];
	p->k->no_esp = knl_probe_esp(p->k, why, sizeof(why)) == -EPROTONOSUPPORT;
	if (p->k->no_esp)
		/* a warning, not an error: the configuration itself is
		 * fine, and a kernel module may still be loaded later */
		log_op(DBG_KERNEL, KNL_NAME ": warning: this kernel has no ESP: XFRM "
		          "answers an ESP SA with \"Protocol not supported\"%s%s, so "
		          "every CHILD SA will fail to install; load the esp4/esp6 "
		          "modules (a kernel with CONFIG_INET_ESP), or use "
		          "kernel-userspace (ESP in in.ikev2d over a TUN device)",
		          *why ? ": " : "", why);
	if (kernel_ipsec_check_only()) {
		p->k->check_only = true;
		if (!kernel_ipsec_register(KNL_NAME, &p->k->public)) {
			knl_destroy(&p->k->public);
			p->k = NULL;
			return false;
		}
		return true;
	}
	knl_cleanup_leftovers(p->k);
	if (!knl_route_rule(p->k, true))
		log_error(DBG_KERNEL, KNL_NAME ": continuing without tunnel routes");
	if (!knl_events_open(p->k))
		log_error(DBG_KERNEL, KNL_NAME ": continuing without kernel events "
		          "(no ACQUIRE, EXPIRE or MAPPING)");
	if (!kernel_ipsec_register(KNL_NAME, &p->k->public)) {
		knl_destroy(&p->k->public);
		p->k = NULL;
		return false;
	}
	kernel_ipsec_declare_capabilities(KERNEL_CAP(CAP_NET_ADMIN));
	log_op(DBG_KERNEL, KNL_NAME ": installing SAs and policies into the "
	       "kernel (XFRM netlink; policy priorities %u..%u%s%u)",
	       p->k->prio_base, p->k->prio_base + KNL_PRIO_BAND - 1,
	       p->k->route_table ? ", routes in table " : ", no routes",
	       p->k->route_table ? p->k->route_table : 0);
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("kernel-ipsec", feature_cb, NULL),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **out)
{
	*out = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	knl_plugin_t *p = (knl_plugin_t *)self;
	if (p->k) {
		kernel_ipsec_unregister(&p->k->public);
		knl_destroy(&p->k->public);
	}
	free(p);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	knl_plugin_t *p = xzalloc(sizeof(*p));
	p->public.name = KNL_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	plugin_settings_register(KNL_NAME, settings,
	                         sizeof(settings) / sizeof(settings[0]));
	return &p->public;
}
