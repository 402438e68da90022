/*
 * secmem.h - memory for key material: pages locked in RAM (mlock), left
 * out of core dumps (MADV_DONTDUMP), every allocation wiped when freed.
 * chunk_alloc_secure() / chunk_clone_secure() (<ikev2d/chunk.h>) hand it
 * out as chunks; chunk_free and chunk_clear recognise it and give it back
 * here, so the code that frees a key needs not know where it lives.
 *
 * Small allocations (at most SECMEM_MAX_SLOT bytes) come from arenas of
 * SECMEM_ARENA bytes (8 slots for the classes above 2 KiB) cut into slots
 * of one size class (32 .. 4096 bytes, and 4608 and 8192 for Nettle's
 * cipher contexts: xzalloc_secure in <ikev2d/chunk.h>);
 * larger ones get a mapping of their own.  Arenas are never given back to
 * the system (their pages stay locked, their free slots wiped).
 *
 * When mlock fails (RLIMIT_MEMLOCK; the daemon drops CAP_IPC_LOCK) the
 * memory is used anyway, still wiped and out of core dumps, and one error
 * line says so, with the limit and how to raise it.
 *
 * Owner: core/lib.  Thread-safe.
 */
#ifndef IKEV2D_LIB_SECMEM_H
#define IKEV2D_LIB_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

#define SECMEM_ARENA (16 * 1024)
#define SECMEM_MAX_SLOT 8192

/* len bytes of secure memory (contents undefined; len 0 gives 1 byte);
 * aborts on out-of-memory like xmalloc. */
void *secmem_alloc(size_t len);
/* Wipe and give back; NULL is ignored.  ptr must be secmem_alloc's. */
void secmem_free(void *ptr);
/* Whether ptr lies in secure memory (false for NULL). */
bool secmem_owns(const void *ptr);

typedef struct {
	size_t locked;      /* bytes of secure memory mapped and locked */
	size_t unlocked;    /* mapped but mlock failed */
	size_t in_use;      /* slots handed out, in bytes of their class */
	unsigned mlock_failures;
} secmem_stats_t;
void secmem_stats(secmem_stats_t *s);

/* Start-up: raise RLIMIT_MEMLOCK's soft limit to its hard limit (allowed
 * without privilege) and log what key memory may lock. */
void secmem_init(void);
/* RLIMIT_MEMLOCK's soft limit for a log line: "8192 KiB", "unlimited". */
void secmem_limit_str(char *buf, size_t len);

#endif
