/*
 * loop.c - the epoll event loop, and runtime_init/runtime_deinit which
 * start and stop the whole runtime.
 *
 * Watched descriptors are kept in a table indexed by fd; epoll reports the
 * fd, and the loop looks its callback up at dispatch time, so an fd
 * unwatched earlier in the same batch is simply skipped.  An unwatch from
 * another thread waits while the loop is inside that fd's callback, so
 * after loop_unwatch_fd() returns the callback is not running and will not
 * run again: the caller may close the fd and free arg.  runtime_stop()
 * writes to an eventfd, which is async-signal-safe.
 */
#include "runtime_priv.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/fetcher.h>
#include <ikev2d/runtime.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_EVENTS 64

typedef struct {
	fd_cb_t cb;
	void *arg;
} watch_t;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_done = PTHREAD_COND_INITIALIZER;
static watch_t *watches;      /* indexed by fd */
static int n_watches;         /* size of the table */
static int epfd = -1;
static int stopfd = -1;
static bool initialised;
static pthread_t loop_thread;
static bool loop_running;
static int in_callback = -1;  /* fd whose callback runs now, or -1 */

bool runtime_init(int min_threads, int max_threads)
{
	if (!runtime_init_loop())
		return false;
	if (!runtime_start_threads(min_threads, max_threads)) {
		runtime_deinit();
		return false;
	}
	return true;
}

bool runtime_init_loop(void)
{
	if (initialised) {
		log_error(DBG_OP, "runtime_init called twice");
		return false;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_error(DBG_OP, "epoll_create1: %s", strerror(errno));
		return false;
	}
	stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stopfd < 0) {
		log_error(DBG_OP, "eventfd: %s", strerror(errno));
		close(epfd);
		epfd = -1;
		return false;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = stopfd };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, stopfd, &ev) < 0) {
		log_error(DBG_OP, "epoll_ctl: %s", strerror(errno));
		goto fail_fds;
	}
	initialised = true;
	return true;

fail_fds:
	close(stopfd);
	close(epfd);
	stopfd = epfd = -1;
	return false;
}

bool runtime_start_threads(int min_threads, int max_threads)
{
	if (!initialised) {
		log_error(DBG_OP, "runtime_start_threads before runtime_init_loop");
		return false;
	}
	if (!workers_init(min_threads, max_threads))
		return false;
	fetcher_set_limit(max_threads > 0 ? (unsigned)max_threads : 1);
	if (!sched_init()) {
		workers_deinit();
		return false;
	}
	return true;
}

void runtime_stop(void)
{
	uint64_t one = 1;

	if (stopfd >= 0) {
		/* Only fails if the counter would overflow: already stopping. */
		ssize_t n = write(stopfd, &one, sizeof(one));
		(void)n;
	}
}

static void dispatch(int fd, uint32_t events)
{
	pthread_mutex_lock(&mutex);
	if (fd < 0 || fd >= n_watches || !watches[fd].cb) {
		pthread_mutex_unlock(&mutex);
		return;
	}
	watch_t w = watches[fd];
	in_callback = fd;
	pthread_mutex_unlock(&mutex);

	w.cb(fd, events, w.arg);

	pthread_mutex_lock(&mutex);
	in_callback = -1;
	pthread_cond_broadcast(&cb_done);
	pthread_mutex_unlock(&mutex);
}

void runtime_run(void)
{
	struct epoll_event events[MAX_EVENTS];

	if (!initialised) {
		log_error(DBG_OP, "runtime_run before runtime_init");
		return;
	}
	pthread_mutex_lock(&mutex);
	loop_thread = pthread_self();
	loop_running = true;
	pthread_mutex_unlock(&mutex);

	bool stop = false;
	while (!stop) {
		int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error(DBG_OP, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == stopfd) {
				uint64_t v;
				ssize_t r = read(stopfd, &v, sizeof(v));
				(void)r;
				stop = true;
				continue;
			}
			dispatch(events[i].data.fd, events[i].events);
		}
	}
	pthread_mutex_lock(&mutex);
	loop_running = false;
	pthread_mutex_unlock(&mutex);
}

bool loop_watch_fd(int fd, uint32_t events, fd_cb_t cb, void *arg)
{
	if (fd < 0 || !cb || !initialised) {
		log_error(DBG_OP, "loop_watch_fd: invalid fd %d or callback, or no runtime", fd);
		return false;
	}
	pthread_mutex_lock(&mutex);
	if (fd >= n_watches) {
		int n = n_watches ? n_watches : 64;
		while (n <= fd)
			n *= 2;
		watches = xrealloc(watches, (size_t)n * sizeof(*watches));
		memset(watches + n_watches, 0, (size_t)(n - n_watches) * sizeof(*watches));
		n_watches = n;
	}
	bool modify = watches[fd].cb != NULL;
	struct epoll_event ev = { .events = events, .data.fd = fd };
	if (epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;
		pthread_mutex_unlock(&mutex);
		log_error(DBG_OP, "cannot watch fd %d: %s", fd, strerror(err));
		return false;
	}
	watches[fd] = (watch_t){ .cb = cb, .arg = arg };
	pthread_mutex_unlock(&mutex);
	return true;
}

void loop_unwatch_fd(int fd)
{
	pthread_mutex_lock(&mutex);
	if (fd < 0 || fd >= n_watches || !watches[fd].cb) {
		pthread_mutex_unlock(&mutex);
		return;
	}
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	watches[fd] = (watch_t){ 0 };
	/* From another thread: wait until the loop has left this fd's callback. */
	bool other = !(loop_running && pthread_equal(loop_thread, pthread_self()));
	while (other && in_callback == fd)
		pthread_cond_wait(&cb_done, &mutex);
	pthread_mutex_unlock(&mutex);
}

void runtime_deinit(void)
{
	if (!initialised)
		return;
	/* Timers first (they queue jobs), then drain the jobs. */
	sched_deinit();
	workers_deinit();
	pthread_mutex_lock(&mutex);
	free(watches);
	watches = NULL;
	n_watches = 0;
	pthread_mutex_unlock(&mutex);
	close(stopfd);
	close(epfd);
	stopfd = epfd = -1;
	initialised = false;
}
