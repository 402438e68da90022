/*
 * initial_contact.c - INITIAL_CONTACT (RFC 7296 §2.4): a peer that sends it
 * in IKE_AUTH has no other IKE SA with us (it restarted).  The IKE SAs we
 * still hold with the same authenticated identity under the same rule are
 * stale: they are removed here, without a Delete (the peer knows nothing
 * of them), so its new SAs do not sit beside dead ones until DPD or the
 * lifetime finds them.
 *
 * Stale means "begun before the SA that carried the notify": the cleanup
 * runs as a job, and a peer that rekeys at once (or a busy worker) may have
 * replaced the carrying SA by then.  So SAs are compared by lineage (the
 * unique_id of the first SA of a chain of rekeys, which a rekeyed SA
 * inherits), not by SPI: the carrier's successors share its lineage and
 * SAs begun later have a higher one; only lower lineages are stale.
 * Identities are compared whole (type and bytes), not by a hash.
 *
 * The SA that carried the notify is checked out by the thread that
 * processed it; the others are checked out one by one from a job after
 * that, so two SAs are never held at once.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>

#include "net/addr.h"

typedef struct {
	engine_t *e;
	uint64_t lineage;            /* of the SA that carried the notify */
	uint8_t id_type;
	chunk_t id;
	const char *label;           /* the rule's (SIGHUP may swap the rule) */
	struct sockaddr_storage peer;
	unsigned removed;
} sweep_t;

static void drop_stale(uint64_t spi, void *ctx)
{
	sweep_t *j = ctx;
	sa_entry_t *en = sa_table_checkout(j->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if (sa->lineage < j->lineage &&
	    sa->state == IKE_ESTABLISHED && sa->rule &&
	    strcmp(sa->rule->label, j->label) == 0 &&
	    sa->peer_id_type == j->id_type && chunk_equals(sa->peer_id, j->id) &&
	    addr_ip_equals(&sa->remote, &j->peer)) {
		ike_sa_delete(j->e, sa, "the peer sent INITIAL_CONTACT in a new "
		              "IKE SA: this one is stale");
		j->removed++;
	}
	engine_finish(j->e, sa);
}

unsigned initial_contact_sweep(engine_t *e, uint64_t lineage, uint8_t id_type,
                               chunk_t id, const char *label,
                               const struct sockaddr_storage *peer)
{
	sweep_t j = { .e = e, .lineage = lineage, .id_type = id_type, .id = id,
	              .label = label, .peer = *peer };
	sa_table_foreach_spi(e->table, drop_stale, &j);
	if (j.removed)
		log_op(DBG_IKESA, "INITIAL_CONTACT: %u stale IKE SA%s of the peer "
		       "removed", j.removed, j.removed == 1 ? "" : "s");
	return j.removed;
}

typedef struct {
	engine_t *e;
	uint64_t lineage;
	uint8_t id_type;
	chunk_t id;
	char *label;
	struct sockaddr_storage peer;
} contact_job_t;

static void contact_job(void *arg)
{
	contact_job_t *j = arg;
	initial_contact_sweep(j->e, j->lineage, j->id_type, j->id, j->label,
	                      &j->peer);
	atomic_fetch_sub(&j->e->timers, 1);
	chunk_free(&j->id);
	free(j->label);
	free(j);
}

void initial_contact(engine_t *e, ike_sa_t *sa)
{
	if (e->stopping || !sa->peer_id.len || !sa->rule)
		return;
	contact_job_t *j = xzalloc(sizeof(*j));
	j->e = e;
	j->lineage = sa->lineage;
	j->id_type = sa->peer_id_type;
	j->id = chunk_clone(sa->peer_id);
	j->label = xstrdup(sa->rule->label);
	j->peer = sa->remote;
	/* counted like a timer: the engine is not freed under the job */
	atomic_fetch_add(&e->timers, 1);
	job_queue(contact_job, j);
}
