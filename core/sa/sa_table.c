/*
 * sa_table.c - sharded hash tables of IKE SAs (see sa_table.h).
 */
#include "sa/sa_table.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/crypto.h>
#include <ikev2d/chunk.h>

#define SHARDS       64          /* power of two */
#define MIN_BUCKETS  16          /* per shard, power of two */

typedef struct src_count {
	struct src_count *next;
	uint8_t addr[16];
	uint8_t family;
	unsigned count;
} src_count_t;

typedef struct {
	pthread_mutex_t lock;
	sa_entry_t **spi_buckets;   /* by local SPI */
	size_t n_spi_buckets, n_spi;
	sa_entry_t **init_buckets;  /* by peer SPI + address */
	size_t n_init_buckets, n_init;
	src_count_t *src[MIN_BUCKETS]; /* half-open per source address */
} shard_t;

struct sa_table {
	shard_t shards[SHARDS];
	sa_destroy_cb_t destroy;
	void *ctx;
	atomic_uint half_open;
	atomic_uint count;
	atomic_uint_fast64_t next_unique;
};

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: SPIs are random, but init keys mix addresses. */
	x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27; x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void addr_key(const struct sockaddr *sa, uint8_t addr[16], uint8_t *family)
{
	memset(addr, 0, 16);
	*family = 0;
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		*family = AF_INET6;
	}
}

static uint64_t addr_hash(const uint8_t addr[16], uint8_t family)
{
	uint64_t a, b;
	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return mix64(a ^ mix64(b ^ family));
}

static uint64_t init_hash(uint64_t peer_spi, const uint8_t addr[16], uint8_t family)
{
	return mix64(peer_spi ^ addr_hash(addr, family));
}

sa_table_t *sa_table_create(sa_destroy_cb_t destroy, void *ctx)
{
	sa_table_t *t = xzalloc(sizeof(*t));
	t->destroy = destroy;
	t->ctx = ctx;
	atomic_init(&t->next_unique, 1);
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &t->shards[i];
		pthread_mutex_init(&s->lock, NULL);
		s->n_spi_buckets = s->n_init_buckets = MIN_BUCKETS;
		s->spi_buckets = xzalloc(MIN_BUCKETS * sizeof(sa_entry_t *));
		s->init_buckets = xzalloc(MIN_BUCKETS * sizeof(sa_entry_t *));
	}
	return t;
}

void sa_table_destroy(sa_table_t *t)
{
	if (!t)
		return;
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &t->shards[i];
		for (size_t b = 0; b < s->n_spi_buckets; b++) {
			sa_entry_t *e = s->spi_buckets[b];
			while (e) {
				sa_entry_t *next = e->next_spi;
				e->removed = true;
				sa_entry_unref(t, e);
				e = next;
			}
		}
		for (int b = 0; b < MIN_BUCKETS; b++) {
			src_count_t *c = s->src[b];
			while (c) {
				src_count_t *next = c->next;
				free(c);
				c = next;
			}
		}
		free(s->spi_buckets);
		free(s->init_buckets);
		pthread_mutex_destroy(&s->lock);
	}
	free(t);
}

void sa_entry_init(sa_table_t *t, sa_entry_t *e)
{
	memset(e, 0, sizeof(*e));
	atomic_init(&e->refs, 1);
	pthread_mutex_init(&e->lock, NULL);
	e->unique_id = atomic_fetch_add(&t->next_unique, 1);
}

void sa_entry_ref(sa_entry_t *e)
{
	atomic_fetch_add(&e->refs, 1);
}

void sa_entry_unref(sa_table_t *t, sa_entry_t *e)
{
	if (atomic_fetch_sub(&e->refs, 1) == 1) {
		pthread_mutex_destroy(&e->lock);
		t->destroy(e, t->ctx);
	}
}

static shard_t *spi_shard(sa_table_t *t, uint64_t spi, uint64_t *h)
{
	*h = mix64(spi);
	return &t->shards[*h & (SHARDS - 1)];
}

/* Double a bucket array when chains get long (lock held). */
static void grow(sa_entry_t ***buckets, size_t *n, bool by_spi)
{
	size_t nn = *n * 2;
	sa_entry_t **nb = xzalloc(nn * sizeof(sa_entry_t *));
	for (size_t b = 0; b < *n; b++) {
		sa_entry_t *e = (*buckets)[b];
		while (e) {
			sa_entry_t *next = by_spi ? e->next_spi : e->next_init;
			uint64_t h = by_spi ? mix64(e->local_spi)
			                    : init_hash(e->peer_spi, e->peer_addr, e->peer_family);
			size_t i = (h >> 6) & (nn - 1);
			if (by_spi) {
				e->next_spi = nb[i];
			} else {
				e->next_init = nb[i];
			}
			nb[i] = e;
			e = next;
		}
	}
	free(*buckets);
	*buckets = nb;
	*n = nn;
}

static sa_entry_t *find_spi(shard_t *s, uint64_t h, uint64_t spi)
{
	sa_entry_t *e = s->spi_buckets[(h >> 6) & (s->n_spi_buckets - 1)];
	while (e && e->local_spi != spi)
		e = e->next_spi;
	return e;
}

static src_count_t **src_slot(shard_t *s, uint64_t h, const uint8_t addr[16],
                              uint8_t family)
{
	src_count_t **c = &s->src[(h >> 6) & (MIN_BUCKETS - 1)];
	while (*c && ((*c)->family != family || memcmp((*c)->addr, addr, 16)))
		c = &(*c)->next;
	return c;
}

static void src_count_add(sa_table_t *t, const uint8_t addr[16], uint8_t family,
                          int delta)
{
	uint64_t h = addr_hash(addr, family);
	shard_t *s = &t->shards[h & (SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	src_count_t **slot = src_slot(s, h, addr, family);
	if (delta > 0) {
		if (!*slot) {
			*slot = xzalloc(sizeof(src_count_t));
			memcpy((*slot)->addr, addr, 16);
			(*slot)->family = family;
		}
		(*slot)->count++;
	} else if (*slot) {
		if (--(*slot)->count == 0) {
			src_count_t *dead = *slot;
			*slot = dead->next;
			free(dead);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static uint64_t random_spi(void)
{
	uint64_t spi = 0;
	while (spi == 0) {
		if (!crypto_random(RNG_WEAK, &spi, sizeof(spi)))
			abort();   /* the kernel's CSPRNG does not fail once seeded */
	}
	return spi;
}

void sa_table_insert(sa_table_t *t, sa_entry_t *e, uint64_t peer_spi,
                     const struct sockaddr *peer, bool half_open)
{
	pthread_mutex_lock(&e->lock);
	atomic_fetch_add(&e->refs, 1);   /* the table's reference */
	e->peer_spi = peer_spi;
	addr_key(peer, e->peer_addr, &e->peer_family);

	for (;;) {
		uint64_t h, spi = random_spi();
		shard_t *s = spi_shard(t, spi, &h);
		pthread_mutex_lock(&s->lock);
		if (find_spi(s, h, spi)) {
			pthread_mutex_unlock(&s->lock);
			continue;   /* 2^-64 per SA: try another */
		}
		e->local_spi = spi;
		if (++s->n_spi > 2 * s->n_spi_buckets)
			grow(&s->spi_buckets, &s->n_spi_buckets, true);
		size_t i = (h >> 6) & (s->n_spi_buckets - 1);
		e->next_spi = s->spi_buckets[i];
		s->spi_buckets[i] = e;
		pthread_mutex_unlock(&s->lock);
		break;
	}
	atomic_fetch_add(&t->count, 1);

	if (half_open) {
		uint64_t h = init_hash(peer_spi, e->peer_addr, e->peer_family);
		shard_t *s = &t->shards[h & (SHARDS - 1)];
		pthread_mutex_lock(&s->lock);
		if (++s->n_init > 2 * s->n_init_buckets)
			grow(&s->init_buckets, &s->n_init_buckets, false);
		size_t i = (h >> 6) & (s->n_init_buckets - 1);
		e->next_init = s->init_buckets[i];
		s->init_buckets[i] = e;
		e->in_init_index = true;
		pthread_mutex_unlock(&s->lock);
		e->half_open = true;
		atomic_fetch_add(&t->half_open, 1);
		src_count_add(t, e->peer_addr, e->peer_family, +1);
	}
}

static sa_entry_t *lock_checked_out(sa_table_t *t, sa_entry_t *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->removed) {
		pthread_mutex_unlock(&e->lock);
		sa_entry_unref(t, e);
		return NULL;
	}
	return e;
}

sa_entry_t *sa_table_checkout(sa_table_t *t, uint64_t local_spi)
{
	uint64_t h;
	shard_t *s = spi_shard(t, local_spi, &h);
	pthread_mutex_lock(&s->lock);
	sa_entry_t *e = find_spi(s, h, local_spi);
	if (e)
		atomic_fetch_add(&e->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return e ? lock_checked_out(t, e) : NULL;
}

sa_entry_t *sa_table_checkout_init(sa_table_t *t, uint64_t peer_spi,
                                   const struct sockaddr *peer)
{
	uint8_t addr[16], family;
	addr_key(peer, addr, &family);
	uint64_t h = init_hash(peer_spi, addr, family);
	shard_t *s = &t->shards[h & (SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	sa_entry_t *e = s->init_buckets[(h >> 6) & (s->n_init_buckets - 1)];
	while (e && (e->peer_spi != peer_spi || e->peer_family != family ||
	             memcmp(e->peer_addr, addr, 16)))
		e = e->next_init;
	if (e)
		atomic_fetch_add(&e->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return e ? lock_checked_out(t, e) : NULL;
}

void sa_table_checkin(sa_table_t *t, sa_entry_t *e)
{
	pthread_mutex_unlock(&e->lock);
	sa_entry_unref(t, e);
}

static void unlink_init(sa_table_t *t, sa_entry_t *e)
{
	if (!e->in_init_index)
		return;
	uint64_t h = init_hash(e->peer_spi, e->peer_addr, e->peer_family);
	shard_t *s = &t->shards[h & (SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	sa_entry_t **p = &s->init_buckets[(h >> 6) & (s->n_init_buckets - 1)];
	while (*p && *p != e)
		p = &(*p)->next_init;
	if (*p) {
		*p = e->next_init;
		s->n_init--;
	}
	pthread_mutex_unlock(&s->lock);
	e->in_init_index = false;
}

static void uncount_half_open(sa_table_t *t, sa_entry_t *e)
{
	unlink_init(t, e);
	if (e->half_open) {
		e->half_open = false;
		atomic_fetch_sub(&t->half_open, 1);
		src_count_add(t, e->peer_addr, e->peer_family, -1);
	}
}

void sa_table_set_established(sa_table_t *t, sa_entry_t *e)
{
	uncount_half_open(t, e);
}

void sa_table_remove(sa_table_t *t, sa_entry_t *e)
{
	bool was_in = false;
	if (!e->removed) {
		uncount_half_open(t, e);
		uint64_t h;
		shard_t *s = spi_shard(t, e->local_spi, &h);
		pthread_mutex_lock(&s->lock);
		sa_entry_t **p = &s->spi_buckets[(h >> 6) & (s->n_spi_buckets - 1)];
		while (*p && *p != e)
			p = &(*p)->next_spi;
		if (*p) {
			*p = e->next_spi;
			s->n_spi--;
			was_in = true;
		}
		pthread_mutex_unlock(&s->lock);
		e->removed = true;
	}
	pthread_mutex_unlock(&e->lock);
	if (was_in) {
		atomic_fetch_sub(&t->count, 1);
		sa_entry_unref(t, e);   /* the table's reference */
	}
	sa_entry_unref(t, e);       /* the checkout's */
}

unsigned sa_table_half_open(sa_table_t *t)
{
	return atomic_load(&t->half_open);
}

unsigned sa_table_half_open_from(sa_table_t *t, const struct sockaddr *peer)
{
	uint8_t addr[16], family;
	addr_key(peer, addr, &family);
	uint64_t h = addr_hash(addr, family);
	shard_t *s = &t->shards[h & (SHARDS - 1)];
	pthread_mutex_lock(&s->lock);
	src_count_t **slot = src_slot(s, h, addr, family);
	unsigned n = *slot ? (*slot)->count : 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

unsigned sa_table_count(sa_table_t *t)
{
	return atomic_load(&t->count);
}

void sa_table_foreach_spi(sa_table_t *t, void (*fn)(uint64_t spi, void *ctx),
                          void *ctx)
{
	for (int i = 0; i < SHARDS; i++) {
		shard_t *s = &t->shards[i];
		pthread_mutex_lock(&s->lock);
		size_t n = s->n_spi, k = 0;
		uint64_t *spis = xmalloc((n ? n : 1) * sizeof(uint64_t));
		for (size_t b = 0; b < s->n_spi_buckets; b++)
			for (sa_entry_t *e = s->spi_buckets[b]; e && k < n; e = e->next_spi)
				spis[k++] = e->local_spi;
		pthread_mutex_unlock(&s->lock);
		for (size_t j = 0; j < k; j++)
			fn(spis[j], ctx);
		free(spis);
	}
}
