/*
 * engine.c - the engine object: SA table, configuration in force, tunables,
 * and the process-wide instance the daemon drives.
 */
#include "exchange/engine.h"
#include "exchange/engine_priv.h"

#include <stdlib.h>

#include <ikev2d/chunk.h>

void ike_sa_release(engine_t *e, ike_sa_t *sa)
{
	(void)e;
	ike_sa_free(sa);
}

static void destroy_sa(sa_entry_t *entry, void *ctx)
{
	ike_sa_release((engine_t *)ctx, (ike_sa_t *)entry);
}

engine_t *engine_create(config_t *cfg)
{
	engine_t *e = xzalloc(sizeof(*e));
	e->table = sa_table_create(destroy_sa, e);
	pthread_mutex_init(&e->cfg_lock, NULL);
	e->cfg = cfg;
	return e;
}

config_t *engine_config(engine_t *e)
{
	pthread_mutex_lock(&e->cfg_lock);
	config_t *cfg = e->cfg;
	pthread_mutex_unlock(&e->cfg_lock);
	return cfg;
}

void engine_set_config(engine_t *e, config_t *cfg)
{
	pthread_mutex_lock(&e->cfg_lock);
	e->cfg = cfg;
	pthread_mutex_unlock(&e->cfg_lock);
}

void engine_get_stats(engine_t *e, engine_stats_t *st)
{
	*st = (engine_stats_t){
		.ike_sas = sa_table_count(e->table),
		.half_open = sa_table_half_open(e->table),
		.established = atomic_load(&e->n_established),
		.ike_established_total = atomic_load(&e->ike_established_total),
		.child_established_total = atomic_load(&e->child_established_total),
		.cookies_sent = atomic_load(&e->cookies_sent),
		.dropped = atomic_load(&e->dropped),
	};
}

void engine_destroy(engine_t *e, unsigned wait_ms)
{
	if (!e)
		return;
	(void)wait_ms;
	sa_table_destroy(e->table);
	pthread_mutex_destroy(&e->cfg_lock);
	free(e);
}

/* ------------------------------------------------ process-wide engine */

static engine_t *the_engine;

engine_t *engine_get(void)
{
	return the_engine;
}

bool engine_start(config_t *cfg)
{
	if (the_engine || !cfg)
		return false;
	the_engine = engine_create(cfg);
	return true;
}

void engine_reload(config_t *cfg)
{
	if (the_engine && cfg)
		engine_set_config(the_engine, cfg);
}

void engine_shutdown(unsigned wait_ms)
{
	engine_destroy(the_engine, wait_ms);
	the_engine = NULL;
}
