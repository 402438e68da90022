/*
 * auth_wait.c - an IKE_AUTH whose peer certificate waits for a revocation
 * answer (a CRL or OCSP fetch; cred.h cert_wait_t, auth.h
 * AUTH_VERIFY_PENDING), in either role.
 *
 * The fetch runs on a fetch thread (fetcher.h), not on a worker, and the
 * exchange holds no thread meanwhile: the message being verified (the
 * peer's IKE_AUTH request, or its response to ours) is parked in the
 * handshake state of the SA, which is checked in again.  While it is
 * parked every message for the SA is ignored (the peer's retransmissions
 * of that request included: the answer comes once the check is done), but
 * the SA's timers run and it can be deleted like any other; a deleted SA
 * takes its parked message with it.  When the fetch ends, the validator
 * calls resume on the fetch thread, which queues a job; the job checks
 * the SA out and verifies again (ike_auth_resume), which either finishes
 * the exchange or parks it for the next round.
 *
 * The wait object is shared by the SA (its handshake state) and the
 * validator (one reference per round in flight), so either may go first;
 * an engine being destroyed detaches the waits still out and lets the
 * resume jobs in progress finish.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>

#include "exchange/auth_wait.h"

struct auth_wait {
	cert_wait_t wait;        /* what the validator gets; ctx = this */
	atomic_int refs;
	/* under pend_lock: */
	engine_t *e;             /* NULL once the engine has gone */
	auth_wait_t *next, *prev;  /* the engine's list */
	/* with the SA checked out: */
	atomic_uint *parked_count;   /* the engine's auth_parked */
	uint64_t spi, sa_id;
	message_t *parked;       /* the message waiting, or NULL */
	unsigned rounds;
	uint64_t parked_ms;
};

static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pend_cond = PTHREAD_COND_INITIALIZER;

static void unref(auth_wait_t *w)
{
	if (atomic_fetch_sub(&w->refs, 1) != 1)
		return;
	pthread_mutex_lock(&pend_lock);
	if (w->e) {
		if (w->prev)
			w->prev->next = w->next;
		else
			w->e->auth_waits = w->next;
		if (w->next)
			w->next->prev = w->prev;
	}
	pthread_mutex_unlock(&pend_lock);
	if (w->parked)
		message_destroy(w->parked);   /* (counted off by auth_wait_release) */
	free(w);
}

static void resume_job(void *arg)
{
	auth_wait_t *w = arg;

	pthread_mutex_lock(&pend_lock);
	engine_t *e = w->e;
	if (e)
		e->auth_resuming++;
	pthread_mutex_unlock(&pend_lock);
	if (!e) {
		unref(w);
		return;
	}
	sa_entry_t *en = sa_table_checkout(e->table, w->spi);
	if (en) {
		ike_sa_t *sa = (ike_sa_t *)en;
		if (sa->entry.unique_id == w->sa_id && sa->hs && sa->hs->wait == w &&
		    w->parked && sa->state != IKE_DEAD) {
			message_t *m = w->parked;
			w->parked = NULL;
			atomic_fetch_sub(w->parked_count, 1);
			sa_log(sa, DBG_IKESA, LVL_VERBOSE, "revocation answer after "
			       "%llu ms: IKE_AUTH goes on",
			       (unsigned long long)(time_monotonic_ms() - w->parked_ms));
			ike_auth_resume(e, sa, m);
			/* parked again for the next round, or done with */
			if (!auth_wait_holds(sa, m))
				message_destroy(m);
		}
		engine_finish(e, sa);
	}
	pthread_mutex_lock(&pend_lock);
	e->auth_resuming--;
	pthread_cond_broadcast(&pend_cond);
	pthread_mutex_unlock(&pend_lock);
	unref(w);
}

/* The validator's call, on a fetch thread (or inside verify when the
 * fetch could not start): never blocks. */
static void resume(void *ctx)
{
	auth_wait_t *w = ctx;

	pthread_mutex_lock(&pend_lock);
	bool alive = w->e != NULL;
	pthread_mutex_unlock(&pend_lock);
	if (alive)
		job_queue(resume_job, w);
	else
		unref(w);
}

cert_wait_t *auth_wait_get(engine_t *e, ike_sa_t *sa)
{
	if (!sa->hs)
		return NULL;
	auth_wait_t *w = sa->hs->wait;
	if (!w) {
		w = xzalloc(sizeof(*w));
		w->wait = (cert_wait_t){ .resume = resume, .ctx = w };
		atomic_init(&w->refs, 1);      /* the SA's */
		w->parked_count = &e->auth_parked;
		w->spi = sa->entry.local_spi;
		w->sa_id = sa->entry.unique_id;
		pthread_mutex_lock(&pend_lock);
		w->e = e;
		w->next = e->auth_waits;
		if (w->next)
			w->next->prev = w;
		e->auth_waits = w;
		pthread_mutex_unlock(&pend_lock);
		sa->hs->wait = w;
	}
	return &w->wait;
}

bool auth_wait_park(ike_sa_t *sa, message_t *m)
{
	auth_wait_t *w = sa->hs ? sa->hs->wait : NULL;
	if (!w)
		return false;
	/* the validator will call resume once for this round */
	atomic_fetch_add(&w->refs, 1);
	if (++w->rounds > AUTH_WAIT_MAX_ROUNDS) {
		/* resume still comes (and finds nothing parked) */
		sa_log(sa, DBG_CERT, LVL_OP, "certificate check still waiting "
		       "after %d revocation answers: refused", AUTH_WAIT_MAX_ROUNDS);
		return false;
	}
	w->parked = m;
	atomic_fetch_add(w->parked_count, 1);
	w->parked_ms = time_monotonic_ms();
	sa_log(sa, DBG_IKESA, LVL_VERBOSE, "IKE_AUTH %s %u parked: its certificate "
	       "check waits for a revocation answer",
	       message_is_response(m) ? "response" : "request", m->hdr.message_id);
	return true;
}

bool auth_wait_holds(const ike_sa_t *sa, const message_t *m)
{
	return sa->hs && sa->hs->wait && sa->hs->wait->parked &&
	       (!m || sa->hs->wait->parked == m);
}

void auth_wait_release(auth_wait_t *w)
{
	if (!w)
		return;
	if (w->parked) {
		/* the SA goes while it waits */
		message_destroy(w->parked);
		w->parked = NULL;
		atomic_fetch_sub(w->parked_count, 1);
	}
	unref(w);
}

unsigned auth_wait_parked_count(engine_t *e)
{
	return atomic_load(&e->auth_parked);
}

void auth_wait_detach(engine_t *e)
{
	pthread_mutex_lock(&pend_lock);
	while (e->auth_waits) {
		auth_wait_t *w = e->auth_waits;
		e->auth_waits = w->next;
		w->e = NULL;
		w->next = w->prev = NULL;
	}
	while (e->auth_resuming)
		pthread_cond_wait(&pend_cond, &pend_lock);
	pthread_mutex_unlock(&pend_lock);
}
