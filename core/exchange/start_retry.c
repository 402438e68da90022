/*
 * start_retry.c - trying an auto_start or on_demand rule again when its
 * start got no answer (the peer is down, or the path lost every
 * retransmission).  A site-to-site tunnel must come up by itself once
 * the peer is back, so the engine keeps trying, with a wait that doubles
 * from 1 s up to the daemon's start_retry_max_secs, each wait jittered
 * (between half and all of it) so that many gateways restarted together
 * do not retry in step.  The rule's start_retry_limit bounds the number
 * of tries again (-1 = without end, the default of auto_start rules).
 *
 * Only starts that failed for want of an answer are retried: a peer that
 * answers with an error (NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED) needs
 * an administrator, not more packets.
 */
#include "exchange/engine_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_BASE_MS 1000

typedef struct start_retry {
	engine_t *e;
	char label[129];              /* a rule label (at most 128, cfg_rules.c) */
	unsigned attempt;              /* the try this timer starts */
	timer_id_t id;
	struct start_retry *next;
} start_retry_t;

uint64_t start_retry_backoff_ms(unsigned attempt, int max_secs)
{
	uint64_t max = (uint64_t)(max_secs > 0 ? max_secs : 120) * 1000;
	unsigned shift = attempt >= 2 ? attempt - 2 : 0;
	uint64_t full = shift >= 20 ? max : (uint64_t)RETRY_BASE_MS << shift;
	if (full > max)
		full = max;
	uint32_t r;
	if (!crypto_random(RNG_WEAK, &r, sizeof(r)))
		r = 0;
	return full / 2 + r % (full / 2 + 1);
}

/* Unlink r from the engine's list; false when it is not there (it was
 * cancelled).  With retry_lock held. */
static bool unlink_retry(engine_t *e, start_retry_t *r)
{
	for (start_retry_t **p = &e->retries; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			return true;
		}
	}
	return false;
}


static void retry_fired(void *arg)
{
	start_retry_t *r = arg;
	engine_t *e = r->e;
	pthread_mutex_lock(&e->retry_lock);
	unlink_retry(e, r);
	bool stopping = e->stopping;
	pthread_mutex_unlock(&e->retry_lock);
	if (stopping)
		goto out;

	config_t *cfg = engine_config(e);
	const rule_t *rule = cfg ? config_find_rule(cfg, r->label) : NULL;
	if (!rule || !(rule->auto_start || rule->on_demand)) {
		log_op(DBG_IKESA, "rule %s: no longer auto_start or on_demand "
		       "(reloaded): not tried again", r->label);
	} else {
		/* The peer may have started it meanwhile, or an ACQUIRE did. */
		if (engine_rule_ike_sa(e, r->label, false)) {
			log_op(DBG_IKESA, "rule %s: an IKE SA exists already, "
			       "try %u not needed", r->label, r->attempt);
		} else {
			log_op(DBG_IKESA, "rule %s: starting again (try %u)",
			       r->label, r->attempt);
			atomic_fetch_add(&e->start_retries_total, 1);
			engine_initiate_attempt(e, r->label, r->attempt);
		}
	}
	if (cfg)
		config_unref(cfg);
out:
	free(r);
	atomic_fetch_sub(&e->timers, 1);
}

void start_retry_after_failure(engine_t *e, ike_sa_t *sa)
{
	if (!sa->initiator || !sa->start_attempt || !sa->unanswered ||
	    !sa->rule || e->stopping)
		return;
	const rule_t *rule = sa->rule;
	int limit = rule->start_retry_limit;
	unsigned done = sa->start_attempt - 1;   /* tries again so far */
	if (limit >= 0 && done >= (unsigned)limit) {
		sa_log(sa, DBG_IKESA, LVL_OP, "rule %s: no answer after %u "
		       "tr%s, giving up (start_retry_limit %d)", rule->label,
		       sa->start_attempt, sa->start_attempt == 1 ? "y" : "ies",
		       limit);
		return;
	}
	start_retry_t *r = xzalloc(sizeof(*r));
	r->e = e;
	snprintf(r->label, sizeof(r->label), "%s", rule->label);
	r->attempt = sa->start_attempt + 1;
	uint64_t ms = start_retry_backoff_ms(r->attempt,
	                                     sa->cfg->daemon.start_retry_max_secs);
	char of[32];
	if (limit < 0)
		snprintf(of, sizeof(of), "without limit");
	else
		snprintf(of, sizeof(of), "of %d", limit);
	sa_log(sa, DBG_IKESA, LVL_OP, "rule %s: no answer to try %u, trying "
	       "again in %llu ms (retry %u %s)", rule->label, sa->start_attempt,
	       (unsigned long long)ms, done + 1, of);
	pthread_mutex_lock(&e->retry_lock);
	r->next = e->retries;
	e->retries = r;
	atomic_fetch_add(&e->timers, 1);
	/* retry_fired takes retry_lock first: it sees r->id set */
	r->id = sched_after_ms(ms, retry_fired, r);
	if (!r->id) {
		unlink_retry(e, r);
		atomic_fetch_sub(&e->timers, 1);
		free(r);
		log_error(DBG_IKESA, "rule %s: cannot schedule the next try",
		          rule->label);
	}
	pthread_mutex_unlock(&e->retry_lock);
}

void start_retry_cancel_all(engine_t *e)
{
	pthread_mutex_lock(&e->retry_lock);
	start_retry_t **p = &e->retries;
	while (*p) {
		start_retry_t *r = *p;
		if (r->id && sched_cancel(r->id)) {
			*p = r->next;
			free(r);
			atomic_fetch_sub(&e->timers, 1);
		} else {
			/* firing now: retry_fired unlinks and frees it */
			p = &r->next;
		}
	}
	pthread_mutex_unlock(&e->retry_lock);
}
