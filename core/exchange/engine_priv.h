/*
 * engine_priv.h - what the engine's files share: the engine object and the
 * IKE SA as the exchanges see it.  Not for use outside core/exchange.
 */
#ifndef IKEV2D_EXCHANGE_ENGINE_PRIV_H
#define IKEV2D_EXCHANGE_ENGINE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "exchange/engine.h"
#include "sa/ike_sa.h"
#include "sa/sa_table.h"

struct engine {
	sa_table_t *table;
	pthread_mutex_t cfg_lock;
	config_t *cfg;                 /* for new SAs */
	atomic_uint n_established;
	atomic_uint_fast64_t ike_established_total;
	atomic_uint_fast64_t child_established_total;
	atomic_uint_fast64_t cookies_sent;
	atomic_uint_fast64_t dropped;
};

/* The configuration for new SAs (borrowed while the engine holds it). */
config_t *engine_config(engine_t *e);

/* Free an IKE SA whose last reference went (table destroy callback):
 * handshake scratch, keys, then the SA. */
void ike_sa_release(engine_t *e, ike_sa_t *sa);

#endif
