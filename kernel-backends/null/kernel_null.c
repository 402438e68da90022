/*
 * kernel_null.c - the null kernel backend's store: SAs, reserved SPIs and
 * policies in hash tables, lifetime timers, events, and the state file
 * (format and behaviour in kernel_null.h).
 */
#define _GNU_SOURCE  /* asprintf */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/crypto.h>
#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>
#include <ikev2d/transform.h>

#include "kernel_null.h"
#include "kernel_null_rec.h"

#define DEFAULT_SPI_TIMEOUT_MS 30000
#define ADDR_BUF (INET6_ADDRSTRLEN + 8)

typedef enum { ENTRY_SPI, ENTRY_SA } entry_kind_t;

/* One SA or reserved SPI, keyed by (dst, spi, protocol, mark). */
typedef struct sa_entry sa_entry_t;
struct sa_entry {
	sa_entry_t *next;
	uint64_t hash;
	uint64_t gen;              /* unique; timers check it */
	entry_kind_t kind;
	cn_sa_t rec;               /* ENTRY_SPI uses rec.id, src, reqid */
	timer_id_t soft_timer, hard_timer;  /* hard_timer: SPI expiry for ENTRY_SPI */
	void *soft_ctx, *hard_ctx;          /* their contexts, freed on cancel */
	bool soft_raised;
};

typedef struct policy_entry policy_entry_t;
struct policy_entry {
	policy_entry_t *next;
	uint64_t hash;
	cn_policy_t pol;
	bool other;                /* someone else's (kernel_null_add_other_policy) */
};

typedef struct {
	void **buckets;            /* sa_entry_t* or policy_entry_t* chains */
	size_t n_buckets;          /* power of two */
	size_t count;
} table_t;

struct kernel_null {
	kernel_ipsec_t public;
	pthread_mutex_t lock;
	table_t sas;               /* installed SAs and reserved SPIs */
	table_t policies;
	size_t n_sas, n_spis;
	size_t n_others;           /* policies.count: ours and these */
	uint64_t next_gen;
	char *state_file;
	unsigned spi_timeout_ms;
};

static kernel_null_t *the_instance;

kernel_null_t *kernel_null_instance(void)
{
	return the_instance;
}

void kernel_null_set_instance(kernel_null_t *kn)
{
	the_instance = kn;
}

/* ----------------------------------------------------------- hashing */

static chunk_t ss_bytes(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return chunk_create(&((const struct sockaddr_in *)a)->sin_addr, 4);
	if (a->ss_family == AF_INET6)
		return chunk_create(&((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	return chunk_empty;
}

static uint16_t ss_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

/* ------------------------------------------------------------ tables */

/* Chains link through the first member of both entry types. */
typedef struct link { struct link *next; uint64_t hash; } link_t;

static void table_init(table_t *t)
{
	t->n_buckets = 64;
	t->buckets = xzalloc(t->n_buckets * sizeof(void *));
	t->count = 0;
}

static void table_grow(table_t *t)
{
	size_t n = t->n_buckets * 2;
	void **b = xzalloc(n * sizeof(void *));

	for (size_t i = 0; i < t->n_buckets; i++) {
		link_t *e = t->buckets[i];
		while (e) {
			link_t *next = e->next;
			size_t j = e->hash & (n - 1);
			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
}

static void table_insert(table_t *t, link_t *e)
{
	size_t i;

	if (t->count >= t->n_buckets)
		table_grow(t);
	i = e->hash & (t->n_buckets - 1);
	e->next = t->buckets[i];
	t->buckets[i] = e;
	t->count++;
}

static void table_unlink(table_t *t, link_t *e)
{
	link_t **pp = (link_t **)&t->buckets[e->hash & (t->n_buckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->count--;
			return;
		}
	}
}

static sa_entry_t *find_sa_packed(kernel_null_t *kn, const cn_sa_id_t *id)
{
	uint64_t h = cn_sa_id_hash(id);

	for (sa_entry_t *e = kn->sas.buckets[h & (kn->sas.n_buckets - 1)]; e;
	     e = e->next)
		if (e->hash == h && cn_sa_id_equals(&e->rec.id, id))
			return e;
	return NULL;
}

static sa_entry_t *find_sa(kernel_null_t *kn, const kernel_sa_id_t *id)
{
	cn_sa_id_t c;

	cn_sa_id_pack(id, &c);
	return find_sa_packed(kn, &c);
}

static policy_entry_t *find_policy_packed(kernel_null_t *kn, const cn_policy_t *p)
{
	uint64_t h = cn_policy_hash(p);

	for (policy_entry_t *e = kn->policies.buckets[h & (kn->policies.n_buckets - 1)];
	     e; e = e->next)
		if (e->hash == h && cn_policy_same_name(&e->pol, p))
			return e;
	return NULL;
}

static policy_entry_t *find_policy(kernel_null_t *kn, const kernel_policy_t *p)
{
	cn_policy_t c;

	cn_policy_pack(p, &c);
	return find_policy_packed(kn, &c);
}

/* --------------------------------------------------------- state file */

static void fmt_ip(const struct sockaddr_storage *a, char *buf, size_t len,
                   bool port)
{
	char ip[INET6_ADDRSTRLEN];
	chunk_t b = ss_bytes(a);

	if (!b.len || !inet_ntop(a->ss_family, b.ptr, ip, sizeof(ip))) {
		snprintf(buf, len, "-");
		return;
	}
	if (port)
		snprintf(buf, len, "%s[%u]", ip, ss_port(a));
	else
		snprintf(buf, len, "%s", ip);
}

static const char *proto_name(uint8_t p)
{
	return p == KERNEL_PROTO_ESP ? "esp" : p == KERNEL_PROTO_AH ? "ah" : "?";
}

static char *fmt_sa_line(const sa_entry_t *e)
{
	kernel_sa_t unpacked, *sa = &unpacked;
	char src[ADDR_BUF], dst[ADDR_BUF], *line;
	const char *encr, *integ;
	int n;

	cn_sa_unpack(&e->rec, sa);
	if (e->kind == ENTRY_SPI) {
		fmt_ip(&sa->src, src, sizeof(src), false);
		fmt_ip(&sa->id.dst, dst, sizeof(dst), false);
		n = asprintf(&line, "spi spi=%08x proto=%s src=%s dst=%s reqid=%u",
		             sa->id.spi, proto_name(sa->id.protocol), src, dst,
		             sa->reqid);
		return n < 0 ? NULL : line;
	}
	fmt_ip(&sa->src, src, sizeof(src), true);
	fmt_ip(&sa->id.dst, dst, sizeof(dst), true);
	encr = transform_name(TRANS_ENCR, sa->encr_alg);
	integ = sa->integ_alg ? transform_name(TRANS_INTEG, sa->integ_alg) : "none";
	n = asprintf(&line, "sa dir=%s spi=%08x proto=%s src=%s dst=%s mode=%s "
	             "reqid=%u encap=%s encr=%s encr_keylen=%u salt=%u icv=%u "
	             "integ=%s esn=%s "
	             "replay=%u soft_secs=%" PRIu64 " hard_secs=%" PRIu64
	             " soft_bytes=%" PRIu64 " hard_bytes=%" PRIu64 " mark=%x/%x",
	             kernel_dir_name(sa->dir), sa->id.spi,
	             proto_name(sa->id.protocol), src, dst,
	             kernel_mode_name(sa->mode), sa->reqid,
	             sa->encap ? "yes" : "no", encr ? encr : "?",
	             sa->encr_keylen_bits, sa->encr_salt_len, sa->icv_bits,
	             integ ? integ : "?",
	             sa->esn ? "yes" : "no", sa->replay_window, sa->soft.secs,
	             sa->hard.secs, sa->soft.bytes, sa->hard.bytes,
	             sa->id.mark.value, sa->id.mark.mask);
	return n < 0 ? NULL : line;
}

static char *fmt_policy_line(const policy_entry_t *e)
{
	kernel_policy_t unpacked, *p = &unpacked;
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	char ts[ADDR_BUF], td[ADDR_BUF], *line;
	int n;

	cn_policy_unpack(&e->pol, p);
	fmt_ip(&p->sa_src, ts, sizeof(ts), false);
	fmt_ip(&p->sa_dst, td, sizeof(td), false);
	n = asprintf(&line, "%s dir=%s src=%s dst=%s action=%s reqid=%u "
	             "priority=%u mode=%s tmpl_src=%s tmpl_dst=%s mark=%x/%x",
	             e->other ? "other" : "policy", kernel_dir_name(p->dir),
	             kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
	             kernel_ts_to_str(&p->dst_ts, d, sizeof(d)),
	             kernel_action_name(p->action), p->reqid, p->priority,
	             kernel_mode_name(p->mode), ts, td, p->mark.value, p->mark.mask);
	return n < 0 ? NULL : line;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole state as text; caller holds the lock. */
static char *dump_locked(kernel_null_t *kn)
{
	size_t n = kn->sas.count + kn->policies.count, k = 0, total = 0;
	char **lines = xzalloc((n ? n : 1) * sizeof(char *));
	char *out, *p;
	int hl;
	char head[128];

	for (size_t i = 0; i < kn->sas.n_buckets; i++)
		for (sa_entry_t *e = kn->sas.buckets[i]; e; e = e->next)
			if ((lines[k] = fmt_sa_line(e)))
				k++;
	for (size_t i = 0; i < kn->policies.n_buckets; i++)
		for (policy_entry_t *e = kn->policies.buckets[i]; e; e = e->next)
			if ((lines[k] = fmt_policy_line(e)))
				k++;
	qsort(lines, k, sizeof(char *), cmp_str);
	hl = snprintf(head, sizeof(head), "# kernel-null state: %zu sa, %zu "
	              "policy, %zu spi\n", kn->n_sas, kn->policies.count - kn->n_others,
	              kn->n_spis);
	total = (size_t)hl;
	for (size_t i = 0; i < k; i++)
		total += strlen(lines[i]) + 1;
	out = p = xmalloc(total + 1);
	memcpy(p, head, (size_t)hl);
	p += hl;
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(lines[i]);
		memcpy(p, lines[i], l);
		p[l] = '\n';
		p += l + 1;
		free(lines[i]);
	}
	*p = '\0';
	free(lines);
	return out;
}

/* Rewrite the state file, if there is one; caller holds the lock. */
static void write_state_locked(kernel_null_t *kn)
{
	char *text, *tmp;
	FILE *f;
	bool ok;

	if (!kn->state_file)
		return;
	text = dump_locked(kn);
	if (asprintf(&tmp, "%s.tmp", kn->state_file) < 0) {
		free(text);
		return;
	}
	f = fopen(tmp, "w");
	ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, kn->state_file) < 0) {
		log_error(DBG_KERNEL, "kernel-null: cannot write state file %s: %s",
		          kn->state_file, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(text);
}

/* ------------------------------------------------------------- timers */

typedef struct {
	kernel_null_t *kn;
	cn_sa_id_t id;
	uint64_t gen;
	bool hard;
} timer_ctx_t;

static void free_entry_timers(sa_entry_t *e)
{
	/* A cancelled timer's context is ours to free; one that already
	 * fired frees its own (and finds the generation gone). */
	if (e->soft_timer && sched_cancel(e->soft_timer))
		free(e->soft_ctx);
	if (e->hard_timer && sched_cancel(e->hard_timer))
		free(e->hard_ctx);
	e->soft_timer = e->hard_timer = 0;
	e->soft_ctx = e->hard_ctx = NULL;
}

static void timer_fired(void *arg);

/* Start the soft or hard timer of an entry (caller holds the lock). */
static void start_timer(kernel_null_t *kn, sa_entry_t *e, uint64_t ms, bool hard)
{
	timer_ctx_t *t = xzalloc(sizeof(*t));
	timer_id_t id;

	t->kn = kn;
	t->id = e->rec.id;
	t->gen = e->gen;
	t->hard = hard;
	id = sched_after_ms(ms, timer_fired, t);
	if (!id) {
		log_error(DBG_KERNEL, "kernel-null: cannot schedule the %s lifetime "
		          "of SA %08x", hard ? "hard" : "soft", e->rec.id.spi);
		free(t);
		return;
	}
	if (hard) {
		e->hard_timer = id;
		e->hard_ctx = t;
	} else {
		e->soft_timer = id;
		e->soft_ctx = t;
	}
}

static void remove_sa_locked(kernel_null_t *kn, sa_entry_t *e)
{
	table_unlink(&kn->sas, (link_t *)e);
	if (e->kind == ENTRY_SA)
		kn->n_sas--;
	else
		kn->n_spis--;
	free_entry_timers(e);
	free(e);
}

static void raise_expire(const cn_sa_id_t *id, uint32_t reqid, bool hard);

static void raise_expire_id(const kernel_sa_id_t *id, uint32_t reqid, bool hard)
{
	cn_sa_id_t c;

	cn_sa_id_pack(id, &c);
	raise_expire(&c, reqid, hard);
}

static void raise_expire(const cn_sa_id_t *id, uint32_t reqid, bool hard)
{
	kernel_event_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = KERNEL_EV_EXPIRE;
	cn_sa_id_unpack(id, &ev.expire.sa);
	ev.expire.reqid = reqid;
	ev.expire.hard = hard;
	kernel_ipsec_raise(&ev);
}

/* Soft: raise once.  Hard: remove, then raise.  For a reserved SPI the
 * "hard" timer just releases it, silently as XFRM's larval SAs go.  Caller
 * holds the lock; returns whether to raise (with *reqid). */
static bool expire_locked(kernel_null_t *kn, sa_entry_t *e, bool hard,
                          uint32_t *reqid)
{
	*reqid = e->rec.reqid;
	if (e->kind == ENTRY_SPI) {
		log_verbose(DBG_KERNEL, "kernel-null: reserved SPI %08x expired "
		            "unused", e->rec.id.spi);
		remove_sa_locked(kn, e);
		write_state_locked(kn);
		return false;
	}
	if (!hard) {
		if (e->soft_raised)
			return false;
		e->soft_raised = true;
		return true;
	}
	remove_sa_locked(kn, e);
	write_state_locked(kn);
	return true;
}

/* Arm the next lifetime timer of an installed SA: the soft one until it
 * was raised, then the hard one; one pending timer per SA keeps load runs
 * small.  Caller holds the lock and has no timer of e pending. */
static void arm_lifetime(kernel_null_t *kn, sa_entry_t *e)
{
	uint64_t age = time_monotonic_ms() - e->rec.installed_ms;
	uint64_t soft = e->rec.soft.secs * 1000, hard = e->rec.hard.secs * 1000;

	if (soft && !e->soft_raised)
		start_timer(kn, e, soft > age ? soft - age : 1, false);
	else if (hard)
		start_timer(kn, e, hard > age ? hard - age : 1, true);
}

static void timer_fired(void *arg)
{
	timer_ctx_t *t = arg;
	kernel_null_t *kn = t->kn;
	sa_entry_t *e;
	uint32_t reqid = 0;
	bool raise = false;

	pthread_mutex_lock(&kn->lock);
	e = find_sa_packed(kn, &t->id);
	if (e && e->gen == t->gen) {
		/* This timer is done: do not cancel it later. */
		if (t->hard) {
			e->hard_timer = 0;
			e->hard_ctx = NULL;
		} else {
			e->soft_timer = 0;
			e->soft_ctx = NULL;
		}
		raise = expire_locked(kn, e, t->hard, &reqid);
		/* after the soft expiry (raised now or earlier by usage or a
		 * test), the hard one is next */
		if (!t->hard && e->kind == ENTRY_SA)
			arm_lifetime(kn, e);
	}
	pthread_mutex_unlock(&kn->lock);
	if (raise) {
		log_verbose(DBG_KERNEL, "kernel-null: SA %08x reached its %s "
		            "lifetime", t->id.spi, t->hard ? "hard" : "soft");
		raise_expire(&t->id, reqid, t->hard);
	}
	free(t);
}

/* ------------------------------------------------- kernel_ipsec_t */

static size_t integ_key_bytes(uint16_t alg)
{
	switch (alg) {
	case INTEG_NONE:              return 0;
	case INTEG_HMAC_MD5_96:       return 16;
	case INTEG_HMAC_SHA1_96:      return 20;
	case INTEG_HMAC_SHA1_160:     return 20;
	case INTEG_AES_XCBC_96:       return 16;
	case INTEG_AES_CMAC_96:       return 16;
	case INTEG_HMAC_SHA2_256_128: return 32;
	case INTEG_HMAC_SHA2_384_192: return 48;
	case INTEG_HMAC_SHA2_512_256: return 64;
	}
	return (size_t)-1;
}

static bool is_aead(uint16_t alg)
{
	switch (alg) {
	case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8: case ENCR_AES_GCM_12: case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC: case ENCR_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

/* Refuse what a kernel would refuse; the reason goes to the log. */
static const char *check_sa(const kernel_sa_t *sa)
{
	bool aead = is_aead(sa->encr_alg);
	kernel_sa_t ref;
	size_t want;

	if (sa->id.protocol != KERNEL_PROTO_ESP)
		return "only ESP is supported";
	if (sa->id.spi < 256)
		return "SPI below 256 (reserved)";
	if (!ss_bytes(&sa->id.dst).len || !ss_bytes(&sa->src).len ||
	    sa->src.ss_family != sa->id.dst.ss_family)
		return "outer addresses missing or of different families";
	if (sa->dir != KERNEL_DIR_IN && sa->dir != KERNEL_DIR_OUT)
		return "direction must be in or out";
	if (sa->encap && (!ss_port(&sa->src) || !ss_port(&sa->id.dst)))
		return "UDP encapsulation without ports";
	if (aead && sa->integ_alg != INTEG_NONE)
		return "AEAD with a separate integrity algorithm";
	if (!aead && sa->integ_alg == INTEG_NONE)
		return "no integrity algorithm for a non-AEAD cipher";
	/* The engine describes every transform completely (kernel_ipsec.h):
	 * what it says must be what the transform is. */
	memset(&ref, 0, sizeof(ref));
	if (!kernel_sa_set_algs(&ref, sa->encr_alg, sa->encr_keylen_bits,
	                        sa->integ_alg))
		return "unknown algorithm or invalid key length";
	if (ref.encr_keylen_bits != sa->encr_keylen_bits)
		return "encr_keylen_bits is not the cipher's key length";
	if (ref.encr_salt_len != sa->encr_salt_len)
		return "encr_salt_len is not the transform's salt length";
	if (ref.icv_bits != sa->icv_bits)
		return "icv_bits is not the transform's ICV length";
	if (sa->encr_key.len != kernel_sa_encr_key_len(sa))
		return "encryption key of the wrong length";
	want = integ_key_bytes(sa->integ_alg);
	if (want == (size_t)-1)
		return "unknown integrity algorithm";
	if (sa->integ_key.len != want)
		return "integrity key of the wrong length";
	if ((sa->soft.secs && sa->hard.secs && sa->soft.secs > sa->hard.secs) ||
	    (sa->soft.bytes && sa->hard.bytes && sa->soft.bytes > sa->hard.bytes))
		return "soft lifetime beyond the hard lifetime";
	return NULL;
}

static bool kn_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                       const struct sockaddr_storage *dst, uint8_t protocol,
                       uint32_t reqid, uint32_t *spi)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	sa_entry_t *e = xzalloc(sizeof(*e));

	if (protocol != KERNEL_PROTO_ESP || !ss_bytes(dst).len) {
		log_error(DBG_KERNEL, "kernel-null: cannot reserve an SPI: %s",
		          protocol != KERNEL_PROTO_ESP ? "only ESP is supported"
		                                       : "no destination address");
		free(e);
		return false;
	}
	e->kind = ENTRY_SPI;
	cn_addr_pack(dst, &e->rec.id.dst);
	e->rec.id.protocol = protocol;
	cn_addr_pack(src, &e->rec.src);
	e->rec.reqid = reqid;
	pthread_mutex_lock(&kn->lock);
	for (;;) {
		uint32_t v;
		if (!crypto_random(RNG_WEAK, &v, sizeof(v))) {
			pthread_mutex_unlock(&kn->lock);
			log_error(DBG_KERNEL, "kernel-null: no random SPI: %s",
			          strerror(errno));
			free(e);
			return false;
		}
		e->rec.id.spi = v;
		if (v >= 256 && !find_sa_packed(kn, &e->rec.id))
			break;
	}
	e->hash = cn_sa_id_hash(&e->rec.id);
	e->gen = ++kn->next_gen;
	e->rec.installed_ms = time_monotonic_ms();
	table_insert(&kn->sas, (link_t *)e);
	kn->n_spis++;
	start_timer(kn, e, kn->spi_timeout_ms, true);
	*spi = e->rec.id.spi;
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	log_verbose(DBG_KERNEL, "kernel-null: reserved SPI %08x", *spi);
	return true;
}

static bool kn_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	const char *why = check_sa(sa);
	sa_entry_t *e;

	if (why) {
		log_error(DBG_KERNEL, "kernel-null: refusing SA %08x: %s",
		          sa->id.spi, why);
		return false;
	}
	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, &sa->id);
	if (e && e->kind == ENTRY_SA) {
		pthread_mutex_unlock(&kn->lock);
		log_error(DBG_KERNEL, "kernel-null: refusing SA %08x: already "
		          "installed", sa->id.spi);
		return false;
	}
	if (e) {
		/* The reserved SPI becomes the SA. */
		free_entry_timers(e);
		kn->n_spis--;
	} else {
		if (sa->dir == KERNEL_DIR_IN)
			log_verbose(DBG_KERNEL, "kernel-null: inbound SA %08x "
			            "was not reserved with get_spi", sa->id.spi);
		e = xzalloc(sizeof(*e));
		cn_sa_id_pack(&sa->id, &e->rec.id);
		e->hash = cn_sa_id_hash(&e->rec.id);
		table_insert(&kn->sas, (link_t *)e);
	}
	e->kind = ENTRY_SA;
	e->gen = ++kn->next_gen;
	cn_sa_pack(sa, &e->rec);   /* records key lengths, not keys */
	e->rec.installed_ms = time_monotonic_ms();
	e->soft_raised = false;
	kn->n_sas++;
	arm_lifetime(kn, e);
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	log_verbose(DBG_KERNEL, "kernel-null: installed %s SA %08x",
	            kernel_dir_name(sa->dir), sa->id.spi);
	return true;
}

static bool kn_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_src,
                         const struct sockaddr_storage *new_dst, bool encap)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	sa_entry_t *e;
	kernel_sa_id_t nid = *id;

	nid.dst = *new_dst;
	if (new_src->ss_family != new_dst->ss_family || !ss_bytes(new_dst).len ||
	    (encap && (!ss_port(new_src) || !ss_port(new_dst)))) {
		log_error(DBG_KERNEL, "kernel-null: cannot update SA %08x: bad "
		          "new addresses", id->spi);
		return false;
	}
	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (!e || e->kind != ENTRY_SA) {
		pthread_mutex_unlock(&kn->lock);
		log_error(DBG_KERNEL, "kernel-null: cannot update SA %08x: not "
		          "installed", id->spi);
		return false;
	}
	cn_sa_id_t old_c, new_c;
	cn_sa_id_pack(id, &old_c);
	cn_sa_id_pack(&nid, &new_c);
	if (!cn_sa_id_equals(&old_c, &new_c) && find_sa_packed(kn, &new_c)) {
		pthread_mutex_unlock(&kn->lock);
		log_error(DBG_KERNEL, "kernel-null: cannot update SA %08x: the new "
		          "destination already has it", id->spi);
		return false;
	}
	/* Re-hash the entry under its new destination.  Pending lifetime
	 * timers captured the old id: restart them with the time left. */
	table_unlink(&kn->sas, (link_t *)e);
	cn_addr_pack(new_dst, &e->rec.id.dst);
	cn_addr_pack(new_src, &e->rec.src);
	e->rec.encap = encap;
	e->hash = cn_sa_id_hash(&e->rec.id);
	table_insert(&kn->sas, (link_t *)e);
	free_entry_timers(e);
	e->gen = ++kn->next_gen;
	arm_lifetime(kn, e);
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	log_verbose(DBG_KERNEL, "kernel-null: updated SA %08x addresses",
	            id->spi);
	return true;
}

static bool kn_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                        kernel_usage_t *usage)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	sa_entry_t *e;
	bool ok = false;

	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (e && e->kind == ENTRY_SA) {
		*usage = e->rec.usage;
		ok = true;
	}
	pthread_mutex_unlock(&kn->lock);
	if (!ok)
		log_verbose(DBG_KERNEL, "kernel-null: no SA %08x to query", id->spi);
	return ok;
}

static bool kn_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	sa_entry_t *e;

	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (e) {
		remove_sa_locked(kn, e);
		write_state_locked(kn);
	}
	pthread_mutex_unlock(&kn->lock);
	if (!e) {
		log_verbose(DBG_KERNEL, "kernel-null: no SA %08x to delete", id->spi);
		return false;
	}
	log_verbose(DBG_KERNEL, "kernel-null: deleted SA %08x", id->spi);
	return true;
}

/* A policy the null kernel can hold; whose: "" or "someone else's ". */
static bool policy_valid(const kernel_policy_t *p, const char *whose)
{
	if ((p->src_ts.family != AF_INET && p->src_ts.family != AF_INET6) ||
	    p->src_ts.family != p->dst_ts.family || p->dir > KERNEL_DIR_FWD ||
	    p->action > KERNEL_POLICY_DROP) {
		log_error(DBG_KERNEL, "kernel-null: refusing %spolicy: bad selectors, "
		          "direction or action", whose);
		return false;
	}
	return true;
}

static bool kn_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	policy_entry_t *e;
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];

	if (!policy_valid(p, ""))
		return false;
	pthread_mutex_lock(&kn->lock);
	cn_policy_t c;
	cn_policy_pack(p, &c);
	e = find_policy_packed(kn, &c);
	if (e && e->other) {
		/* as kernel-netlink and kernel-pfkey: used, never replaced */
		pthread_mutex_unlock(&kn->lock);
		log_op(DBG_KERNEL, "kernel-null: policy %s %s === %s is someone "
		       "else's: used as it is", kernel_dir_name(p->dir),
		       kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
		       kernel_ts_to_str(&p->dst_ts, d, sizeof(d)));
		return true;
	}
	if (!e) {
		e = xzalloc(sizeof(*e));
		e->hash = cn_policy_hash(&c);
		table_insert(&kn->policies, (link_t *)e);
	}
	e->pol = c;
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	log_verbose(DBG_KERNEL, "kernel-null: policy %s %s === %s installed",
	            kernel_dir_name(p->dir), kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
	            kernel_ts_to_str(&p->dst_ts, d, sizeof(d)));
	return true;
}

static bool kn_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                            kernel_usage_t *usage)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	bool ok;

	pthread_mutex_lock(&kn->lock);
	ok = find_policy(kn, p) != NULL;
	pthread_mutex_unlock(&kn->lock);
	/* No traffic ever passes a null policy. */
	if (ok)
		memset(usage, 0, sizeof(*usage));
	return ok;
}

static bool kts_holds(const kernel_ts_t *o, const kernel_ts_t *i)
{
	size_t al = o->family == AF_INET6 ? 16 : 4;
	return o->family == i->family && memcmp(o->from, i->from, al) <= 0 &&
	       memcmp(i->to, o->to, al) <= 0 && (!o->proto || o->proto == i->proto) &&
	       o->port_from <= i->port_from && i->port_to <= o->port_to;
}

/* Someone else's policies only (kernel_null_add_other_policy), as the
 * real backends: direction, mode, mark, selectors holding want's, the
 * template's endpoints want's where it names them. */
static bool kn_match_policy(kernel_ipsec_t *self, const kernel_policy_t *want,
                            uint32_t *reqid)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	const cn_policy_t *best = NULL;

	pthread_mutex_lock(&kn->lock);
	for (size_t i = 0; kn->n_others && i < kn->policies.n_buckets; i++)
		for (policy_entry_t *e = kn->policies.buckets[i]; e; e = e->next) {
			const cn_policy_t *p = &e->pol;
			kernel_policy_t u;
			if (!e->other)
				continue;
			cn_policy_unpack(p, &u);
			bool tmpl = kernel_tmpl_addr_ok(&want->sa_src, p->sa_src.family,
			                                p->sa_src.addr) &&
			            kernel_tmpl_addr_ok(&want->sa_dst, p->sa_dst.family,
			                                p->sa_dst.addr);
			if (u.dir == want->dir && u.action == KERNEL_POLICY_PROTECT &&
			    u.mode == want->mode && u.mark.value == want->mark.value &&
			    u.mark.mask == want->mark.mask && tmpl &&
			    kts_holds(&u.src_ts, &want->src_ts) &&
			    kts_holds(&u.dst_ts, &want->dst_ts) &&
			    (!best || p->priority < best->priority))
				best = p;
		}
	if (best)
		*reqid = best->reqid;
	pthread_mutex_unlock(&kn->lock);
	return best != NULL;
}

static bool kn_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_null_t *kn = (kernel_null_t *)self;
	policy_entry_t *e;

	pthread_mutex_lock(&kn->lock);
	e = find_policy(kn, p);
	if (e && e->other)
		e = NULL;          /* someone else's stays */
	if (e) {
		table_unlink(&kn->policies, (link_t *)e);
		free(e);
		write_state_locked(kn);
	}
	pthread_mutex_unlock(&kn->lock);
	if (!e)
		log_verbose(DBG_KERNEL, "kernel-null: no such policy of ours to delete");
	return e != NULL;
}

/* Everything the backend installed; others too: someone else's policies
 * (a flush leaves them, as the real backends do; destroy does not). */
static void flush_locked(kernel_null_t *kn, bool others)
{
	for (size_t i = 0; i < kn->sas.n_buckets; i++) {
		sa_entry_t *e = kn->sas.buckets[i];
		while (e) {
			sa_entry_t *next = e->next;
			free_entry_timers(e);
			free(e);
			e = next;
		}
		kn->sas.buckets[i] = NULL;
	}
	for (size_t i = 0; i < kn->policies.n_buckets; i++) {
		policy_entry_t *e = kn->policies.buckets[i], *keep = NULL;
		while (e) {
			policy_entry_t *next = e->next;
			if (e->other && !others) {
				e->next = keep;
				keep = e;
			} else {
				free(e);
			}
			e = next;
		}
		kn->policies.buckets[i] = keep;
	}
	if (others)
		kn->n_others = 0;
	kn->sas.count = 0;
	kn->policies.count = kn->n_others;
	kn->n_sas = kn->n_spis = 0;
}

static void kn_flush(kernel_ipsec_t *self)
{
	kernel_null_t *kn = (kernel_null_t *)self;

	pthread_mutex_lock(&kn->lock);
	flush_locked(kn, false);
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
}

static void kn_destroy(kernel_ipsec_t *self)
{
	kernel_null_t *kn = (kernel_null_t *)self;

	if (the_instance == kn)
		the_instance = NULL;
	pthread_mutex_lock(&kn->lock);
	flush_locked(kn, true);
	pthread_mutex_unlock(&kn->lock);
	pthread_mutex_destroy(&kn->lock);
	free(kn->sas.buckets);
	free(kn->policies.buckets);
	free(kn->state_file);
	free(kn);
}

kernel_null_t *kernel_null_create(const char *state_file, unsigned spi_timeout_ms)
{
	kernel_null_t *kn = xzalloc(sizeof(*kn));

	kn->public = (kernel_ipsec_t){
		.get_spi = kn_get_spi,
		.add_sa = kn_add_sa,
		.update_sa = kn_update_sa,
		.query_sa = kn_query_sa,
		.del_sa = kn_del_sa,
		.add_policy = kn_add_policy,
		.query_policy = kn_query_policy,
		.match_policy = kn_match_policy,
		.del_policy = kn_del_policy,
		.bypass_socket = NULL,
		.flush = kn_flush,
		.destroy = kn_destroy,
	};
	pthread_mutex_init(&kn->lock, NULL);
	table_init(&kn->sas);
	table_init(&kn->policies);
	kn->spi_timeout_ms = spi_timeout_ms ? spi_timeout_ms : DEFAULT_SPI_TIMEOUT_MS;
	if (state_file && *state_file) {
		kn->state_file = xstrdup(state_file);
		write_state_locked(kn);
	}
	return kn;
}

kernel_ipsec_t *kernel_null_ipsec(kernel_null_t *kn)
{
	return &kn->public;
}

/* ------------------------------------------------------ test queries */

size_t kernel_null_count_sas(kernel_null_t *kn)
{
	size_t n;

	pthread_mutex_lock(&kn->lock);
	n = kn->n_sas;
	pthread_mutex_unlock(&kn->lock);
	return n;
}

size_t kernel_null_count_policies(kernel_null_t *kn)
{
	size_t n;

	pthread_mutex_lock(&kn->lock);
	n = kn->policies.count - kn->n_others;
	pthread_mutex_unlock(&kn->lock);
	return n;
}

size_t kernel_null_count_spis(kernel_null_t *kn)
{
	size_t n;

	pthread_mutex_lock(&kn->lock);
	n = kn->n_spis;
	pthread_mutex_unlock(&kn->lock);
	return n;
}

bool kernel_null_get_sa(kernel_null_t *kn, const kernel_sa_id_t *id,
                        kernel_null_sa_t *out)
{
	sa_entry_t *e;
	bool ok = false;

	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (e && e->kind == ENTRY_SA) {
		cn_sa_unpack(&e->rec, &out->sa);
		out->encr_key_len = e->rec.encr_key_len;
		out->integ_key_len = e->rec.integ_key_len;
		out->usage = e->rec.usage;
		out->installed_ms = e->rec.installed_ms;
		ok = true;
	}
	pthread_mutex_unlock(&kn->lock);
	return ok;
}

bool kernel_null_has_policy(kernel_null_t *kn, const kernel_policy_t *policy)
{
	bool ok;

	pthread_mutex_lock(&kn->lock);
	ok = find_policy(kn, policy) != NULL;
	pthread_mutex_unlock(&kn->lock);
	return ok;
}

bool kernel_null_add_other_policy(kernel_null_t *kn, const kernel_policy_t *p)
{
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	cn_policy_t c;

	if (!policy_valid(p, "someone else's "))
		return false;
	cn_policy_pack(p, &c);
	pthread_mutex_lock(&kn->lock);
	policy_entry_t *e = find_policy_packed(kn, &c);
	if (e && !e->other) {
		pthread_mutex_unlock(&kn->lock);
		log_error(DBG_KERNEL, "kernel-null: a policy of ours has these "
		          "selectors: someone else's not added");
		return false;
	}
	if (!e) {
		e = xzalloc(sizeof(*e));
		e->hash = cn_policy_hash(&c);
		e->other = true;
		table_insert(&kn->policies, (link_t *)e);
		kn->n_others++;
	}
	e->pol = c;
	write_state_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	log_op(DBG_KERNEL, "kernel-null: someone else's policy %s %s === %s "
	       "(reqid %u) added", kernel_dir_name(p->dir),
	       kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
	       kernel_ts_to_str(&p->dst_ts, d, sizeof(d)), p->reqid);
	return true;
}

bool kernel_null_del_other_policy(kernel_null_t *kn, const kernel_policy_t *p)
{
	pthread_mutex_lock(&kn->lock);
	policy_entry_t *e = find_policy(kn, p);
	bool ok = e && e->other;
	if (ok) {
		table_unlink(&kn->policies, (link_t *)e);
		free(e);
		kn->n_others--;
		write_state_locked(kn);
	}
	pthread_mutex_unlock(&kn->lock);
	if (!ok)
		log_error(DBG_KERNEL, "kernel-null: no such policy of someone else's");
	return ok;
}

char *kernel_null_dump(kernel_null_t *kn)
{
	char *s;

	pthread_mutex_lock(&kn->lock);
	s = dump_locked(kn);
	pthread_mutex_unlock(&kn->lock);
	return s;
}

static bool over(uint64_t limit, uint64_t value)
{
	return limit && value >= limit;
}

bool kernel_null_set_usage(kernel_null_t *kn, const kernel_sa_id_t *id,
                           const kernel_usage_t *usage)
{
	sa_entry_t *e;
	uint32_t reqid = 0;
	bool soft = false, hard = false;

	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (!e || e->kind != ENTRY_SA) {
		pthread_mutex_unlock(&kn->lock);
		return false;
	}
	e->rec.usage = *usage;
	if (over(e->rec.hard.bytes, usage->bytes) ||
	    over(e->rec.hard.packets, usage->packets))
		hard = expire_locked(kn, e, true, &reqid);
	else if (over(e->rec.soft.bytes, usage->bytes) ||
	         over(e->rec.soft.packets, usage->packets))
		soft = expire_locked(kn, e, false, &reqid);
	pthread_mutex_unlock(&kn->lock);
	if (hard || soft)
		raise_expire_id(id, reqid, hard);
	return true;
}

bool kernel_null_expire(kernel_null_t *kn, const kernel_sa_id_t *id, bool hard)
{
	sa_entry_t *e;
	uint32_t reqid = 0;
	bool raise = false, found;

	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	found = e && e->kind == ENTRY_SA;
	if (found) {
		if (!hard)
			e->soft_raised = false;  /* injected: raise again */
		raise = expire_locked(kn, e, hard, &reqid);
	}
	pthread_mutex_unlock(&kn->lock);
	if (raise)
		raise_expire_id(id, reqid, hard);
	return found;
}

/* An ACQUIRE for someone else's policy says so, as the real backends do:
 * its template's mode and (tunnel mode) endpoints. */
static void acquire_other(kernel_event_t *ev, const policy_entry_t *e)
{
	if (!e->other)
		return;
	ev->acquire.foreign = true;
	ev->acquire.mode = (kernel_mode_t)e->pol.mode;
	if (e->pol.mode == KERNEL_MODE_TUNNEL) {
		cn_addr_unpack(&e->pol.sa_src, &ev->acquire.tmpl_src);
		cn_addr_unpack(&e->pol.sa_dst, &ev->acquire.tmpl_dst);
	}
}

bool kernel_null_acquire(kernel_null_t *kn, uint32_t reqid)
{
	kernel_event_t ev;
	bool found = false;

	memset(&ev, 0, sizeof(ev));
	ev.type = KERNEL_EV_ACQUIRE;
	pthread_mutex_lock(&kn->lock);
	for (size_t i = 0; i < kn->policies.n_buckets && !found; i++) {
		for (policy_entry_t *e = kn->policies.buckets[i]; e; e = e->next) {
			if (e->pol.dir == KERNEL_DIR_OUT && e->pol.reqid == reqid &&
			    e->pol.action == KERNEL_POLICY_PROTECT) {
				ev.acquire.reqid = reqid;
				cn_ts_unpack(&e->pol.src_ts, &ev.acquire.src_ts);
				cn_ts_unpack(&e->pol.dst_ts, &ev.acquire.dst_ts);
				acquire_other(&ev, e);
				found = true;
				break;
			}
		}
	}
	pthread_mutex_unlock(&kn->lock);
	if (found)
		kernel_ipsec_raise(&ev);
	else
		log_error(DBG_KERNEL, "kernel-null: no outbound policy with reqid "
		          "%u to acquire for", reqid);
	return found;
}

/* Whether a packed selector holds one address (family and bytes). */
static bool cn_ts_holds(const cn_ts_t *ts, int family, const uint8_t *addr)
{
	size_t al = cn_addr_len((uint8_t)family);

	return ts->family == family && memcmp(ts->from, addr, al) <= 0 &&
	       memcmp(addr, ts->to, al) <= 0;
}

bool kernel_null_acquire_addr(kernel_null_t *kn,
                              const struct sockaddr_storage *src,
                              const struct sockaddr_storage *dst)
{
	kernel_event_t ev;
	const cn_policy_t *best = NULL;
	const policy_entry_t *best_e = NULL;
	chunk_t s = ss_bytes(src), d = ss_bytes(dst);

	if (!s.len || src->ss_family != dst->ss_family) {
		log_error(DBG_KERNEL, "kernel-null: acquire needs two addresses of "
		          "one family");
		return false;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = KERNEL_EV_ACQUIRE;
	pthread_mutex_lock(&kn->lock);
	/* The outbound policy the packet hits: the one with the lowest
	 * priority value among those whose selectors hold both addresses. */
	for (size_t i = 0; i < kn->policies.n_buckets; i++)
		for (policy_entry_t *e = kn->policies.buckets[i]; e; e = e->next) {
			const cn_policy_t *p = &e->pol;
			if (p->dir != KERNEL_DIR_OUT ||
			    !cn_ts_holds(&p->src_ts, src->ss_family, s.ptr) ||
			    !cn_ts_holds(&p->dst_ts, dst->ss_family, d.ptr))
				continue;
			if (!best || p->priority < best->priority) {
				best = p;
				best_e = e;
			}
		}
	/* A kernel asks only when the policy has no SA to use. */
	bool has_sa = false;
	for (size_t i = 0; best && i < kn->sas.n_buckets && !has_sa; i++)
		for (sa_entry_t *e = kn->sas.buckets[i]; e && !has_sa; e = e->next)
			has_sa = e->kind == ENTRY_SA && e->rec.dir == KERNEL_DIR_OUT &&
			         best->reqid && e->rec.reqid == best->reqid;
	if (best && best->action == KERNEL_POLICY_PROTECT && !has_sa) {
		ev.acquire.reqid = best->reqid;
		cn_ts_unpack(&best->src_ts, &ev.acquire.src_ts);
		cn_ts_unpack(&best->dst_ts, &ev.acquire.dst_ts);
		acquire_other(&ev, best_e);
		if (best_e->other) {
			/* someone else's: its own selectors, and the packet's */
			kernel_ts_from_addr(&ev.acquire.pkt_src_ts, src);
			kernel_ts_from_addr(&ev.acquire.pkt_dst_ts, dst);
		} else {
			/* narrowed to the packet, as XFRM reports them */
			memcpy(ev.acquire.src_ts.from, s.ptr, s.len);
			memcpy(ev.acquire.src_ts.to, s.ptr, s.len);
			memcpy(ev.acquire.dst_ts.from, d.ptr, d.len);
			memcpy(ev.acquire.dst_ts.to, d.ptr, d.len);
		}
	}
	bool found = best != NULL, protect = found && best->action == KERNEL_POLICY_PROTECT;
	uint8_t action = found ? best->action : 0;
	pthread_mutex_unlock(&kn->lock);
	if (!found) {
		log_error(DBG_KERNEL, "kernel-null: no outbound policy matches the "
		          "packet: no ACQUIRE");
		return false;
	}
	if (protect && has_sa) {
		log_verbose(DBG_KERNEL, "kernel-null: the packet's policy has an "
		            "SA: no ACQUIRE");
		return true;
	}
	if (!protect) {
		log_error(DBG_KERNEL, "kernel-null: the outbound policy the packet "
		          "matches says %s: no ACQUIRE",
		          kernel_action_name((kernel_policy_action_t)action));
		return false;
	}
	kernel_ipsec_raise(&ev);
	return true;
}

bool kernel_null_mapping(kernel_null_t *kn, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_peer)
{
	kernel_event_t ev;
	sa_entry_t *e;
	const char *why = NULL;

	if (!ss_bytes(new_peer).len || !ss_port(new_peer)) {
		log_error(DBG_KERNEL, "kernel-null: a NAT mapping needs the peer's "
		          "new address and a port 1..65535");
		return false;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = KERNEL_EV_MAPPING;
	pthread_mutex_lock(&kn->lock);
	e = find_sa(kn, id);
	if (!e || e->kind != ENTRY_SA)
		why = "no such SA";
	else if (!e->rec.encap)
		why = "the SA is not UDP-encapsulated";
	else if (e->rec.id.dst.family != new_peer->ss_family)
		why = "the new address is of another family";
	if (!why) {
		cn_sa_id_unpack(&e->rec.id, &ev.mapping.sa);
		ev.mapping.reqid = e->rec.reqid;
		ev.mapping.new_peer = *new_peer;
	}
	pthread_mutex_unlock(&kn->lock);
	if (why) {
		log_error(DBG_KERNEL, "kernel-null: no NAT mapping change for SA "
		          "%08x: %s", id->spi, why);
		return false;
	}
	kernel_ipsec_raise(&ev);
	return true;
}
