/*
 * nettle_rng.c - random bytes from the kernel (getrandom(2)), for both
 * qualities: the kernel CSPRNG is fit for keys once it is seeded, and
 * getrandom without GRND_NONBLOCK waits until it is.
 *
 * Small requests (nonces, SPIs, IVs, padding: several per IKE SA, a
 * getrandom system call each was ~5% of an IKE SA's CPU) are served from a
 * per-thread pool of POOL_BYTES read from the kernel at once.  Bytes are
 * handed out once and wiped from the pool as they go.  The pool lives in
 * its own page marked MADV_WIPEONFORK, so a forked child finds it empty
 * (zero bytes available) instead of repeating its parent's bytes; where
 * the kernel lacks that (before Linux 4.14) no pool is used.  Large
 * requests go straight to the kernel.
 */
#define _GNU_SOURCE
#include "nettle_plugin.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ikev2d/bus.h>

/* Read ahead per thread; requests above POOL_MAX_REQUEST bypass it. */
#define POOL_BYTES 1024
#define POOL_MAX_REQUEST 128

typedef struct {
	size_t avail;              /* unused bytes at the start of buf; 0 after fork */
	uint8_t buf[POOL_BYTES];
} pool_t;

static pthread_key_t pool_key;
static bool pool_key_ok;
static pthread_mutex_t pool_key_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local pool_t *my_pool;
static _Thread_local bool my_pool_failed;

static bool kernel_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t got = getrandom(p, len, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error(DBG_CRYPTO, "nettle: getrandom failed: %s",
			          strerror(errno));
			return false;
		}
		p += got;
		len -= (size_t)got;
	}
	return true;
}

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 && (size_t)ps >= sizeof(pool_t) ? (size_t)ps : sizeof(pool_t);
}

static void pool_free(void *arg)
{
	pool_t *p = arg;

	memwipe(p, sizeof(*p));
	munmap(p, page_size());
}

/* This thread's pool, made on first use; NULL if it cannot be had. */
static pool_t *get_pool(void)
{
	if (my_pool || my_pool_failed)
		return my_pool;
	pthread_mutex_lock(&pool_key_lock);
	if (!pool_key_ok)
		pool_key_ok = pthread_key_create(&pool_key, pool_free) == 0;
	pthread_mutex_unlock(&pool_key_lock);
	void *m = pool_key_ok ? mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
	                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
	if (m == MAP_FAILED) {
		my_pool_failed = true;
		return NULL;
	}
	if (madvise(m, page_size(), MADV_WIPEONFORK) != 0 ||
	    pthread_setspecific(pool_key, m) != 0) {
		munmap(m, page_size());
		my_pool_failed = true;
		return NULL;
	}
	/* What is read ahead becomes private values and nonces: kept out of
	 * core dumps and swap as secure memory is (the system call: the
	 * sanitizers' runtimes make mlock(3) a no-op).  A failed lock (the
	 * RLIMIT_MEMLOCK that secure memory logs) leaves the pool usable. */
	(void)madvise(m, page_size(), MADV_DONTDUMP);
	(void)syscall(SYS_mlock, m, page_size());
	my_pool = m;   /* avail = 0: filled on first use */
	return my_pool;
}

bool nettle_random(void *buf, size_t len)
{
	if (len == 0)
		return true;   /* buf may be NULL then */
	pool_t *p = len <= POOL_MAX_REQUEST ? get_pool() : NULL;

	if (!p)
		return kernel_random(buf, len);
	if (p->avail < len) {
		if (!kernel_random(p->buf, sizeof(p->buf)))
			return false;
		p->avail = sizeof(p->buf);
	}
	/* Take from the end of what is left, and wipe what was taken. */
	p->avail -= len;
	memcpy(buf, p->buf + p->avail, len);
	memwipe(p->buf + p->avail, len);
	return true;
}

void nettle_rng_cleanup(void)
{
	/* Called when the plugin is unloaded: no destructor may point into
	 * the module afterwards.  This thread's pool goes now; other threads'
	 * pages stay mapped (wiped as used, one page each). */
	pthread_mutex_lock(&pool_key_lock);
	if (pool_key_ok) {
		if (my_pool) {
			pthread_setspecific(pool_key, NULL);
			pool_free(my_pool);
		}
		pthread_key_delete(pool_key);
		pool_key_ok = false;
	}
	pthread_mutex_unlock(&pool_key_lock);
	my_pool = NULL;
	my_pool_failed = false;
}

static bool get_bytes(rng_t *r, size_t len, uint8_t *out)
{
	if (len && !out)
		return false;
	return nettle_random(out, len);
}

static void destroy(rng_t *r)
{
	free(r);
}

rng_t *nettle_rng_create(rng_quality_t quality)
{
	if (quality != RNG_WEAK && quality != RNG_STRONG)
		return NULL;
	rng_t *self = xzalloc(sizeof(*self));
	*self = (rng_t){
		.get_bytes = get_bytes,
		.destroy = destroy,
	};
	return self;
}
