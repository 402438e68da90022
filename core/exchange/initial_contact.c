/*
 * initial_contact.c - INITIAL_CONTACT (RFC 7296 §2.4): a peer that sends it
 * in IKE_AUTH has no other IKE SA with us (it restarted).  The IKE SAs we
 * still hold with the same authenticated identity under the same rule are
 * stale: they are removed here, without a Delete (the peer knows nothing
 * of them), so its new SAs do not sit beside dead ones until DPD or the
 * lifetime finds them.
 *
 * The SA that carried the notify is checked out by the thread that
 * processed it; the others are checked out one by one from a job after
 * that, so two SAs are never held at once.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>

#include "net/addr.h"

uint64_t peer_id_hash(uint8_t type, chunk_t data)
{
	/* FNV-1a: a name for the identity, not a secret; compared together
	 * with the rule and the peer's address */
	uint64_t h = 0xcbf29ce484222325ULL;
	h = (h ^ type) * 0x100000001b3ULL;
	for (size_t i = 0; i < data.len; i++)
		h = (h ^ data.ptr[i]) * 0x100000001b3ULL;
	return h ? h : 1;   /* 0 means "not known" */
}

typedef struct {
	engine_t *e;
	uint64_t keep_spi;           /* the new SA */
	uint64_t id_hash;
	char *label;                 /* the rule's (SIGHUP may swap the rule) */
	struct sockaddr_storage peer;
	unsigned removed;
} contact_job_t;

static void drop_stale(uint64_t spi, void *ctx)
{
	contact_job_t *j = ctx;
	if (spi == j->keep_spi)
		return;
	sa_entry_t *en = sa_table_checkout(j->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if (sa->state == IKE_ESTABLISHED && sa->rule && strcmp(sa->rule->label, j->label) == 0 &&
	    sa->peer_id_hash == j->id_hash && addr_ip_equals(&sa->remote, &j->peer)) {
		ike_sa_delete(j->e, sa, "the peer sent INITIAL_CONTACT in a new "
		              "IKE SA: this one is stale");
		j->removed++;
	}
	engine_finish(j->e, sa);
}

static void contact_job(void *arg)
{
	contact_job_t *j = arg;
	sa_table_foreach_spi(j->e->table, drop_stale, j);
	if (j->removed)
		log_op(DBG_IKESA, "INITIAL_CONTACT: %u stale IKE SA%s of the peer "
		       "removed", j->removed, j->removed == 1 ? "" : "s");
	atomic_fetch_sub(&j->e->timers, 1);
	free(j->label);
	free(j);
}

void initial_contact(engine_t *e, ike_sa_t *sa)
{
	if (e->stopping || !sa->peer_id_hash || !sa->rule)
		return;
	contact_job_t *j = xzalloc(sizeof(*j));
	j->e = e;
	j->keep_spi = sa->entry.local_spi;
	j->id_hash = sa->peer_id_hash;
	j->label = xstrdup(sa->rule->label);
	j->peer = sa->remote;
	/* counted like a timer: the engine is not freed under the job */
	atomic_fetch_add(&e->timers, 1);
	job_queue(contact_job, j);
}
