/*
 * workers.c - the worker pool and its job queue.
 *
 * A FIFO of jobs under one mutex.  The pool starts with min_threads
 * workers; when a job is queued and no worker is idle, another is started,
 * up to max_threads.  Workers beyond min_threads that stay idle for
 * IDLE_EXIT_MS leave again.  A worker blocked in a fetch (fetcher.h) is
 * not counted against max_threads while it waits.  At shutdown the queue is drained first, so a
 * job queued before runtime_deinit() always runs.
 */
#include "runtime_priv.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/runtime.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define IDLE_EXIT_MS 10000

typedef struct job {
	struct job *next;
	job_fn_t fn;
	void *arg;
} job_t;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cond;      /* a job arrived, or stopping */
static pthread_cond_t exit_cond;      /* a worker left */
static job_t *head, *tail;
static job_t *free_jobs;              /* recycled nodes: no malloc per job */
static int n_threads, n_idle, n_queued;
static int n_blocked;                 /* workers in workers_block_begin() */
static _Thread_local bool in_worker, blocked;
static int min_threads, max_threads;
static bool running, stopping;

static void *worker_main(void *unused);

static bool start_worker(void)
{
	pthread_t t;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&t, &attr, worker_main, NULL);
	pthread_attr_destroy(&attr);
	if (err) {
		log_error(DBG_OP, "cannot start a worker thread: %s", strerror(err));
		return false;
	}
	n_threads++;
	return true;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *worker_main(void *unused)
{
	in_worker = true;
	pthread_mutex_lock(&mutex);
	for (;;) {
		job_t *job = head;
		if (job) {
			head = job->next;
			n_queued--;
			if (!head)
				tail = NULL;
			job_fn_t fn = job->fn;
			void *arg = job->arg;
			job->next = free_jobs;
			free_jobs = job;
			pthread_mutex_unlock(&mutex);
			fn(arg);
			pthread_mutex_lock(&mutex);
			continue;
		}
		if (stopping)
			break;
		struct timespec until;
		deadline_in(&until, IDLE_EXIT_MS);
		n_idle++;
		int err = pthread_cond_timedwait(&work_cond, &mutex, &until);
		n_idle--;
		/* An extra worker with nothing to do goes away. */
		if (err == ETIMEDOUT && !head && n_threads > min_threads)
			break;
	}
	n_threads--;
	pthread_cond_broadcast(&exit_cond);
	pthread_mutex_unlock(&mutex);
	return NULL;
}

bool workers_init(int min, int max)
{
	pthread_condattr_t ca;

	if (min < 1)
		min = 1;
	if (max < min)
		max = min;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&work_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&exit_cond, NULL);

	pthread_mutex_lock(&mutex);
	min_threads = min;
	max_threads = max;
	stopping = false;
	running = true;
	bool ok = true;
	for (int i = 0; i < min && ok; i++)
		ok = start_worker();
	pthread_mutex_unlock(&mutex);
	if (!ok)
		workers_deinit();
	return ok;
}

void workers_deinit(void)
{
	pthread_mutex_lock(&mutex);
	if (!running) {
		pthread_mutex_unlock(&mutex);
		return;
	}
	stopping = true;
	pthread_cond_broadcast(&work_cond);
	while (n_threads > 0)
		pthread_cond_wait(&exit_cond, &mutex);
	running = false;
	while (free_jobs) {
		job_t *j = free_jobs;
		free_jobs = j->next;
		free(j);
	}
	pthread_mutex_unlock(&mutex);
	pthread_cond_destroy(&work_cond);
	pthread_cond_destroy(&exit_cond);
}

void job_queue(job_fn_t fn, void *arg)
{
	if (!fn)
		return;
	pthread_mutex_lock(&mutex);
	/* While stopping, jobs may still queue follow-ups: the drain runs them. */
	if (!running || n_threads == 0) {
		pthread_mutex_unlock(&mutex);
		log_error(DBG_OP, "job queued while the worker pool is not running; dropped");
		return;
	}
	job_t *job = free_jobs;
	if (job)
		free_jobs = job->next;
	else
		job = xmalloc(sizeof(*job));
	*job = (job_t){ .fn = fn, .arg = arg };
	if (tail)
		tail->next = job;
	else
		head = job;
	tail = job;
	n_queued++;
	/* Grow when more jobs wait than workers idle: a slow job must not
	 * stall the others. */
	if (n_queued > n_idle && n_threads < max_threads + n_blocked && !stopping)
		start_worker();
	pthread_cond_signal(&work_cond);
	pthread_mutex_unlock(&mutex);
}

void workers_block_begin(void)
{
	if (!in_worker || blocked)
		return;
	blocked = true;
	pthread_mutex_lock(&mutex);
	n_blocked++;
	/* jobs already waiting get a worker now, not at the next queueing */
	if (n_queued > n_idle && n_threads < max_threads + n_blocked && !stopping)
		start_worker();
	pthread_mutex_unlock(&mutex);
}

void workers_block_end(void)
{
	if (!in_worker || !blocked)
		return;
	blocked = false;
	pthread_mutex_lock(&mutex);
	n_blocked--;
	pthread_mutex_unlock(&mutex);
}

void job_blocking_begin(void)
{
	workers_block_begin();
}

void job_blocking_end(void)
{
	workers_block_end();
}

int runtime_threads(void)
{
	pthread_mutex_lock(&mutex);
	int n = n_threads;
	pthread_mutex_unlock(&mutex);
	return n;
}

int runtime_blocked_threads(void)
{
	pthread_mutex_lock(&mutex);
	int n = n_blocked;
	pthread_mutex_unlock(&mutex);
	return n;
}

int runtime_busy_threads(void)
{
	pthread_mutex_lock(&mutex);
	int n = n_threads - n_idle;
	pthread_mutex_unlock(&mutex);
	return n;
}
