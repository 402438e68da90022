/*
 * ctl_server.h - the control socket server: accepts clients on an open
 * listening descriptor, checks each peer (SO_PEERCRED: root or a member of
 * the control group), reads framed requests without blocking, runs each
 * as a job and streams the answer back through a bounded output buffer.
 *
 * Opening the listening socket (core/net/ctl_socket.h for the Unix one,
 * ctl_listen_tcp) is kept apart from serving it, so that a privileged
 * parent can open it and hand the descriptor over.
 *
 * Owner: plugins/control.
 */
#ifndef IKEV2D_CTL_SERVER_H
#define IKEV2D_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"

/* Bind "ADDR:PORT" ("[v6]:port" for IPv6) for TCP, listen; -1 logged. */
int ctl_listen_tcp(const char *spec);

typedef struct ctl_conn ctl_conn_t;
typedef struct ctl_server ctl_server_t;

/* A command's state between steps (owned by the command module). */
typedef struct ctl_cmd ctl_cmd_t;

typedef struct {
	/* A complete request arrived: make the command (never NULL). */
	ctl_cmd_t *(*start)(ctl_conn_t *c, ctl_request_t *req);
	/* Do a bounded piece of work, sending output with ctl_conn_data;
	 * true when finished (the END frame sent). */
	bool (*step)(ctl_cmd_t *cmd, ctl_conn_t *c);
	void (*free)(ctl_cmd_t *cmd);
	/* HTTP server only: the response body for GET path (fresh memory),
	 * or NULL for 404. */
	char *(*http_get)(const char *path, size_t *len);
} ctl_handlers_t;

/* Serve an open listening descriptor (takes it over).  gid: the control
 * group (peers must be root or in it; (gid_t)-1 = root only).  http: the
 * descriptor is the metrics endpoint (no peer check, HTTP GET only). */
ctl_server_t *ctl_server_create(int fd, gid_t gid, bool http,
                                const ctl_handlers_t *h);
/* Stop accepting, close every client, wait for running commands. */
void ctl_server_destroy(ctl_server_t *s);

/* For commands. */
/* Queue output (split into DATA frames); false when the client is gone. */
bool ctl_conn_data(ctl_conn_t *c, const void *data, size_t len);
/* Queue the END frame. */
void ctl_conn_end(ctl_conn_t *c, int status, const char *msg);
bool ctl_conn_alive(ctl_conn_t *c);
uid_t ctl_conn_uid(const ctl_conn_t *c);
pid_t ctl_conn_pid(const ctl_conn_t *c);
/* Bytes queued and not yet written to the client. */
size_t ctl_conn_backlog(ctl_conn_t *c);

/* Output above this pauses a command until the client took most of it. */
#define CTL_BACKLOG_HIGH (512 * 1024)
#define CTL_BACKLOG_LOW  (128 * 1024)

#endif
