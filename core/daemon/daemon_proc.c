/*
 * daemon_proc.c - pid file and detaching (privileges: daemon_priv.c).
 */
#define _GNU_SOURCE  /* pipe2 */
#include "daemon/daemon_proc.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ pid file */

static int pid_fd = -1;
static char *pid_path;

/* The pid written in the file, or 0. */
static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? pid : 0;
}

/* Create the directory of path if missing (a fresh prefix has no
 * $localstatedir/run). */
static void make_parent_dir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; *p; p++) {
			if (*p == '/') {
				*p = '\0';
				mkdir(dir, 0755);
				*p = '/';
			}
		}
		mkdir(dir, 0755);   /* EEXIST is fine; open() reports real problems */
	}
	free(dir);
}

bool pidfile_acquire(const char *path)
{
	make_parent_dir(path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		log_error(DBG_OP, "cannot open the pid file %s: %s", path, strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		long pid = read_pid(fd);
		close(fd);
		if (err == EWOULDBLOCK) {
			if (pid > 0)
				log_error(DBG_OP, "another in.ikev2d (pid %ld) is running: it holds "
				          "%s", pid, path);
			else
				log_error(DBG_OP, "another in.ikev2d is running: it holds %s", path);
		} else {
			log_error(DBG_OP, "cannot lock the pid file %s: %s", path, strerror(err));
		}
		return false;
	}
	/* A pid in an unlocked file is from an instance that died. */
	long stale = read_pid(fd);
	if (stale > 0)
		log_verbose(DBG_OP, "pid file %s held the stale pid %ld", path, stale);
	pid_fd = fd;
	free(pid_path);
	pid_path = xstrdup(path);
	return true;
}

bool pidfile_write(void)
{
	char buf[32];

	if (pid_fd < 0)
		return false;
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pid_fd, 0) < 0 || pwrite(pid_fd, buf, (size_t)len, 0) != len) {
		log_error(DBG_OP, "cannot write the pid file %s: %s", pid_path, strerror(errno));
		return false;
	}
	return true;
}

void pidfile_release(void)
{
	if (pid_fd < 0)
		return;
	/* Unlink while still holding the lock, so no other instance takes a
	 * file we are about to remove. */
	if (unlink(pid_path) < 0 && errno != ENOENT)
		log_error(DBG_OP, "cannot remove the pid file %s: %s", pid_path, strerror(errno));
	close(pid_fd);
	pid_fd = -1;
	free(pid_path);
	pid_path = NULL;
}

/* ------------------------------------------------------------ detaching */

static int status_fd = -1;  /* write end: grandchild tells the original */

bool daemon_detach(void)
{
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_error(DBG_OP, "pipe: %s", strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error(DBG_OP, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid > 0) {
		/* The original process: wait for the verdict, then exit. */
		char ok = 0;
		close(pfd[1]);
		ssize_t n;
		do
			n = read(pfd[0], &ok, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 && ok == 1 ? 0 : 1);
	}
	close(pfd[0]);
	if (setsid() < 0) {
		log_error(DBG_OP, "setsid: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		log_error(DBG_OP, "fork: %s", strerror(errno));
		return false;
	}
	if (pid > 0)
		_exit(0);   /* the session leader goes: we can never get a tty */
	if (chdir("/") < 0)
		return false;
	umask(027);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	status_fd = pfd[1];
	return true;
}

void daemon_detach_done(bool ok)
{
	if (status_fd < 0)
		return;
	char v = ok ? 1 : 0;
	ssize_t n = write(status_fd, &v, 1);
	(void)n;
	close(status_fd);
	status_fd = -1;
}
