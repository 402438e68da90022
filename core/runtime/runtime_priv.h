/*
 * runtime_priv.h - how the parts of core/runtime start and stop each other.
 * runtime_init/runtime_deinit (loop.c) drive these in order: workers first
 * (the scheduler queues to them), then the scheduler, then the loop.
 */
#ifndef IKEV2D_RUNTIME_PRIV_H
#define IKEV2D_RUNTIME_PRIV_H

#include <stdbool.h>

bool workers_init(int min_threads, int max_threads);
/* Let the queued jobs run, then stop and wait for every worker. */
void workers_deinit(void);
/* The calling thread is about to block (a fetch) / is done blocking: a
 * blocked worker does not count against max_threads, so the pool may
 * start another one for the jobs that wait.  No effect outside a worker. */
void workers_block_begin(void);
void workers_block_end(void);

bool sched_init(void);
/* Stop the timer thread and drop timers that have not fired. */
void sched_deinit(void);

#endif
