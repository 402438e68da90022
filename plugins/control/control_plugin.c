/*
 * control_plugin.c - the "control" plugin: the control socket ikeadm(8)
 * speaks to (PROTOCOL.md), and an optional Prometheus text endpoint.
 *
 * Settings (under plugins.control):
 *   socket          path of the Unix socket (default RUNSTATEDIR/in.ikev2d.ctl)
 *   group           group allowed besides root (name or number; default
 *                   none: root only); the socket is root:group, mode 0660
 *   metrics_listen  "ADDR:PORT" of the metrics endpoint (default off)
 *
 * The sockets are opened when the feature loads in a running daemon (not
 * under `in.ikev2d -c`, which loads plugins only to check them): opening
 * (core/net/ctl_socket.h, ctl_listen_tcp) is apart from serving
 * (ctl_server_create): under daemon.privsep the parent opens the Unix
 * socket and the engine takes it over (ctl_socket_take).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/plugin.h>
#include <ikev2d/runtime.h>
#include <ikev2d/settings.h>

#include "exchange/engine_ctl.h"
#include "net/ctl_socket.h"

#include "ctl_cmds.h"
#include "ctl_server.h"

#ifndef IKEV2D_RUNSTATEDIR
#define IKEV2D_RUNSTATEDIR "/var/run"
#endif

#define PLUGIN_NAME "control"
#define DEFAULT_SOCKET IKEV2D_RUNSTATEDIR "/in.ikev2d.ctl"

static const plugin_setting_t settings[] = {
	{ "socket", SETTING_STRING, 0, 0,
	  "path of the control socket ikeadm connects to" },
	{ "group", SETTING_STRING, 0, 0,
	  "group (name or number) allowed on the control socket besides root" },
	{ "metrics_listen", SETTING_STRING, 0, 0,
	  "ADDR:PORT for the Prometheus text endpoint (off when unset)" },
};

typedef struct {
	ikev2d_plugin_t public;
	ctl_server_t *ctl, *metrics;
	char *path;
} control_plugin_t;

static void stop(control_plugin_t *p)
{
	ctl_server_destroy(p->metrics);
	p->metrics = NULL;
	ctl_server_destroy(p->ctl);
	p->ctl = NULL;
	if (p->path) {
		unlink(p->path);
		free(p->path);
		p->path = NULL;
	}
	ctl_cmds_deinit();
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	control_plugin_t *p = (control_plugin_t *)plugin;
	(void)f;
	if (!load) {
		stop(p);
		return true;
	}
	const char *path = settings_get_str("plugins." PLUGIN_NAME ".socket",
	                                    DEFAULT_SOCKET);
	const char *group = settings_get_str("plugins." PLUGIN_NAME ".group", NULL);
	const char *metrics = settings_get_str("plugins." PLUGIN_NAME ".metrics_listen",
	                                       NULL);
	gid_t gid;
	if (!ctl_socket_group(group, &gid)) {
		log_error(DBG_CTL, "control: plugins.control.group: no group '%s'", group);
		return false;
	}
	if (!path[0] || path[0] != '/') {
		log_error(DBG_CTL, "control: plugins.control.socket must be an "
		          "absolute path, not '%s'", path);
		return false;
	}
	if (!engine_ctl_daemon()) {
		/* in.ikev2d -c (no daemon registered its services): checked,
		 * nothing opened */
		return true;
	}
	ctl_cmds_init();
	/* Under daemon.privsep the parent opened it (as root, owned by
	 * daemon.user) and handed it over: the engine never binds it. */
	int fd = ctl_socket_take(path);
	bool from_parent = fd >= 0;
	if (fd < 0)
		fd = ctl_socket_open(path, (uid_t)-1, gid);
	if (fd < 0)
		return false;
	p->ctl = ctl_server_create(fd, gid, false, &ctl_cmd_handlers);
	if (!p->ctl) {
		unlink(path);
		return false;
	}
	p->path = xstrdup(path);
	log_op(DBG_CTL, "control: listening on %s (root%s%s)%s", path,
	       gid != (gid_t)-1 ? " and group " : " only", gid != (gid_t)-1 ? group : "",
	       from_parent ? ", the socket the privsep parent opened" : "");
	if (metrics && *metrics) {
		int mfd = ctl_listen_tcp(metrics);
		if (mfd < 0 ||
		    !(p->metrics = ctl_server_create(mfd, (gid_t)-1, true,
		                                     &ctl_metrics_handlers))) {
			stop(p);
			return false;
		}
		log_op(DBG_CTL, "control: metrics on http://%s/metrics", metrics);
	}
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("control", feature_cb, NULL),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **out)
{
	(void)self;
	*out = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	control_plugin_t *p = (control_plugin_t *)self;
	stop(p);
	free(p);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	control_plugin_t *p = xzalloc(sizeof(*p));
	p->public.name = PLUGIN_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	plugin_settings_register(PLUGIN_NAME, settings,
	                         sizeof(settings) / sizeof(settings[0]));
	return &p->public;
}
