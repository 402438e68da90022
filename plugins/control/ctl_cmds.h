/*
 * ctl_cmds.h - the commands of the control socket (ikeadm's command set):
 * the handlers ctl_server.h calls.
 */
#ifndef IKEV2D_CTL_CMDS_H
#define IKEV2D_CTL_CMDS_H

#include "ctl_server.h"

extern const ctl_handlers_t ctl_cmd_handlers;
extern const ctl_handlers_t ctl_metrics_handlers;

/* The debug level last set (or the configuration's), for `get debug`. */
void ctl_cmds_init(void);
void ctl_cmds_deinit(void);

#endif
