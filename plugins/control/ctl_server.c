/*
 * ctl_server.c - accepting, reading, writing and timing out control
 * clients (ctl_server.h).
 *
 * Threads: the event loop accepts, reads and writes (non-blocking, never
 * waiting on a client); commands run as jobs on workers, one step at a
 * time, and only append to the client's output buffer.  A command whose
 * client lags more than CTL_BACKLOG_HIGH bytes behind is parked until the
 * loop has written it down to CTL_BACKLOG_LOW, so a slow reader costs a
 * buffer, never a worker.  A timerfd on the loop closes clients that stall
 * (a request not complete in CTL_REQUEST_TIMEOUT_MS, output not taken for
 * CTL_WRITE_TIMEOUT_MS, idle for CTL_IDLE_TIMEOUT_MS).
 *
 * Lock order: a connection's lock, then the loop's (loop_watch_fd).  Only
 * the loop thread closes a connection; the descriptor is closed when the
 * last reference (the loop's, a running job's) goes.
 */
#define _GNU_SOURCE
#include "ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/runtime.h>

#define CTL_REQUEST_TIMEOUT_MS 10000
#define CTL_WRITE_TIMEOUT_MS   30000
#define CTL_IDLE_TIMEOUT_MS    300000
#define CTL_MAX_CLIENTS        256
#define HTTP_MAX_REQUEST       4096
#define NGROUPS_MAX_CHECKED    1024

struct ctl_conn {
	ctl_server_t *srv;
	ctl_conn_t *next;              /* srv->conns (srv->lock) */
	pthread_mutex_t lock;
	atomic_int refs;
	int fd;
	uid_t uid;
	pid_t pid;
	bool dead;                     /* closed by the loop: no more I/O */
	bool busy;                     /* a command runs (or is parked) */
	bool parked;                   /* waiting for the backlog to drain */
	bool eof;                      /* the client shut down its side */
	bool close_when_flushed;       /* after a protocol error or HTTP */
	uint8_t *in;                   /* request bytes read so far */
	size_t in_len, in_cap;
	uint8_t *out;                  /* queued frames */
	size_t out_off, out_len, out_cap;
	uint32_t watched;              /* epoll events asked for */
	uint64_t request_started_ms;   /* first byte of an unfinished request */
	uint64_t last_progress_ms;     /* last read or write */
	ctl_cmd_t *cmd;
};

struct ctl_server {
	int fd, timer_fd;
	gid_t gid;
	bool http;
	const ctl_handlers_t *h;
	pthread_mutex_t lock;
	ctl_conn_t *conns;
	int n_conns;
	atomic_int jobs;               /* command jobs queued or running */
};

/* ------------------------------------------------------------ opening */

int ctl_listen_tcp(const char *spec)
{
	char host[128];
	const char *port;
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		log_error(DBG_CTL, "control: metrics_listen '%s' is not ADDR:PORT", spec);
		return -1;
	}
	size_t hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		log_error(DBG_CTL, "control: metrics_listen '%s': address too long", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	port = colon + 1;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0 || !ai) {
		log_error(DBG_CTL, "control: metrics_listen '%s': %s", spec,
		          r ? gai_strerror(r) : "no address");
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		log_error(DBG_CTL, "control: metrics_listen %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* ---------------------------------------------------------- conn life */

static void conn_unref(ctl_conn_t *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	if (c->cmd)
		c->srv->h->free(c->cmd);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	if (c->in)
		explicit_bzero(c->in, c->in_cap);
	free(c->in);
	free(c->out);
	free(c);
}

/* Loop thread (or teardown): no more I/O; the fd closes with the last
 * reference. */
static void conn_close(ctl_conn_t *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->dead = true;
	pthread_mutex_unlock(&c->lock);
	loop_unwatch_fd(c->fd);
	ctl_server_t *s = c->srv;
	pthread_mutex_lock(&s->lock);
	for (ctl_conn_t **p = &s->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			s->n_conns--;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	conn_unref(c);   /* the loop's */
}

static void on_conn(int fd, uint32_t events, void *arg);

/* Ask for the events the connection needs now (c->lock held). */
static void rewatch(ctl_conn_t *c)
{
	if (c->dead)
		return;
	uint32_t ev = 0;
	if (!c->eof && c->in_len < c->in_cap)
		ev |= EPOLLIN;
	if (c->out_len > c->out_off)
		ev |= EPOLLOUT;
	if (ev != c->watched) {
		c->watched = ev;
		/* 0 still reports errors and hang-ups */
		loop_watch_fd(c->fd, ev, on_conn, c);
	}
}

/* Write what the socket takes now (c->lock held). */
static void flush_out(ctl_conn_t *c)
{
	while (!c->dead && c->out_len > c->out_off) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->last_progress_ms = time_monotonic_ms();
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;   /* EAGAIN, or an error the loop sees as EPOLLERR */
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	else if (c->out_off > c->out_cap / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
}

static bool queue_frame(ctl_conn_t *c, uint8_t type, const void *data, size_t len)
{
	if (c->dead)
		return false;
	size_t need = c->out_len + CTL_HDR_LEN + len;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 16384;
		while (cap < need)
			cap *= 2;
		c->out = xrealloc(c->out, cap);
		c->out_cap = cap;
	}
	ctl_hdr_write(c->out + c->out_len, type, (uint32_t)len);
	if (len)
		memcpy(c->out + c->out_len + CTL_HDR_LEN, data, len);
	c->out_len += CTL_HDR_LEN + len;
	return true;
}

bool ctl_conn_data(ctl_conn_t *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	pthread_mutex_lock(&c->lock);
	bool ok = !c->dead;
	if (c->srv->http) {
		/* raw bytes, no frames */
		if (ok) {
			if (c->out_len + len > c->out_cap) {
				size_t cap = c->out_cap ? c->out_cap : 16384;
				while (cap < c->out_len + len)
					cap *= 2;
				c->out = xrealloc(c->out, cap);
				c->out_cap = cap;
			}
			memcpy(c->out + c->out_len, p, len);
			c->out_len += len;
		}
	} else {
		while (ok && len) {
			size_t n = len > CTL_MAX_DATA ? CTL_MAX_DATA : len;
			ok = queue_frame(c, CTL_DATA, p, n);
			p += n;
			len -= n;
		}
	}
	if (ok) {
		flush_out(c);
		rewatch(c);
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void ctl_conn_end(ctl_conn_t *c, int status, const char *msg)
{
	size_t ml = msg ? strlen(msg) : 0;
	if (ml > CTL_MAX_DATA - 1)
		ml = CTL_MAX_DATA - 1;
	uint8_t *b = xmalloc(ml + 1);
	b[0] = (uint8_t)status;
	if (ml)
		memcpy(b + 1, msg, ml);
	pthread_mutex_lock(&c->lock);
	if (queue_frame(c, CTL_END, b, ml + 1)) {
		flush_out(c);
		rewatch(c);
	}
	pthread_mutex_unlock(&c->lock);
	free(b);
}

bool ctl_conn_alive(ctl_conn_t *c)
{
	pthread_mutex_lock(&c->lock);
	bool alive = !c->dead;
	pthread_mutex_unlock(&c->lock);
	return alive;
}

uid_t ctl_conn_uid(const ctl_conn_t *c) { return c->uid; }
pid_t ctl_conn_pid(const ctl_conn_t *c) { return c->pid; }

size_t ctl_conn_backlog(ctl_conn_t *c)
{
	pthread_mutex_lock(&c->lock);
	size_t n = c->out_len - c->out_off;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* ------------------------------------------------------------ commands */

static void try_dispatch(ctl_conn_t *c);

static void cmd_job(void *arg)
{
	ctl_conn_t *c = arg;
	ctl_server_t *s = c->srv;
	bool done = s->h->step(c->cmd, c);
	pthread_mutex_lock(&c->lock);
	if (done || c->dead) {
		s->h->free(c->cmd);
		c->cmd = NULL;
		c->busy = false;
		if (!c->dead && !s->http)
			try_dispatch(c);      /* a pipelined request */
		if (!c->dead)
			rewatch(c);
		pthread_mutex_unlock(&c->lock);
		atomic_fetch_sub(&s->jobs, 1);
		conn_unref(c);
		return;
	}
	if (c->out_len - c->out_off > CTL_BACKLOG_HIGH) {
		/* the loop queues us again once the client caught up */
		c->parked = true;
		pthread_mutex_unlock(&c->lock);
		atomic_fetch_sub(&s->jobs, 1);
		conn_unref(c);
		return;
	}
	pthread_mutex_unlock(&c->lock);
	/* Another step later, so handshakes get the workers in between. */
	job_queue(cmd_job, c);
}

/* Queue a job for the command (c->lock held; the job gets a reference). */
static void run_cmd(ctl_conn_t *c)
{
	c->busy = true;
	atomic_fetch_add(&c->refs, 1);
	atomic_fetch_add(&c->srv->jobs, 1);
	job_queue(cmd_job, c);
}

static void protocol_error(ctl_conn_t *c, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "protocol error: %s", why);
	uint8_t b[sizeof(msg) + 1];
	size_t ml = strlen(msg);
	b[0] = CTL_S_PROTOCOL;
	memcpy(b + 1, msg, ml);
	queue_frame(c, CTL_END, b, ml + 1);
	c->close_when_flushed = true;
	c->in_len = 0;
	log_op(DBG_CTL, "control: client pid %ld uid %ld: %s: closing",
	       (long)c->pid, (long)c->uid, why);
}

/* A complete request at the front of c->in starts (c->lock held). */
static void try_dispatch(ctl_conn_t *c)
{
	if (c->busy || c->close_when_flushed || c->in_len < CTL_HDR_LEN)
		return;
	ctl_hdr_t h;
	const char *err = ctl_hdr_parse(c->in, &h, CTL_MAX_REQUEST);
	if (!err && h.type != CTL_REQUEST)
		err = "expected a request frame";
	if (err) {
		protocol_error(c, err);
		return;
	}
	size_t total = CTL_HDR_LEN + h.length;
	if (c->in_len < total)
		return;
	ctl_request_t req;
	err = ctl_request_parse(c->in + CTL_HDR_LEN, h.length, &req);
	memmove(c->in, c->in + total, c->in_len - total);
	/* requests may carry a key or a PIN: no copy left behind */
	explicit_bzero(c->in + c->in_len - total, total);
	c->in_len -= total;
	c->request_started_ms = c->in_len ? time_monotonic_ms() : 0;
	if (err) {
		protocol_error(c, err);
		return;
	}
	c->cmd = c->srv->h->start(c, &req);
	run_cmd(c);
}

/* HTTP: a GET line complete in c->in starts (c->lock held). */
static void http_dispatch(ctl_conn_t *c)
{
	if (c->busy || c->close_when_flushed)
		return;
	void *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		end = memmem(c->in, c->in_len, "\n\n", 2);
	if (!end) {
		if (c->in_len >= c->in_cap) {
			static const char r[] = "HTTP/1.0 431 Request Header Fields Too "
			                        "Large\r\nConnection: close\r\n\r\n";
			memcpy(c->out, r, sizeof(r) - 1);
			c->out_len = sizeof(r) - 1;
			c->close_when_flushed = true;
		}
		return;
	}
	c->in[c->in_len < c->in_cap ? c->in_len : c->in_cap - 1] = '\0';
	ctl_request_t req = { 0 };
	req.buf = xmalloc(c->in_len + 1);
	memcpy(req.buf, c->in, c->in_len);
	req.buf[c->in_len] = '\0';
	req.argc = 1;
	req.argv[0] = req.buf;
	c->in_len = 0;
	c->close_when_flushed = true;   /* one request per connection */
	c->eof = true;                  /* read no more */
	c->cmd = c->srv->h->start(c, &req);
	run_cmd(c);
}

/* --------------------------------------------------------------- loop */

static void on_conn(int fd, uint32_t events, void *arg)
{
	ctl_conn_t *c = arg;
	bool close_now = false;
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (events & EPOLLIN) {
		while (c->in_len < c->in_cap) {
			ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len,
			                 MSG_DONTWAIT);
			if (n > 0) {
				if (!c->in_len)
					c->request_started_ms = time_monotonic_ms();
				c->in_len += (size_t)n;
				c->last_progress_ms = time_monotonic_ms();
				continue;
			}
			if (n == 0)
				c->eof = true;
			else if (errno == EINTR)
				continue;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_now = true;
			break;
		}
		if (c->srv->http)
			http_dispatch(c);
		else
			try_dispatch(c);
	}
	if (events & (EPOLLERR | EPOLLHUP))
		close_now = close_now || (events & EPOLLERR) || !(events & EPOLLIN);
	if (c->eof && !c->busy && c->in_len && !c->close_when_flushed && !c->srv->http)
		protocol_error(c, "truncated frame");
	flush_out(c);
	bool flushed = c->out_len == c->out_off;
	if (c->parked && c->out_len - c->out_off <= CTL_BACKLOG_LOW) {
		c->parked = false;
		atomic_fetch_add(&c->refs, 1);
		atomic_fetch_add(&c->srv->jobs, 1);
		job_queue(cmd_job, c);
	}
	/* Done with a client that left, or that we answer no more. */
	if (flushed && !c->busy && (c->eof || c->close_when_flushed))
		close_now = true;
	if (!close_now)
		rewatch(c);
	pthread_mutex_unlock(&c->lock);
	if (close_now)
		conn_close(c);
}

/* Root, or the control group as the peer process's primary or
 * supplementary group (SO_PEERGROUPS: the groups it had when it
 * connected, as the kernel checked them against the socket's mode). */
static bool peer_allowed(int fd, gid_t group, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return true;
	if (group == (gid_t)-1 || group == 0)
		return false;
	if (gid == group)
		return true;
	gid_t groups[NGROUPS_MAX_CHECKED];
	socklen_t len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == group)
				return true;
		return false;
	}
	if (errno != ENOPROTOOPT)
		return false;   /* ERANGE: more groups than we look at */
	/* Kernels before 4.13: the user's groups from the group database. */
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return false;
	int n = NGROUPS_MAX_CHECKED;
	if (getgrouplist(pw.pw_name, gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static void on_listen(int fd, uint32_t events, void *arg)
{
	ctl_server_t *s = arg;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_verbose(DBG_CTL, "control: accept: %s", strerror(errno));
			return;
		}
		ctl_conn_t *c = xzalloc(sizeof(*c));
		c->srv = s;
		c->fd = cfd;
		c->uid = (uid_t)-1;
		pthread_mutex_init(&c->lock, NULL);
		atomic_init(&c->refs, 1);
		c->in_cap = s->http ? HTTP_MAX_REQUEST : CTL_HDR_LEN + CTL_MAX_REQUEST;
		c->in = xmalloc(c->in_cap);
		c->last_progress_ms = time_monotonic_ms();
		bool refuse = false;
		const char *why = NULL;
		if (!s->http) {
			struct ucred cred;
			socklen_t cl = sizeof(cred);
			if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
				refuse = true;
				why = "no peer credentials";
			} else {
				c->uid = cred.uid;
				c->pid = cred.pid;
				if (!peer_allowed(cfd, s->gid, cred.uid, cred.gid)) {
					refuse = true;
					why = "neither root nor in the control group";
				}
			}
		}
		pthread_mutex_lock(&s->lock);
		if (!refuse && s->n_conns >= CTL_MAX_CLIENTS) {
			refuse = true;
			why = "too many clients";
		}
		if (!refuse) {
			c->next = s->conns;
			s->conns = c;
			s->n_conns++;
		}
		pthread_mutex_unlock(&s->lock);
		if (refuse) {
			log_op(DBG_CTL, "control: refused client pid %ld uid %ld: %s",
			       (long)c->pid, (long)c->uid, why);
			uint8_t b[96];
			int l = snprintf((char *)b + 1, sizeof(b) - 1, "permission denied: %s",
			                 why);
			b[0] = CTL_S_DENIED;
			uint8_t h[CTL_HDR_LEN];
			ctl_hdr_write(h, CTL_END, (uint32_t)l + 1);
			/* best effort, the socket is fresh: it takes this much */
			if (send(cfd, h, sizeof(h), MSG_DONTWAIT | MSG_NOSIGNAL) == sizeof(h)) {
				ssize_t sent = send(cfd, b, (size_t)l + 1,
				                    MSG_DONTWAIT | MSG_NOSIGNAL);
				(void)sent;
			}
			c->dead = true;
			conn_unref(c);
			continue;
		}
		pthread_mutex_lock(&c->lock);
		c->watched = EPOLLIN;
		if (!loop_watch_fd(cfd, EPOLLIN, on_conn, c)) {
			pthread_mutex_unlock(&c->lock);
			conn_close(c);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		log_verbose(DBG_CTL, "control: client pid %ld uid %ld connected",
		            (long)c->pid, (long)c->uid);
	}
}

/* Once a second: close clients that stall. */
static void on_timer(int fd, uint32_t events, void *arg)
{
	ctl_server_t *s = arg;
	uint64_t ticks;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	uint64_t now = time_monotonic_ms();
	for (;;) {
		ctl_conn_t *victim = NULL;
		const char *why = NULL;
		pthread_mutex_lock(&s->lock);
		for (ctl_conn_t *c = s->conns; c && !victim; c = c->next) {
			pthread_mutex_lock(&c->lock);
			if (c->out_len > c->out_off &&
			    now - c->last_progress_ms > CTL_WRITE_TIMEOUT_MS)
				why = "does not read its output";
			else if (!c->busy && c->in_len &&
			         now - c->request_started_ms > CTL_REQUEST_TIMEOUT_MS)
				why = "request not completed in time";
			else if (!c->busy && now - c->last_progress_ms > CTL_IDLE_TIMEOUT_MS)
				why = "idle";
			if (why) {
				victim = c;
				atomic_fetch_add(&c->refs, 1);
			}
			pthread_mutex_unlock(&c->lock);
		}
		pthread_mutex_unlock(&s->lock);
		if (!victim)
			return;
		log_op(DBG_CTL, "control: client pid %ld uid %ld %s: closing",
		       (long)victim->pid, (long)victim->uid, why);
		conn_close(victim);
		conn_unref(victim);
	}
}

ctl_server_t *ctl_server_create(int fd, gid_t gid, bool http,
                                const ctl_handlers_t *h)
{
	ctl_server_t *s = xzalloc(sizeof(*s));
	s->fd = fd;
	s->gid = gid;
	s->http = http;
	s->h = h;
	pthread_mutex_init(&s->lock, NULL);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	if (s->timer_fd < 0 || timerfd_settime(s->timer_fd, 0, &its, NULL) < 0 ||
	    !loop_watch_fd(s->timer_fd, EPOLLIN, on_timer, s) ||
	    !loop_watch_fd(fd, EPOLLIN, on_listen, s)) {
		log_error(DBG_CTL, "control: cannot watch the sockets");
		if (s->timer_fd >= 0) {
			loop_unwatch_fd(s->timer_fd);
			close(s->timer_fd);
		}
		pthread_mutex_destroy(&s->lock);
		free(s);
		close(fd);
		return NULL;
	}
	return s;
}

void ctl_server_destroy(ctl_server_t *s)
{
	if (!s)
		return;
	loop_unwatch_fd(s->fd);
	loop_unwatch_fd(s->timer_fd);
	close(s->fd);
	close(s->timer_fd);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		ctl_conn_t *c = s->conns;
		if (c)
			atomic_fetch_add(&c->refs, 1);
		pthread_mutex_unlock(&s->lock);
		if (!c)
			break;
		conn_close(c);
		conn_unref(c);
	}
	/* Running commands see their client gone and finish. */
	while (atomic_load(&s->jobs))
		usleep(1000);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
