/*
 * privsep.h - privilege separation in in.ikev2d (HACKING.md, "Privilege
 * separation"): the privileged parent's side (the engine process, its
 * requests, its events, reload, shutdown and its death) and what main.c's
 * engine mode needs.
 *
 * Parent: main.c loads the kernel backend (and the crypto plugins it may
 * use), checks the configuration against it and binds 500/4500, then calls
 * privsep_parent_start(), which forks and re-executes in.ikev2d as the
 * engine with the sockets and the three socketpairs (privsep_msg.h) at
 * exec.  From then on the parent's loop answers kernel requests (checked by
 * privsep_guard.h), forwards events and reload texts, and never reads the
 * network.
 */
#ifndef IKEV2D_DAEMON_PRIVSEP_H
#define IKEV2D_DAEMON_PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/config.h"

/* The name of the environment variable that tells the engine which
 * backend the parent runs (so it loads kernel-privsep in its place). */
#define PRIVSEP_BACKEND_ENV "IKEV2D_PRIVSEP_BACKEND"

/* Fork and exec the engine (argv: in.ikev2d's own, reused), watch its
 * channels.  ctl_fd >= 0: the control socket the parent opened at ctl_path
 * (core/net/ctl_socket.h), handed over to the engine and closed here.
 * False (logged) on failure. */
bool privsep_parent_start(config_t *cfg, char *const *argv, int ctl_fd,
                          const char *ctl_path);
/* The engine said it serves (PSM_READY) or -1 when it never did. */
void privsep_parent_on_ready(void (*cb)(void));
/* SIGHUP: cfg was reread and checked by the parent: use it for the
 * checks and send the texts to the engine. */
void privsep_parent_reload(config_t *cfg);
/* `ikeadm read` from the engine (PSM_READ): cb reloads as SIGHUP does,
 * from path (NULL: the configuration file) with the keys of psk (NULL:
 * the file it names), and says why not in err.  The parent answers the
 * engine after the reload's texts; files under the keystore are refused
 * before cb runs (their text would reach the engine). */
typedef bool (*privsep_read_cb_t)(const char *path, const char *psk, char *err,
                                  size_t errlen);
void privsep_parent_on_read(privsep_read_cb_t cb);
/* SIGTERM: the engine sends its Deletes (bounded wait), then the parent
 * flushes the kernel and stops its loop. */
void privsep_parent_shutdown(void);
/* SIGCHLD: if the engine died unasked, flush and stop with a failure. */
void privsep_parent_reap(void);
/* The exit status the parent should end with. */
int privsep_parent_status(void);
pid_t privsep_engine_pid(void);

/* Engine side: the control channel (reload texts from the parent). */
bool privsep_engine_watch_control(int ctl_fd, void (*reload)(config_t *cfg),
                                  void (*parent_gone)(void));
void privsep_engine_ready(int ctl_fd);
/* `ikeadm read` in the engine: the parent reloads from path / psk (NULL:
 * the daemon's own files), reading them itself as SIGHUP does, and puts
 * the new set in force in its checks, the keys process and this engine
 * (which has applied it when this returns true).  Blocks its caller (a
 * worker) up to PRIVSEP_READ_TIMEOUT_MS; false with err set otherwise. */
#define PRIVSEP_READ_TIMEOUT_MS 30000
bool privsep_engine_read(const char *path, const char *psk, char *err,
                         size_t errlen);

#endif
