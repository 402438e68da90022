/*
 * daemon_log.c - bus listeners that write log lines to stderr, syslog and
 * the debug logfile.
 *
 * They run in the logging thread (see bus.h): each does one write of one
 * formatted line and never waits on anything else.  The file listener
 * holds a mutex only around its own FILE so lines from threads do not mix.
 */
#include "daemon/daemon_log.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

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
	if (stderr_plain) {
		fprintf(stderr, "%s%s\n", level == LVL_ERROR ? "error: " : "", msg);
		return;
	}
	char ts[32];
	timestamp(ts, sizeof(ts));
	fprintf(stderr, "%s %s [%s] %s\n", ts, level_name(level), dbg_group_name(group), msg);
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

static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *logfile;
static bool file_on;

static void file_log(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
                     const char *msg)
{
	char ts[32];

	timestamp(ts, sizeof(ts));
	pthread_mutex_lock(&file_lock);
	if (logfile) {
		fprintf(logfile, "%s %s [%s] %s\n", ts, level_name(level),
		        dbg_group_name(group), msg);
		fflush(logfile);
	}
	pthread_mutex_unlock(&file_lock);
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
		mkdir(dir, 0750);   /* EEXIST is fine; fopen reports real problems */
		*p = '/';
	}
	free(dir);
}

bool daemon_log_file(const char *path)
{
	FILE *f = NULL;

	ensure_counter();
	if (path && *path) {
		make_parent(path);
		f = fopen(path, "ae");
		if (!f) {
			log_error(DBG_OP, "cannot open the debug logfile %s: %s", path,
			          strerror(errno));
			return false;
		}
	}
	pthread_mutex_lock(&file_lock);
	FILE *old = logfile;
	logfile = f;
	pthread_mutex_unlock(&file_lock);
	if (old)
		fclose(old);
	if (f && !file_on) {
		bus_add_listener(&file_listener);
		file_on = true;
	} else if (!f && file_on) {
		bus_remove_listener(&file_listener);
		file_on = false;
	}
	return true;
}
