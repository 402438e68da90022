/*
 * ctl_socket.c - opening the control socket, and taking over the one a
 * privsep parent opened (ctl_socket.h).
 */
#include "net/ctl_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ikev2d/bus.h>

bool ctl_socket_group(const char *name, gid_t *gid)
{
	*gid = (gid_t)-1;
	if (!name || !*name)
		return true;
	char *end;
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (!*end && !errno && v < (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return true;
	}
	struct group gr, *grp = NULL;
	char buf[4096];
	if (getgrnam_r(name, &gr, buf, sizeof(buf), &grp) != 0 || !grp)
		return false;
	*gid = grp->gr_gid;
	return true;
}

int ctl_socket_open(const char *path, uid_t owner, gid_t gid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(sun.sun_path)) {
		log_error(DBG_CTL, "control: socket path too long: %s", path ? path : "");
		return -1;
	}
	strcpy(sun.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error(DBG_CTL, "control: %s exists and is not a socket: "
			          "not replacing it", path);
			return -1;
		}
		/* A daemon still answering there keeps it. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun,
		                          sizeof(sun)) == 0) {
			close(probe);
			log_error(DBG_CTL, "control: another daemon listens on %s", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error(DBG_CTL, "control: socket: %s", strerror(errno));
		return -1;
	}
	/* Nobody but the owner may connect before the mode is set.  The
	 * file takes our effective group: the control group for the bind
	 * (start-up keeps CAP_SETGID, not CAP_CHOWN). */
	gid_t want = gid == (gid_t)-1 ? 0 : gid;
	gid_t old_egid = getegid();
	bool switched = want != old_egid && setegid(want) == 0;
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int bind_errno = errno;
	umask(old);
	if (switched && setegid(old_egid) < 0) {
		log_error(DBG_CTL, "control: cannot restore the group: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (r < 0) {
		log_error(DBG_CTL, "control: bind %s: %s", path, strerror(bind_errno));
		close(fd);
		return -1;
	}
	/* The mode first, while we own the file: once it is daemon.user's,
	 * chmod would need CAP_FOWNER, which the unit's bounding set (and
	 * start-up's cut) does not give. */
	struct stat sst;
	if (chmod(path, 0660) < 0 || stat(path, &sst) < 0 ||
	    (sst.st_gid != want && chown(path, (uid_t)-1, want) < 0) ||
	    (owner != (uid_t)-1 && sst.st_uid != owner && chown(path, owner, (gid_t)-1) < 0)) {
		log_error(DBG_CTL, "control: chown/chmod %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, 64) < 0) {
		log_error(DBG_CTL, "control: listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_socket_take(const char *path)
{
	static bool taken;
	const char *env = getenv(CTL_SOCKET_ENV);
	if (!env || taken)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(env, &end, 10);
	if (errno || end == env || *end != ' ' || v < 3 || v > 65535) {
		log_error(DBG_CTL, "control: %s is malformed: ignored", CTL_SOCKET_ENV);
		return -1;
	}
	if (strcmp(end + 1, path) != 0) {
		log_error(DBG_CTL, "control: the parent opened %s, not %s: "
		          "restart in.ikev2d to move the control socket", end + 1, path);
		return -1;
	}
	int fd = (int)v;
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sun);
	int listening = 0;
	socklen_t ll = sizeof(listening);
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &sl) < 0 ||
	    sun.sun_family != AF_UNIX || sl <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sun.sun_path, path, sizeof(sun.sun_path)) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) < 0 || !listening) {
		log_error(DBG_CTL, "control: descriptor %d from the parent is not a "
		          "socket listening on %s", fd, path);
		return -1;
	}
	taken = true;
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0)
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}
