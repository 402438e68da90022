/*
 * daemon_log.h - the daemon's bus listeners: stderr (foreground and -c),
 * syslog and the debug logfile (detached).
 */
#ifndef IKEV2D_DAEMON_LOG_H
#define IKEV2D_DAEMON_LOG_H

#include <stdbool.h>

/* stderr; with timestamps unless plain (plain is for -c output). */
void daemon_log_stderr(bool enable, bool plain);
/* syslog (facility daemon). */
void daemon_log_syslog(bool enable);
/* Append to path (creating its directory if missing); NULL closes it.
 * Calling it again with the same path reopens the file (log rotation). */
bool daemon_log_file(const char *path);
/* Error-level messages seen since start (any listener): -c's verdict. */
unsigned daemon_log_errors(void);

#endif
