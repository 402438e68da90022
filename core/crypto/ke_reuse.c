/*
 * ke_reuse.c - Diffie-Hellman private values reused for a short time
 * (RFC 7296 §2.12); see ke_reuse.h for the behaviour.
 *
 * Each thread that asks has a small direct-mapped cache of keys (slot =
 * group modulo the slot count).  The slots are atomic pointers: the owning
 * thread takes a key out with an exchange, hands out a handle (a reference)
 * and puts it back; the expiry timer and ke_reuse_flush() only ever
 * exchange a slot with NULL, so whoever holds the pointer owns it and no
 * key is freed under another thread's feet.  A flush bumps an epoch before
 * it empties the slots; an owner that put back a key of an older epoch
 * takes it out again (both sides use sequentially consistent atomics, so
 * one of them sees the other).  The list of caches is locked only when a
 * thread first asks, when it exits, and by the timers and flush.
 */
#include "crypto/ke_reuse.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/runtime.h>

#define SLOTS 8

typedef struct {
	atomic_uint refs;
	ke_id_t group;
	ke_t *ke;             /* the implementation: holds the private value */
	chunk_t pub;          /* its public value, computed once */
	uint64_t expires_ms;  /* CLOCK_MONOTONIC */
	unsigned uses;        /* handles given out (owner thread only) */
	unsigned epoch;       /* ke_reuse_flush generation it was made in */
} shared_key_t;

typedef struct cache {
	_Atomic(shared_key_t *) slot[SLOTS];
	struct cache *prev, *next;
} cache_t;

/* A handle given to one exchange. */
typedef struct {
	ke_t public;
	shared_key_t *key;
	chunk_t shared;       /* this exchange's shared secret, or empty */
} handle_t;

static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_t *caches;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static _Thread_local cache_t *my_cache;
static atomic_uint epoch;
static atomic_uint live_keys;

/* ------------------------------------------------------------- keys */

static void key_unref(shared_key_t *k)
{
	if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
		return;
	k->ke->destroy(k->ke);   /* wipes the private value */
	chunk_free(&k->pub);
	free(k);
	atomic_fetch_sub(&live_keys, 1);
}

static shared_key_t *key_new(ke_id_t group, unsigned secs)
{
	ke_t *ke = crypto_create_ke(group);
	chunk_t pub;

	if (!ke)
		return NULL;
	if (!ke->compute_shared || !ke->get_public(ke, &pub)) {
		ke->destroy(ke);
		return NULL;
	}
	shared_key_t *k = xzalloc(sizeof(*k));
	atomic_init(&k->refs, 1);   /* the cache's reference */
	k->group = group;
	k->ke = ke;
	k->pub = pub;
	k->expires_ms = time_monotonic_ms() + (uint64_t)secs * 1000;
	k->epoch = atomic_load(&epoch);
	atomic_fetch_add(&live_keys, 1);
	return k;
}

/* --------------------------------------------------------- handles */

static bool h_get_public(ke_t *self, chunk_t *value)
{
	handle_t *h = (handle_t *)self;

	if (!value)
		return false;
	*value = chunk_clone(h->key->pub);
	return true;
}

static bool h_set_peer_public(ke_t *self, chunk_t value)
{
	handle_t *h = (handle_t *)self;
	ke_t *ke = h->key->ke;

	chunk_clear(&h->shared);
	return ke->compute_shared(ke, value, &h->shared);
}

static bool h_get_shared_secret(ke_t *self, chunk_t *secret)
{
	handle_t *h = (handle_t *)self;

	if (!secret || !h->shared.len)
		return false;
	*secret = chunk_clone(h->shared);
	return true;
}

static bool h_set_private(ke_t *self, chunk_t value)
{
	(void)self; (void)value;
	log_error(DBG_CRYPTO, "set_private on a reused key exchange refused");
	return false;
}

static ke_id_t h_get_group(ke_t *self)
{
	return ((handle_t *)self)->key->group;
}

static bool h_compute_shared(ke_t *self, chunk_t peer, chunk_t *secret)
{
	ke_t *ke = ((handle_t *)self)->key->ke;

	return ke->compute_shared(ke, peer, secret);
}

static void h_destroy(ke_t *self)
{
	handle_t *h = (handle_t *)self;

	chunk_clear(&h->shared);
	key_unref(h->key);
	free(h);
}

static ke_t *handle_new(shared_key_t *k)
{
	handle_t *h = xzalloc(sizeof(*h));

	h->public = (ke_t){
		.get_public = h_get_public,
		.set_peer_public = h_set_peer_public,
		.get_shared_secret = h_get_shared_secret,
		.set_private = h_set_private,
		.get_group = h_get_group,
		.compute_shared = h_compute_shared,
		.destroy = h_destroy,
	};
	atomic_fetch_add(&k->refs, 1);
	h->key = k;
	return &h->public;
}

/* ---------------------------------------------------------- caches */

static void cache_drop_slots(cache_t *c)
{
	for (int i = 0; i < SLOTS; i++)
		key_unref(atomic_exchange(&c->slot[i], NULL));
}

static void thread_exit(void *arg)
{
	cache_t *c = arg;

	pthread_mutex_lock(&caches_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		caches = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&caches_lock);
	cache_drop_slots(c);
	free(c);
}

static void make_key(void)
{
	if (pthread_key_create(&cache_key, thread_exit) != 0)
		abort();   /* out of thread-specific keys at start-up */
}

static cache_t *get_cache(void)
{
	if (my_cache)
		return my_cache;
	pthread_once(&cache_once, make_key);
	cache_t *c = xzalloc(sizeof(*c));
	pthread_mutex_lock(&caches_lock);
	c->next = caches;
	if (caches)
		caches->prev = c;
	caches = c;
	pthread_mutex_unlock(&caches_lock);
	pthread_setspecific(cache_key, c);
	my_cache = c;
	return c;
}

/* Timer job, one per key made: drop expired keys from every thread's
 * cache, so an idle thread does not keep a private value past its time. */
static void sweep(void *unused)
{
	uint64_t now = time_monotonic_ms();
	unsigned cur = atomic_load(&epoch);

	(void)unused;
	pthread_mutex_lock(&caches_lock);
	for (cache_t *c = caches; c; c = c->next) {
		for (int i = 0; i < SLOTS; i++) {
			shared_key_t *k = atomic_exchange(&c->slot[i], NULL);
			if (!k)
				continue;
			if (k->expires_ms <= now || k->epoch != cur) {
				key_unref(k);
				continue;
			}
			/* The owner may have made a new one meanwhile: keep that. */
			shared_key_t *expected = NULL;
			if (!atomic_compare_exchange_strong(&c->slot[i], &expected, k))
				key_unref(k);
		}
	}
	pthread_mutex_unlock(&caches_lock);
}

ke_t *ke_reuse_create(ke_id_t group, unsigned secs, unsigned max_uses)
{
	if (secs == 0)
		return crypto_create_ke(group);

	cache_t *c = get_cache();
	_Atomic(shared_key_t *) *slot = &c->slot[(unsigned)group % SLOTS];
	shared_key_t *k = atomic_exchange(slot, NULL);
	uint64_t now = time_monotonic_ms();

	/* secs and max_uses may have been lowered by a reload since. */
	if (k && (k->group != group || k->uses >= max_uses ||
	          now >= k->expires_ms ||
	          k->expires_ms - now > (uint64_t)secs * 1000 ||
	          k->epoch != atomic_load(&epoch))) {
		key_unref(k);
		k = NULL;
	}
	if (!k) {
		k = key_new(group, secs);
		if (!k)   /* no compute_shared: no reuse for this group */
			return crypto_create_ke(group);
		/* A little late rather than early, so the pass finds it due.
		 * Without a running scheduler (tools, some tests) the key is
		 * still replaced on its thread's next use, and flushed. */
		sched_after_ms((uint64_t)secs * 1000 + 5, sweep, NULL);
	}
	k->uses++;
	ke_t *h = handle_new(k);
	/* Put it back; anything the timer put there meanwhile goes. */
	key_unref(atomic_exchange(slot, k));
	/* A flush that ran since we took the key out must not miss it. */
	if (k->epoch != atomic_load(&epoch))
		key_unref(atomic_exchange(slot, NULL));
	return h;
}

void ke_reuse_flush(void)
{
	atomic_fetch_add(&epoch, 1);
	pthread_mutex_lock(&caches_lock);
	for (cache_t *c = caches; c; c = c->next)
		cache_drop_slots(c);
	pthread_mutex_unlock(&caches_lock);
}

unsigned ke_reuse_live_keys(void)
{
	return atomic_load(&live_keys);
}
