/*
 * privsep_plugin.c - the "kernel-privsep" plugin: the engine's kernel
 * backend under privilege separation (HACKING.md).  It provides
 * "kernel-ipsec" with a proxy: each method is one request on the "kernel"
 * socketpair to the privileged parent, which checks it against its own
 * configuration and runs it on the real backend; the parent's events
 * (ACQUIRE, EXPIRE, MAPPING) arrive on the "events" socketpair and are
 * raised here with kernel_ipsec_raise().  When the parent's backend does
 * ESP itself (kernel-userspace), the ESP-in-UDP datagrams the engine's
 * NAT-T sockets receive are forwarded to it on the events socketpair.
 *
 * The engine's main.c loads this plugin in place of the configured
 * backend; the descriptors come from the environment (PSM_ENV).  Nothing
 * here holds a privilege: a forged request only reaches the parent's
 * checks.  The proxy is generic over <ikev2d/kernel_ipsec.h>: a method
 * added there needs one message type and one case in the parent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/plugin.h>
#include <ikev2d/runtime.h>

#include "kernel/privsep_msg.h"

#define PLUGIN_NAME "kernel-privsep"
/* How long a request waits for the parent (it runs one netlink call). */
#define REPLY_TIMEOUT_SECS 10

typedef struct {
	kernel_ipsec_t public;
	int kernel_fd, events_fd, test_fd;
	bool esp;
	pthread_mutex_t lock;    /* one request in flight on kernel_fd */
	uint32_t seq;
	uint8_t *rxbuf;          /* PSM_MSG_MAX + 1, under lock */
	uint8_t *evbuf;          /* PSM_MSG_MAX + 1, loop thread */
} proxy_t;

typedef struct {
	ikev2d_plugin_t public;
	proxy_t *px;
} privsep_plugin_t;

static proxy_t *instance;

/* Receive the reply to seq (stale replies of timed-out requests are
 * skipped).  Under px->lock. */
static bool await_reply(proxy_t *px, uint32_t seq, psm_reply_t *out, uint8_t *raw,
                        size_t *raw_len)
{
	for (;;) {
		ssize_t n = recv(px->kernel_fd, px->rxbuf, PSM_MSG_MAX + 1, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error(DBG_KERNEL, PLUGIN_NAME ": no answer from the parent: %s",
			          n == 0 ? "it is gone" : strerror(errno));
			return false;
		}
		if (raw && (size_t)n <= PSM_MSG_MAX) {
			memcpy(raw, px->rxbuf, (size_t)n);
			*raw_len = (size_t)n;
		}
		psm_msg_t m;
		char why[128];
		if (!psm_decode(px->rxbuf, (size_t)n > PSM_MSG_MAX ? PSM_MSG_MAX : (size_t)n,
		                (size_t)n > PSM_MSG_MAX, &m, why, sizeof(why)) ||
		    m.hdr.type != PSM_REPLY) {
			log_error(DBG_KERNEL, PLUGIN_NAME ": bad answer from the parent: %s",
			          why[0] ? why : "not a reply");
			return false;
		}
		if (m.hdr.seq != seq)
			continue;
		*out = m.u.reply;
		return true;
	}
}

static bool call(proxy_t *px, uint16_t type, const void *body, size_t len,
                 psm_reply_t *reply)
{
	psm_reply_t r;
	bool ok = false;

	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&px->lock);
	uint32_t seq = ++px->seq;
	if (!psm_send(px->kernel_fd, type, seq, body, len, NULL, 0))
		log_error(DBG_KERNEL, PLUGIN_NAME ": cannot send %s to the parent: %s",
		          psm_type_name(type), strerror(errno));
	else
		ok = await_reply(px, seq, &r, NULL, NULL);
	pthread_mutex_unlock(&px->lock);
	if (reply)
		*reply = r;
	return ok && r.ok == 1;
}

static bool px_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                       const struct sockaddr_storage *dst, uint8_t protocol,
                       uint32_t reqid, uint32_t *spi)
{
	psm_get_spi_t q;
	psm_reply_t r;

	memset(&q, 0, sizeof(q));
	q.src = *src;
	q.dst = *dst;
	q.protocol = protocol;
	q.reqid = reqid;
	if (!call((proxy_t *)self, PSM_GET_SPI, &q, sizeof(q), &r))
		return false;
	*spi = r.spi;
	return true;
}

static bool px_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	psm_sa_t p;

	if (!psm_sa_from_kernel(&p, sa)) {
		log_error(DBG_KERNEL, PLUGIN_NAME ": SA 0x%08x: key too long", sa->id.spi);
		return false;
	}
	bool ok = call((proxy_t *)self, PSM_ADD_SA, &p, sizeof(p), NULL);
	memwipe(&p, sizeof(p));
	return ok;
}

static bool px_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_src,
                         const struct sockaddr_storage *new_dst, bool encap)
{
	psm_update_sa_t u;

	memset(&u, 0, sizeof(u));
	u.id = *id;
	u.new_src = *new_src;
	u.new_dst = *new_dst;
	u.encap = encap;
	return call((proxy_t *)self, PSM_UPDATE_SA, &u, sizeof(u), NULL);
}

static bool px_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                        kernel_usage_t *usage)
{
	psm_reply_t r;

	if (!call((proxy_t *)self, PSM_QUERY_SA, id, sizeof(*id), &r))
		return false;
	*usage = r.usage;
	return true;
}

static bool px_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	return call((proxy_t *)self, PSM_DEL_SA, id, sizeof(*id), NULL);
}

static bool px_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	return call((proxy_t *)self, PSM_ADD_POLICY, p, sizeof(*p), NULL);
}

static bool px_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                            kernel_usage_t *usage)
{
	psm_reply_t r;

	if (!call((proxy_t *)self, PSM_QUERY_POLICY, p, sizeof(*p), &r))
		return false;
	*usage = r.usage;
	return true;
}

static bool px_match_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                            uint32_t *reqid)
{
	psm_reply_t r;

	if (!call((proxy_t *)self, PSM_MATCH_POLICY, p, sizeof(*p), &r))
		return false;
	*reqid = r.spi;
	return true;
}

static bool px_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	return call((proxy_t *)self, PSM_DEL_POLICY, p, sizeof(*p), NULL);
}

/* The parent flushes at shutdown itself (and refuses a flush before). */
static void px_flush(kernel_ipsec_t *self)
{
	(void)self;
}

/* ------------------------------------------------------------- events */

static void on_events(int fd, uint32_t events, void *arg)
{
	proxy_t *px = arg;

	for (;;) {
		ssize_t n = recv(fd, px->evbuf, PSM_MSG_MAX + 1, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0) {
			log_error(DBG_KERNEL, PLUGIN_NAME ": the parent closed the event "
			          "channel");
			loop_unwatch_fd(fd);
			return;
		}
		psm_msg_t m;
		char why[128];
		if (!psm_decode(px->evbuf, (size_t)n > PSM_MSG_MAX ? PSM_MSG_MAX : (size_t)n,
		                (size_t)n > PSM_MSG_MAX, &m, why, sizeof(why)) ||
		    m.hdr.type != PSM_EVENT) {
			log_error(DBG_KERNEL, PLUGIN_NAME ": bad event from the parent "
			          "dropped: %s", why[0] ? why : "not an event");
			continue;
		}
		kernel_ipsec_raise(&m.u.event);
	}
}

/* ESP-in-UDP from our NAT-T sockets, for the parent's userspace ESP. */
static void forward_esp(uint8_t *esp, size_t len, const struct sockaddr_storage *from,
                        const struct sockaddr_storage *to, void *ctx)
{
	proxy_t *px = ctx;
	psm_esp_t e;

	if (len == 0 || len > PSM_ESP_MAX)
		return;
	memset(&e, 0, sizeof(e));
	e.from = *from;
	e.to = *to;
	e.esp_len = (uint32_t)len;
	/* the events socket is not blocking: a full queue drops, as a
	 * full receive buffer would */
	psm_send(px->events_fd, PSM_ESP, 0, &e, sizeof(e), esp, len);
}

/* -------------------------------------------------------- test hook */

/* PSM_TEST_ENV: relay a datagram, unchanged, as a compromised engine
 * would, and return the parent's answer to the sender. */
static void on_test(int fd, uint32_t events, void *arg)
{
	proxy_t *px = arg;
	uint8_t *buf = xzalloc(PSM_MSG_MAX + 1);
	uint8_t *ans = xzalloc(PSM_MSG_MAX + 1);
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);

	ssize_t n = recvfrom(fd, buf, PSM_MSG_MAX + 1, MSG_DONTWAIT,
	                     (struct sockaddr *)&from, &flen);
	if (n >= 0) {
		size_t alen = 0;
		psm_reply_t r;
		uint32_t seq = 0;
		if ((size_t)n >= sizeof(psm_hdr_t))
			memcpy(&seq, buf + offsetof(psm_hdr_t, seq), sizeof(seq));
		pthread_mutex_lock(&px->lock);
		ssize_t s = send(px->kernel_fd, buf, (size_t)n, MSG_NOSIGNAL);
		bool got = s == n && await_reply(px, seq, &r, ans, &alen);
		pthread_mutex_unlock(&px->lock);
		if (!got) {
			alen = 0;
		}
		sendto(fd, ans, alen, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
	}
	free(buf);
	free(ans);
}

static int open_test_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------- plugin */

static void px_destroy(kernel_ipsec_t *self)
{
	proxy_t *px = (proxy_t *)self;

	if (px->esp)
		esp_udp_set_receiver(NULL, NULL);
	if (px->events_fd >= 0) {
		loop_unwatch_fd(px->events_fd);
		close(px->events_fd);
	}
	if (px->test_fd >= 0) {
		loop_unwatch_fd(px->test_fd);
		close(px->test_fd);
	}
	if (px->kernel_fd >= 0)
		close(px->kernel_fd);
	pthread_mutex_destroy(&px->lock);
	free(px->rxbuf);
	free(px->evbuf);
	free(px);
	instance = NULL;
}

static proxy_t *px_create(void)
{
	psm_env_t env;

	if (!psm_env_parse(getenv(PSM_ENV), &env)) {
		log_error(DBG_KERNEL, PLUGIN_NAME ": only the engine of a daemon with "
		          "daemon.privsep = true loads this plugin (no %s)", PSM_ENV);
		return NULL;
	}
	proxy_t *px = xzalloc(sizeof(*px));
	px->kernel_fd = env.kernel;
	px->events_fd = env.events;
	px->test_fd = -1;
	px->esp = env.esp;
	pthread_mutex_init(&px->lock, NULL);
	px->rxbuf = xzalloc(PSM_MSG_MAX + 1);
	px->evbuf = xzalloc(PSM_MSG_MAX + 1);
	px->public.get_spi = px_get_spi;
	px->public.add_sa = px_add_sa;
	px->public.update_sa = px_update_sa;
	px->public.query_sa = px_query_sa;
	px->public.del_sa = px_del_sa;
	px->public.add_policy = px_add_policy;
	px->public.query_policy = px_query_policy;
	px->public.match_policy = px_match_policy;
	px->public.del_policy = px_del_policy;
	px->public.flush = px_flush;
	px->public.destroy = px_destroy;
	/* The parent checked can_install for every rule before starting us;
	 * the UDP sockets came with their bypass: both stay NULL. */
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_SECS };
	setsockopt(px->kernel_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!loop_watch_fd(px->events_fd, EPOLLIN, on_events, px)) {
		px->events_fd = -1;
		px_destroy(&px->public);
		return NULL;
	}
	const char *test = getenv(PSM_TEST_ENV);
	if (test && *test) {
		px->test_fd = open_test_socket(test);
		if (px->test_fd < 0 || !loop_watch_fd(px->test_fd, EPOLLIN, on_test, px)) {
			log_error(DBG_KERNEL, PLUGIN_NAME ": cannot open the test socket "
			          "%s: %s", test, strerror(errno));
		} else {
			log_op(DBG_KERNEL, PLUGIN_NAME ": TEST HOOK: relaying datagrams "
			       "from %s to the parent (%s)", test, PSM_TEST_ENV);
		}
	}
	if (px->esp)
		esp_udp_set_receiver(forward_esp, px);
	return px;
}

static bool feature_cb(ikev2d_plugin_t *plugin, const plugin_feature_t *f, bool load)
{
	privsep_plugin_t *p = (privsep_plugin_t *)plugin;

	(void)f;
	if (!load) {
		if (p->px) {
			kernel_ipsec_unregister(&p->px->public);
			p->px->public.destroy(&p->px->public);
			p->px = NULL;
		}
		return true;
	}
	p->px = px_create();
	if (!p->px)
		return false;
	if (!kernel_ipsec_register(PLUGIN_NAME, &p->px->public)) {
		p->px->public.destroy(&p->px->public);
		p->px = NULL;
		return false;
	}
	instance = p->px;
	/* The engine needs no privilege: the parent holds it. */
	kernel_ipsec_declare_capabilities(0);
	log_op(DBG_KERNEL, PLUGIN_NAME ": kernel requests go to the privileged "
	       "parent%s", p->px->esp ? "; ESP-in-UDP is forwarded to its "
	       "userspace ESP" : "");
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
	free(self);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	privsep_plugin_t *p = xzalloc(sizeof(*p));

	p->public.name = PLUGIN_NAME;
	p->public.get_features = get_features;
	p->public.destroy = destroy;
	return &p->public;
}
