/*
 * child_retire.c - the inbound SA of a rekeyed CHILD SA goes a moment
 * after the exchange that ended it, not at once: ESP packets the peer
 * sent on the old SA just before it switched to the new one (or before
 * its Delete, or before our Delete reached it) may still be on the way or
 * queued behind the IKE message, and must still be accepted.  Each such
 * SA is removed by a scheduler job CHILD_INBOUND_GRACE_MS later; the jobs
 * belong to the engine (the IKE SA may be gone by then, rekeyed or
 * deleted) and a stopping engine removes what is left at once.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>

#include <ikev2d/kernel_ipsec.h>

struct child_retire {
	struct child_retire *next;
	engine_t *e;
	kernel_sa_id_t id;
	timer_id_t tid;
};

/* set by a test's thread before the engines run, read by workers */
static _Atomic uint64_t grace_ms = CHILD_INBOUND_GRACE_MS;

void child_retire_set_grace_ms(uint64_t ms)
{
	grace_ms = ms;
}

uint64_t child_retire_grace_ms(void)
{
	return grace_ms;
}

static void unlink_retire(engine_t *e, child_retire_t *r)
{
	for (child_retire_t **p = &e->retiring; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			e->n_retiring--;
			return;
		}
}

static void remove_now(const kernel_sa_id_t *id)
{
	/* the kernel may have removed it meanwhile (its hard lifetime):
	 * then there is nothing to do, and the backend says so */
	if (kernel_del_sa(id))
		log_verbose(DBG_CHILDSA, "inbound SA %08x_i of a replaced CHILD SA "
		            "removed after its grace period", id->spi);
}

static void retire_fired(void *arg)
{
	child_retire_t *r = arg;
	engine_t *e = r->e;
	pthread_mutex_lock(&e->retire_lock);
	unlink_retire(e, r);
	pthread_mutex_unlock(&e->retire_lock);
	remove_now(&r->id);
	free(r);
	atomic_fetch_sub(&e->timers, 1);
}

void child_retire_inbound(engine_t *e, const kernel_sa_id_t *id)
{
	if (!e || e->stopping || !grace_ms) {
		remove_now(id);
		return;
	}
	child_retire_t *r = xzalloc(sizeof(*r));
	r->e = e;
	r->id = *id;
	pthread_mutex_lock(&e->retire_lock);
	r->next = e->retiring;
	e->retiring = r;
	e->n_retiring++;
	atomic_fetch_add(&e->timers, 1);
	/* retire_fired takes retire_lock first: it sees r->tid set */
	r->tid = sched_after_ms(grace_ms, retire_fired, r);
	if (!r->tid) {
		unlink_retire(e, r);
		atomic_fetch_sub(&e->timers, 1);
	}
	pthread_mutex_unlock(&e->retire_lock);
	if (!r->tid) {
		remove_now(id);
		free(r);
	}
}

unsigned child_retire_pending(engine_t *e)
{
	pthread_mutex_lock(&e->retire_lock);
	unsigned n = e->n_retiring;
	pthread_mutex_unlock(&e->retire_lock);
	return n;
}

void child_retire_flush(engine_t *e)
{
	pthread_mutex_lock(&e->retire_lock);
	child_retire_t **p = &e->retiring;
	while (*p) {
		child_retire_t *r = *p;
		if (r->tid && sched_cancel(r->tid)) {
			*p = r->next;
			e->n_retiring--;
			remove_now(&r->id);
			free(r);
			atomic_fetch_sub(&e->timers, 1);
		} else {
			/* firing now: retire_fired unlinks, removes, frees */
			p = &r->next;
		}
	}
	pthread_mutex_unlock(&e->retire_lock);
}
