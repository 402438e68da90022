/*
 * nettle_rng.c - random bytes from the kernel (getrandom(2)), for both
 * qualities: the kernel CSPRNG is fit for keys once it is seeded, and
 * getrandom without GRND_NONBLOCK waits until it is.
 */
#include "nettle_plugin.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>

#include <ikev2d/bus.h>

bool nettle_random(void *buf, size_t len)
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
