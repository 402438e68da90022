/*
 * cookie.c - stateless COOKIEs (RFC 7296 §2.6):
 *
 *     Cookie = <VersionIDofSecret> | SHA-256(Ni | IPi | SPIi | <secret>)
 *
 * The secret is random and replaced every COOKIE_ROTATE_MS; a cookie made
 * with the previous secret (version one less) is still accepted, so an
 * initiator that got one just before the change is not refused.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "net/addr.h"

#define COOKIE_ROTATE_MS (120 * 1000)
#define COOKIE_HASH_LEN 32

static void fill_random(uint8_t *buf, size_t len)
{
	if (getrandom(buf, len, 0) != (ssize_t)len)
		abort();   /* the kernel's CSPRNG does not fail once seeded */
}

void cookie_init(engine_t *e)
{
	fill_random(e->cookie_secret, sizeof(e->cookie_secret));
	fill_random(e->cookie_prev, sizeof(e->cookie_prev));
	e->cookie_version = 0;
	e->cookie_rotated_ms = time_monotonic_ms();
}

/* Rotate when due (lock held). */
static void maybe_rotate(engine_t *e)
{
	uint64_t now = time_monotonic_ms();
	if (now - e->cookie_rotated_ms < COOKIE_ROTATE_MS)
		return;
	memcpy(e->cookie_prev, e->cookie_secret, sizeof(e->cookie_prev));
	fill_random(e->cookie_secret, sizeof(e->cookie_secret));
	e->cookie_version++;
	e->cookie_rotated_ms = now;
}

static bool cookie_hash(const uint8_t secret[COOKIE_SECRET_LEN], uint64_t spi_i,
                        chunk_t ni, const struct sockaddr_storage *peer,
                        uint8_t out[COOKIE_HASH_LEN])
{
	hasher_t *h = crypto_create_hasher(HASH_SHA2_256);
	if (!h)
		return false;
	uint8_t spi[8];
	for (int i = 0; i < 8; i++)
		spi[i] = (uint8_t)(spi_i >> (56 - 8 * i));
	chunk_t parts[] = {
		ni, addr_bytes(peer), chunk_create(spi, 8),
		chunk_create((void *)secret, COOKIE_SECRET_LEN),
	};
	bool ok = h->get_hash(h, parts, 4, out);
	h->destroy(h);
	return ok;
}

chunk_t cookie_make(engine_t *e, uint64_t spi_i, chunk_t ni,
                    const struct sockaddr_storage *peer)
{
	uint8_t secret[COOKIE_SECRET_LEN], version;
	pthread_mutex_lock(&e->cookie_lock);
	maybe_rotate(e);
	memcpy(secret, e->cookie_secret, sizeof(secret));
	version = e->cookie_version;
	pthread_mutex_unlock(&e->cookie_lock);

	chunk_t c = chunk_alloc(1 + COOKIE_HASH_LEN);
	c.ptr[0] = version;
	if (!cookie_hash(secret, spi_i, ni, peer, c.ptr + 1)) {
		log_error(DBG_IKESA, "cannot compute a COOKIE: SHA-256 not available");
		chunk_free(&c);
	}
	memwipe(secret, sizeof(secret));
	return c;
}

bool cookie_verify(engine_t *e, chunk_t cookie, uint64_t spi_i, chunk_t ni,
                   const struct sockaddr_storage *peer)
{
	if (cookie.len != 1 + COOKIE_HASH_LEN)
		return false;
	uint8_t secret[COOKIE_SECRET_LEN];
	bool known = true;
	pthread_mutex_lock(&e->cookie_lock);
	maybe_rotate(e);
	if (cookie.ptr[0] == e->cookie_version)
		memcpy(secret, e->cookie_secret, sizeof(secret));
	else if (cookie.ptr[0] == (uint8_t)(e->cookie_version - 1))
		memcpy(secret, e->cookie_prev, sizeof(secret));
	else
		known = false;
	pthread_mutex_unlock(&e->cookie_lock);
	if (!known)
		return false;
	uint8_t expect[COOKIE_HASH_LEN];
	bool ok = cookie_hash(secret, spi_i, ni, peer, expect) &&
	          memeq_const(expect, cookie.ptr + 1, COOKIE_HASH_LEN);
	memwipe(secret, sizeof(secret));
	return ok;
}
