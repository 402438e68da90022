/*
 * us_sad.c - SAs and policies of the userspace backend: the kernel_ipsec_t
 * methods, snapshots for the data path, lifetimes (see us.h).
 */
#define _GNU_SOURCE
#include "us.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/runtime.h>

/* A reserved SPI lives this long unused. */
#define LARVAL_MS 60000
/* A held packet waits this long for its SA. */
#define HELD_MS 30000

typedef struct us_larval {
	struct us_larval *next;
	uint32_t spi;
	uint64_t since_ms;
} us_larval_t;

/* --------------------------------------------------------- readers */

static _Thread_local us_t *tls_owner;
static _Thread_local us_reader_t *tls_reader;

us_reader_t *us_reader(us_t *u)
{
	if (tls_owner == u && tls_reader)
		return tls_reader;
	pthread_mutex_lock(&u->reader_lock);
	int n = atomic_load(&u->n_readers);
	us_reader_t *r = NULL;
	if (n < US_MAX_READERS) {
		r = &u->readers[n];
		r->idx = n;
		atomic_store(&u->n_readers, n + 1);
	}
	pthread_mutex_unlock(&u->reader_lock);
	if (!r) {
		log_error(DBG_KERNEL, US_NAME ": more than %d threads touch "
		          "packets; this one cannot", US_MAX_READERS);
		return NULL;
	}
	tls_owner = u;
	tls_reader = r;
	return r;
}

/* Wait until no reader still looks at a snapshot published before now. */
static void synchronize(us_t *u)
{
	int n = atomic_load(&u->n_readers);
	us_reader_t *self = tls_owner == u ? tls_reader : NULL;

	for (int i = 0; i < n; i++) {
		us_reader_t *r = &u->readers[i];
		uint64_t c = atomic_load(&r->busy);
		if (!(c & 1) || r == self)
			continue;
		while (atomic_load(&r->busy) == c) {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
}

esp_crypto_t *us_sa_crypto(us_sa_t *sa, us_reader_t *r)
{
	esp_crypto_t *c = atomic_load_explicit(&sa->ctx[r->idx], memory_order_acquire);

	if (c)
		return c;
	c = xzalloc(sizeof(*c));
	if (!esp_crypto_init(c, &sa->esp, sa->k.encr_key.ptr, sa->k.encr_key.len,
	                     sa->k.integ_key.ptr, sa->k.integ_key.len)) {
		free(c);
		return NULL;
	}
	atomic_store_explicit(&sa->ctx[r->idx], c, memory_order_release);
	return c;
}

/* ----------------------------------------------------------- objects */

static void sa_free(us_sa_t *sa)
{
	for (int i = 0; i < US_MAX_READERS; i++) {
		esp_crypto_t *c = atomic_load(&sa->ctx[i]);
		if (c) {
			esp_crypto_free(c);
			free(c);
		}
	}
	xfree_secure(sa->keys);   /* wiped there; NULL is ignored */
	if (sa->replay_on)
		replay_free(&sa->replay);
	pthread_mutex_destroy(&sa->replay_lock);
	free(sa);
}

static void db_free(us_db_t *db)
{
	if (!db)
		return;
	free(db->in_hash);
	free(db->out);
	free(db->out_sa);
	free(db->in);
	free(db);
}

static int cmp_pol(const void *a, const void *b)
{
	const us_pol_t *x = *(us_pol_t *const *)a, *y = *(us_pol_t *const *)b;
	uint32_t px = x->k.priority, py = y->k.priority;

	if (px != py)
		return px < py ? -1 : 1;
	return x->breadth < y->breadth ? -1 : x->breadth > y->breadth;
}

/* The newest live OUT SA with reqid. */
static us_sa_t *newest_out(us_t *u, uint32_t reqid)
{
	us_sa_t *best = NULL;

	for (us_sa_t *s = u->sas; s; s = s->next)
		if (s->k.dir == KERNEL_DIR_OUT && s->k.reqid == reqid &&
		    !atomic_load(&s->dead) && (!best || s->serial > best->serial))
			best = s;
	return best;
}

/* Build and publish a snapshot of the lists; free what only the old one
 * (and the lists before this change) referenced: `gone_sa`/`gone_pol`
 * are objects unlinked from the lists by the caller. */
static void publish(us_t *u, us_sa_t *gone_sa, us_pol_t *gone_pol)
{
	us_db_t *db = xzalloc(sizeof(*db));
	size_t n_in_sa = 0, n_out = 0, n_in = 0, hs = 16;

	for (us_sa_t *s = u->sas; s; s = s->next)
		if (s->k.dir == KERNEL_DIR_IN)
			n_in_sa++;
	for (us_pol_t *p = u->pols; p; p = p->next) {
		if (p->k.dir == KERNEL_DIR_OUT)
			n_out++;
		else if (p->k.dir == KERNEL_DIR_IN)
			n_in++;
	}
	while (hs < n_in_sa * 2)
		hs <<= 1;
	db->in_hash = xzalloc(hs * sizeof(us_sa_t *));
	db->hash_mask = hs - 1;
	for (us_sa_t *s = u->sas; s; s = s->next) {
		if (s->k.dir != KERNEL_DIR_IN)
			continue;
		size_t h = (s->k.id.spi * 2654435761u) & db->hash_mask;
		while (db->in_hash[h])
			h = (h + 1) & db->hash_mask;
		db->in_hash[h] = s;
	}
	db->out = xzalloc((n_out + 1) * sizeof(us_pol_t *));
	db->out_sa = xzalloc((n_out + 1) * sizeof(us_sa_t *));
	db->in = xzalloc((n_in + 1) * sizeof(us_pol_t *));
	for (us_pol_t *p = u->pols; p; p = p->next) {
		if (p->k.dir == KERNEL_DIR_OUT)
			db->out[db->n_out++] = p;
		else if (p->k.dir == KERNEL_DIR_IN)
			db->in[db->n_in++] = p;
	}
	qsort(db->out, db->n_out, sizeof(us_pol_t *), cmp_pol);
	for (size_t i = 0; i < db->n_out; i++)
		if (db->out[i]->k.action == KERNEL_POLICY_PROTECT)
			db->out_sa[i] = newest_out(u, db->out[i]->k.reqid);

	us_db_t *old = atomic_exchange(&u->db, db);
	synchronize(u);
	db_free(old);
	while (gone_sa) {
		us_sa_t *n = gone_sa->next;
		sa_free(gone_sa);
		gone_sa = n;
	}
	while (gone_pol) {
		us_pol_t *n = gone_pol->next;
		free(gone_pol);
		gone_pol = n;
	}
}

/* ------------------------------------------------------- addresses */

static size_t ss_alen(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? 4 : a->ss_family == AF_INET6 ? 16 : 0;
}

static const uint8_t *ss_ip(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	return (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
}

static bool ip_equal(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family && ss_alen(a) &&
	       memcmp(ss_ip(a), ss_ip(b), ss_alen(a)) == 0;
}

static bool spi_in_use(us_t *u, uint32_t spi)
{
	for (us_sa_t *s = u->sas; s; s = s->next)
		if (s->k.dir == KERNEL_DIR_IN && s->k.id.spi == spi)
			return true;
	for (us_larval_t *l = u->larval; l; l = l->next)
		if (l->spi == spi)
			return true;
	return false;
}

/* The SA named by id (unlinked when unlink). */
static us_sa_t *find_sa(us_t *u, const kernel_sa_id_t *id, bool unlink)
{
	for (us_sa_t **pp = &u->sas; *pp; pp = &(*pp)->next) {
		us_sa_t *s = *pp;
		if (s->k.id.spi == id->spi && s->k.id.protocol == id->protocol &&
		    ip_equal(&s->k.id.dst, &id->dst) &&
		    s->k.id.mark.value == id->mark.value &&
		    s->k.id.mark.mask == id->mark.mask) {
			if (unlink) {
				*pp = s->next;
				s->next = NULL;
			}
			return s;
		}
	}
	return NULL;
}

/* --------------------------------------------------------- methods */

static bool us_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                       const struct sockaddr_storage *dst, uint8_t protocol,
                       uint32_t reqid, uint32_t *spi)
{
	us_t *u = (us_t *)self;
	uint32_t v;

	if (!us_ensure(u, true)) {
		log_error(DBG_KERNEL, US_NAME ": not set up: refusing the request");
		return false;
	}
	if (protocol != KERNEL_PROTO_ESP) {
		log_error(DBG_KERNEL, US_NAME ": only ESP is supported");
		return false;
	}
	pthread_mutex_lock(&u->lock);
	for (;;) {
		if (!crypto_random(RNG_WEAK, &v, sizeof(v))) {
			pthread_mutex_unlock(&u->lock);
			log_error(DBG_KERNEL, US_NAME ": no random SPI");
			return false;
		}
		if (v >= 256 && !spi_in_use(u, v))
			break;
	}
	us_larval_t *l = xzalloc(sizeof(*l));
	l->spi = v;
	l->since_ms = time_monotonic_ms();
	l->next = u->larval;
	u->larval = l;
	pthread_mutex_unlock(&u->lock);
	*spi = v;
	(void)src; (void)dst; (void)reqid;
	return true;
}

static bool drop_larval(us_t *u, uint32_t spi)
{
	for (us_larval_t **pp = &u->larval; *pp; pp = &(*pp)->next)
		if ((*pp)->spi == spi) {
			us_larval_t *l = *pp;
			*pp = l->next;
			free(l);
			return true;
		}
	return false;
}

static bool us_add_sa(kernel_ipsec_t *self, const kernel_sa_t *ks)
{
	us_t *u = (us_t *)self;
	const char *why = NULL;
	us_sa_t *sa;

	if (!us_ensure(u, true)) {
		log_error(DBG_KERNEL, US_NAME ": not set up: refusing the request");
		return false;
	}
	if (ks->id.protocol != KERNEL_PROTO_ESP ||
	    (ks->dir != KERNEL_DIR_IN && ks->dir != KERNEL_DIR_OUT) ||
	    !ss_alen(&ks->id.dst) || ks->src.ss_family != ks->id.dst.ss_family) {
		log_error(DBG_KERNEL, US_NAME ": SA %08x: not an ESP SA with outer "
		          "addresses of one family", ks->id.spi);
		return false;
	}
	if (ks->id.mark.mask || ks->if_id) {
		log_error(DBG_KERNEL, US_NAME ": SA %08x: has a mark or interface "
		          "ID, which this engine cannot honour", ks->id.spi);
		return false;
	}
	sa = xzalloc(sizeof(*sa));
	if (!esp_params_init(&sa->esp, ks->id.spi, ks->encr_alg, ks->encr_keylen_bits,
	                     ks->integ_alg, ks->esn, &why)) {
		log_error(DBG_KERNEL, US_NAME ": SA %08x: %s", ks->id.spi, why);
		free(sa);
		return false;
	}
	sa->k = *ks;
	sa->keys_len = ks->encr_key.len + ks->integ_key.len;
	/* locked, out of core dumps (the ciphers' schedules are too) */
	sa->keys = xzalloc_secure(sa->keys_len ? sa->keys_len : 1);
	if (ks->encr_key.len)
		memcpy(sa->keys, ks->encr_key.ptr, ks->encr_key.len);
	if (ks->integ_key.len)
		memcpy(sa->keys + ks->encr_key.len, ks->integ_key.ptr, ks->integ_key.len);
	sa->k.encr_key = chunk_create(sa->keys, ks->encr_key.len);
	sa->k.integ_key = chunk_create(sa->keys + ks->encr_key.len, ks->integ_key.len);
	pthread_mutex_init(&sa->replay_lock, NULL);
	if (ks->dir == KERNEL_DIR_IN && ks->replay_window) {
		if (!replay_init(&sa->replay, ks->replay_window, ks->esn)) {
			log_error(DBG_KERNEL, US_NAME ": SA %08x: replay window %u "
			          "outside 1..%u", ks->id.spi, ks->replay_window,
			          US_REPLAY_MAX);
			sa_free(sa);
			return false;
		}
		sa->replay_on = true;
	}
	/* the keys must be usable before the SA is */
	{
		esp_crypto_t probe;
		if (!esp_crypto_init(&probe, &sa->esp, sa->k.encr_key.ptr,
		                     sa->k.encr_key.len, sa->k.integ_key.ptr,
		                     sa->k.integ_key.len)) {
			log_error(DBG_KERNEL, US_NAME ": SA %08x: the crypto plugin "
			          "refused the keys (wrong length?)", ks->id.spi);
			sa_free(sa);
			return false;
		}
		esp_crypto_free(&probe);
	}
	sa->installed_ms = time_monotonic_ms();
	pthread_mutex_lock(&u->lock);
	if (find_sa(u, &ks->id, false)) {
		pthread_mutex_unlock(&u->lock);
		log_error(DBG_KERNEL, US_NAME ": SA %08x exists already", ks->id.spi);
		sa_free(sa);
		return false;
	}
	if (ks->dir == KERNEL_DIR_IN)
		drop_larval(u, ks->id.spi);
	sa->serial = ++u->serial;
	sa->next = u->sas;
	u->sas = sa;
	publish(u, NULL, NULL);
	pthread_mutex_unlock(&u->lock);
	log_verbose(DBG_KERNEL, US_NAME ": SA %08x %s installed (%s, %s%s)",
	            ks->id.spi, kernel_dir_name(ks->dir), kernel_mode_name(ks->mode),
	            transform_name(TRANS_ENCR, ks->encr_alg) ?
	            transform_name(TRANS_ENCR, ks->encr_alg) : "?",
	            ks->encap ? ", UDP-encapsulated" : "");
	if (ks->dir == KERNEL_DIR_OUT)
		us_dp_send_held(u, ks->reqid);
	return true;
}

static bool us_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_src,
                         const struct sockaddr_storage *new_dst, bool encap)
{
	us_t *u = (us_t *)self;

	/* Outer addresses are read by the data path without a lock: replace
	 * the SA by a copy with the new addresses and the same state. */
	pthread_mutex_lock(&u->lock);
	us_sa_t *old = find_sa(u, id, true);
	if (!old) {
		pthread_mutex_unlock(&u->lock);
		log_verbose(DBG_KERNEL, US_NAME ": update of unknown SA %08x", id->spi);
		return false;
	}
	us_sa_t *sa = xzalloc(sizeof(*sa));
	*sa = (us_sa_t){ 0 };
	sa->k = old->k;
	sa->esp = old->esp;
	sa->keys = old->keys;
	sa->keys_len = old->keys_len;
	old->keys = NULL;
	sa->installed_ms = old->installed_ms;
	sa->serial = old->serial;
	sa->soft_sent = old->soft_sent;
	sa->hard_sent = old->hard_sent;
	pthread_mutex_init(&sa->replay_lock, NULL);
	pthread_mutex_lock(&old->replay_lock);
	sa->replay = old->replay;
	sa->replay_on = old->replay_on;
	old->replay_on = false;
	old->replay.bits = NULL;
	pthread_mutex_unlock(&old->replay_lock);
	sa->k.id.dst = *new_dst;
	sa->k.src = *new_src;
	sa->k.encap = encap;
	sa->next = u->sas;
	u->sas = sa;
	/* readers of the old snapshot may still count on old: carry the
	 * counters over once they are done */
	publish(u, NULL, NULL);
	atomic_store(&sa->seq, atomic_load(&old->seq) + 1024);
	atomic_store(&sa->bytes, atomic_load(&old->bytes));
	atomic_store(&sa->packets, atomic_load(&old->packets));
	atomic_store(&sa->last_use_ms, atomic_load(&old->last_use_ms));
	sa_free(old);
	pthread_mutex_unlock(&u->lock);
	return true;
}

static bool us_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                        kernel_usage_t *usage)
{
	us_t *u = (us_t *)self;
	bool ok = false;

	pthread_mutex_lock(&u->lock);
	us_sa_t *sa = find_sa(u, id, false);
	if (sa) {
		uint64_t last = atomic_load(&sa->last_use_ms);
		usage->bytes = atomic_load(&sa->bytes);
		usage->packets = atomic_load(&sa->packets);
		usage->last_use_secs = last ? last / 1000 : 0;
		ok = true;
	}
	pthread_mutex_unlock(&u->lock);
	if (!ok)
		log_verbose(DBG_KERNEL, US_NAME ": query of unknown SA %08x", id->spi);
	return ok;
}

static bool us_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	us_t *u = (us_t *)self;
	bool ok;

	pthread_mutex_lock(&u->lock);
	us_sa_t *sa = find_sa(u, id, true);
	ok = sa != NULL;
	if (sa)
		publish(u, sa, NULL);
	else
		ok = drop_larval(u, id->spi);
	pthread_mutex_unlock(&u->lock);
	if (!ok)
		log_verbose(DBG_KERNEL, US_NAME ": delete of unknown SA %08x", id->spi);
	return ok;
}

static bool ts_equal(const kernel_ts_t *a, const kernel_ts_t *b)
{
	size_t al = a->family == AF_INET6 ? 16 : 4;
	return a->family == b->family && a->proto == b->proto &&
	       a->port_from == b->port_from && a->port_to == b->port_to &&
	       memcmp(a->from, b->from, al) == 0 && memcmp(a->to, b->to, al) == 0;
}

static bool same_policy(const kernel_policy_t *a, const kernel_policy_t *b)
{
	return a->dir == b->dir && a->mark.value == b->mark.value &&
	       a->mark.mask == b->mark.mask && ts_equal(&a->src_ts, &b->src_ts) &&
	       ts_equal(&a->dst_ts, &b->dst_ts);
}

static us_pol_t *find_policy(us_t *u, const kernel_policy_t *k, bool unlink)
{
	for (us_pol_t **pp = &u->pols; *pp; pp = &(*pp)->next) {
		us_pol_t *p = *pp;
		if (same_policy(&p->k, k)) {
			if (unlink) {
				*pp = p->next;
				p->next = NULL;
			}
			return p;
		}
	}
	return NULL;
}

/* Routes for an OUT policy's destination, counted (several policies may
 * want one prefix). */
#define MAX_ROUTE_PREFIXES 64
static void policy_routes(us_t *u, const kernel_policy_t *k, bool add)
{
	us_prefix_t pf[MAX_ROUTE_PREFIXES];
	int family = k->dst_ts.family;
	int n = us_range_to_prefixes(family, k->dst_ts.from, k->dst_ts.to, pf,
	                             MAX_ROUTE_PREFIXES);
	const uint8_t *prefsrc = NULL;
	size_t al = family == AF_INET6 ? 16 : 4;

	if (n > MAX_ROUTE_PREFIXES) {
		log_error(DBG_KERNEL, US_NAME ": destination range needs more than "
		          "%d routes; routing only the first %d", MAX_ROUTE_PREFIXES,
		          MAX_ROUTE_PREFIXES);
		n = MAX_ROUTE_PREFIXES;
	}
	/* one local address on our side: packets leave from it */
	if (k->src_ts.family == family && memcmp(k->src_ts.from, k->src_ts.to, al) == 0)
		prefsrc = k->src_ts.from;
	for (int i = 0; i < n; i++) {
		us_route_t **pp, *r = NULL;
		for (pp = &u->routes; *pp; pp = &(*pp)->next)
			if ((*pp)->family == family && (*pp)->prefix.plen == pf[i].plen &&
			    memcmp((*pp)->prefix.addr, pf[i].addr, al) == 0) {
				r = *pp;
				break;
			}
		if (add) {
			if (r) {
				r->refs++;
				continue;
			}
			r = xzalloc(sizeof(*r));
			r->family = family;
			r->prefix = pf[i];
			r->refs = 1;
			r->next = u->routes;
			u->routes = r;
			us_sys_route(u, family, &pf[i], prefsrc, true);
		} else if (r && --r->refs == 0) {
			*pp = r->next;
			us_sys_route(u, family, &r->prefix, NULL, false);
			free(r);
		}
	}
}

static bool us_add_policy(kernel_ipsec_t *self, const kernel_policy_t *k)
{
	us_t *u = (us_t *)self;
	us_pol_t *p, *old;

	if (!us_ensure(u, true)) {
		log_error(DBG_KERNEL, US_NAME ": not set up: refusing the request");
		return false;
	}
	if ((k->src_ts.family != AF_INET && k->src_ts.family != AF_INET6) ||
	    k->src_ts.family != k->dst_ts.family || k->dir > KERNEL_DIR_FWD) {
		log_error(DBG_KERNEL, US_NAME ": policy with selectors of no or "
		          "mixed families refused");
		return false;
	}
	p = xzalloc(sizeof(*p));
	p->k = *k;
	p->breadth = us_ts_breadth(&k->src_ts, &k->dst_ts);
	pthread_mutex_lock(&u->lock);
	old = find_policy(u, k, true);
	if (old) {
		atomic_store(&p->last_use_ms, atomic_load(&old->last_use_ms));
		atomic_store(&p->packets, atomic_load(&old->packets));
		atomic_store(&p->bytes, atomic_load(&old->bytes));
	}
	if (k->dir == KERNEL_DIR_OUT && !old)
		policy_routes(u, k, true);
	p->next = u->pols;
	u->pols = p;
	publish(u, NULL, old);
	pthread_mutex_unlock(&u->lock);
	/* a CHILD SA's policy taking a trap's place: what the trap held can
	 * go now (held packets are filed under the trap's reqid) */
	if (k->dir == KERNEL_DIR_OUT && k->action == KERNEL_POLICY_PROTECT)
		us_dp_send_held(u, 0);
	return true;
}

static bool us_query_policy(kernel_ipsec_t *self, const kernel_policy_t *k,
                            kernel_usage_t *usage)
{
	us_t *u = (us_t *)self;
	bool ok = false;

	pthread_mutex_lock(&u->lock);
	us_pol_t *p = find_policy(u, k, false);
	if (p) {
		uint64_t last = atomic_load(&p->last_use_ms);
		usage->bytes = atomic_load(&p->bytes);
		usage->packets = atomic_load(&p->packets);
		usage->last_use_secs = last ? last / 1000 : 0;
		ok = true;
	}
	pthread_mutex_unlock(&u->lock);
	return ok;
}

static bool us_del_policy(kernel_ipsec_t *self, const kernel_policy_t *k)
{
	us_t *u = (us_t *)self;

	pthread_mutex_lock(&u->lock);
	us_pol_t *p = find_policy(u, k, true);
	if (p) {
		if (p->k.dir == KERNEL_DIR_OUT)
			policy_routes(u, &p->k, false);
		publish(u, NULL, p);
	}
	pthread_mutex_unlock(&u->lock);
	if (!p)
		log_verbose(DBG_KERNEL, US_NAME ": delete of unknown policy");
	return p != NULL;
}

static bool us_bypass_socket(kernel_ipsec_t *self, int fd, int family)
{
	us_t *u = (us_t *)self;

	(void)family;
	if (!us_ensure(u, false))
		return false;
	return us_sys_mark_socket(u, fd);
}

static void us_flush(kernel_ipsec_t *self)
{
	us_t *u = (us_t *)self;

	pthread_mutex_lock(&u->lock);
	us_sa_t *sas = u->sas;
	us_pol_t *pols = u->pols;
	for (us_pol_t *p = pols; p; p = p->next)
		if (p->k.dir == KERNEL_DIR_OUT)
			policy_routes(u, &p->k, false);
	u->sas = NULL;
	u->pols = NULL;
	while (u->larval) {
		us_larval_t *l = u->larval;
		u->larval = l->next;
		free(l);
	}
	publish(u, sas, pols);
	pthread_mutex_unlock(&u->lock);
}

/* --------------------------------------------------- housekeeping */

static void raise_expire(us_sa_t *sa, bool hard)
{
	kernel_event_t ev = { .type = KERNEL_EV_EXPIRE };
	ev.expire.sa = sa->k.id;
	ev.expire.reqid = sa->k.reqid;
	ev.expire.hard = hard;
	kernel_ipsec_raise(&ev);
}

static bool reached(const kernel_lifetime_t *l, uint64_t bytes,
                    uint64_t packets, uint64_t age_s)
{
	return (l->bytes && bytes >= l->bytes) ||
	       (l->packets && packets >= l->packets) ||
	       (l->secs && age_s >= l->secs);
}

void us_sad_housekeeping(us_t *u)
{
	uint64_t now = time_monotonic_ms();
	us_sa_t *gone = NULL;

	pthread_mutex_lock(&u->lock);
	for (us_sa_t **pp = &u->sas; *pp;) {
		us_sa_t *s = *pp;
		uint64_t b = atomic_load(&s->bytes), n = atomic_load(&s->packets);
		uint64_t age = (now - s->installed_ms) / 1000;
		if (!s->soft_sent && reached(&s->k.soft, b, n, age)) {
			s->soft_sent = true;
			raise_expire(s, false);
		}
		if (reached(&s->k.hard, b, n, age)) {
			/* as XFRM: the SA is gone when the engine hears of it */
			atomic_store(&s->dead, true);
			*pp = s->next;
			s->next = gone;
			gone = s;
			raise_expire(s, true);
			continue;
		}
		pp = &s->next;
	}
	for (us_larval_t **pp = &u->larval; *pp;) {
		if (now - (*pp)->since_ms >= LARVAL_MS) {
			us_larval_t *l = *pp;
			*pp = l->next;
			free(l);
			continue;
		}
		pp = &(*pp)->next;
	}
	if (gone)
		publish(u, gone, NULL);
	pthread_mutex_unlock(&u->lock);

	pthread_mutex_lock(&u->held_lock);
	for (int i = 0; i < u->n_held; i++)
		if (u->held[i].used && now - u->held[i].since_ms >= HELD_MS)
			u->held[i].used = false;
	pthread_mutex_unlock(&u->held_lock);
}

void us_stats_sum(us_t *u, us_stats_t *out)
{
	int n = atomic_load(&u->n_readers);

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		us_stats_t *s = &u->readers[i].stats;
		for (int d = 0; d < DROP_COUNT; d++)
			out->drops[d] += atomic_load_explicit(&s->drops[d], memory_order_relaxed);
		out->rx_packets += atomic_load_explicit(&s->rx_packets, memory_order_relaxed);
		out->rx_bytes += atomic_load_explicit(&s->rx_bytes, memory_order_relaxed);
		out->tx_packets += atomic_load_explicit(&s->tx_packets, memory_order_relaxed);
		out->tx_bytes += atomic_load_explicit(&s->tx_bytes, memory_order_relaxed);
		out->acquires += atomic_load_explicit(&s->acquires, memory_order_relaxed);
		out->queued += atomic_load_explicit(&s->queued, memory_order_relaxed);
		out->tun_writes += atomic_load_explicit(&s->tun_writes, memory_order_relaxed);
		out->tun_merged += atomic_load_explicit(&s->tun_merged, memory_order_relaxed);
		out->tun_tso_reads += atomic_load_explicit(&s->tun_tso_reads, memory_order_relaxed);
		out->tun_tso_segments += atomic_load_explicit(&s->tun_tso_segments,
		                                              memory_order_relaxed);
	}
}

/* Marks and XFRM interface IDs have no meaning in the userspace engine
 * (it matches its own flows, not skb marks): refused at -c time, with the
 * rule's file:line, instead of installing SAs that ignore them.  Anything
 * else is checked at add_sa, as before. */
static bool us_can_install(kernel_ipsec_t *self, const kernel_sa_t *sa,
                           char *why, size_t why_len)
{
	(void)self;
	if (!sa->id.mark.mask && !sa->if_id)
		return true;
	bool in = sa->dir == KERNEL_DIR_IN;
	snprintf(why, why_len, "%s: the userspace ESP engine has no %s (use "
	         "kernel-netlink)", sa->id.mark.mask ? (in ? "mark_in" : "mark_out")
	                                             : (in ? "if_id_in" : "if_id_out"),
	         sa->id.mark.mask ? "marks" : "XFRM interface IDs");
	return false;
}

/* ----------------------------------------------------------- setup */

void us_sad_init(us_t *u)
{
	u->public = (kernel_ipsec_t){
		.get_spi = us_get_spi,
		.add_sa = us_add_sa,
		.update_sa = us_update_sa,
		.query_sa = us_query_sa,
		.del_sa = us_del_sa,
		.add_policy = us_add_policy,
		.query_policy = us_query_policy,
		.del_policy = us_del_policy,
		.bypass_socket = us_bypass_socket,
		.flush = us_flush,
		.can_install = us_can_install,
	};
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->reader_lock, NULL);
	pthread_mutex_init(&u->held_lock, NULL);
	pthread_mutex_lock(&u->lock);
	publish(u, NULL, NULL);
	pthread_mutex_unlock(&u->lock);
}

void us_sad_free(us_t *u)
{
	while (u->sas) {
		us_sa_t *s = u->sas;
		u->sas = s->next;
		sa_free(s);
	}
	while (u->pols) {
		us_pol_t *p = u->pols;
		u->pols = p->next;
		free(p);
	}
	while (u->larval) {
		us_larval_t *l = u->larval;
		u->larval = l->next;
		free(l);
	}
	while (u->routes) {
		us_route_t *r = u->routes;
		u->routes = r->next;
		free(r);
	}
	db_free(atomic_exchange(&u->db, NULL));
	pthread_mutex_destroy(&u->lock);
	pthread_mutex_destroy(&u->reader_lock);
	pthread_mutex_destroy(&u->held_lock);
}
