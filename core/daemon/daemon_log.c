/*
 * daemon_log.c - bus listeners that write log lines to stderr, syslog and
 * the debug logfile.
 *
 * They run in the thread that logs (see bus.h), which may be any of the
 * receive or worker threads: each formats its line on its own stack and
 * hands it to the kernel in one write(2), so lines from threads do not mix
 * (O_APPEND makes each write land whole at the end of the file) and no
 * thread waits on another's system call.  Only swapping the logfile takes
 * a lock that excludes writers.
 */
#include "daemon/daemon_log.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static _Atomic unsigned n_errors;

static const char *level_name(dbg_level_t level)
{
	switch (level) {
	case LVL_ERROR:   return "error";
	case LVL_OP:      return "op";
	case LVL_VERBOSE: return "verbose";
	case LVL_RAW:     return "raw";
	}
	return "?";
}

static void timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", (long)(tv.tv_usec / 1000));
}

/* write(2) all of buf, through partial writes and signals; errors are
 * dropped (there is nowhere left to report them). */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Format one log line "<time> <level> [<group>] <msg>\n" (or the plain
 * form) into buf; the length it needs, as snprintf. */
static int format_line(char *buf, size_t len, bool plain, const char *ts,
                       dbg_group_t group, dbg_level_t level, const char *msg)
{
	if (plain)
		return snprintf(buf, len, "%s%s\n",
		                level == LVL_ERROR ? "error: " : "", msg);
	return snprintf(buf, len, "%s %s [%s] %s\n", ts, level_name(level),
	                dbg_group_name(group), msg);
}

/* One log line, formatted on the stack (on the heap for a very long
 * message) and written to fd at once. */
static void write_line(int fd, bool plain, dbg_group_t group, dbg_level_t level,
                       const char *msg)
{
	char stack[1024], ts[32] = "";
	char *buf = stack;

	if (!plain)
		timestamp(ts, sizeof(ts));
	int n = format_line(stack, sizeof(stack), plain, ts, group, level, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(stack)) {
		buf = malloc((size_t)n + 1);
		if (!buf)
			return;
		format_line(buf, (size_t)n + 1, plain, ts, group, level, msg);
	}
	write_all(fd, buf, (size_t)n);
	if (buf != stack)
		free(buf);
}

/* ------------------------------------------------------------ counting */

static void count_log(bus_listener_t *self, dbg_group_t g, dbg_level_t level,
                      const char *msg)
{
	if (level == LVL_ERROR)
		atomic_fetch_add(&n_errors, 1);
}

static bus_listener_t counter = { .log = count_log };
static bool counter_added;

static void ensure_counter(void)
{
	if (!counter_added) {
		bus_add_listener(&counter);
		counter_added = true;
	}
}

unsigned daemon_log_errors(void)
{
	return atomic_load(&n_errors);
}

/* ------------------------------------------------------------ stderr */

static bool stderr_plain;

static void stderr_log(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
                       const char *msg)
{
	write_line(STDERR_FILENO, stderr_plain, group, level, msg);
}

static bus_listener_t stderr_listener = { .log = stderr_log };
static bool stderr_on;

void daemon_log_stderr(bool enable, bool plain)
{
	ensure_counter();
	stderr_plain = plain;
	if (enable && !stderr_on)
		bus_add_listener(&stderr_listener);
	else if (!enable && stderr_on)
		bus_remove_listener(&stderr_listener);
	stderr_on = enable;
}

/* ------------------------------------------------------------ syslog */

static void syslog_log(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
                       const char *msg)
{
	int prio = level == LVL_ERROR ? LOG_ERR : level == LVL_OP ? LOG_NOTICE : LOG_DEBUG;

	syslog(prio, "[%s] %s", dbg_group_name(group), msg);
}

static bus_listener_t syslog_listener = { .log = syslog_log };
static bool syslog_on;

void daemon_log_syslog(bool enable)
{
	ensure_counter();
	if (enable && !syslog_on) {
		openlog("in.ikev2d", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		bus_add_listener(&syslog_listener);
	} else if (!enable && syslog_on) {
		bus_remove_listener(&syslog_listener);
		closelog();
	}
	syslog_on = enable;
}

/* ------------------------------------------------------------ file */

/* Writers share the lock (no waiting on each other); a new logfile
 * takes it exclusively so no writer is left with a closed descriptor. */
static pthread_rwlock_t file_lock = PTHREAD_RWLOCK_INITIALIZER;
static int logfd = -1;
static bool file_on;

static void file_log(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
                     const char *msg)
{
	pthread_rwlock_rdlock(&file_lock);
	if (logfd >= 0)
		write_line(logfd, false, group, level, msg);
	pthread_rwlock_unlock(&file_lock);
}

static bus_listener_t file_listener = { .log = file_log };

/* mkdir -p of the directory part of path (mode 0750). */
static void make_parent(const char *path)
{
	char *dir = xstrdup(path);

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0750);   /* EEXIST is fine; open() reports real problems */
		*p = '/';
	}
	free(dir);
}

bool daemon_log_file(const char *path)
{
	int fd = -1;

	ensure_counter();
	if (path && *path) {
		make_parent(path);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0) {
			log_error(DBG_OP, "cannot open the debug logfile %s: %s", path,
			          strerror(errno));
			return false;
		}
	}
	pthread_rwlock_wrlock(&file_lock);
	int old = logfd;
	logfd = fd;
	pthread_rwlock_unlock(&file_lock);
	if (old >= 0)
		close(old);
	if (fd >= 0 && !file_on) {
		bus_add_listener(&file_listener);
		file_on = true;
	} else if (fd < 0 && file_on) {
		bus_remove_listener(&file_listener);
		file_on = false;
	}
	return true;
}
