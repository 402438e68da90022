/*
 * kernel_null_plugin.c - the "kernel-null" plugin: provides "kernel-ipsec"
 * with the null backend (kernel_null.c), and optionally a control FIFO
 * through which tests outside the process inject kernel events.
 *
 * Settings (under plugins.kernel-null):
 *   state_file       path rewritten after every change (format: kernel_null.h)
 *   control          path of a FIFO created at load; each line written to it
 *                    is a command for kernel_null_command() ("expire soft
 *                    <spi> <dst>", "acquire <reqid>", "acquire <src> <dst>",
 *                    "mapping <spi> <dst> <new ip> <new port>")
 *   spi_timeout_ms   how long a reserved SPI lives unused (default 30000)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/plugin.h>
#include <ikev2d/runtime.h>
#include <ikev2d/settings.h>

#include "kernel_null.h"

#define PLUGIN_NAME "kernel-null"
#define CONTROL_LINE_MAX 256

static const plugin_setting_t settings[] = {
	{ "state_file", SETTING_STRING, 0, 0,
	  "file rewritten with the recorded SAs and policies after every change" },
	{ "control", SETTING_STRING, 0, 0,
	  "FIFO created at load; lines written to it inject kernel events" },
	{ "spi_timeout_ms", SETTING_INT, 100, 3600000,
	  "how long a reserved SPI lives unused" },
};

typedef struct {
	ikev2d_plugin_t public;
	kernel_null_t *kn;
	char *control_path;
	int control_fd;
	char line[CONTROL_LINE_MAX];
	size_t line_len;
	bool line_too_long;
} null_plugin_t;

/* Collect bytes from the FIFO into lines and run each (loop thread; the
 * commands only raise events, which the engine queues). */
static void on_control(int fd, uint32_t events, void *arg)
{
	null_plugin_t *p = arg;
	char buf[512];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (p->line_len + 1 < sizeof(p->line))
					p->line[p->line_len++] = buf[i];
				else
					p->line_too_long = true;
				continue;
			}
			p->line[p->line_len] = '\0';
			if (p->line_too_long)
				log_error(DBG_KERNEL, "kernel-null: control line longer "
				          "than %d bytes ignored", CONTROL_LINE_MAX - 1);
			else if (p->line_len)
				kernel_null_command(p->kn, p->line);
			p->line_len = 0;
			p->line_too_long = false;
		}
	}
}

static bool open_control(null_plugin_t *p, const char *path)
{
	struct stat st;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		log_error(DBG_KERNEL, "kernel-null: cannot create control FIFO %s: %s",
		          path, strerror(errno));
		return false;
	}
	if (stat(path, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		log_error(DBG_KERNEL, "kernel-null: control path %s exists and is "
		          "not a FIFO", path);
		return false;
	}
	/* Read-write, so the FIFO never reports end-of-file when the last
	 * writer goes away. */
	p->control_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (p->control_fd < 0) {
		log_error(DBG_KERNEL, "kernel-null: cannot open control FIFO %s: %s",
		          path, strerror(errno));
		return false;
	}
	if (!loop_watch_fd(p->control_fd, EPOLLIN, on_control, p)) {
		close(p->control_fd);
		p->control_fd = -1;
		return false;
	}
	p->control_path = xstrdup(path);
	return true;
}

static void close_control(null_plugin_t *p)
{
	if (p->control_fd >= 0) {
		loop_unwatch_fd(p->control_fd);
		close(p->control_fd);
		p->control_fd = -1;
	}
	if (p->control_path) {
		unlink(p->control_path);
		free(p->control_path);
		p->control_path = NULL;
	}
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                       bool load)
{
	null_plugin_t *p = (null_plugin_t *)plugin;
	const char *state, *control;

	if (!load) {
		close_control(p);
		if (p->kn) {
			kernel_ipsec_unregister(kernel_null_ipsec(p->kn));
			kernel_null_ipsec(p->kn)->destroy(kernel_null_ipsec(p->kn));
			p->kn = NULL;
		}
		return true;
	}
	state = settings_get_str("plugins." PLUGIN_NAME ".state_file", NULL);
	p->kn = kernel_null_create(state, (unsigned)settings_get_int(
	            "plugins." PLUGIN_NAME ".spi_timeout_ms", 30000));
	if (!kernel_ipsec_register(PLUGIN_NAME, kernel_null_ipsec(p->kn))) {
		kernel_null_ipsec(p->kn)->destroy(kernel_null_ipsec(p->kn));
		p->kn = NULL;
		return false;
	}
	/* It only records: no privilege at all. */
	kernel_ipsec_declare_capabilities(0);
	kernel_null_set_instance(p->kn);
	control = settings_get_str("plugins." PLUGIN_NAME ".control", NULL);
	if (control && *control && !open_control(p, control))
		log_error(DBG_KERNEL, "kernel-null: continuing without a control "
		          "FIFO");
	log_op(DBG_KERNEL, "kernel-null: recording SAs and policies in memory "
	       "(nothing reaches the kernel)%s%s", state ? ", state in " : "",
	       state ? state : "");
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
	null_plugin_t *p = (null_plugin_t *)self;

	close_control(p);
	free(p);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	null_plugin_t *p = xzalloc(sizeof(*p));

	p->public.name = PLUGIN_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	p->control_fd = -1;
	plugin_settings_register(PLUGIN_NAME, settings,
	                         sizeof(settings) / sizeof(settings[0]));
	return &p->public;
}
