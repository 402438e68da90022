/*
 * scheduler.c - timed jobs: a binary min-heap keyed by due time, served by
 * one timer thread that hands due jobs to the worker pool.
 *
 * Timers live in a slab of slots (reused through a free list); a timer id
 * is the slot index in the low 32 bits and the slot's generation in the
 * high 32 bits, so sched_cancel finds its timer in O(1), removes it from the
 * heap in O(log n), and an id of a timer that fired (its slot since reused)
 * is recognised as stale.  The heap holds slot indices; each slot knows its
 * heap position.  Built for ~100k pending timers (retransmits, rekeys, DPD
 * for many SAs): add and cancel are O(log n), memory ~40 bytes per timer.
 */
#include "runtime_priv.h"

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include <ikev2d/runtime.h>

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NO_POS UINT32_MAX

typedef struct {
	uint64_t due;          /* ms, CLOCK_MONOTONIC */
	uint64_t seq;          /* tie-break: equal due times fire in add order */
	job_fn_t fn;
	void *arg;
	uint32_t gen;          /* bumped each time the slot is freed */
	uint32_t pos;          /* index in heap, NO_POS when free */
	uint32_t next_free;
} slot_t;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;   /* earliest timer changed, or stopping */
static pthread_t thread;
static bool running, stopping;
/* When the timer thread waits, the time it will wake up by itself
 * (UINT64_MAX: not before a signal); 0 while it runs.  A new timer wakes it
 * only if due before that: a timer that was earliest and then cancelled
 * (most are: SPI reservations, retransmits, half-open limits) then costs
 * the thread one wake-up when its time comes, not every later timer added
 * a signal and a context switch. */
static uint64_t sleeping_until;

static slot_t *slots;
static uint32_t n_slots, cap_slots;
static uint32_t free_head = NO_POS;
static uint32_t *heap;        /* slot indices */
static uint32_t n_heap;
static uint64_t next_seq;

uint64_t time_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- heap */

static bool earlier(uint32_t a, uint32_t b)
{
	if (slots[a].due != slots[b].due)
		return slots[a].due < slots[b].due;
	return slots[a].seq < slots[b].seq;
}

static void heap_set(uint32_t pos, uint32_t slot)
{
	heap[pos] = slot;
	slots[slot].pos = pos;
}

static void sift_up(uint32_t pos)
{
	uint32_t s = heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (!earlier(s, heap[parent]))
			break;
		heap_set(pos, heap[parent]);
		pos = parent;
	}
	heap_set(pos, s);
}

static void sift_down(uint32_t pos)
{
	uint32_t s = heap[pos];

	for (;;) {
		uint32_t child = 2 * pos + 1;
		if (child >= n_heap)
			break;
		if (child + 1 < n_heap && earlier(heap[child + 1], heap[child]))
			child++;
		if (!earlier(heap[child], s))
			break;
		heap_set(pos, heap[child]);
		pos = child;
	}
	heap_set(pos, s);
}

static void heap_remove(uint32_t pos)
{
	uint32_t last = heap[--n_heap];

	if (pos == n_heap)
		return;
	heap_set(pos, last);
	if (pos > 0 && earlier(last, heap[(pos - 1) / 2]))
		sift_up(pos);
	else
		sift_down(pos);
}

/* --------------------------------------------------------------- slots */

static uint32_t slot_alloc(void)
{
	if (free_head != NO_POS) {
		uint32_t s = free_head;
		free_head = slots[s].next_free;
		return s;
	}
	if (n_slots == cap_slots) {
		cap_slots = cap_slots ? 2 * cap_slots : 1024;
		slots = xrealloc(slots, cap_slots * sizeof(*slots));
		heap = xrealloc(heap, cap_slots * sizeof(*heap));
	}
	slots[n_slots].gen = 1;
	return n_slots++;
}

static void slot_free(uint32_t s)
{
	slots[s].pos = NO_POS;
	slots[s].fn = NULL;
	/* Generation 0 never appears in an id, so an id is never 0. */
	if (++slots[s].gen == 0)
		slots[s].gen = 1;
	slots[s].next_free = free_head;
	free_head = s;
}

/* --------------------------------------------------------- timer thread */

static void *timer_main(void *unused)
{
	pthread_mutex_lock(&mutex);
	while (!stopping) {
		if (n_heap == 0) {
			sleeping_until = UINT64_MAX;
			pthread_cond_wait(&cond, &mutex);
			sleeping_until = 0;
			continue;
		}
		uint64_t now = time_monotonic_ms();
		uint32_t s = heap[0];
		if (slots[s].due > now) {
			uint64_t due = slots[s].due;
			struct timespec ts = {
				.tv_sec = (time_t)(due / 1000),
				.tv_nsec = (long)(due % 1000) * 1000000L,
			};
			sleeping_until = due;
			pthread_cond_timedwait(&cond, &mutex, &ts);
			sleeping_until = 0;
			continue;
		}
		job_fn_t fn = slots[s].fn;
		void *arg = slots[s].arg;
		heap_remove(0);
		slot_free(s);
		/* job_queue takes the pool's lock, never ours: no ordering issue. */
		pthread_mutex_unlock(&mutex);
		job_queue(fn, arg);
		pthread_mutex_lock(&mutex);
	}
	pthread_mutex_unlock(&mutex);
	return NULL;
}

bool sched_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&mutex);
	stopping = false;
	int err = pthread_create(&thread, NULL, timer_main, NULL);
	running = err == 0;
	pthread_mutex_unlock(&mutex);
	if (err) {
		log_error(DBG_OP, "cannot start the timer thread: %s", strerror(err));
		pthread_cond_destroy(&cond);
		return false;
	}
	return true;
}

void sched_deinit(void)
{
	pthread_mutex_lock(&mutex);
	if (!running) {
		pthread_mutex_unlock(&mutex);
		return;
	}
	stopping = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&mutex);
	pthread_join(thread, NULL);

	pthread_mutex_lock(&mutex);
	running = false;
	if (n_heap > 0)
		log_verbose(DBG_OP, "scheduler stopped with %u timers pending", n_heap);
	free(slots);
	free(heap);
	slots = NULL;
	heap = NULL;
	n_slots = cap_slots = n_heap = 0;
	free_head = NO_POS;
	pthread_mutex_unlock(&mutex);
	pthread_cond_destroy(&cond);
}

timer_id_t sched_after_ms(uint64_t ms, job_fn_t fn, void *arg)
{
	if (!fn)
		return 0;
	pthread_mutex_lock(&mutex);
	if (!running || stopping || n_slots == UINT32_MAX - 1) {
		pthread_mutex_unlock(&mutex);
		log_error(DBG_OP, "timer added while the scheduler is not running; dropped");
		return 0;
	}
	uint64_t now = time_monotonic_ms();
	uint32_t s = slot_alloc();
	slots[s].due = ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
	slots[s].seq = next_seq++;
	slots[s].fn = fn;
	slots[s].arg = arg;
	heap[n_heap++] = s;
	sift_up(n_heap - 1);
	/* Only a timer due before the thread's own wake-up changes what it
	 * waits for (a running thread looks at the heap before it waits). */
	if (slots[s].pos == 0 && sleeping_until && slots[s].due < sleeping_until)
		pthread_cond_signal(&cond);
	timer_id_t id = (uint64_t)slots[s].gen << 32 | s;
	pthread_mutex_unlock(&mutex);
	return id;
}

bool sched_cancel(timer_id_t id)
{
	uint32_t s = (uint32_t)id;
	uint32_t gen = (uint32_t)(id >> 32);
	bool found = false;

	pthread_mutex_lock(&mutex);
	if (running && s < n_slots && slots[s].gen == gen && slots[s].pos != NO_POS) {
		heap_remove(slots[s].pos);
		slot_free(s);
		found = true;
	}
	pthread_mutex_unlock(&mutex);
	return found;
}

unsigned sched_pending(void)
{
	pthread_mutex_lock(&mutex);
	unsigned n = n_heap;
	pthread_mutex_unlock(&mutex);
	return n;
}
