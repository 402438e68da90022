/*
 * daemon_proc.h - process set-up for in.ikev2d: pid file, detaching
 * (privileges are daemon_priv.h).
 */
#ifndef IKEV2D_DAEMON_PROC_H
#define IKEV2D_DAEMON_PROC_H

#include <stdbool.h>

/*
 * Take the pid file: open (creating) and lock it.  If another live process
 * holds the lock, log who and return false.  The lock lasts as long as the
 * process (and survives daemon_detach); pidfile_write() fills in the pid.
 */
bool pidfile_acquire(const char *path);
bool pidfile_write(void);
/* Remove the pid file at shutdown (if this process took it). */
void pidfile_release(void);

/* Double fork, setsid, chdir /, stdio to /dev/null.  Returns in the
 * grandchild only; the original process exits with the status the
 * grandchild reports through a pipe once daemon_detach_done() is called,
 * so a start-up failure after detaching still gives a non-zero exit. */
bool daemon_detach(void);
void daemon_detach_done(bool ok);

#endif
