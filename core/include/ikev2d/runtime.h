/*
 * runtime.h - the daemon's execution machinery: one epoll event loop, a
 * worker pool (daemon.min_threads..max_threads) serving a job queue, and a
 * scheduler for timed jobs.
 *
 * Sockets and other descriptors are watched by the event loop; their
 * callbacks run in the loop thread and must not block: read what is ready
 * and hand real work to job_queue().  Jobs run on worker threads, in no
 * guaranteed order relative to each other.  Timed jobs run on a worker when
 * due; cancelling one that already started does not wait for it.
 */
#ifndef IKEV2D_RUNTIME_H
#define IKEV2D_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*job_fn_t)(void *arg);
typedef void (*fd_cb_t)(int fd, uint32_t events, void *arg);
typedef uint64_t timer_id_t;   /* 0 is never a valid timer */

/* Start the loop machinery and the worker pool: runtime_init_loop() and
 * then runtime_start_threads(). */
bool runtime_init(int min_threads, int max_threads);
/* The two halves, for the daemon: the loop (descriptors can be watched)
 * without any thread, so that privileges are changed while the process has
 * one thread only (capabilities are per thread), then the workers and the
 * timer thread.  In between, job_queue() and sched_after_ms() refuse (and
 * log) what they are given. */
bool runtime_init_loop(void);
bool runtime_start_threads(int min_threads, int max_threads);
/* Run the event loop in the calling thread until runtime_stop(). */
void runtime_run(void);
/* Make runtime_run() return (async-signal-safe). */
void runtime_stop(void);
/* Stop the workers (after draining queued jobs) and free everything. */
void runtime_deinit(void);

/* Queue fn(arg) for a worker thread. */
void job_queue(job_fn_t fn, void *arg);

/* Run fn(arg) on a worker after ms milliseconds. */
timer_id_t sched_after_ms(uint64_t ms, job_fn_t fn, void *arg);
/* Cancel a timer that has not fired; false if it already fired or is
 * unknown. */
bool sched_cancel(timer_id_t id);
/* Timers added and not yet fired or cancelled. */
unsigned sched_pending(void);

/* A job about to wait for something slow that is not CPU work (a fetch,
 * or another job's fetch) brackets the wait with these: meanwhile its
 * worker does not count against max_threads, so the pool may start
 * another for the queued jobs.  No effect outside a worker thread;
 * fetcher_fetch() does it itself. */
void job_blocking_begin(void);
void job_blocking_end(void);

/* Worker threads running now (min_threads..max_threads), and those of
 * them running a job (not waiting for one). */
int runtime_threads(void);
int runtime_busy_threads(void);
/* Workers inside job_blocking_begin/end (a blocking fetch) now. */
int runtime_blocked_threads(void);

/* Watch fd for the epoll events (EPOLLIN, ...); cb runs in the loop thread.
 * Call loop_unwatch_fd before closing fd. */
bool loop_watch_fd(int fd, uint32_t events, fd_cb_t cb, void *arg);
void loop_unwatch_fd(int fd);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t time_monotonic_ms(void);

#endif
