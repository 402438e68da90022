/*
 * us_plugin.c - the "kernel-userspace" plugin: provides "kernel-ipsec"
 * with ESP done in user space over a TUN device (see us.h), for hosts
 * whose kernel has no ESP.
 *
 * Settings (under plugins.kernel-userspace; man ikev2.config(5)):
 *   interface       TUN device name (default "ikev2d0")
 *   mtu             its MTU (default 1400: room for ESP in UDP over 1500)
 *   threads         data-path threads and TUN queues (default 2)
 *   route_table     routing table for the routes via the TUN (default 2470)
 *   rule_priority   priority of the "not fwmark" rule (default 2470)
 *   fwmark          mark on our own sockets (default 0x2470)
 *   acquire_queue   packets held while ACQUIREd SAs are negotiated (32)
 *   offload         TCP segmentation offload from the TUN (default yes)
 *   stats_file      file rewritten every second with the counters
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <poll.h>
#include <linux/capability.h>

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>
#include <ikev2d/plugin.h>
#include <ikev2d/runtime.h>
#include <ikev2d/settings.h>

#include "us.h"

#define HOUSEKEEPING_MS 250

static const plugin_setting_t settings[] = {
	{ "interface", SETTING_STRING, 0, 0, "TUN device name (at most 15 characters)" },
	{ "mtu", SETTING_INT, 576, 9000, "MTU of the TUN device" },
	{ "threads", SETTING_INT, 1, US_MAX_THREADS, "data-path threads (TUN queues)" },
	{ "route_table", SETTING_INT, 1, 0x7fffffff, "routing table of the routes via the TUN" },
	{ "rule_priority", SETTING_INT, 1, 32765, "priority of the policy routing rule" },
	{ "fwmark", SETTING_INT, 1, 0x7fffffff, "firewall mark on the daemon's own sockets" },
	{ "acquire_queue", SETTING_INT, 0, 1024, "packets held for SAs being negotiated" },
	{ "offload", SETTING_BOOL, 0, 0, "TCP segmentation offload from the TUN" },
	{ "stats_file", SETTING_STRING, 0, 0, "file rewritten every second with the counters" },
};

typedef struct {
	ikev2d_plugin_t public;
	us_t *u;
} us_plugin_t;

#define SET(k) "plugins." US_NAME "." k

static bool read_config(us_config_t *c)
{
	const char *ifname = settings_get_str(SET("interface"), "ikev2d0");

	memset(c, 0, sizeof(*c));
	if (!ifname || !*ifname || strlen(ifname) >= sizeof(c->interface) ||
	    strchr(ifname, '/') || strchr(ifname, ' ')) {
		log_error(DBG_KERNEL, US_NAME ": interface \"%s\": not a usable "
		          "device name (1..15 characters, no '/' or space)",
		          ifname ? ifname : "");
		return false;
	}
	snprintf(c->interface, sizeof(c->interface), "%s", ifname);
	c->mtu = (int)settings_get_int(SET("mtu"), 1400);
	c->threads = (int)settings_get_int(SET("threads"), 2);
	c->table = (uint32_t)settings_get_int(SET("route_table"), 2470);
	c->rule_priority = (uint32_t)settings_get_int(SET("rule_priority"), 2470);
	c->fwmark = (uint32_t)settings_get_int(SET("fwmark"), 0x2470);
	c->acquire_queue = (int)settings_get_int(SET("acquire_queue"), 32);
	c->offload = settings_get_bool(SET("offload"), true);
	const char *sf = settings_get_str(SET("stats_file"), NULL);
	c->stats_file = sf && *sf ? xstrdup(sf) : NULL;
	if (c->mtu < 576 || c->mtu > 9000 || c->threads < 1 ||
	    c->threads > US_MAX_THREADS || c->acquire_queue < 0 ||
	    c->acquire_queue > 1024) {
		log_error(DBG_KERNEL, US_NAME ": settings out of range");
		return false;
	}
	if (c->table == 253 || c->table == 254 || c->table == 255) {
		log_error(DBG_KERNEL, US_NAME ": route_table %u is one of the "
		          "kernel's own (default, main, local)", c->table);
		return false;
	}
	return true;
}

/* The counters, as the statistics file holds them: "name value" lines. */
static void write_stats(us_t *u)
{
	us_stats_t s;
	char tmp[4200];
	FILE *f;

	if (!u->cfg.stats_file)
		return;
	us_stats_sum(u, &s);
	snprintf(tmp, sizeof(tmp), "%s.tmp", u->cfg.stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "rx_packets %llu\nrx_bytes %llu\ntx_packets %llu\ntx_bytes %llu\n"
	        "acquires %llu\nqueued %llu\ntun_writes %llu\ntun_merged %llu\n"
	        "tun_tso_reads %llu\ntun_tso_segments %llu\n",
	        (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
	        (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
	        (unsigned long long)s.acquires, (unsigned long long)s.queued,
	        (unsigned long long)s.tun_writes, (unsigned long long)s.tun_merged,
	        (unsigned long long)s.tun_tso_reads,
	        (unsigned long long)s.tun_tso_segments);
	for (int d = 0; d < DROP_COUNT; d++)
		fprintf(f, "drop_%s %llu\n", us_drop_name((us_drop_t)d),
		        (unsigned long long)s.drops[d]);
	if (fclose(f) == 0)
		rename(tmp, u->cfg.stats_file);
}

static void *hk_main(void *arg)
{
	us_t *u = arg;
	struct pollfd pfd[2] = { { .fd = u->stop_fd, .events = POLLIN },
	                         { .fd = u->wake_fd, .events = POLLIN } };
	uint64_t next = time_monotonic_ms() + HOUSEKEEPING_MS;

	while (!atomic_load(&u->stopping)) {
		uint64_t now = time_monotonic_ms();
		int wait = next > now ? (int)(next - now) : 0;
		if (poll(pfd, 2, wait) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents) {
			/* the data path saw a lifetime reached */
			uint64_t n;
			if (read(u->wake_fd, &n, sizeof(n)) < 0) {
				/* nothing left: another read took it */
			}
			us_sad_housekeeping(u);
		}
		if (time_monotonic_ms() >= next) {
			us_sad_housekeeping(u);
			write_stats(u);
			next = time_monotonic_ms() + HOUSEKEEPING_MS;
		}
	}
	return NULL;
}

static void us_destroy(kernel_ipsec_t *self)
{
	us_t *u = (us_t *)self;
	us_stats_t s;

	esp_udp_set_receiver(NULL, NULL);
	if (u->threads_started) {
		us_dp_stop(u);
		if (u->hk_started)
			pthread_join(u->hk_tid, NULL);
		write_stats(u);
		us_stats_sum(u, &s);
		uint64_t drops = 0;
		for (int d = 0; d < DROP_COUNT; d++)
			drops += s.drops[d];
		log_op(DBG_KERNEL, US_NAME ": stopped: %llu packets in, %llu out, "
		       "%llu dropped", (unsigned long long)s.rx_packets,
		       (unsigned long long)s.tx_packets, (unsigned long long)drops);
	}
	if (u->sys_opened)
		us_sys_close(u);
	us_sad_free(u);
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	if (u->wake_fd >= 0)
		close(u->wake_fd);
	pthread_mutex_destroy(&u->start_lock);
	free(u->cfg.stats_file);
	free(u);
}

/* The system side opens on the first call (the IKE sockets' bypass, while
 * the daemon still has its start-up capabilities and one thread), the
 * threads on the first call of the running engine: nothing is opened or
 * started by `in.ikev2d -c`, and no thread exists when the daemon drops
 * its privileges (capabilities are per thread). */
bool us_ensure(us_t *u, bool threads)
{
	bool ok;

	pthread_mutex_lock(&u->start_lock);
	if (!u->sys_opened && !u->sys_failed) {
		if (us_sys_open(u)) {
			u->sys_opened = true;
		} else {
			u->sys_failed = true;
			log_error(DBG_KERNEL, US_NAME ": no ESP processing: the "
			          "device or sockets could not be set up (see above)");
		}
	}
	if (threads && u->sys_opened && !u->threads_started) {
		u->threads_started = true;
		if (us_dp_start(u)) {
			int err = pthread_create(&u->hk_tid, NULL, hk_main, u);
			if (err)
				log_error(DBG_KERNEL, US_NAME ": housekeeping thread: %s",
				          strerror(err));
			else
				u->hk_started = true;
		}
	}
	ok = u->sys_opened;
	pthread_mutex_unlock(&u->start_lock);
	return ok;
}

static us_t *us_create(void)
{
	us_t *u = xzalloc(sizeof(*u));

	u->stop_fd = -1;
	u->wake_fd = -1;
	for (int i = 0; i < US_MAX_THREADS; i++)
		u->tun_fd[i] = -1;
	u->raw4 = u->raw6 = -1;
	pthread_mutex_init(&u->start_lock, NULL);
	us_sad_init(u);
	u->public.destroy = us_destroy;
	if (!read_config(&u->cfg))
		goto fail;
	u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->stop_fd < 0 || u->wake_fd < 0)
		goto fail;
	return u;
fail:
	us_destroy(&u->public);
	return NULL;
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	us_plugin_t *p = (us_plugin_t *)plugin;

	(void)f;
	if (!load) {
		if (p->u) {
			kernel_ipsec_unregister(&p->u->public);
			p->u->public.destroy(&p->u->public);
			p->u = NULL;
		}
		return true;
	}
	p->u = us_create();
	if (!p->u)
		return false;
	if (!kernel_ipsec_register(US_NAME, &p->u->public)) {
		p->u->public.destroy(&p->u->public);
		p->u = NULL;
		return false;
	}
	/* routes and the rule at run time; the raw sockets are opened
	 * before the daemon drops privileges and need no capability then */
	kernel_ipsec_declare_capabilities(KERNEL_CAP(CAP_NET_ADMIN));
	/* before the sockets open: the NAT-T socket then leaves ESP to us */
	esp_udp_set_receiver(us_dp_esp_udp_input, p->u);
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("kernel-ipsec", feature_cb, NULL),
	PLUGIN_DEPENDS("rng"),
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
	us_plugin_t *p = xzalloc(sizeof(*p));

	p->public.name = US_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	plugin_settings_register(US_NAME, settings,
	                         sizeof(settings) / sizeof(settings[0]));
	return &p->public;
}
