/*
 * pfkey_tables.c - kernel-pfkey's hash tables (pfkey_tables.h).
 */
#include "pfkey_tables.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

#define MIN_BUCKETS 64

/* ------------------------------------------------------------ hashing */

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET6) {
		*len = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	}
	*len = 4;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	return 0;
}

static bool same_ip(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	size_t la, lb;
	const uint8_t *pa = addr_bytes(a, &la), *pb = addr_bytes(b, &lb);

	return a->ss_family == b->ss_family && memcmp(pa, pb, la) == 0;
}

/* FNV-1a over some bytes, then a final mix so that the low bits (the
 * bucket) depend on all of them. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

static uint32_t hash_ip(uint32_t h, const struct sockaddr_storage *ss)
{
	size_t n;
	const uint8_t *p = addr_bytes(ss, &n);
	uint16_t fam = ss->ss_family;

	h = fnv(h, &fam, sizeof(fam));
	return fnv(h, p, n);
}

static uint32_t hash_sa(const struct sockaddr_storage *dst, uint32_t spi)
{
	return mix(fnv(hash_ip(2166136261u, dst), &spi, sizeof(spi)));
}

static uint32_t hash_prefix(uint32_t h, const pfk_prefix_t *p)
{
	uint16_t port = port_of(&p->addr);

	h = hash_ip(h, &p->addr);
	h = fnv(h, &port, sizeof(port));
	return fnv(h, &p->plen, sizeof(p->plen));
}

static uint32_t hash_sel(uint8_t dir, const pfk_prefix_t *s,
                         const pfk_prefix_t *d, uint8_t proto)
{
	uint8_t dp[2] = { dir, proto };

	return mix(hash_prefix(hash_prefix(fnv(2166136261u, dp, 2), s), d));
}

static uint32_t hash_idx(uint32_t index)
{
	return mix(index);
}

static bool same_prefix(const pfk_prefix_t *a, const pfk_prefix_t *b)
{
	return a->plen == b->plen && same_ip(&a->addr, &b->addr) &&
	       port_of(&a->addr) == port_of(&b->addr);
}

/* ---------------------------------------------------------------- SAs */

void pfk_sat_init(pfk_sa_table_t *t)
{
	memset(t, 0, sizeof(*t));
	t->n_buckets = MIN_BUCKETS;
	t->buckets = xzalloc(t->n_buckets * sizeof(*t->buckets));
}

void pfk_sat_free(pfk_sa_table_t *t)
{
	for (sa_ent_t *e = t->all, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

sa_ent_t *pfk_sat_find(const pfk_sa_table_t *t,
                       const struct sockaddr_storage *dst, uint32_t spi)
{
	uint32_t h = hash_sa(dst, spi);

	for (sa_ent_t *e = t->buckets[h & (t->n_buckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->spi == spi && same_ip(&e->dst, dst))
			return e;
	return NULL;
}

static void sat_grow(pfk_sa_table_t *t)
{
	size_t nb = t->n_buckets * 2;
	sa_ent_t **b = xzalloc(nb * sizeof(*b));

	for (sa_ent_t *e = t->all; e; e = e->next) {
		sa_ent_t **head = &b[e->hash & (nb - 1)];
		e->hnext = *head;
		*head = e;
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = nb;
}

void pfk_sat_insert(pfk_sa_table_t *t, sa_ent_t *e)
{
	if (t->n >= t->n_buckets)
		sat_grow(t);
	e->hash = hash_sa(&e->dst, e->spi);
	sa_ent_t **head = &t->buckets[e->hash & (t->n_buckets - 1)];
	e->hnext = *head;
	*head = e;
	e->prev = NULL;
	e->next = t->all;
	if (t->all)
		t->all->prev = e;
	t->all = e;
	t->n++;
}

void pfk_sat_remove(pfk_sa_table_t *t, sa_ent_t *e)
{
	for (sa_ent_t **pp = &t->buckets[e->hash & (t->n_buckets - 1)]; *pp;
	     pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	if (e->prev)
		e->prev->next = e->next;
	else
		t->all = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = e->hnext = NULL;
	t->n--;
}

/* ----------------------------------------------------------- policies */

void pfk_polt_init(pfk_pol_table_t *t)
{
	memset(t, 0, sizeof(*t));
	t->n_buckets = MIN_BUCKETS;
	t->by_sel = xzalloc(t->n_buckets * sizeof(*t->by_sel));
	t->by_idx = xzalloc(t->n_buckets * sizeof(*t->by_idx));
}

void pfk_polt_free(pfk_pol_table_t *t)
{
	for (pol_ent_t *e = t->all, *n; e; e = n) {
		n = e->next;
		free(e);
	}
	free(t->by_sel);
	free(t->by_idx);
	memset(t, 0, sizeof(*t));
}

pol_ent_t *pfk_polt_find(const pfk_pol_table_t *t, uint8_t dir,
                         const pfk_prefix_t *s, const pfk_prefix_t *d,
                         uint8_t proto)
{
	uint32_t h = hash_sel(dir, s, d, proto);

	for (pol_ent_t *e = t->by_sel[h & (t->n_buckets - 1)]; e; e = e->hnext_sel)
		if (e->hash_sel == h && e->dir == dir && e->proto == proto &&
		    same_prefix(&e->s, s) && same_prefix(&e->d, d))
			return e;
	return NULL;
}

pol_ent_t *pfk_polt_find_index(const pfk_pol_table_t *t, uint32_t index)
{
	uint32_t h = hash_idx(index);

	for (pol_ent_t *e = t->by_idx[h & (t->n_buckets - 1)]; e; e = e->hnext_idx)
		if (e->index == index)
			return e;
	return NULL;
}

static void polt_link(pfk_pol_table_t *t, pol_ent_t *e)
{
	size_t m = t->n_buckets - 1;

	e->hnext_sel = t->by_sel[e->hash_sel & m];
	t->by_sel[e->hash_sel & m] = e;
	e->hnext_idx = t->by_idx[e->hash_idx & m];
	t->by_idx[e->hash_idx & m] = e;
}

static void polt_grow(pfk_pol_table_t *t)
{
	free(t->by_sel);
	free(t->by_idx);
	t->n_buckets *= 2;
	t->by_sel = xzalloc(t->n_buckets * sizeof(*t->by_sel));
	t->by_idx = xzalloc(t->n_buckets * sizeof(*t->by_idx));
	for (pol_ent_t *e = t->all; e; e = e->next)
		polt_link(t, e);
}

void pfk_polt_insert(pfk_pol_table_t *t, pol_ent_t *e)
{
	if (t->n >= t->n_buckets)
		polt_grow(t);
	e->hash_sel = hash_sel(e->dir, &e->s, &e->d, e->proto);
	e->hash_idx = hash_idx(e->index);
	polt_link(t, e);
	e->prev = NULL;
	e->next = t->all;
	if (t->all)
		t->all->prev = e;
	t->all = e;
	t->n++;
}

static void unlink_idx(pfk_pol_table_t *t, pol_ent_t *e)
{
	for (pol_ent_t **pp = &t->by_idx[e->hash_idx & (t->n_buckets - 1)]; *pp;
	     pp = &(*pp)->hnext_idx)
		if (*pp == e) {
			*pp = e->hnext_idx;
			break;
		}
	e->hnext_idx = NULL;
}

void pfk_polt_remove(pfk_pol_table_t *t, pol_ent_t *e)
{
	for (pol_ent_t **pp = &t->by_sel[e->hash_sel & (t->n_buckets - 1)]; *pp;
	     pp = &(*pp)->hnext_sel)
		if (*pp == e) {
			*pp = e->hnext_sel;
			break;
		}
	unlink_idx(t, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		t->all = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = e->hnext_sel = NULL;
	t->n--;
}

void pfk_polt_set_index(pfk_pol_table_t *t, pol_ent_t *e, uint32_t index)
{
	if (e->index == index)
		return;
	unlink_idx(t, e);
	e->index = index;
	e->hash_idx = hash_idx(index);
	size_t m = t->n_buckets - 1;
	e->hnext_idx = t->by_idx[e->hash_idx & m];
	t->by_idx[e->hash_idx & m] = e;
}

/* ------------------------------------------------------------- reqids */

void pfk_kreq_init(pfk_kreq_table_t *t)
{
	memset(t, 0, sizeof(*t));
}

static size_t kreq_bucket(uint32_t reqid)
{
	return mix(reqid) & (PFK_KREQ_BUCKETS - 1);
}

uint16_t pfk_kreq_get(pfk_kreq_table_t *t, uint32_t reqid)
{
	uint16_t i;
	size_t b;

	if (!reqid)
		return 0;
	b = kreq_bucket(reqid);
	for (i = t->head[b]; i; i = t->slot[i].hnext)
		if (t->slot[i].engine == reqid) {
			t->slot[i].refs++;
			return i;
		}
	if (t->n_free)
		i = t->free_slots[--t->n_free];
	else if (t->hwm < PFK_REQID_MAX)
		i = (uint16_t)++t->hwm;
	else
		return 0;
	t->slot[i].engine = reqid;
	t->slot[i].refs = 1;
	t->slot[i].hnext = t->head[b];
	t->head[b] = i;
	return i;
}

void pfk_kreq_put(pfk_kreq_table_t *t, uint16_t kreqid)
{
	pfk_kreq_t *s;

	if (!kreqid || kreqid > t->hwm || !t->slot[kreqid].refs)
		return;
	s = &t->slot[kreqid];
	if (--s->refs)
		return;
	for (uint16_t *pi = &t->head[kreq_bucket(s->engine)]; *pi;
	     pi = &t->slot[*pi].hnext)
		if (*pi == kreqid) {
			*pi = s->hnext;
			break;
		}
	s->hnext = 0;
	s->engine = 0;
	t->free_slots[t->n_free++] = kreqid;
}

bool pfk_kreq_pin(pfk_kreq_table_t *t, uint16_t kreqid, uint32_t engine)
{
	if (!kreqid || kreqid > PFK_REQID_MAX || !engine)
		return false;
	if (kreqid <= t->hwm && t->slot[kreqid].refs)
		return t->slot[kreqid].engine == engine;
	if (kreqid <= t->hwm) {
		/* released earlier: off the free list */
		for (uint32_t i = 0; i < t->n_free; i++)
			if (t->free_slots[i] == kreqid) {
				t->free_slots[i] = t->free_slots[--t->n_free];
				break;
			}
	} else {
		/* the slots skipped on the way there stay free */
		for (uint32_t i = t->hwm + 1; i < kreqid; i++)
			t->free_slots[t->n_free++] = (uint16_t)i;
		t->hwm = kreqid;
	}
	size_t b = kreq_bucket(engine);
	t->slot[kreqid].engine = engine;
	t->slot[kreqid].refs = 1;
	t->slot[kreqid].hnext = t->head[b];
	t->head[b] = kreqid;
	return true;
}
