/*
 * pair.h - two engines in one process for the engine tests (pair.c):
 * A (10.0.0.1, fd00::1) and B (10.0.0.2, fd00::2), a packet path that
 * can drop or hold packets, one null kernel shared by both.
 */
#ifndef IKEV2D_TESTING_ENGINE_PAIR_H
#define IKEV2D_TESTING_ENGINE_PAIR_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/kernel_ipsec.h>

#include "codec/message.h"
#include "config/config.h"
#include "exchange/engine.h"
#include "net/packet.h"
#include "../kernel-backends/null/kernel_null.h"

#define ADDR_A "10.0.0.1"
#define ADDR_B "10.0.0.2"
#define ADDR6_A "fd00::1"
#define ADDR6_B "fd00::2"

/* Atomic: worker threads (sends, deliveries, kernel events) read them
 * while stop_pair retires an engine. */
extern engine_t *_Atomic eng_a, *_Atomic eng_b;
extern kernel_null_t *kn;
extern char tmpdir[64];

/* Packet filter: return true to drop.  Counts what passed. */
typedef bool (*drop_fn_t)(const packet_t *p, bool to_b);
/* Set by the test thread while worker threads send: atomic. */
extern _Atomic drop_fn_t drop_fn;
extern atomic_int delivered_to_a, delivered_to_b, dropped_pkts;
/* The last packet sent to an address that is neither A nor B. */
extern pthread_mutex_t held_lock;
extern chunk_t last_stray;
extern int n_stray;
/* While paused, packets wait (to make exchanges cross in flight). */
void pause_network(void);
void resume_network(void);

/* Every log line goes here too when set (counting what happened). */
typedef void (*pair_log_hook_t)(const char *msg);
/* set by a test while the engines' threads log: atomic */
extern _Atomic pair_log_hook_t pair_log_hook;

typedef struct {
	const char *ike;          /* ikesa_xform body */
	const char *esp;          /* esp_xform body */
	const char *local_ts, *remote_ts;
	const char *key;
	const char *daemon_extra;
	const char *rule_extra;
	const char *local_id, *remote_id;
	const char *child_extra;
	/* Short lifetimes are below what a configuration file may say. */
	uint32_t child_softlife, ike_lifetime;
	int half_open_timeout;
} side_t;

extern const char *DEFAULT_DAEMON, *DEFAULT_IKE, *DEFAULT_ESP;
config_t *make_config(const char *name, const char *local, const char *remote,
                      const side_t *s);
void start_pair(const side_t *a, const side_t *b);
void stop_pair(unsigned wait_ms);
side_t side(const char *lts, const char *rts);
engine_stats_t stats(engine_t *e);

/* Wait until cond holds (polling stats), at most ms. */
#define WAIT_FOR(cond, ms) do { \
	for (int _i = 0; _i < (ms) / 10 && !(cond); _i++) \
		usleep(10 * 1000); \
	} while (0)

/* The worker pool pair_main starts (set before it; 2..4 unless). */
extern int pair_min_threads, pair_max_threads;

/* Load the plugins, register the kernel, run the suite, clean up; the
 * exit status for main (77 when the plugins cannot be loaded). */
int pair_main(Suite *s);

#endif
