/*
 * test_runtime.c - worker pool, job queue, scheduler and event loop.
 */
#include <ikev2d/runtime.h>

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static _Atomic int counter;

static void count_job(void *arg)
{
	atomic_fetch_add(&counter, 1);
}

static void wait_for(_Atomic int *v, int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms && atomic_load(v) < want; i++)
		usleep(1000);
}

START_TEST(test_jobs_drain)
{
	ck_assert(runtime_init(2, 4));
	atomic_store(&counter, 0);
	for (int i = 0; i < 10000; i++)
		job_queue(count_job, NULL);
	/* deinit lets every queued job run first */
	runtime_deinit();
	ck_assert_int_eq(atomic_load(&counter), 10000);
	/* after deinit, jobs are refused (logged), not run */
	job_queue(count_job, NULL);
	usleep(10000);
	ck_assert_int_eq(atomic_load(&counter), 10000);
}
END_TEST

/* Jobs that only finish when `want` of them run at once. */
static _Atomic int running_now, max_running, gate_want;

static void gate_job(void *arg)
{
	int now = atomic_fetch_add(&running_now, 1) + 1;
	int prev = atomic_load(&max_running);
	while (now > prev && !atomic_compare_exchange_weak(&max_running, &prev, now))
		;
	for (int i = 0; i < 2000 && atomic_load(&running_now) < atomic_load(&gate_want); i++)
		usleep(1000);
	usleep(20000);
	atomic_fetch_sub(&running_now, 1);
	atomic_fetch_add(&counter, 1);
}

START_TEST(test_pool_grows)
{
	ck_assert(runtime_init(1, 4));
	ck_assert_int_eq(runtime_threads(), 1);
	atomic_store(&counter, 0);
	atomic_store(&max_running, 0);
	atomic_store(&gate_want, 4);
	for (int i = 0; i < 4; i++)
		job_queue(gate_job, NULL);
	wait_for(&counter, 4, 5000);
	ck_assert_int_eq(atomic_load(&counter), 4);
	ck_assert_int_eq(atomic_load(&max_running), 4);
	ck_assert_int_eq(runtime_threads(), 4);
	runtime_deinit();
}
END_TEST

START_TEST(test_pool_bounded)
{
	ck_assert(runtime_init(1, 2));
	atomic_store(&counter, 0);
	atomic_store(&max_running, 0);
	atomic_store(&gate_want, 3);   /* never reached: at most 2 run at once */
	for (int i = 0; i < 3; i++)
		job_queue(gate_job, NULL);
	usleep(200000);
	ck_assert_int_le(runtime_threads(), 2);
	runtime_deinit();
	ck_assert_int_eq(atomic_load(&counter), 3);
	ck_assert_int_eq(atomic_load(&max_running), 2);
}
END_TEST

static _Atomic int order[8];
static _Atomic int n_order;
static uint64_t t0;
static _Atomic uint64_t fired_at[8];

static void order_job(void *arg)
{
	int v = (int)(intptr_t)arg;
	fired_at[v] = time_monotonic_ms() - t0;
	order[atomic_fetch_add(&n_order, 1)] = v;
}

START_TEST(test_timer_order)
{
	ck_assert(runtime_init(1, 1));
	atomic_store(&n_order, 0);
	t0 = time_monotonic_ms();
	ck_assert_uint_ne(sched_after_ms(150, order_job, (void *)3), 0);
	ck_assert_uint_ne(sched_after_ms(20, order_job, (void *)1), 0);
	ck_assert_uint_ne(sched_after_ms(80, order_job, (void *)2), 0);
	ck_assert_uint_eq(sched_pending(), 3);
	wait_for(&n_order, 3, 3000);
	ck_assert_int_eq(atomic_load(&n_order), 3);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 3);
	/* never early */
	ck_assert_uint_ge(fired_at[1], 20);
	ck_assert_uint_ge(fired_at[2], 80);
	ck_assert_uint_ge(fired_at[3], 150);
	ck_assert_uint_eq(sched_pending(), 0);
	runtime_deinit();
}
END_TEST

START_TEST(test_timer_cancel)
{
	ck_assert(runtime_init(1, 2));
	atomic_store(&counter, 0);
	timer_id_t a = sched_after_ms(50, count_job, NULL);
	timer_id_t b = sched_after_ms(10, count_job, NULL);
	ck_assert(sched_cancel(a));
	ck_assert(!sched_cancel(a));          /* twice */
	wait_for(&counter, 1, 2000);
	usleep(150000);
	ck_assert_int_eq(atomic_load(&counter), 1);   /* only b */
	ck_assert(!sched_cancel(b));          /* already fired */
	ck_assert(!sched_cancel(0));
	ck_assert(!sched_cancel(0xdeadbeef12345ULL));
	/* a reused slot does not honour an old id */
	timer_id_t c = sched_after_ms(1000, count_job, NULL);
	ck_assert(!sched_cancel(b));
	ck_assert(sched_cancel(c));
	ck_assert_uint_eq(sched_pending(), 0);
	runtime_deinit();
}
END_TEST

/* 100k pending timers: adds and cancels are exact, whatever the load. */
#define MANY 100000
static timer_id_t ids[MANY];

START_TEST(test_many_timers)
{
	ck_assert(runtime_init(2, 4));
	srand(42);
	uint64_t start = time_monotonic_ms();
	for (size_t i = 0; i < MANY; i++) {
		/* due in an hour: none fires during the test */
		ids[i] = sched_after_ms(3600000 + (uint64_t)(rand() % 100000), count_job, NULL);
		ck_assert_uint_ne(ids[i], 0);
	}
	uint64_t added = time_monotonic_ms();
	ck_assert_uint_eq(sched_pending(), MANY);
	for (size_t i = 0; i < MANY; i += 2)
		ck_assert(sched_cancel(ids[i]));
	uint64_t cancelled = time_monotonic_ms();
	ck_assert_uint_eq(sched_pending(), MANY / 2);
	for (size_t i = 0; i < MANY; i += 2)
		ck_assert(!sched_cancel(ids[i]));    /* gone */
	for (size_t i = 1; i < MANY; i += 2)
		ck_assert(sched_cancel(ids[i]));
	ck_assert_uint_eq(sched_pending(), 0);
	fprintf(stderr, "scheduler: %d adds in %llu ms, %d cancels in %llu ms\n", MANY,
	        (unsigned long long)(added - start), MANY / 2,
	        (unsigned long long)(cancelled - added));
	runtime_deinit();
}
END_TEST

/* Timers due while being cancelled: each either fires once or is
 * cancelled (sched_cancel true), never both, never neither. */
#define RACE 20000
static _Atomic uint8_t fired[RACE];
static _Atomic bool cancelled_ok[RACE];
static _Atomic int n_done;

static void race_job(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	atomic_fetch_add(&fired[i], 1);
	atomic_fetch_add(&n_done, 1);
}

START_TEST(test_cancel_race)
{
	static timer_id_t rids[RACE];
	ck_assert(runtime_init(2, 4));
	for (size_t i = 0; i < RACE; i++)
		rids[i] = sched_after_ms((uint64_t)(rand() % 200), race_job, (void *)(uintptr_t)i);
	int n_cancelled = 0;
	for (size_t i = 0; i < RACE; i += 2) {
		bool ok = sched_cancel(rids[i]);
		atomic_store(&cancelled_ok[i], ok);
		if (ok) {
			atomic_fetch_add(&n_done, 1);
			n_cancelled++;
		}
	}
	wait_for(&n_done, RACE, 20000);
	runtime_deinit();   /* drains the jobs of timers that fired */
	ck_assert_int_eq(atomic_load(&n_done), RACE);
	for (size_t i = 0; i < RACE; i++) {
		int f = atomic_load(&fired[i]);
		bool c = atomic_load(&cancelled_ok[i]);
		ck_assert_msg(f + (c ? 1 : 0) == 1, "timer %zu: fired %d times, cancelled %d", i, f, c);
	}
	fprintf(stderr, "scheduler race: %d of %d cancelled before firing\n", n_cancelled, RACE / 2);
}
END_TEST

START_TEST(test_job_throughput)
{
	ck_assert(runtime_init(2, 2));
	atomic_store(&counter, 0);
	uint64_t start = time_monotonic_ms();
	for (int i = 0; i < 500000; i++)
		job_queue(count_job, NULL);
	wait_for(&counter, 500000, 20000);
	uint64_t ms = time_monotonic_ms() - start;
	ck_assert_int_eq(atomic_load(&counter), 500000);
	fprintf(stderr, "jobs: 500000 in %llu ms (%.0f jobs/s)\n", (unsigned long long)ms,
	        500000.0 * 1000 / (double)(ms ? ms : 1));
	runtime_deinit();
}
END_TEST

/* Event loop */
static int pipefd[2];
static _Atomic int reads;

static void on_readable(int fd, uint32_t events, void *arg)
{
	char buf[16];
	ck_assert(events & EPOLLIN);
	ck_assert_ptr_eq(arg, &pipefd);
	ssize_t n = read(fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	if (atomic_fetch_add(&reads, 1) + 1 == 2)
		runtime_stop();
}

static void write_job(void *arg)
{
	ssize_t n = write(pipefd[1], "x", 1);
	(void)n;
}

START_TEST(test_loop)
{
	ck_assert(runtime_init(1, 2));
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert(loop_watch_fd(pipefd[0], EPOLLIN, on_readable, &pipefd));
	/* watching again modifies, does not fail */
	ck_assert(loop_watch_fd(pipefd[0], EPOLLIN, on_readable, &pipefd));
	ck_assert(!loop_watch_fd(-1, EPOLLIN, on_readable, NULL));
	atomic_store(&reads, 0);
	job_queue(write_job, NULL);
	sched_after_ms(50, write_job, NULL);
	runtime_run();   /* returns on the second read */
	ck_assert_int_eq(atomic_load(&reads), 2);

	/* unwatched: writes are not seen */
	loop_unwatch_fd(pipefd[0]);
	loop_unwatch_fd(pipefd[0]);   /* twice is harmless */
	write_job(NULL);
	sched_after_ms(100, (job_fn_t)runtime_stop, NULL);
	runtime_run();
	ck_assert_int_eq(atomic_load(&reads), 2);
	close(pipefd[0]);
	close(pipefd[1]);
	runtime_deinit();
}
END_TEST

START_TEST(test_stop_before_run)
{
	ck_assert(runtime_init(1, 1));
	ck_assert(!runtime_init(1, 1));   /* twice is refused */
	runtime_stop();
	runtime_run();   /* returns at once: the stop is remembered */
	runtime_deinit();
	runtime_deinit();   /* twice is harmless */
	/* and the runtime can start again */
	ck_assert(runtime_init(0, -1));   /* clamped to 1..1 */
	ck_assert_int_eq(runtime_threads(), 1);
	runtime_deinit();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("runtime");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jobs_drain);
	tcase_add_test(tc, test_pool_grows);
	tcase_add_test(tc, test_pool_bounded);
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_cancel);
	tcase_add_test(tc, test_many_timers);
	tcase_add_test(tc, test_cancel_race);
	tcase_add_test(tc, test_job_throughput);
	tcase_add_test(tc, test_loop);
	tcase_add_test(tc, test_stop_before_run);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
