/*
 * engine.c - the engine object: SA table, configuration in force, the life
 * of an IKE SA (creation, establishment, deletion), timers, and the
 * process-wide instance the daemon drives.
 */
#include "exchange/engine.h"
#include "exchange/engine_priv.h"
#include "exchange/engine_ctl.h"
#include "exchange/auth_wait.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/chunk.h>
#include <ikev2d/kernel_ipsec.h>

#include "crypto/ke_reuse.h"
#include "exchange/proposal.h"
#include "exchange/tasks.h"
#include "net/addr.h"
#include "net/net.h"

/* ------------------------------------------------------------ SA life */

void ike_hs_free(ike_hs_t *hs)
{
	if (!hs)
		return;
	if (hs->ke)
		hs->ke->destroy(hs->ke);
	chunk_clear(&hs->ni);
	chunk_clear(&hs->nr);
	chunk_free(&hs->init_req);
	chunk_free(&hs->init_resp);
	chunk_free(&hs->cookie);
	child_sa_free(hs->child);
	auth_wait_release(hs->wait);
	free(hs);
}

static void sk_ctx_free(sk_ctx_t *c)
{
	if (c->aead)
		c->aead->destroy(c->aead);
	if (c->crypter)
		c->crypter->destroy(c->crypter);
	if (c->signer)
		c->signer->destroy(c->signer);
	if (c->rng)
		c->rng->destroy(c->rng);
	memset(c, 0, sizeof(*c));
}

void ike_keys_free(ike_keys_t *k)
{
	if (!k)
		return;
	ike_keys_free(k->alt);
	chunk_clear(&k->sk_d);
	chunk_clear(&k->sk_pi);
	chunk_clear(&k->sk_pr);
	sk_ctx_free(&k->in);
	sk_ctx_free(&k->out);
	if (k->reasm)
		frag_reasm_destroy(k->reasm);
	free(k);
}

void ike_sa_release(engine_t *e, ike_sa_t *sa)
{
	tasks_free(NULL, sa);
	ike_hs_free(sa->hs);
	sa->hs = NULL;
	ike_keys_free(sa->keys);
	sa->keys = NULL;
	if (sa->cfg)
		config_unref(sa->cfg);
	ike_sa_free(sa);
}

static void destroy_sa(sa_entry_t *entry, void *ctx)
{
	ike_sa_release((engine_t *)ctx, (ike_sa_t *)entry);
}

ike_sa_t *ike_sa_new(engine_t *e, config_t *cfg, const rule_t *rule,
                     bool initiator)
{
	ike_sa_t *sa = xzalloc(sizeof(*sa));
	sa_entry_init(e->table, &sa->entry);
	sa->cfg = cfg;          /* the caller's reference moves here */
	sa->rule = rule;
	sa->initiator = initiator;
	sa->lineage = sa->entry.unique_id;
	sa->hs = xzalloc(sizeof(ike_hs_t));
	sa->state = IKE_CREATED;
	sa->created_ms = time_monotonic_ms();
	return sa;
}

/* A handshake that never got established (ikeadm get stats): ours split
 * by whether the peer answered at all; per rule by the notify. */
static void count_failure(engine_t *e, const ike_sa_t *sa)
{
	if (e->stopping)
		return;
	if (!sa->initiator)
		atomic_fetch_add(&e->resp_fail, 1);
	else if (sa->fail_no_response)
		atomic_fetch_add(&e->init_fail_no_response, 1);
	else
		atomic_fetch_add(&e->init_fail_peer, 1);
	rule_stats_failed(e, sa->rule, sa->fail_no_response, sa->fail_notify);
}

static void stop_all_timers(engine_t *e, ike_sa_t *sa)
{
	for (int k = 0; k < SA_TIMER_KINDS; k++)
		sa_timer_stop(e, sa, (sa_timer_kind_t)k);
}

void ike_sa_delete(engine_t *e, ike_sa_t *sa, const char *why)
{
	if (sa->state == IKE_DEAD)
		return;
	bool was_up = sa->state >= IKE_ESTABLISHED;
	stop_all_timers(e, sa);
	exch_abort(e, sa);
	child_linger_release(e, sa);
	for (child_sa_t *c = sa->children; c; c = c->next) {
		reqid_map_del(e, c->reqid);
		if (c->state != CHILD_CREATED) {
			child_uninstall(sa, c);
			bus_emit(&(bus_event_t){ .type = BUS_EV_CHILD_DOWN,
			         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa),
			         .detail = why });
		}
	}
	if (sa->hs && sa->hs->child) {
		/* the first CHILD SA never came up: release its SPI */
		child_uninstall(sa, sa->hs->child);
		child_sa_free(sa->hs->child);
		sa->hs->child = NULL;
	}
	if (was_up) {
		atomic_fetch_sub(&e->n_established, 1);
		sa_log(sa, DBG_IKESA, LVL_OP, "IKE SA deleted: %s", why);
	} else {
		sa_log(sa, DBG_IKESA, LVL_OP, "IKE SA failed: %s", why);
		start_retry_after_failure(e, sa);
		count_failure(e, sa);
	}
	bus_emit(&(bus_event_t){ .type = BUS_EV_IKE_DOWN,
	         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa), .detail = why });
	sa->state = IKE_DEAD;
}

void ike_sa_established(engine_t *e, ike_sa_t *sa)
{
	sa->state = IKE_ESTABLISHED;
	sa_table_set_established(e->table, &sa->entry);
	sa_timer_stop(e, sa, TIMER_HALF_OPEN);
	atomic_fetch_add(&e->n_established, 1);
	atomic_fetch_add(&e->ike_established_total, 1);
	atomic_fetch_add(sa->initiator ? &e->init_established : &e->resp_established, 1);
	rule_stats_add(e, sa->rule, RS_ESTABLISHED);
	sa->last_heard_ms = time_monotonic_ms();
	sa->established_ms = sa->last_heard_ms;
	if (sa->keys) {
		/* SK_pi/SK_pr served AUTH only. */
		chunk_clear(&sa->keys->sk_pi);
		chunk_clear(&sa->keys->sk_pr);
	}
	char algs[128], l[ADDR_STRLEN], r[ADDR_STRLEN];
	sa_log(sa, DBG_IKESA, LVL_OP,
	       "IKE SA established %s...%s as %s, %s, SPIs %016llx_i %016llx_r",
	       addr_to_str(&sa->local, l, sizeof(l)),
	       addr_to_str(&sa->remote, r, sizeof(r)),
	       sa->initiator ? "initiator" : "responder",
	       algs_to_str(&sa->algs, PROTO_IKE, algs, sizeof(algs)),
	       (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
	bus_emit(&(bus_event_t){ .type = BUS_EV_IKE_UP,
	         .sa_id = sa->entry.unique_id, .rule = SA_RULE(sa) });
	ike_hs_free(sa->hs);
	sa->hs = NULL;
	ike_sa_arm_timers(e, sa);
	/* Keep the IKE_AUTH response only as long as the peer may resend
	 * its request (small per-SA state once established). */
	int wait = sa->cfg->daemon.response_wait_time > 0 ?
	           sa->cfg->daemon.response_wait_time : 30;
	sa_timer_start(e, sa, TIMER_HALF_OPEN, (uint64_t)wait * 1000);
}

/* RFC 3948 §2.3: behind a NAT, keep its mapping alive with a one-byte
 * 0xFF datagram from the NAT-T port every nat_keepalive_secs. */
void nat_keepalive(engine_t *e, ike_sa_t *sa)
{
	int secs = sa->cfg ? sa->cfg->daemon.nat_keepalive_secs : 0;
	if (secs <= 0 || !sa->nat_local || !sa->natt || sa->state != IKE_ESTABLISHED)
		return;
	if (net_send_keepalive(&sa->local, &sa->remote))
		sa_log(sa, DBG_NET, LVL_RAW, "NAT keepalive sent");
	sa_timer_start(e, sa, TIMER_KEEPALIVE, (uint64_t)secs * 1000);
}

void ike_sa_arm_timers(engine_t *e, ike_sa_t *sa)
{
	if (!sa->rule)
		return;
	if (sa->nat_local && sa->natt && sa->cfg->daemon.nat_keepalive_secs > 0)
		sa_timer_start(e, sa, TIMER_KEEPALIVE,
		               (uint64_t)sa->cfg->daemon.nat_keepalive_secs * 1000);
	if (sa->rule->dpd_interval_secs)
		sa_timer_start(e, sa, TIMER_DPD,
		               (uint64_t)sa->rule->dpd_interval_secs * 1000);
	if (sa->rule->ikesa_lifetime_secs)
		sa_timer_start(e, sa, TIMER_REKEY,
		               lifetime_jitter(sa->rule->ikesa_lifetime_secs) * 1000);
}

/* ------------------------------------------------------------- timers */

typedef struct sa_timer {
	engine_t *e;
	uint64_t spi;
	sa_timer_kind_t kind;
	timer_id_t id;
} sa_timer_t;

static void timer_fired(void *arg)
{
	sa_timer_t *t = arg;
	engine_t *e = t->e;
	sa_entry_t *en = sa_table_checkout(e->table, t->spi);
	if (en) {
		ike_sa_t *sa = (ike_sa_t *)en;
		if (sa->timer[t->kind] == t) {
			sa->timer[t->kind] = NULL;
			switch (t->kind) {
			case TIMER_RETRANSMIT:
				retransmit_timeout(e, sa);
				break;
			case TIMER_HALF_OPEN:
				if (sa->state == IKE_ESTABLISHED && sa->redundant)
					ike_sa_send_delete(e, sa);
				else if (sa->state == IKE_ESTABLISHED)
					/* past the peer's retransmissions: the stored
					 * response is only memory now */
					ike_sa_free_msgs(&sa->resp, &sa->n_resp);
				else if (sa->state < IKE_ESTABLISHED) {
					sa->unanswered = true;
					ike_sa_delete(e, sa, "half-open SA timed out");
				}
				else if (sa->state == IKE_REKEYING && !sa->exch)
					ike_sa_delete(e, sa, "rekeyed, the peer never "
					              "deleted the old SA");
				break;
			case TIMER_DPD:
				dpd_timeout(e, sa);
				break;
			case TIMER_REKEY:
				sa_log(sa, DBG_IKESA, LVL_VERBOSE, "IKE SA lifetime reached: rekeying");
				task_queue(e, sa, TASK_IKE_REKEY, 0, NULL);
				break;
			case TIMER_KEEPALIVE:
				nat_keepalive(e, sa);
				break;
			case TIMER_CHILD_RETRY:
				child_rekey_retry_fire(e, sa);
				break;
			}
		}
		engine_finish(e, sa);
	}
	free(t);
	atomic_fetch_sub(&e->timers, 1);
}

void sa_timer_start(engine_t *e, ike_sa_t *sa, sa_timer_kind_t kind, uint64_t ms)
{
	sa_timer_stop(e, sa, kind);
	sa_timer_t *t = xzalloc(sizeof(*t));
	t->e = e;
	t->spi = sa->entry.local_spi;
	t->kind = kind;
	sa->timer[kind] = t;
	atomic_fetch_add(&e->timers, 1);
	/* The SA is checked out by us: the job cannot look at t->id before
	 * we check it in. */
	t->id = sched_after_ms(ms, timer_fired, t);
}

void sa_timer_stop(engine_t *e, ike_sa_t *sa, sa_timer_kind_t kind)
{
	sa_timer_t *t = sa->timer[kind];
	if (!t)
		return;
	sa->timer[kind] = NULL;
	if (t->id && sched_cancel(t->id)) {
		free(t);
		atomic_fetch_sub(&e->timers, 1);
	}
	/* else the job runs, sees it is no longer the SA's timer, frees it */
}

void engine_finish(engine_t *e, ike_sa_t *sa)
{
	if (sa->state == IKE_DEAD) {
		stop_all_timers(e, sa);
		sa_table_remove(e->table, &sa->entry);
	} else {
		sa_table_checkin(e->table, &sa->entry);
	}
}

/* -------------------------------------------------------------- rules */

static bool addr_in_range(const addr_range_t *r, const struct sockaddr_storage *a)
{
	chunk_t b = addr_bytes(a);
	if (!b.len || r->family != a->ss_family)
		return false;
	return memcmp(r->lo, b.ptr, b.len) <= 0 && memcmp(b.ptr, r->hi, b.len) <= 0;
}

bool addr_in_ranges(const addr_range_t *r, int n, const struct sockaddr_storage *a)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (addr_in_range(&r[i], a))
			return true;
	return false;
}

const rule_t *rule_by_addr(const config_t *cfg, const rule_t *prev,
                           const struct sockaddr_storage *local,
                           const struct sockaddr_storage *remote)
{
	int start = prev ? (int)(prev - cfg->rules) + 1 : 0;
	for (int i = start; i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (addr_in_ranges(r->local_addr, r->n_local_addr, local) &&
		    addr_in_ranges(r->remote_addr, r->n_remote_addr, remote))
			return r;
	}
	return NULL;
}

/* ------------------------------------------------------------ engine */

engine_t *engine_create(config_t *cfg)
{
	engine_t *e = xzalloc(sizeof(*e));
	e->table = sa_table_create(destroy_sa, e);
	pthread_mutex_init(&e->cfg_lock, NULL);
	pthread_mutex_init(&e->cookie_lock, NULL);
	e->cfg = cfg ? config_ref(cfg) : NULL;
	pthread_mutex_init(&e->reqid_lock, NULL);
	pthread_mutex_init(&e->retry_lock, NULL);
	pthread_mutex_init(&e->retire_lock, NULL);
	cookie_init(e);
	return e;
}

config_t *engine_config(engine_t *e)
{
	pthread_mutex_lock(&e->cfg_lock);
	config_t *cfg = e->cfg ? config_ref(e->cfg) : NULL;
	pthread_mutex_unlock(&e->cfg_lock);
	return cfg;
}

void engine_set_config(engine_t *e, config_t *cfg)
{
	pthread_mutex_lock(&e->cfg_lock);
	config_t *old = e->cfg;
	e->cfg = cfg ? config_ref(cfg) : NULL;
	pthread_mutex_unlock(&e->cfg_lock);
	if (old)
		config_unref(old);
	/* A reload starts reused key exchanges afresh (and stops them when
	 * ke_reuse_secs became 0). */
	ke_reuse_flush();
}

void engine_get_stats(engine_t *e, engine_stats_t *st)
{
	*st = (engine_stats_t){
		.ike_sas = sa_table_count(e->table),
		.half_open = sa_table_half_open(e->table),
		.established = atomic_load(&e->n_established),
		.ike_established_total = atomic_load(&e->ike_established_total),
		.child_established_total = atomic_load(&e->child_established_total),
		.ike_rekeyed_total = atomic_load(&e->ike_rekeyed_total),
		.child_rekeyed_total = atomic_load(&e->child_rekeyed_total),
		.cookies_sent = atomic_load(&e->cookies_sent),
		.dropped = atomic_load(&e->dropped),
		.start_retries = atomic_load(&e->start_retries_total),
		.auth_waiting = atomic_load(&e->auth_parked),
	};
}

bool engine_initiate(engine_t *e, const char *label)
{
	return engine_initiate_attempt(e, label, 1);
}

bool engine_initiate_acq(engine_t *e, const char *label, const child_acq_t *acq)
{
	config_t *cfg = engine_config(e);
	if (!cfg) {
		log_error(DBG_IKESA, "initiate %s: no configuration", label);
		return false;
	}
	const rule_t *rule = config_find_rule(cfg, label);
	if (!rule) {
		log_error(DBG_IKESA, "initiate %s: no such rule", label);
		config_unref(cfg);
		return false;
	}
	ike_sa_t *sa = ike_sa_new(e, cfg, rule, true);
	sa->acq = xmalloc(sizeof(*sa->acq));
	*sa->acq = *acq;
	return ike_init_start(e, sa);
}

bool engine_initiate_attempt(engine_t *e, const char *label, unsigned attempt)
{
	config_t *cfg = engine_config(e);
	if (!cfg) {
		log_error(DBG_IKESA, "initiate %s: no configuration", label);
		return false;
	}
	const rule_t *rule = config_find_rule(cfg, label);
	if (!rule) {
		log_error(DBG_IKESA, "initiate %s: no such rule", label);
		config_unref(cfg);
		return false;
	}
	ike_sa_t *sa = ike_sa_new(e, cfg, rule, true);
	/* Only starts the rule itself makes are tried again. */
	if (rule->auto_start || rule->on_demand)
		sa->start_attempt = attempt;
	return ike_init_start(e, sa);
}

typedef struct {
	engine_t *e;
	const char *label;
	bool ike;
	unsigned queued;
} rekey_all_t;

static void rekey_one(uint64_t spi, void *ctx)
{
	rekey_all_t *r = ctx;
	sa_entry_t *en = sa_table_checkout(r->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if (sa->state == IKE_ESTABLISHED &&
	    (!r->label || (sa->rule && strcmp(sa->rule->label, r->label) == 0))) {
		if (r->ike) {
			task_queue(r->e, sa, TASK_IKE_REKEY, 0, NULL);
			r->queued++;
		} else {
			/* collect first: a task may start and change the list */
			uint32_t spis[64];
			int n = 0;
			for (child_sa_t *c = sa->children; c && n < 64; c = c->next)
				if (c->state == CHILD_INSTALLED)
					spis[n++] = c->spi_in;
			for (int i = 0; i < n; i++)
				task_queue(r->e, sa, TASK_CHILD_REKEY, spis[i], NULL);
			r->queued += (unsigned)n;
		}
	}
	engine_finish(r->e, sa);
}

typedef struct {
	uint64_t *spis;
	size_t n, cap;
} spi_list_t;

static void collect_spi(uint64_t spi, void *ctx)
{
	spi_list_t *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->spis = xrealloc(l->spis, l->cap * sizeof(*l->spis));
	}
	l->spis[l->n++] = spi;
}

typedef struct {
	engine_t *e;
	const char *label;
	bool established;
	uint64_t spi;
} rule_sa_t;

static void find_rule_sa(uint64_t spi, void *ctx)
{
	rule_sa_t *f = ctx;
	if (f->spi)
		return;
	sa_entry_t *en = sa_table_checkout(f->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if ((f->established ? sa->state == IKE_ESTABLISHED : sa->state != IKE_DEAD) &&
	    sa->rule && strcmp(sa->rule->label, f->label) == 0)
		f->spi = spi;
	engine_finish(f->e, sa);
}

uint64_t engine_rule_ike_sa(engine_t *e, const char *label, bool established)
{
	rule_sa_t f = { .e = e, .label = label, .established = established };
	sa_table_foreach_spi(e->table, find_rule_sa, &f);
	return f.spi;
}

/* The SAs are collected before any is touched: a rekey makes new IKE
 * SAs, which a live walk of the table could meet and rekey again. */
unsigned engine_rekey(engine_t *e, const char *label, bool ike)
{
	rekey_all_t r = { .e = e, .label = label, .ike = ike };
	spi_list_t l = { 0 };
	sa_table_foreach_spi(e->table, collect_spi, &l);
	for (size_t i = 0; i < l.n; i++)
		rekey_one(l.spis[i], &r);
	free(l.spis);
	return r.queued;
}

/* Delete every SA: used at shutdown. */
typedef struct {
	engine_t *e;
	bool send;
} delete_all_t;

static void delete_one(uint64_t spi, void *ctx)
{
	delete_all_t *d = ctx;
	sa_entry_t *en = sa_table_checkout(d->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if (d->send && sa->state == IKE_ESTABLISHED)
		ike_sa_send_delete(d->e, sa);
	else if (!d->send)
		ike_sa_delete(d->e, sa, "daemon shutting down");
	engine_finish(d->e, sa);
}

/* Phase one of a shutdown (engine.h). */
void engine_stop(engine_t *e, unsigned wait_ms)
{
	if (!e)
		return;
	e->stopping = true;
	start_retry_cancel_all(e);
	if (!wait_ms)
		return;
	delete_all_t d = { .e = e, .send = true };
	sa_table_foreach_spi(e->table, delete_one, &d);
	uint64_t until = time_monotonic_ms() + wait_ms;
	while (sa_table_count(e->table) && time_monotonic_ms() < until)
		usleep(10 * 1000);
}

void engine_destroy(engine_t *e, unsigned wait_ms)
{
	if (!e)
		return;
	engine_stop(e, wait_ms);
	delete_all_t d = { .e = e, .send = false };
	sa_table_foreach_spi(e->table, delete_one, &d);
	/* replaced CHILD SAs' inbound halves in their grace period */
	child_retire_flush(e);
	/* IKE_AUTHs still waiting for a revocation answer */
	auth_wait_detach(e);
	/* Timer jobs that were already running when cancelled still hold
	 * the engine: let them finish. */
	while (atomic_load(&e->timers))
		usleep(1000);
	sa_table_destroy(e->table);
	/* Kept Diffie-Hellman keys go before the plugins that made them. */
	ke_reuse_flush();
	reqid_map_free(e);
	rule_stats_free(&e->rule_stats);
	pthread_mutex_destroy(&e->reqid_lock);
	pthread_mutex_destroy(&e->retry_lock);
	pthread_mutex_destroy(&e->retire_lock);
	pthread_mutex_destroy(&e->cfg_lock);
	pthread_mutex_destroy(&e->cookie_lock);
	memwipe(e->cookie_secret, sizeof(e->cookie_secret));
	memwipe(e->cookie_prev, sizeof(e->cookie_prev));
	if (e->cfg)
		config_unref(e->cfg);
	free(e);
}

/* ------------------------------------------------ process-wide engine */

static engine_t *the_engine;
/* Receivers hold it shared while they use the_engine; shutdown takes it
 * exclusively to retire the engine before freeing it. */
static pthread_rwlock_t the_engine_lock = PTHREAD_RWLOCK_INITIALIZER;

engine_t *engine_get(void)
{
	return the_engine;
}

engine_t *engine_ctl_hold(void)
{
	pthread_rwlock_rdlock(&the_engine_lock);
	if (!the_engine)
		pthread_rwlock_unlock(&the_engine_lock);
	return the_engine;
}

void engine_ctl_release(void)
{
	pthread_rwlock_unlock(&the_engine_lock);
}

static void receive_packet(packet_t *packet, void *ctx)
{
	(void)ctx;
	pthread_rwlock_rdlock(&the_engine_lock);
	if (the_engine)
		engine_receive(the_engine, packet);
	else
		packet_destroy(packet);
	pthread_rwlock_unlock(&the_engine_lock);
}

static void kernel_event(const kernel_event_t *ev, void *ctx)
{
	(void)ctx;
	pthread_rwlock_rdlock(&the_engine_lock);
	if (the_engine)
		engine_kernel_event(the_engine, ev);
	pthread_rwlock_unlock(&the_engine_lock);
}

bool engine_start(config_t *cfg)
{
	if (the_engine) {
		log_error(DBG_OP, "engine already started");
		return false;
	}
	if (!cfg) {
		log_error(DBG_OP, "engine: no configuration");
		return false;
	}
	uint16_t ike_port = 0, natt_port = 0;
	net_get_ports(&ike_port, &natt_port);
	if (!ike_port && !net_open(cfg->daemon.ike_port, cfg->daemon.natt_port)) {
		log_error(DBG_OP, "engine: cannot open the IKE sockets");
		return false;
	}
	the_engine = engine_create(cfg);
	net_set_receiver(receive_packet, NULL);
	kernel_ipsec_set_listener(kernel_event, NULL);
	int started = 0;
	for (int i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].auto_start &&
		    engine_initiate(the_engine, cfg->rules[i].label))
			started++;
	log_op(DBG_OP, "engine started: %d rules, %d initiated at start-up",
	       cfg->n_rules, started);
	trap_sync(the_engine, cfg);
	return true;
}

void engine_reload(config_t *cfg)
{
	if (the_engine && cfg) {
		engine_set_config(the_engine, cfg);
		log_op(DBG_OP, "engine: new configuration in force for new SAs; "
		       "established SAs keep their rules");
		trap_sync(the_engine, cfg);
	}
}

void engine_shutdown(unsigned wait_ms)
{
	engine_t *e = the_engine;
	if (!e)
		return;
	engine_stop(e, wait_ms);
	pthread_rwlock_wrlock(&the_engine_lock);
	the_engine = NULL;
	pthread_rwlock_unlock(&the_engine_lock);
	net_set_receiver(NULL, NULL);
	kernel_ipsec_set_listener(NULL, NULL);
	engine_destroy(e, 0);
	trap_sync(NULL, NULL);   /* after the SAs: they put their traps back */
	net_close();
	log_op(DBG_OP, "engine stopped");
}
