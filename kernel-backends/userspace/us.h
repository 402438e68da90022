/*
 * us.h - the userspace ESP backend ("kernel-userspace"): shared types of
 * its parts.
 *
 *   us_sad.c      SAs and policies (the kernel_ipsec_t methods), published
 *                 to the data path as immutable snapshots
 *   us_sys.c      privileged set-up: TUN device, routes and the policy
 *                 routing rule (rtnetlink, libmnl), raw ESP sockets
 *   us_dp.c       the data path: worker threads reading the TUN queues and
 *                 the raw ESP sockets, ESP-in-UDP from the NAT-T socket
 *   us_esp.c      one ESP packet in or out;  us_replay.c  anti-replay
 *   us_flow.c     IP header parsing and selector matching
 *   us_plugin.c   plugin glue, settings, statistics file, housekeeping
 *
 * Concurrency: the control path (engine calls, housekeeping) takes
 * us->lock, changes the master lists, builds a new snapshot (us_db_t) and
 * publishes it with one atomic store.  Packets never take a lock shared by
 * all of them: a thread reading a snapshot marks itself busy in its own
 * reader slot (an odd counter); a writer frees the old snapshot (and SAs
 * and policies no longer in it) only after every busy reader moved on.
 * Per packet, only the SA's own state is shared: its atomic sequence
 * number and counters, and a short per-SA lock around the replay window.
 * Cipher state is per SA per thread (esp_crypto_t in the reader's slot).
 */
#ifndef US_H
#define US_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ikev2d/kernel_ipsec.h>

#include "us_esp.h"
#include "us_flow.h"
#include "us_replay.h"

#define US_NAME "kernel-userspace"
#define US_MAX_READERS 128
#define US_MAX_THREADS 16

/* Why a packet was dropped (the statistics file names them). */
typedef enum {
	DROP_TRUNCATED = 0,   /* ESP too short or ciphertext misaligned */
	DROP_UNKNOWN_SPI,
	DROP_REPLAYED,
	DROP_OLD,             /* left of the replay window */
	DROP_ICV,
	DROP_PADDING,
	DROP_NEXT_HEADER,
	DROP_SELECTOR,        /* inner packet outside the SA's selectors */
	DROP_INNER,           /* inner packet malformed */
	DROP_NO_POLICY,       /* outbound packet no policy covers */
	DROP_POLICY,          /* a drop/pass policy (pass cannot leave a TUN) */
	DROP_NO_SA,           /* protect policy without SA, not queued */
	DROP_EXPIRED,         /* SA past its hard lifetime */
	DROP_CRYPTO,
	DROP_TX,
	DROP_TUN,
	DROP_TOO_BIG,
	DROP_QUEUE_FULL,      /* ESP in UDP: the worker's queue was full */
	DROP_BAD_VNET,        /* from the TUN: a virtio_net_hdr refused */
	DROP_COUNT
} us_drop_t;

const char *us_drop_name(us_drop_t d);

/* Counters of one thread (single writer: relaxed atomics). */
typedef struct {
	_Atomic uint64_t drops[DROP_COUNT];
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t acquires, queued;
	/* TUN writes, and inbound packets that went in coalesced ones */
	_Atomic uint64_t tun_writes, tun_merged;
	/* TSO packets read from the TUN, and the segments cut from them */
	_Atomic uint64_t tun_tso_reads, tun_tso_segments;
} us_stats_t;

typedef struct {
	_Atomic uint64_t busy;   /* odd while reading a snapshot */
	us_stats_t stats;
	int idx;
} us_reader_t;

typedef struct us_sa us_sa_t;
struct us_sa {
	us_sa_t *next;                 /* master list (control path) */
	kernel_sa_t k;                 /* keys point into keys below */
	esp_params_t esp;
	uint8_t *keys;
	size_t keys_len;
	uint64_t installed_ms;
	uint64_t serial;               /* install order: newest OUT SA wins */
	_Atomic uint64_t seq;          /* outbound: last number used */
	pthread_mutex_t replay_lock;   /* inbound: the window */
	replay_t replay;
	bool replay_on;
	_Atomic uint64_t bytes, packets, last_use_ms;
	atomic_bool dead;              /* hard-expired */
	bool soft_sent, hard_sent;     /* control path */
	uint64_t mapping_ms;           /* last MAPPING raised (replay_lock) */
	_Atomic(esp_crypto_t *) ctx[US_MAX_READERS];
};

typedef struct us_pol us_pol_t;
struct us_pol {
	us_pol_t *next;
	kernel_policy_t k;
	double breadth;
	_Atomic uint64_t last_use_ms, packets, bytes;
	_Atomic uint64_t last_acquire_ms;
};

/* What the data path sees, immutable once published. */
typedef struct {
	us_sa_t **in_hash;      /* inbound SAs by SPI, open addressing */
	size_t hash_mask;
	us_pol_t **out;         /* OUT policies, most specific first */
	us_sa_t **out_sa;       /* the newest live OUT SA of out[i]'s reqid */
	size_t n_out;
	us_pol_t **in;          /* IN policies (for inner selector checks) */
	size_t n_in;
} us_db_t;

/* A packet held for a CHILD SA that an ACQUIRE is negotiating. */
typedef struct {
	bool used;
	uint32_t reqid;
	uint64_t since_ms;
	size_t len;
	uint8_t *buf;           /* US_SLOT bytes */
} us_held_t;

typedef struct us_route us_route_t;
struct us_route {
	us_route_t *next;
	int family;
	us_prefix_t prefix;
	unsigned refs;
};

typedef struct {
	char interface[16];
	int mtu;
	int threads;
	uint32_t table;
	uint32_t rule_priority;
	uint32_t fwmark;
	int acquire_queue;
	bool offload;                  /* ask the TUN for TSO */
	char *stats_file;
} us_config_t;

/* Largest packet handled, with room around it. */
#define US_MAX_PACKET 65535
#define US_HEADROOM 128
#define US_SLOT (US_HEADROOM + US_MAX_PACKET + ESP_TAILROOM + 64)

typedef struct us us_t;
typedef struct us_thread us_thread_t;
struct us {
	kernel_ipsec_t public;
	us_config_t cfg;

	pthread_mutex_t lock;          /* control path */
	us_sa_t *sas;
	us_pol_t *pols;
	struct us_larval *larval;
	uint64_t serial;
	_Atomic(us_db_t *) db;

	us_reader_t readers[US_MAX_READERS];
	atomic_int n_readers;
	pthread_mutex_t reader_lock;

	pthread_mutex_t held_lock;
	us_held_t *held;
	int n_held;
	_Atomic uint32_t acquire_seq;

	/* system */
	int tun_fd[US_MAX_THREADS];
	int tun_ifindex;
	bool tun_tso;                  /* the kernel hands TSO packets */
	int raw4, raw6;
	struct mnl_socket *nl;
	pthread_mutex_t nl_lock;
	us_route_t *routes;            /* under lock */
	bool rule4, rule6;

	/* threads */
	us_thread_t *threads[US_MAX_THREADS];
	int n_threads;
	int stop_fd;
	int wake_fd;                    /* data path -> housekeeping: a
	                                   lifetime was reached (eventfd) */
	pthread_t hk_tid;
	bool hk_started;
	pthread_mutex_t start_lock;     /* the lazy start (us_ensure) */
	bool sys_opened, sys_failed, threads_started;
	atomic_bool stopping;
	atomic_bool dp_running;         /* every worker (and its queue) is up */
};

/* ---- us_plugin.c: open the system side (and start the threads) on
 * first use; false when the system side could not be set up. */
bool us_ensure(us_t *u, bool threads);

/* ---- us_sad.c */
void us_sad_init(us_t *u);
void us_sad_free(us_t *u);        /* everything, no routes touched */
us_reader_t *us_reader(us_t *u);  /* this thread's slot, or NULL */
static inline void us_read_begin(us_reader_t *r)
{
	atomic_fetch_add(&r->busy, 1);
}
static inline void us_read_end(us_reader_t *r)
{
	atomic_fetch_add(&r->busy, 1);
}
/* The crypto state of sa for this reader (made on first use). */
esp_crypto_t *us_sa_crypto(us_sa_t *sa, us_reader_t *r);
/* Periodic: lifetimes, reserved SPIs, held packets. */
void us_sad_housekeeping(us_t *u);
/* The data path counted a packet of add bytes on sa, whose counters were
 * bytes0 and packets0 before: when that crosses a soft or hard limit the
 * housekeeping runs at once (as XFRM raises its expiry at the packet), not
 * at its next tick - the two ends of a CHILD SA reach a byte limit at the
 * same packet, and their rekeys cross as they do with the kernel. */
static inline void us_sad_counted(us_t *u, const us_sa_t *sa, uint64_t bytes0,
                                  uint64_t add, uint64_t packets0)
{
	const kernel_lifetime_t *s = &sa->k.soft, *h = &sa->k.hard;
	if ((s->bytes && bytes0 < s->bytes && bytes0 + add >= s->bytes) ||
	    (s->packets && packets0 + 1 == s->packets) ||
	    (h->bytes && bytes0 < h->bytes && bytes0 + add >= h->bytes) ||
	    (h->packets && packets0 + 1 == h->packets)) {
		uint64_t one = 1;
		if (write(u->wake_fd, &one, sizeof(one)) < 0) {
			/* full or gone: the next tick sees it */
		}
	}
}
void us_stats_sum(us_t *u, us_stats_t *out);

/* ---- us_sys.c (privileged set-up, separate from the data path) */
bool us_sys_open(us_t *u);        /* TUN queues, raw sockets, rule */
void us_sys_close(us_t *u);       /* rule, routes, descriptors */
bool us_sys_route(us_t *u, int family, const us_prefix_t *p,
                  const uint8_t *prefsrc, bool add);
bool us_sys_mark_socket(us_t *u, int fd);

/* ---- us_dp.c */
bool us_dp_start(us_t *u);
void us_dp_stop(us_t *u);
/* Send the packets held for reqid (0: all) whose policy has an SA now. */
void us_dp_send_held(us_t *u, uint32_t reqid);
void us_dp_esp_udp_input(uint8_t *esp, size_t len,
                         const struct sockaddr_storage *from,
                         const struct sockaddr_storage *to, void *ctx);
/* Rate-limited drop log line. */
void us_log_drop(us_t *u, us_drop_t why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
