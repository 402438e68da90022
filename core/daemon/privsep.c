/*
 * privsep.c - the privileged parent of in.ikev2d under privilege
 * separation, and the engine's end of the control channel (privsep.h).
 *
 * The parent runs every request on one thread (its event loop): the
 * kernel backend is called from nowhere else but its own event callbacks,
 * and the guard (privsep_guard.c) needs no lock.
 */
#include "daemon/privsep.h"
#include "daemon/daemon_priv.h"
#include "daemon/privsep_keys.h"
#include "kernel/privsep_guard.h"
#include "kernel/privsep_msg.h"
#include "lib/plugin_loader.h"
#include "net/ctl_socket.h"
#include "net/net.h"

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/runtime.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long shutdown waits for the engine's Deletes and exit. */
#define ENGINE_GRACE_MS 8000

static struct {
	pid_t pid;
	int kernel_fd, events_fd, ctl_fd;
	psg_t *guard;
	uint8_t *buf;           /* PSM_MSG_MAX + 1, loop thread */
	uint8_t *evbuf;
	bool shutting, ready;
	_Atomic bool exited;    /* set by wait_engine_job (a worker), read by the loop */
	int status;
	void (*ready_cb)(void);
	privsep_read_cb_t read_cb;
	pthread_mutex_t ev_lock;
} P = { .pid = -1, .kernel_fd = -1, .events_fd = -1, .ctl_fd = -1,
        .ev_lock = PTHREAD_MUTEX_INITIALIZER };

pid_t privsep_engine_pid(void)
{
	return P.pid;
}

int privsep_parent_status(void)
{
	return P.status;
}

void privsep_parent_on_ready(void (*cb)(void))
{
	P.ready_cb = cb;
}

/* ------------------------------------------------------- requests */

static void reply(uint32_t seq, bool ok, uint32_t spi, const kernel_usage_t *usage)
{
	psm_reply_t r;

	memset(&r, 0, sizeof(r));
	r.ok = ok ? 1 : 0;
	r.spi = spi;
	if (usage)
		r.usage = *usage;
	if (!psm_send(P.kernel_fd, PSM_REPLY, seq, &r, sizeof(r), NULL, 0))
		log_error(DBG_KERNEL, "privsep parent: cannot answer the engine: %s",
		          strerror(errno));
}

static bool run_request(psm_msg_t *m, uint32_t *spi, kernel_usage_t *usage)
{
	switch (m->hdr.type) {
	case PSM_GET_SPI:
		return kernel_get_spi(&m->u.get_spi.src, &m->u.get_spi.dst,
		                      m->u.get_spi.protocol, m->u.get_spi.reqid, spi);
	case PSM_ADD_SA: {
		kernel_sa_t sa;
		psm_sa_to_kernel(&sa, &m->u.sa);
		return kernel_add_sa(&sa);
	}
	case PSM_UPDATE_SA:
		return kernel_update_sa(&m->u.update.id, &m->u.update.new_src,
		                        &m->u.update.new_dst, m->u.update.encap);
	case PSM_QUERY_SA:
		return kernel_query_sa(&m->u.id, usage);
	case PSM_DEL_SA:
		return kernel_del_sa(&m->u.id);
	case PSM_ADD_POLICY:
		return kernel_add_policy(&m->u.policy);
	case PSM_QUERY_POLICY:
		return kernel_query_policy(&m->u.policy, usage);
	case PSM_DEL_POLICY:
		return kernel_del_policy(&m->u.policy);
	case PSM_MATCH_POLICY:
		return kernel_match_policy(&m->u.policy, spi);
	case PSM_FLUSH:
		kernel_flush();
		return true;
	}
	return false;
}

/* One datagram of the socketpair into buf (PSM_MSG_MAX + 1 bytes): 1 with
 * *len (at most PSM_MSG_MAX) and *truncated set, 0 when the other end has
 * closed, -1 when nothing is left to read now.  MSG_TRUNC makes recv()
 * say how long an oversized datagram really was, so it is refused whole
 * instead of being read as a shorter one. */
static int psm_recv(int fd, uint8_t *buf, size_t *len, bool *truncated)
{
	for (;;) {
		ssize_t n = recv(fd, buf, PSM_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*truncated = (size_t)n > PSM_MSG_MAX;
		*len = *truncated ? PSM_MSG_MAX : (size_t)n;
		return 1;
	}
}

static void on_request(int fd, uint32_t events, void *arg)
{
	(void)arg;
	size_t len;
	bool truncated;
	int got;
	while ((got = psm_recv(fd, P.buf, &len, &truncated)) > 0) {
		uint32_t seq = 0;
		if (len >= sizeof(psm_hdr_t))
			memcpy(&seq, P.buf + offsetof(psm_hdr_t, seq), sizeof(seq));
		psm_msg_t m;
		char why[256];
		if (!psm_decode(P.buf, len, truncated, &m, why, sizeof(why))) {
			log_error(DBG_KERNEL, "privsep parent: REFUSED a malformed request "
			          "from the engine (%s%zu bytes): %s",
			          truncated ? "over " : "", len, why);
			memwipe(P.buf, len);
			reply(seq, false, 0, NULL);
			continue;
		}
		if (!psg_check(P.guard, &m, why, sizeof(why))) {
			log_error(DBG_KERNEL, "privsep parent: REFUSED %s from the engine: %s",
			          psm_type_name(m.hdr.type), why);
			reply(seq, false, 0, NULL);
			memwipe(&m, sizeof(m));
			memwipe(P.buf, len);
			continue;
		}
		uint32_t spi = 0;
		kernel_usage_t usage;
		memset(&usage, 0, sizeof(usage));
		bool ok = run_request(&m, &spi, &usage);
		psg_done(P.guard, &m, ok, spi);
		log_verbose(DBG_KERNEL, "privsep parent: %s for the engine: %s",
		            psm_type_name(m.hdr.type), ok ? "done" : "failed");
		memwipe(&m, sizeof(m));
		memwipe(P.buf, len);
		reply(seq, ok, spi, &usage);
	}
	if (got == 0)
		loop_unwatch_fd(fd);
}

/* The real backend's events, to the engine. */
static void on_kernel_event(const kernel_event_t *ev, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&P.ev_lock);
	bool ok = P.events_fd >= 0 &&
	          psm_send(P.events_fd, PSM_EVENT, 0, ev, sizeof(*ev), NULL, 0);
	pthread_mutex_unlock(&P.ev_lock);
	if (!ok)
		log_error(DBG_KERNEL, "privsep parent: kernel event %d not passed to "
		          "the engine: %s", (int)ev->type, strerror(errno));
}

/* ESP-in-UDP the engine received, for this process's userspace ESP. */
static void on_engine_events(int fd, uint32_t events, void *arg)
{
	(void)arg;
	for (;;) {
		ssize_t n = recv(fd, P.evbuf, PSM_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				loop_unwatch_fd(fd);
			return;
		}
		psm_msg_t m;
		char why[256];
		bool truncated = (size_t)n > PSM_MSG_MAX;
		if (!psm_decode(P.evbuf, truncated ? PSM_MSG_MAX : (size_t)n, truncated,
		                &m, why, sizeof(why)) || m.hdr.type != PSM_ESP) {
			log_error(DBG_KERNEL, "privsep parent: REFUSED a message on the "
			          "event channel: %s", why[0] ? why : "not ESP");
			continue;
		}
		esp_udp_deliver((uint8_t *)m.var, m.var_len, &m.u.esp.from, &m.u.esp.to);
	}
}

void privsep_parent_on_read(privsep_read_cb_t cb)
{
	P.read_cb = cb;
}

/* Whether path is outside the keystore (a file there would go to the
 * engine as a reload text or in an error line, and the engine must never
 * see private/); err says why not. */
static bool outside_keystore(const char *path, char *err, size_t errlen)
{
	config_t *cfg = config_current();
	const char *ks = cfg ? cfg->daemon.keystore : NULL;
	char rp[PATH_MAX], rk[PATH_MAX];
	bool ok = true;

	if (ks && realpath(ks, rk) && realpath(path, rp)) {
		size_t n = strlen(rk);
		if (strncmp(rp, rk, n) == 0 && (rp[n] == '/' || rp[n] == '\0')) {
			snprintf(err, errlen, "%s is inside the keystore %s: not read",
			         path, ks);
			ok = false;
		}
	}
	if (cfg)
		config_unref(cfg);
	return ok;
}

/* Whether this process can read path; err names the user it reads as
 * (the parent is daemon.user, not root, after its start). */
static bool readable(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		return true;
	}
	int e = errno;
	config_t *cfg = config_current();
	const char *user = cfg && cfg->daemon.run_user ? cfg->daemon.run_user : "?";
	if (e == EACCES)
		snprintf(err, errlen, "cannot read %s: %s (the privsep parent reads it "
		         "as %s, as on SIGHUP; fix: chown %s %s)", path, strerror(e),
		         user, user, path);
	else
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
	if (cfg)
		config_unref(cfg);
	return false;
}

/* PSM_READ: reload from the files named (the engine's texts follow as a
 * PSM_RELOAD), then the answer. */
static void do_read(int fd, const psm_msg_t *m)
{
	const psm_read_t *r = &m->u.read;
	char *path = r->path_len ? xzalloc(r->path_len + 1) : NULL;
	char *psk = r->psk_path_len ? xzalloc(r->psk_path_len + 1) : NULL;
	char err[PSM_READ_MSG_MAX] = "";
	bool ok = false;

	if (path)
		memcpy(path, m->var, r->path_len);
	if (psk)
		memcpy(psk, m->var + r->path_len, r->psk_path_len);
	log_op(DBG_OP, "privsep parent: ikeadm read (through the engine): %s%s%s",
	       path ? path : "the configuration file", psk ? " with the keys of " : "",
	       psk ? psk : "");
	if (P.shutting)
		snprintf(err, sizeof(err), "the daemon is shutting down");
	else if (!P.read_cb)
		snprintf(err, sizeof(err), "not supported by this daemon: reloading");
	else if ((!path || (outside_keystore(path, err, sizeof(err)) &&
	                    readable(path, err, sizeof(err)))) &&
	         (!psk || (outside_keystore(psk, err, sizeof(err)) &&
	                   readable(psk, err, sizeof(err)))))
		ok = P.read_cb(path, psk, err, sizeof(err));
	if (!ok && !err[0])
		snprintf(err, sizeof(err), "the reload failed (see the daemon's log)");
	if (!ok)
		log_error(DBG_OP, "privsep parent: ikeadm read refused: %s", err);
	psm_read_done_t d = { .ok = ok ? 1 : 0, .msg_len = ok ? 0 : (uint32_t)strlen(err) };
	if (!psm_send(fd, PSM_READ_DONE, m->hdr.seq, &d, sizeof(d), err, d.msg_len))
		log_error(DBG_OP, "privsep parent: cannot answer the engine's read: %s",
		          strerror(errno));
	free(path);
	free(psk);
}

static void on_ctl(int fd, uint32_t events, void *arg)
{
	/* the largest the engine may send: a PSM_READ with two paths */
	static uint8_t b[sizeof(psm_hdr_t) + sizeof(psm_read_t) + 2 * 4096];

	(void)arg;
	for (;;) {
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				loop_unwatch_fd(fd);
			return;
		}
		psm_msg_t m;
		char why[128];
		if (!psm_decode(b, (size_t)n > sizeof(b) ? sizeof(b) : (size_t)n,
		                (size_t)n > sizeof(b), &m, why, sizeof(why)) ||
		    (m.hdr.type != PSM_READY && m.hdr.type != PSM_READ)) {
			log_error(DBG_OP, "privsep parent: REFUSED a control message "
			          "from the engine: %s", why[0] ? why : "not READY or READ");
			continue;
		}
		if (m.hdr.type == PSM_READ) {
			do_read(fd, &m);
			continue;
		}
		if (!P.ready) {
			P.ready = true;
			if (P.ready_cb)
				P.ready_cb();
		}
	}
}

/* ---------------------------------------------------------- start */

static bool keep_across_exec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) == 0;
}

static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

bool privsep_parent_start(config_t *cfg, char *const *argv, int ctl_fd,
                          const char *ctl_path)
{
	int kp[2], ep[2], cp[2];
	int socks[NET_FD_SLOTS];
	bool encap;
	int big = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, kp) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ep) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cp) < 0) {
		log_error(DBG_OP, "privsep: socketpair: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(kp[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(ep[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(cp[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	net_export_fds(socks, &encap);
	bool esp = esp_udp_wanted();
	const char *backend = plugin_feature_provider("kernel-ipsec");
	char env[160];
	snprintf(env, sizeof(env), "%d,%d,%d,%d,%d,%d,%d,%d,%d", cp[1], kp[1], ep[1],
	         socks[0], socks[1], socks[2], socks[3], encap ? 1 : 0, esp ? 1 : 0);

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		log_error(DBG_OP, "privsep: fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		/* The engine: nothing of the parent's survives the exec but
		 * these descriptors, and the bounding set loses what only
		 * the parent needs (the engine drops the rest itself). */
		bool ok = keep_across_exec(kp[1]) && keep_across_exec(ep[1]) &&
		          keep_across_exec(cp[1]);
		for (int i = 0; i < NET_FD_SLOTS; i++)
			if (socks[i] >= 0)
				ok = ok && keep_across_exec(socks[i]);
		unsetenv(CTL_SOCKET_ENV);
		if (ctl_fd >= 0) {
			char ce[160];
			ok = ok && keep_across_exec(ctl_fd) &&
			     (size_t)snprintf(ce, sizeof(ce), "%d %s", ctl_fd, ctl_path) <
			     sizeof(ce) && setenv(CTL_SOCKET_ENV, ce, 1) == 0;
		}
		/* Its end of the keys process's socketpair; the keystore
		 * itself out of its sight (HACKING.md, "The keys process"). */
		int kfd = privsep_keys_engine_fd();
		if (kfd >= 0) {
			char kenv[16];
			snprintf(kenv, sizeof(kenv), "%d", kfd);
			ok = ok && keep_across_exec(kfd);
			setenv(PRIVSEP_KEYS_CLIENT_ENV, kenv, 1);
			privsep_keys_hide(cfg->daemon.keystore);
		}
		nonblock(ep[1]);
		setenv(PSM_ENV, env, 1);
		setenv(PRIVSEP_BACKEND_ENV, backend ? backend : "", 1);
		/* under systemd the engine logs to stderr (the journal) too */
		if (getenv("NOTIFY_SOCKET"))
			setenv("IKEV2D_PRIVSEP_JOURNAL", "1", 1);
		unsetenv("NOTIFY_SOCKET");
		if (ok && daemon_engine_bounding())
			execv("/proc/self/exe", argv);
		fprintf(stderr, "in.ikev2d: cannot start the engine: %s\n", strerror(errno));
		_exit(127);
	}
	P.pid = pid;
	if (ctl_fd >= 0)
		close(ctl_fd);   /* the engine's now */
	privsep_keys_engine_forked();
	close(kp[1]);
	close(ep[1]);
	close(cp[1]);
	P.kernel_fd = kp[0];
	P.events_fd = ep[0];
	P.ctl_fd = cp[0];
	nonblock(P.events_fd);
	/* The parent reads no network input: its sockets go, unless its
	 * backend does ESP itself and sends ESP-in-UDP on them. */
	if (esp)
		net_esp_send_only();
	else
		net_close();
	P.buf = xzalloc(PSM_MSG_MAX + 1);
	P.evbuf = xzalloc(PSM_MSG_MAX + 1);
	P.guard = psg_create();
	psg_set_config(P.guard, cfg);
	/* the CHILD SAs of administrators' policies: the backend itself
	 * tells whether such a policy holds what the engine asks for */
	psg_set_spd(P.guard, kernel_match_policy);
	kernel_ipsec_set_listener(on_kernel_event, NULL);
	if (!loop_watch_fd(P.kernel_fd, EPOLLIN, on_request, NULL) ||
	    !loop_watch_fd(P.events_fd, EPOLLIN, on_engine_events, NULL) ||
	    !loop_watch_fd(P.ctl_fd, EPOLLIN, on_ctl, NULL))
		return false;
	log_op(DBG_OP, "privsep: engine started (pid %ld); this parent (pid %ld) "
	       "runs the kernel backend '%s'%s", (long)pid, (long)getpid(),
	       backend ? backend : "?", esp ? " and its ESP data path" : "");
	return true;
}

/* --------------------------------------------------------- reload */

/* The whole file, at most PSM_TEXT_MAX bytes; NULL (logged) otherwise. */
static char *read_text(const char *path, size_t *len, bool required)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (required || errno != ENOENT)
			log_error(DBG_CONFIG, "privsep parent: cannot read %s: %s", path,
			          strerror(errno));
		return NULL;
	}
	char *buf = xzalloc(PSM_TEXT_MAX + 1);
	size_t n = fread(buf, 1, PSM_TEXT_MAX + 1, f);
	fclose(f);
	if (n > PSM_TEXT_MAX || memchr(buf, 0, n)) {
		log_error(DBG_CONFIG, "privsep parent: %s is larger than %d bytes or "
		          "not text: not sent to the engine", path, PSM_TEXT_MAX);
		memwipe(buf, n);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

void privsep_parent_reload(config_t *cfg)
{
	size_t tl = 0, pl = 0;
	char *text = read_text(cfg->path, &tl, true);
	const char *psk_path = cfg->daemon.preshared_file ? cfg->daemon.preshared_file : "";
	char *psk = *psk_path ? read_text(psk_path, &pl, false) : NULL;

	if (!text) {
		free(psk);
		log_error(DBG_OP, "privsep parent: reload not sent to the engine");
		return;
	}
	psg_set_config(P.guard, cfg);
	psm_reload_t r = {
		.path_len = (uint32_t)strlen(cfg->path), .text_len = (uint32_t)tl,
		.psk_path_len = psk ? (uint32_t)strlen(psk_path) : 0,
		.psk_text_len = (uint32_t)pl,
	};
	size_t vlen = r.path_len + r.text_len + r.psk_path_len + r.psk_text_len;
	uint8_t *var = xzalloc(vlen + 1);
	size_t o = 0;
	memcpy(var + o, cfg->path, r.path_len); o += r.path_len;
	memcpy(var + o, text, tl); o += tl;
	if (psk) {
		memcpy(var + o, psk_path, r.psk_path_len); o += r.psk_path_len;
		memcpy(var + o, psk, pl); o += pl;
	}
	/* The keys process first: it has the new keystore before the
	 * engine asks for it. */
	privsep_keys_reload(&r, sizeof(r), var, vlen);
	if (!psm_send(P.ctl_fd, PSM_RELOAD, 0, &r, sizeof(r), var, vlen))
		log_error(DBG_OP, "privsep parent: cannot send the reload to the "
		          "engine: %s", strerror(errno));
	memwipe(var, vlen);
	free(var);
	memwipe(text, tl);
	free(text);
	if (psk) {
		memwipe(psk, pl);
		free(psk);
	}
}

/* ------------------------------------------------ shutdown, death */

static void flush_and_stop(int status)
{
	kernel_ipsec_set_listener(NULL, NULL);
	kernel_flush();
	P.status = status;
	runtime_stop();
}

static void wait_engine_job(void *arg)
{
	int st;
	(void)arg;
	for (int waited = 0; waited < ENGINE_GRACE_MS; waited += 50) {
		if (waitpid(P.pid, &st, WNOHANG) == P.pid) {
			P.exited = true;
			break;
		}
		usleep(50 * 1000);
	}
	if (!P.exited) {
		log_error(DBG_OP, "privsep parent: the engine did not stop within %d ms: "
		          "killed", ENGINE_GRACE_MS);
		kill(P.pid, SIGKILL);
		waitpid(P.pid, &st, 0);
		P.exited = true;
	}
	psg_set_shutdown(P.guard, true);
	flush_and_stop(EXIT_SUCCESS);
}

void privsep_parent_shutdown(void)
{
	if (P.shutting)
		return;
	P.shutting = true;
	if (P.pid > 0 && !P.exited)
		kill(P.pid, SIGTERM);
	job_queue(wait_engine_job, NULL);
}

void privsep_parent_reap(void)
{
	int st;
	bool keys_gone = privsep_keys_reap();

	if (P.shutting || P.exited || P.pid <= 0)
		return;
	if (waitpid(P.pid, &st, WNOHANG) != P.pid) {
		if (!keys_gone)
			return;
		/* Nothing signs for the engine any more: stop it as if it
		 * had died. */
		log_error(DBG_OP, "privsep parent: without its keys process the engine "
		          "(pid %ld) cannot authenticate: killing it, flushing the "
		          "kernel state and stopping", (long)P.pid);
		kill(P.pid, SIGKILL);
		waitpid(P.pid, &st, 0);
		P.exited = true;
		P.shutting = true;
		flush_and_stop(EXIT_FAILURE);
		return;
	}
	P.exited = true;
	if (WIFEXITED(st))
		log_error(DBG_OP, "privsep parent: the engine (pid %ld) exited with status "
		          "%d: flushing the kernel state and stopping", (long)P.pid,
		          WEXITSTATUS(st));
	else
		log_error(DBG_OP, "privsep parent: the engine (pid %ld) died of signal %d "
		          "(%s): flushing the kernel state and stopping", (long)P.pid,
		          WTERMSIG(st), strsignal(WTERMSIG(st)));
	P.shutting = true;
	flush_and_stop(EXIT_FAILURE);
}

/* ------------------------------------------------- engine's side */

static struct {
	int fd;
	uint8_t *buf;
	void (*reload)(config_t *cfg);
	void (*gone)(void);
	const psm_msg_t *m;     /* the reload being applied */
	/* ikeadm read: one at a time (one), its answer under lock */
	pthread_mutex_t one, lock;
	pthread_cond_t cond;
	uint32_t seq;           /* of the read waiting; 0: none */
	bool done, ok, gone_parent;
	char msg[PSM_READ_MSG_MAX + 1];
} E = { .fd = -1, .one = PTHREAD_MUTEX_INITIALIZER,
        .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* PSM_READ_DONE (loop thread): the waiting read's answer. */
static void read_done(const psm_msg_t *m)
{
	pthread_mutex_lock(&E.lock);
	if (E.seq && m->hdr.seq == E.seq) {
		E.done = true;
		E.ok = m->u.read_done.ok == 1;
		memcpy(E.msg, m->var, m->var_len);
		E.msg[m->var_len] = '\0';
		pthread_cond_broadcast(&E.cond);
	} else {
		log_error(DBG_OP, "engine: an answer to no read from the parent (seq %u)",
		          (unsigned)m->hdr.seq);
	}
	pthread_mutex_unlock(&E.lock);
}

bool privsep_engine_read(const char *path, const char *psk, char *err,
                         size_t errlen)
{
	static uint32_t next_seq;
	psm_read_t r = { .path_len = path ? (uint32_t)strlen(path) : 0,
	                 .psk_path_len = psk ? (uint32_t)strlen(psk) : 0 };
	char var[2 * 4096];
	bool ok = false;

	if (r.path_len > 4096 || r.psk_path_len > 4096) {
		snprintf(err, errlen, "path too long");
		return false;
	}
	memcpy(var, path ? path : "", r.path_len);
	memcpy(var + r.path_len, psk ? psk : "", r.psk_path_len);
	pthread_mutex_lock(&E.one);
	pthread_mutex_lock(&E.lock);
	E.seq = ++next_seq ? next_seq : ++next_seq;
	E.done = false;
	uint32_t seq = E.seq;
	pthread_mutex_unlock(&E.lock);
	if (E.fd < 0 || !psm_send(E.fd, PSM_READ, seq, &r, sizeof(r), var,
	                          r.path_len + r.psk_path_len)) {
		snprintf(err, errlen, "cannot ask the privileged parent: %s",
		         E.fd < 0 ? "no channel" : strerror(errno));
	} else {
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += PRIVSEP_READ_TIMEOUT_MS / 1000;
		pthread_mutex_lock(&E.lock);
		int rc = 0;
		while (!E.done && !E.gone_parent && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&E.cond, &E.lock, &dl);
		if (E.done) {
			ok = E.ok;
			if (!ok)
				snprintf(err, errlen, "%s", E.msg);
		} else {
			snprintf(err, errlen, "the privileged parent did not answer%s",
			         E.gone_parent ? " (it is gone)" : " in time");
		}
		pthread_mutex_unlock(&E.lock);
	}
	pthread_mutex_lock(&E.lock);
	E.seq = 0;
	pthread_mutex_unlock(&E.lock);
	pthread_mutex_unlock(&E.one);
	return ok;
}

/* config_reader_t over the texts of E.m. */
static char *reader(const char *path, size_t *len)
{
	return psm_reload_text(E.m, path, len);
}

static void on_engine_ctl(int fd, uint32_t events, void *arg)
{
	(void)arg;
	size_t len;
	bool truncated;
	int got;
	while ((got = psm_recv(fd, E.buf, &len, &truncated)) > 0) {
		psm_msg_t m;
		char why[128] = "";
		if (!psm_decode(E.buf, len, truncated, &m, why, sizeof(why)) ||
		    (m.hdr.type != PSM_RELOAD && m.hdr.type != PSM_READ_DONE)) {
			log_error(DBG_OP, "engine: bad control message from the parent: %s",
			          why[0] ? why : "not a reload");
			memwipe(E.buf, len);
			continue;
		}
		if (m.hdr.type == PSM_READ_DONE) {
			read_done(&m);
			continue;
		}
		char *path = xzalloc(m.u.reload.path_len + 1);
		memcpy(path, m.var, m.u.reload.path_len);
		int n_errors = 0;
		E.m = &m;
		config_set_reader(reader);
		config_t *cfg = config_load(path, &n_errors);
		config_set_reader(NULL);
		E.m = NULL;
		memwipe(E.buf, len);
		if (!cfg)
			log_error(DBG_OP, "engine: the configuration the parent sent does "
			          "not load (%d error%s): keeping the running one",
			          n_errors, n_errors == 1 ? "" : "s");
		else {
			E.reload(cfg);
			config_unref(cfg);
		}
		free(path);
	}
	if (got == 0) {
		loop_unwatch_fd(fd);
		pthread_mutex_lock(&E.lock);
		E.gone_parent = true;
		pthread_cond_broadcast(&E.cond);
		pthread_mutex_unlock(&E.lock);
		if (E.gone)
			E.gone();
	}
}

bool privsep_engine_watch_control(int ctl_fd, void (*reload)(config_t *cfg),
                                  void (*parent_gone)(void))
{
	E.fd = ctl_fd;
	E.reload = reload;
	E.gone = parent_gone;
	E.buf = xzalloc(PSM_MSG_MAX + 1);
	return loop_watch_fd(ctl_fd, EPOLLIN, on_engine_ctl, NULL);
}

void privsep_engine_ready(int ctl_fd)
{
	if (!psm_send(ctl_fd, PSM_READY, 0, NULL, 0, NULL, 0))
		log_error(DBG_OP, "engine: cannot tell the parent it is ready: %s",
		          strerror(errno));
}
