/*
 * tasks.c - the queue of exchanges an IKE SA has yet to start (tasks.h).
 */
#include "exchange/tasks.h"

#include <stdlib.h>
#include <string.h>

void exch_free(exch_t *x)
{
	if (!x)
		return;
	if (x->ke)
		x->ke->destroy(x->ke);
	chunk_clear(&x->ni);
	chunk_free(&x->peer_nonce);
	free(x);
}

void task_queue(engine_t *e, ike_sa_t *sa, task_type_t type, uint32_t spi,
                const child_cfg_t *cfg)
{
	task_t **p = (task_t **)&sa->tasks;
	/* Once is enough for the same CHILD SA or the IKE SA. */
	for (; *p; p = &(*p)->next)
		if ((*p)->type == type && (*p)->spi == spi && (*p)->cfg == cfg &&
		    !(*p)->has_acq)
			return;
	task_t *t = xzalloc(sizeof(*t));
	t->type = type;
	t->spi = spi;
	t->cfg = cfg;
	*p = t;
	tasks_run(e, sa);
}

void task_queue_acq(engine_t *e, ike_sa_t *sa, const child_cfg_t *cfg,
                    const child_acq_t *acq)
{
	task_t **p = (task_t **)&sa->tasks;
	for (; *p; p = &(*p)->next)
		if ((*p)->type == TASK_CHILD_CREATE && (*p)->cfg == cfg &&
		    (*p)->has_acq && memcmp(&(*p)->acq, acq, sizeof(*acq)) == 0)
			return;
	task_t *t = xzalloc(sizeof(*t));
	t->type = TASK_CHILD_CREATE;
	t->cfg = cfg;
	t->has_acq = true;
	t->acq = *acq;
	*p = t;
	tasks_run(e, sa);
}

void task_queue_first(ike_sa_t *sa, task_type_t type)
{
	task_t **p = (task_t **)&sa->tasks;
	for (task_t *q = *p; q; q = q->next)
		if (q->type == type && !q->spi && !q->cfg)
			return;
	/* after the Deletes waiting at the head (those of SAs a rekey just
	 * replaced: one round trip each, and the hand-over is complete) */
	while (*p && (*p)->type == TASK_CHILD_DELETE)
		p = &(*p)->next;
	task_t *t = xzalloc(sizeof(*t));
	t->type = type;
	t->next = *p;
	*p = t;
}

void tasks_move_child(ike_sa_t *from, ike_sa_t *to)
{
	task_t **src = (task_t **)&from->tasks, **dst = (task_t **)&to->tasks;
	while (*dst)
		dst = &(*dst)->next;
	while (*src) {
		task_t *t = *src;
		if (t->type == TASK_CHILD_CREATE || t->type == TASK_CHILD_REKEY ||
		    t->type == TASK_CHILD_DELETE) {
			*src = t->next;
			t->next = NULL;
			*dst = t;
			dst = &t->next;
		} else {
			src = &t->next;
		}
	}
}

void tasks_free(engine_t *e, ike_sa_t *sa)
{
	task_t *t = sa->tasks;
	while (t) {
		task_t *next = t->next;
		free(t);
		t = next;
	}
	sa->tasks = NULL;
	exch_abort(e, sa);
}

void tasks_run(engine_t *e, ike_sa_t *sa)
{
	/* Not while a response is being handled either (sa->exch still set):
	 * a task queued by that handler would start an exchange which the
	 * handler's end (exch_abort) then throws away - receive.c runs the
	 * queue once the handler is done. */
	while (sa->tasks && !sa->n_req && !sa->exch && sa->state == IKE_ESTABLISHED) {
		task_t *t = sa->tasks;
		sa->tasks = t->next;
		switch (t->type) {
		case TASK_CHILD_CREATE:
		case TASK_CHILD_REKEY:
			child_exchange_start(e, sa, t);
			break;
		case TASK_CHILD_DELETE:
			child_delete_start(e, sa, t->spi);
			break;
		case TASK_IKE_REKEY:
			ike_rekey_start(e, sa, t);
			break;
		case TASK_IKE_DELETE:
			ike_sa_send_delete(e, sa);
			break;
		}
		free(t);
	}
}

bool nonce_create(chunk_t *out)
{
	*out = chunk_alloc(NONCE_LEN);
	if (!crypto_random(RNG_STRONG, out->ptr, out->len)) {
		chunk_free(out);
		return false;
	}
	return true;
}

chunk_t nonce_min(chunk_t a, chunk_t b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = memcmp(a.ptr, b.ptr, n);
	if (c == 0)
		return a.len <= b.len ? a : b;
	return c < 0 ? a : b;
}
