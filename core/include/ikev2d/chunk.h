/*
 * chunk.h - a pointer and a length, the unit every ikev2d interface passes
 * byte strings in.
 *
 * A chunk either borrows memory (chunk_create) or owns it (chunk_alloc,
 * chunk_clone); the owner frees it with chunk_free, or with chunk_clear when
 * it held key material: chunk_clear wipes the bytes before freeing them.
 */
#ifndef IKEV2D_CHUNK_H
#define IKEV2D_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
	uint8_t *ptr;
	size_t len;
} chunk_t;

#define chunk_empty ((chunk_t){ NULL, 0 })

static inline chunk_t chunk_create(const void *ptr, size_t len)
{
	return (chunk_t){ (uint8_t *)ptr, len };
}

/* A chunk over a string literal or array, without its NUL terminator. */
#define chunk_from_str(s) chunk_create((s), strlen(s))

static inline bool chunk_equals(chunk_t a, chunk_t b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Overwrite memory in a way the compiler may not optimise away. */
void memwipe(void *ptr, size_t len);

/* Compare in time that depends only on len (for MACs and AUTH values). */
bool memeq_const(const void *a, const void *b, size_t len);

/* Allocate len bytes (contents undefined); aborts on out-of-memory. */
chunk_t chunk_alloc(size_t len);
/* Copy the bytes of c into fresh memory. */
chunk_t chunk_clone(chunk_t c);
/* Concatenate n chunks into fresh memory. */
chunk_t chunk_cat(size_t n, const chunk_t *parts);
/* The same in memory for keys: locked in RAM, out of core dumps, wiped
 * when freed (chunk_free and chunk_clear give it back). */
chunk_t chunk_alloc_secure(size_t len);
chunk_t chunk_clone_secure(chunk_t c);
void chunk_free(chunk_t *c);
/* Wipe, then free: for anything that held a secret. */
void chunk_clear(chunk_t *c);

/* Hex conversion. chunk_from_hex accepts an optional 0x prefix, upper or
 * lower case, and ':' or ' ' separators; it returns chunk_empty on bad input. */
chunk_t chunk_from_hex(const char *hex);
/* Writes 2*len+1 bytes into buf (caller sized); returns buf. */
char *chunk_to_hex(chunk_t c, char *buf);

/* Safe allocation helpers: abort on out-of-memory. */
void *xmalloc(size_t len);
void *xzalloc(size_t len);
void *xrealloc(void *p, size_t len);
/* An object that holds key material (a cipher's key schedule, a MAC's
 * keyed state, a private value): zeroed memory that is locked in RAM and
 * left out of core dumps, as chunk_alloc_secure's; give it back with
 * xfree_secure (NULL is ignored), which wipes it.  Aborts on
 * out-of-memory. */
void *xzalloc_secure(size_t len);
void xfree_secure(void *ptr);
/* Whether ptr lies in that memory (false for NULL). */
bool memory_is_secure(const void *ptr);
char *xstrdup(const char *s);

#endif
