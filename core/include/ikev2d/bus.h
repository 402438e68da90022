/*
 * bus.h - the core bus: log messages and SA events, delivered to listeners.
 *
 * Every component logs through here, tagged with a debug group (the Solaris
 * in.ikev2d/ikeadm nicknames, plus a few of our own) and a level.  The daemon
 * installs listeners that write to stderr, syslog or the debug logfile; tests
 * install their own to assert on what was said.
 *
 * Listeners run in the thread that logs or emits.  A listener MUST NOT block
 * (no network, no waiting on locks held across I/O, no sleeping): if it has
 * slow work to do, it queues a job and returns.  Listeners must not call
 * bus_add_listener/bus_remove_listener from inside a callback.
 */
#ifndef IKEV2D_BUS_H
#define IKEV2D_BUS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Debug groups.  Values follow the Solaris ikeadm bitmask where a name
 * exists there; the later bits are ours. */
typedef enum {
	DBG_CERT    = 0x0001, /* certificate management */
	DBG_KEY     = 0x0002, /* key management, key derivation */
	DBG_OP      = 0x0004, /* operational: start, stop, reload */
	DBG_IKESA   = 0x0008, /* IKE SA exchanges ("phase1" in ikeadm) */
	DBG_CHILDSA = 0x0010, /* CHILD SA exchanges ("phase2") */
	DBG_KERNEL  = 0x0020, /* kernel interface ("pfkey") */
	DBG_POLICY  = 0x0040, /* rule matching */
	DBG_PROP    = 0x0080, /* proposal construction and selection */
	DBG_CTL     = 0x0100, /* control socket (ikeadm; "door") */
	DBG_CONFIG  = 0x0200, /* configuration file processing */
	DBG_NET     = 0x0400, /* sockets, NAT-T */
	DBG_CODEC   = 0x0800, /* message parsing and generation */
	DBG_PLUGIN  = 0x1000, /* plugin loading and features */
	DBG_CRYPTO  = 0x2000, /* crypto plugins, self-tests */
	DBG_ALL     = 0x3fff,
} dbg_group_t;

/* Levels.  LVL_ERROR and LVL_OP are always logged ("op" is the default
 * debug_level); LVL_VERBOSE and LVL_RAW only for the groups enabled at
 * that level. */
typedef enum {
	LVL_ERROR   = 0,  /* something failed */
	LVL_OP      = 1,  /* what an admin wants to know: SA up, down, rekeyed */
	LVL_VERBOSE = 2,  /* protocol troubleshooting: exchanges and payloads */
	LVL_RAW     = 3,  /* everything, including packet hex dumps */
} dbg_level_t;

/* Set which groups log at LVL_VERBOSE and LVL_RAW (masks of dbg_group_t). */
void bus_set_levels(uint32_t verbose_mask, uint32_t raw_mask);
void bus_get_levels(uint32_t *verbose_mask, uint32_t *raw_mask);

/* Cheap test, for skipping expensive formatting (hex dumps). */
bool bus_log_enabled(dbg_group_t group, dbg_level_t level);

void bus_log(dbg_group_t group, dbg_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bus_vlog(dbg_group_t group, dbg_level_t level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define log_error(grp, ...)   bus_log((grp), LVL_ERROR, __VA_ARGS__)
#define log_op(grp, ...)      bus_log((grp), LVL_OP, __VA_ARGS__)
#define log_verbose(grp, ...) bus_log((grp), LVL_VERBOSE, __VA_ARGS__)
#define log_raw(grp, ...)     bus_log((grp), LVL_RAW, __VA_ARGS__)

/* Name of a group as used in debug_level ("cert", "phase1", ...). */
const char *dbg_group_name(dbg_group_t group);

/* SA lifecycle events. */
typedef enum {
	BUS_EV_IKE_UP,        /* IKE SA established */
	BUS_EV_IKE_DOWN,      /* IKE SA deleted or failed */
	BUS_EV_IKE_REKEYED,
	BUS_EV_CHILD_UP,
	BUS_EV_CHILD_DOWN,
	BUS_EV_CHILD_REKEYED,
	BUS_EV_ALERT,         /* something an admin should see: auth failure, ... */
} bus_event_type_t;

typedef struct {
	bus_event_type_t type;
	uint64_t sa_id;       /* the unique number of the IKE SA ("#12") */
	const char *rule;     /* label of the rule, or NULL */
	const char *detail;   /* short text, or NULL */
} bus_event_t;

typedef struct bus_listener bus_listener_t;
struct bus_listener {
	/* Called for each message that passes the level filter; msg has no
	 * trailing newline.  May be NULL. */
	void (*log)(bus_listener_t *self, dbg_group_t group, dbg_level_t level,
	            const char *msg);
	/* Called for each event.  May be NULL. */
	void (*event)(bus_listener_t *self, const bus_event_t *ev);
	/* When true, this listener receives every message regardless of the
	 * level masks (for tests). */
	bool all_levels;
};

void bus_add_listener(bus_listener_t *listener);
void bus_remove_listener(bus_listener_t *listener);
void bus_emit(const bus_event_t *ev);

#endif
