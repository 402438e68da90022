/*
 * sa_table.h - the IKE SA table: every IKE SA the engine knows, found in
 * O(1) by the SPI we chose for it, checked out by one thread at a time.
 *
 * The table is split into shards (by SPI hash), each with its own lock, so
 * threads working on different SAs do not contend.  A shard lock is held only
 * for the lookup itself; the SA's own mutex is what a checkout holds while a
 * thread works on the SA.
 *
 * An SA is an object that embeds sa_entry_t (usually first).  The table keeps
 * one reference; each checkout another.  When the entry is removed and the last
 * reference is dropped, the table's destroy callback frees the SA.
 *
 * Besides the SPI index, a responder's half-open SA is indexed by the peer's
 * SPI and address so a retransmitted IKE_SA_INIT request finds it, and counted
 * in total and per source address (the basis for demanding cookies and for
 * refusing floods from one address).
 *
 * Owner: core/sa ("engine").
 */
#ifndef IKEV2D_SA_TABLE_H
#define IKEV2D_SA_TABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sa_entry sa_entry_t;
struct sa_entry {
	sa_entry_t *next_spi;       /* chain in the local SPI index */
	sa_entry_t *next_init;      /* chain in the peer SPI+address index */
	uint64_t local_spi;         /* ours (SPIi if we initiated, SPIr if not) */
	uint64_t peer_spi;          /* as the IKE_SA_INIT request carried it */
	uint64_t unique_id;         /* "#N" in logs */
	uint8_t peer_addr[16];      /* for the init index and half-open count */
	uint8_t peer_family;        /* AF_INET, AF_INET6, 0 = none */
	bool in_init_index;
	bool half_open;             /* counted as half-open */
	bool removed;               /* no longer in the table: checkouts fail */
	atomic_int refs;
	pthread_mutex_t lock;       /* held by the thread that checked it out */
};

typedef struct sa_table sa_table_t;
typedef void (*sa_destroy_cb_t)(sa_entry_t *entry, void *ctx);

sa_table_t *sa_table_create(sa_destroy_cb_t destroy, void *ctx);
/* Frees every SA still in the table (none may be checked out). */
void sa_table_destroy(sa_table_t *t);

/* Initialise an entry embedded in a new SA: one reference (the creator's,
 * which the checkin after sa_table_insert drops),
 * a fresh unique number. */
void sa_entry_init(sa_table_t *t, sa_entry_t *e);

/* Insert a new SA under a freshly chosen, unique, non-zero local SPI
 * (written to e->local_spi).  The SA stays checked out by the caller (its
 * lock is taken here) and the table takes its own reference.  peer (may be
 * NULL) and peer_spi feed the init index when half_open is set. */
void sa_table_insert(sa_table_t *t, sa_entry_t *e, uint64_t peer_spi,
                     const struct sockaddr *peer, bool half_open);

/* Check out the SA with this local SPI: blocks while another thread has it,
 * NULL if there is none (or it was removed meanwhile). */
sa_entry_t *sa_table_checkout(sa_table_t *t, uint64_t local_spi);
/* Check out a half-open responder SA by the initiator's SPI and address
 * (to answer a retransmitted IKE_SA_INIT); NULL if none. */
sa_entry_t *sa_table_checkout_init(sa_table_t *t, uint64_t peer_spi,
                                   const struct sockaddr *peer);
/* Give the SA back. */
void sa_table_checkin(sa_table_t *t, sa_entry_t *e);
/* Remove a checked-out SA from the table and give it back; it is freed when
 * the last reference goes. */
void sa_table_remove(sa_table_t *t, sa_entry_t *e);

/* Take/drop a reference without checking out (timers hold one). */
void sa_entry_ref(sa_entry_t *e);
void sa_entry_unref(sa_table_t *t, sa_entry_t *e);

/* The SA is no longer half-open (authenticated): uncount it and drop it
 * from the init index.  Call while checked out. */
void sa_table_set_established(sa_table_t *t, sa_entry_t *e);

/* Half-open SAs: in total, and from one address. */
unsigned sa_table_half_open(sa_table_t *t);
unsigned sa_table_half_open_from(sa_table_t *t, const struct sockaddr *peer);
/* SAs in the table. */
unsigned sa_table_count(sa_table_t *t);

/* Call fn for each SA's local SPI (a snapshot taken shard by shard, so the
 * callback may check SAs out). */
void sa_table_foreach_spi(sa_table_t *t, void (*fn)(uint64_t spi, void *ctx),
                          void *ctx);

#endif
