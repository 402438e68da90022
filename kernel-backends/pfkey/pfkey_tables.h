/*
 * pfkey_tables.h - kernel-pfkey's record of what it installed, as hash
 * tables: SAs by (destination, SPI), policies by selector and by the
 * kernel's policy index, and the engine-reqid -> PF_KEY-reqid map.
 *
 * With thousands of CHILD SAs every install, update, query, delete and
 * kernel event looked its entry up by walking a list (and a reqid by
 * walking up to 0x3fff slots): the install rate fell as SAs piled up.
 * Each lookup here costs one short chain.  No locking: the caller holds
 * kernel_pfkey's lock.  No socket either, so the unit test
 * (testing/kernel/test_pfkey_tables.c) runs anywhere.
 */
#ifndef IKEV2D_PFKEY_TABLES_H
#define IKEV2D_PFKEY_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/kernel_ipsec.h>

#include "pfkey_xlate.h"

#define PFK_REQID_MAX 0x3fff   /* IPSEC_MANUAL_REQID_MAX */

typedef struct sa_ent sa_ent_t;
struct sa_ent {
	sa_ent_t *hnext;                    /* hash chain */
	sa_ent_t *prev, *next;              /* every entry, for walks */
	uint32_t hash;
	struct sockaddr_storage src, dst;   /* addresses only */
	uint32_t spi;
	uint32_t reqid;                     /* the engine's */
	uint16_t kreqid;                    /* the kernel's */
	bool larval;                        /* SPI reserved, no SA yet */
	bool picked;                        /* ... picked by us (no GETSPI):
	                                     * no larval SA in the kernel */
	uint64_t last_bytes, last_use_secs; /* for query_sa's last use */
};

typedef struct pol_ent pol_ent_t;
struct pol_ent {
	pol_ent_t *hnext_sel, *hnext_idx;   /* hash chains */
	pol_ent_t *prev, *next;             /* every entry, for walks */
	uint32_t hash_sel, hash_idx;
	uint8_t dir;                        /* IPSEC_DIR_* */
	pfk_prefix_t s, d;
	uint8_t proto;
	uint32_t index;                     /* the kernel's policy id */
	uint32_t reqid;
	uint16_t kreqid;                    /* 0: no request (pass/drop) */
	bool routed;                        /* holds a route to d (pfkey_route) */
	kernel_ts_t src_ts, dst_ts;         /* as the engine gave them */
};

typedef struct {
	sa_ent_t **buckets;
	size_t n_buckets;    /* a power of two */
	size_t n;
	sa_ent_t *all;       /* newest first */
} pfk_sa_table_t;

typedef struct {
	pol_ent_t **by_sel, **by_idx;
	size_t n_buckets;    /* a power of two, both arrays */
	size_t n;
	pol_ent_t *all;      /* newest first */
} pfk_pol_table_t;

typedef struct {
	uint32_t engine;
	uint32_t refs;
	uint16_t hnext;      /* next slot in the chain, 0 = end */
} pfk_kreq_t;

#define PFK_KREQ_BUCKETS 4096
typedef struct {
	pfk_kreq_t slot[PFK_REQID_MAX + 1];   /* 1..PFK_REQID_MAX */
	uint16_t head[PFK_KREQ_BUCKETS];      /* by engine reqid */
	uint16_t free_slots[PFK_REQID_MAX];   /* released, for reuse */
	uint32_t n_free;
	uint32_t hwm;                          /* highest slot ever used */
} pfk_kreq_table_t;

/* SAs.  find: NULL when not there; insert: e's dst and spi set, not in
 * the table already; remove: unlinks e (the caller frees it). */
void pfk_sat_init(pfk_sa_table_t *t);
void pfk_sat_free(pfk_sa_table_t *t);      /* frees every entry too */
sa_ent_t *pfk_sat_find(const pfk_sa_table_t *t,
                       const struct sockaddr_storage *dst, uint32_t spi);
void pfk_sat_insert(pfk_sa_table_t *t, sa_ent_t *e);
void pfk_sat_remove(pfk_sa_table_t *t, sa_ent_t *e);

/* Policies: by direction, both prefixes (ports included) and protocol,
 * or by the kernel's index.  insert: e's selector and index set;
 * set_index re-files an entry whose kernel index changed. */
void pfk_polt_init(pfk_pol_table_t *t);
void pfk_polt_free(pfk_pol_table_t *t);    /* frees every entry too */
pol_ent_t *pfk_polt_find(const pfk_pol_table_t *t, uint8_t dir,
                         const pfk_prefix_t *s, const pfk_prefix_t *d,
                         uint8_t proto);
pol_ent_t *pfk_polt_find_index(const pfk_pol_table_t *t, uint32_t index);
void pfk_polt_insert(pfk_pol_table_t *t, pol_ent_t *e);
void pfk_polt_remove(pfk_pol_table_t *t, pol_ent_t *e);
void pfk_polt_set_index(pfk_pol_table_t *t, pol_ent_t *e, uint32_t index);

/* Reqids: get takes a reference on the PF_KEY reqid standing for an
 * engine reqid (the same one while any reference is held), 0 for reqid
 * 0 or when all PFK_REQID_MAX are in use; put drops one. */
void pfk_kreq_init(pfk_kreq_table_t *t);
uint16_t pfk_kreq_get(pfk_kreq_table_t *t, uint32_t reqid);
void pfk_kreq_put(pfk_kreq_table_t *t, uint16_t kreqid);
/* Take PF_KEY reqid kreqid (1..PFK_REQID_MAX: someone else's policy's)
 * for engine reqid `engine`, for good (one reference never put), so that
 * get gives it for that engine reqid and never for another; true when it
 * was free or is that engine reqid's already. */
bool pfk_kreq_pin(pfk_kreq_table_t *t, uint16_t kreqid, uint32_t engine);

#endif
