/*
 * ctl_socket.h - the listening Unix socket of the control plugin
 * (plugins/control), opened apart from serving it: without privilege
 * separation the control plugin opens it itself; under daemon.privsep the
 * parent opens it as root before it starts the engine and hands the
 * descriptor over at exec (like the UDP sockets), so that the engine never
 * needs root for it.
 *
 * Owner: core/net.
 */
#ifndef IKEV2D_NET_CTL_SOCKET_H
#define IKEV2D_NET_CTL_SOCKET_H

#include <stdbool.h>
#include <sys/types.h>

/* The environment variable naming the handed-over socket: "FD PATH". */
#define CTL_SOCKET_ENV "IKEV2D_PRIVSEP_CONTROL"

/* The control group: a name or a number; NULL or "" is none
 * ((gid_t)-1).  False for an unknown name. */
bool ctl_socket_group(const char *name, gid_t *gid);

/* Bind path (replacing a stale socket, never a live one or a non-socket),
 * mode 0660, group gid (root's for (gid_t)-1), owner owner (unchanged for
 * (uid_t)-1), listen.  Non-blocking, close-on-exec.  -1 (logged) on
 * failure. */
int ctl_socket_open(const char *path, uid_t owner, gid_t gid);

/* The engine: the descriptor the parent opened for path (CTL_SOCKET_ENV),
 * once, checked to be a listening Unix socket bound to path; -1 when the
 * parent handed none over for this path (or it fails the checks: logged). */
int ctl_socket_take(const char *path);

#endif
