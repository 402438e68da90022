/*
 * test_secmem.c - the secure allocator for keys (core/lib/secmem.c): its
 * memory is mlocked and out of core dumps as the kernel reports it
 * (/proc/self/smaps), wiped when freed, given back by chunk_free and
 * chunk_clear; a failing mlock (RLIMIT_MEMLOCK) leaves usable memory and
 * one clear log line.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>
#include "lib/secmem.h"

#include "locked_mem.h"

/* RLIMIT_MEMLOCK's soft limit up to the hard one, as the daemon does. */
static void setup(void)
{
	secmem_init();
}

START_TEST(locked_and_undumpable)
{
	size_t sizes[] = { 1, 20, 32, 33, 48, 64, 200, 1000, 4096 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = secmem_alloc(sizes[i]);
		memset(p[i], 0xa5, sizes[i]);
		ck_assert(secmem_owns(p[i]));
		mem_flags_t f = mem_flags(p[i]);
		ck_assert_msg(f.found, "no mapping holds %p", p[i]);
		ck_assert_msg(f.locked && f.locked_kb > 0,
		              "%zu bytes not in locked pages (Locked: %lu kB)",
		              sizes[i], f.locked_kb);
		ck_assert_msg(f.dontdump, "%zu bytes would be in a core dump", sizes[i]);
	}
	/* slots of a class do not overlap */
	ck_assert_ptr_ne(p[2], p[4]);
	secmem_stats_t st;
	secmem_stats(&st);
	ck_assert_uint_gt(st.locked, 0);
	ck_assert_uint_eq(st.unlocked, 0);
	ck_assert_uint_eq(st.mlock_failures, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		secmem_free(p[i]);
	secmem_stats(&st);
	ck_assert_uint_eq(st.in_use, 0);
	/* not ours: heap, stack, NULL */
	void *h = malloc(16);
	int on_stack;
	ck_assert(!secmem_owns(h));
	ck_assert(!secmem_owns(&on_stack));
	ck_assert(!secmem_owns(NULL));
	free(h);
}
END_TEST

START_TEST(wiped_on_free)
{
	uint8_t *p = secmem_alloc(64);
	memset(p, 0x5a, 64);
	secmem_free(p);
	/* the arena stays mapped: the slot is zero past its free-list link */
	for (size_t i = sizeof(void *); i < 64; i++)
		ck_assert_msg(p[i] == 0, "byte %zu not wiped", i);
	/* the same slot is handed out again */
	uint8_t *q = secmem_alloc(60);
	ck_assert_ptr_eq(p, q);
	secmem_free(q);

	/* large: a mapping of its own, locked, gone after the free */
	uint8_t *big = secmem_alloc(3 * SECMEM_MAX_SLOT);
	memset(big, 1, 3 * SECMEM_MAX_SLOT);
	mem_flags_t f = mem_flags(big);
	ck_assert(f.found && f.locked && f.dontdump);
	secmem_free(big);
	ck_assert(!secmem_owns(big));
}
END_TEST

START_TEST(chunks)
{
	uint8_t key[40];
	memset(key, 7, sizeof(key));
	chunk_t a = chunk_clone_secure(chunk_create(key, sizeof(key)));
	ck_assert(chunk_equals(a, chunk_create(key, sizeof(key))));
	ck_assert(secmem_owns(a.ptr));
	ck_assert(mem_flags(a.ptr).locked);
	chunk_t b = chunk_alloc_secure(100);
	chunk_t c = chunk_alloc(100);   /* an ordinary one next to them */
	ck_assert(!secmem_owns(c.ptr));
	chunk_clear(&a);
	chunk_free(&b);
	chunk_clear(&c);
	ck_assert_ptr_null(a.ptr);
	secmem_stats_t st;
	secmem_stats(&st);
	ck_assert_uint_eq(st.in_use, 0);
}
END_TEST

/* mlock refused: the memory still works, one error line says why. */
static char logged[1024];
static void on_log(bus_listener_t *l, dbg_group_t group, dbg_level_t level,
                   const char *msg)
{
	(void)l;
	if (group == DBG_KEY && level == LVL_ERROR && strstr(msg, "key memory"))
		snprintf(logged, sizeof(logged), "%s", msg);
}

START_TEST(mlock_refused)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* without privilege (root's CAP_IPC_LOCK ignores the limit) */
		if (geteuid() == 0 && (setresgid(65534, 65534, 65534) < 0 ||
		                       setresuid(65534, 65534, 65534) < 0))
			_exit(10);
		struct rlimit none = { 0, 0 };
		if (setrlimit(RLIMIT_MEMLOCK, &none) < 0)
			_exit(11);
		bus_listener_t l = { .log = on_log };
		bus_add_listener(&l);
		uint8_t *p = secmem_alloc(32);
		memset(p, 1, 32);
		secmem_stats_t st;
		secmem_stats(&st);
		if (st.locked || !st.unlocked || st.mlock_failures != 1)
			_exit(12);
		if (!strstr(logged, "RLIMIT_MEMLOCK") || !strstr(logged, "LimitMEMLOCK"))
			_exit(13);
		mem_flags_t f = mem_flags(p);
		if (!f.found || f.locked || !f.dontdump)
			_exit(14);
		secmem_free(p);
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "child failed at step %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secmem");
	TCase *tc = tcase_create("secmem");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, locked_and_undumpable);
	tcase_add_test(tc, wiped_on_free);
	tcase_add_test(tc, chunks);
	tcase_add_test(tc, mlock_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
