/*
 * secmem.c - locked, undumpable, wiped memory for keys (secmem.h).
 */
#include "lib/secmem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

/* Powers of two up to a page, then two sizes for Nettle's contexts: an
 * AES-GCM one (a 4 KiB key table) is 4.5 KiB with its object. */
static const size_t classes[] = { 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                  4608, 8192 };
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

typedef struct arena {
	uint8_t *base;
	size_t len;
	size_t slot;            /* slot size; 0: one large allocation */
	bool locked;
} arena_t;

typedef struct free_slot {
	struct free_slot *next;
} free_slot_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Every arena, sorted by base address: chunk_free asks about every chunk
 * it frees, and an IKE SA's keys and contexts take a few slots, so there
 * can be thousands (binary search). */
static arena_t **arenas;
static size_t n_arenas, cap_arenas;
static free_slot_t *free_lists[N_CLASSES];
static secmem_stats_t stats;
/* Bounds of every arena ever mapped: a quick "not ours" for chunk_free. */
static _Atomic uintptr_t lo = UINTPTR_MAX, hi;

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

/* mlock(2) and munlock(2) as system calls: the sanitizers' runtimes
 * replace the libc functions with ones that do nothing and return 0
 * (ASan, TSan), so a sanitizer build would believe keys locked that are
 * not; the kernel's answer is the only one that counts. */
static int lock_pages(void *p, size_t len)
{
	return (int)syscall(SYS_mlock, p, len);
}

static void unlock_pages(void *p, size_t len)
{
	(void)syscall(SYS_munlock, p, len);
}

void secmem_limit_str(char *buf, size_t len)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		snprintf(buf, len, "?");
	else if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
}

static void log_mlock_failure(size_t len, int err)
{
	char lim[32];

	secmem_limit_str(lim, sizeof(lim));
	log_error(DBG_KEY, "key memory: mlock of %zu bytes failed (%s; "
	          "RLIMIT_MEMLOCK %s, %zu KiB locked so far): IKE and CHILD SA "
	          "keys may be swapped to disk; raise the limit (systemd: "
	          "LimitMEMLOCK=, a shell: ulimit -l)", len, strerror(err), lim,
	          stats.locked / 1024);
}

/* A fresh mapping of len bytes (a multiple of the page size), locked if
 * it can be and out of core dumps; lock held. */
static arena_t *map_arena(size_t len, size_t slot)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "in.ikev2d: out of memory (secure memory, %zu bytes)\n", len);
		abort();
	}
	arena_t *a = xzalloc(sizeof(*a));
	a->base = p;
	a->len = len;
	a->slot = slot;
	(void)madvise(p, len, MADV_DONTDUMP);
	if (lock_pages(p, len) == 0) {
		a->locked = true;
		stats.locked += len;
	} else {
		int err = errno;
		stats.unlocked += len;
		/* once, then every 64th: the log must not fill with it */
		if (stats.mlock_failures++ % 64 == 0)
			log_mlock_failure(len, err);
	}
	if (n_arenas == cap_arenas) {
		cap_arenas = cap_arenas ? 2 * cap_arenas : 64;
		arenas = xrealloc(arenas, cap_arenas * sizeof(*arenas));
	}
	size_t i = n_arenas;
	while (i > 0 && arenas[i - 1]->base > a->base) {
		arenas[i] = arenas[i - 1];
		i--;
	}
	arenas[i] = a;
	n_arenas++;
	uintptr_t b = (uintptr_t)p, e = b + len;
	if (b < atomic_load(&lo))
		atomic_store(&lo, b);
	if (e > atomic_load(&hi))
		atomic_store(&hi, e);
	return a;
}

void *secmem_alloc(size_t len)
{
	if (!len)
		len = 1;
	pthread_mutex_lock(&lock);
	if (len > SECMEM_MAX_SLOT) {
		size_t ps = page_size();
		arena_t *a = map_arena((len + ps - 1) / ps * ps, 0);
		stats.in_use += a->len;
		pthread_mutex_unlock(&lock);
		return a->base;
	}
	size_t c = 0;
	while (classes[c] < len)
		c++;
	if (!free_lists[c]) {
		/* the larger classes: 8 slots, a whole number of pages */
		size_t alen = classes[c] <= SECMEM_ARENA / 8 ? SECMEM_ARENA : 8 * classes[c];
		arena_t *a = map_arena(alen, classes[c]);
		/* thread the slots, lowest address first */
		for (size_t off = a->len; off >= classes[c]; off -= classes[c]) {
			free_slot_t *s = (free_slot_t *)(a->base + off - classes[c]);
			s->next = free_lists[c];
			free_lists[c] = s;
		}
	}
	free_slot_t *s = free_lists[c];
	free_lists[c] = s->next;
	s->next = NULL;
	stats.in_use += classes[c];
	pthread_mutex_unlock(&lock);
	return s;
}

/* The index of the arena holding ptr, or -1; lock held. */
static ptrdiff_t find(const void *ptr)
{
	const uint8_t *p = ptr;
	size_t lo_i = 0, hi_i = n_arenas;

	while (lo_i < hi_i) {    /* the last arena starting at or below p */
		size_t mid = lo_i + (hi_i - lo_i) / 2;
		if (arenas[mid]->base <= p)
			lo_i = mid + 1;
		else
			hi_i = mid;
	}
	if (lo_i == 0)
		return -1;
	arena_t *a = arenas[lo_i - 1];
	return p < a->base + a->len ? (ptrdiff_t)(lo_i - 1) : -1;
}

bool secmem_owns(const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	if (!ptr || p < atomic_load(&lo) || p >= atomic_load(&hi))
		return false;
	pthread_mutex_lock(&lock);
	bool mine = find(ptr) >= 0;
	pthread_mutex_unlock(&lock);
	return mine;
}

void secmem_free(void *ptr)
{
	if (!ptr)
		return;
	pthread_mutex_lock(&lock);
	ptrdiff_t at = find(ptr);
	if (at < 0) {
		pthread_mutex_unlock(&lock);
		fprintf(stderr, "in.ikev2d: secmem_free of memory it did not give\n");
		abort();
	}
	arena_t *a = arenas[at];
	if (!a->slot) {
		/* a large allocation: wiped, unlocked, unmapped */
		memwipe(a->base, a->len);
		memmove(arenas + at, arenas + at + 1,
		        (n_arenas - (size_t)at - 1) * sizeof(*arenas));
		n_arenas--;
		stats.in_use -= a->len;
		if (a->locked) {
			unlock_pages(a->base, a->len);
			stats.locked -= a->len;
		} else {
			stats.unlocked -= a->len;
		}
		munmap(a->base, a->len);
		free(a);
		pthread_mutex_unlock(&lock);
		return;
	}
	size_t off = (size_t)((uint8_t *)ptr - a->base);
	if (off % a->slot) {
		pthread_mutex_unlock(&lock);
		fprintf(stderr, "in.ikev2d: secmem_free inside a slot\n");
		abort();
	}
	size_t c = 0;
	while (classes[c] != a->slot)
		c++;
	memwipe(ptr, a->slot);
	free_slot_t *s = ptr;
	s->next = free_lists[c];
	free_lists[c] = s;
	stats.in_use -= a->slot;
	pthread_mutex_unlock(&lock);
}

void secmem_stats(secmem_stats_t *s)
{
	pthread_mutex_lock(&lock);
	*s = stats;
	pthread_mutex_unlock(&lock);
}

void secmem_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return;
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };
		if (setrlimit(RLIMIT_MEMLOCK, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		log_verbose(DBG_KEY, "key memory: locked in RAM, RLIMIT_MEMLOCK unlimited");
	else
		log_verbose(DBG_KEY, "key memory: locked in RAM, up to %llu KiB "
		            "(RLIMIT_MEMLOCK; an IKE SA takes about 1 KiB)",
		            (unsigned long long)rl.rlim_cur / 1024);
}
