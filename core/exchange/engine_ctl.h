/*
 * engine_ctl.h - what the control socket (plugins/control, for ikeadm)
 * asks of a running engine: a snapshot of its IKE SAs and one SA's state
 * as a copy, deleting IKE and CHILD SAs, and the statistics.
 *
 * Nothing here hands out a pointer into the engine: an SA is named by a
 * handle (our SPI) from engine_ctl_list(), copied out while it is checked
 * out for a moment, and the caller formats the copy at leisure (a long
 * dump never holds an SA or a table lock while it writes to a client).
 * An SA that went away between the snapshot and the copy is skipped.
 *
 * Owner: core/exchange ("control").
 */
#ifndef IKEV2D_EXCHANGE_ENGINE_CTL_H
#define IKEV2D_EXCHANGE_ENGINE_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/kernel_ipsec.h>

#include "exchange/engine.h"
#include "exchange/rule_stats.h"

#define ENGINE_CTL_STR 256

struct config_edits;

/* The running engine, held so that shutdown waits until
 * engine_ctl_release() (NULL, and nothing to release, when there is
 * none).  Hold it for a bounded piece of work only. */
engine_t *engine_ctl_hold(void);
void engine_ctl_release(void);

/* What only the daemon (core/daemon) can do, registered by it at start:
 * the control socket reaches them through here. */
typedef struct {
	/* Open (append) the debug logfile; NULL closes it.  False + logged. */
	bool (*set_logfile)(const char *path);
	/* The logfile in use, or NULL. */
	const char *(*logfile)(void);
	/* Load config_path (NULL: the daemon's file), with preshared_path
	 * instead of the preshared file it names (NULL: that one), check it
	 * and put it in force as SIGHUP does; on failure the running
	 * configuration stays and err says why.  The caller holds no engine
	 * reference. */
	bool (*reload)(const char *config_path, const char *preshared_path,
	               char *err, size_t errlen);
	/* The daemon's configuration file. */
	const char *(*config_path)(void);
	/* ikeadm add|del rule|preshared: the configuration in force (the
	 * file last read, with the changes made since) plus delta's changes
	 * (config_edits.h), checked and put in force as reload does; on
	 * failure nothing changes and err says why.  A reload drops them. */
	bool (*edit)(const struct config_edits *delta, char *err, size_t errlen);
	/* ikeadm write rule: that configuration as libconfig text (fresh
	 * memory; mask: a token PIN in it as X), or NULL with err. */
	char *(*config_text)(bool mask, char *err, size_t errlen);
} engine_ctl_daemon_t;
void engine_ctl_set_daemon(const engine_ctl_daemon_t *d);
/* NULL when no daemon registered (unit tests). */
const engine_ctl_daemon_t *engine_ctl_daemon(void);

typedef struct {
	uint64_t handle;               /* our SPI: names the SA in calls below */
	uint64_t unique_id;            /* "#N" in the logs */
	char rule[RULE_STATS_LABEL_MAX];  /* "-" before a rule matched */
	const char *state;             /* ike_sa_state_name() */
	bool established;              /* ESTABLISHED or REKEYING */
	bool half_open;                /* a responder SA not yet authenticated */
	bool initiator;                /* we initiated it (this SA) */
	struct sockaddr_storage local, remote;
	uint64_t spi_i, spi_r;         /* as on the wire */
	char local_id[ENGINE_CTL_STR], remote_id[ENGINE_CTL_STR];  /* "" unknown */
	char algs[128];                /* "" before IKE_SA_INIT completed */
	uint64_t age_secs;             /* since the SA was made */
	uint64_t established_secs;     /* since it came up; 0 if not up */
	bool natt, nat_local, nat_remote;
	unsigned retransmits;          /* of the request in flight */
	int n_children;                /* all of them, even past max_children */
} engine_ike_info_t;

typedef struct {
	uint64_t ike_handle, ike_unique_id;
	uint64_t unique_id;
	const char *state;             /* "INSTALLED", "REKEYING", ... */
	uint32_t spi_in, spi_out;      /* host byte order */
	char algs[128];
	bool transport;
	char ts_local[ENGINE_CTL_STR], ts_remote[ENGINE_CTL_STR];
	uint32_t reqid;
	uint64_t age_secs;
	/* Filled by engine_ctl_child_usage() (the kernel is asked without
	 * the SA checked out). */
	bool have_usage;
	kernel_usage_t in, out;
	kernel_sa_id_t id_in, id_out;  /* for the kernel query */
} engine_child_info_t;

/* Handles of every IKE SA now (a snapshot, any order; free() it). */
size_t engine_ctl_list(engine_t *e, uint64_t **handles);
/* Copy one SA's state (and up to max_children of its CHILD SAs into
 * children, which may be NULL when max_children is 0); false when the SA
 * is gone. */
bool engine_ctl_ike(engine_t *e, uint64_t handle, engine_ike_info_t *info,
                    engine_child_info_t *children, int max_children);
/* Ask the kernel backend for a CHILD SA's traffic counters. */
bool engine_ctl_child_usage(engine_child_info_t *c);

/* Delete an IKE SA: an established one with a Delete to the peer (its
 * CHILD SAs go with it), one still in its handshake at once.  why is
 * logged.  False when the SA is gone. */
bool engine_ctl_ike_delete(engine_t *e, uint64_t handle, const char *why);
/* Delete one CHILD SA (by our inbound SPI) with a Delete to the peer;
 * false when there is no such IKE or CHILD SA. */
bool engine_ctl_child_delete(engine_t *e, uint64_t handle, uint32_t spi_in);

/* The seed's `ikeadm get stats` figures, since the engine started. */
typedef struct {
	engine_stats_t base;
	uint64_t init_attempts, resp_attempts;       /* failures included */
	uint64_t init_established, resp_established;
	uint64_t init_fail_no_response;              /* peer never answered */
	uint64_t init_fail_peer;                     /* peer answered, failed */
	uint64_t resp_fail;
} engine_ctl_stats_t;
void engine_ctl_stats(engine_t *e, engine_ctl_stats_t *st);

#endif
