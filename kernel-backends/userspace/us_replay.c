/*
 * us_replay.c - RFC 6479 anti-replay bitmap with ESN inference (see
 * us_replay.h).
 */
#include "us_replay.h"

#include <stdlib.h>
#include <string.h>

#include <ikev2d/chunk.h>

bool replay_init(replay_t *r, uint32_t window, bool esn)
{
	uint32_t n = 1;

	memset(r, 0, sizeof(*r));
	if (window == 0 || window > US_REPLAY_MAX)
		return false;
	/* One spare block: the block holding `top` may be partly ahead of
	 * the window while the oldest block is partly behind it. */
	while ((uint64_t)n * 64 < (uint64_t)window + 64)
		n <<= 1;
	r->window = window;
	r->n_blocks = n;
	r->esn = esn;
	r->bits = xzalloc((size_t)n * sizeof(uint64_t));
	return true;
}

void replay_free(replay_t *r)
{
	free(r->bits);
	r->bits = NULL;
}

uint64_t replay_infer(const replay_t *r, uint32_t seq_lo)
{
	if (!r->esn)
		return seq_lo;
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->window;

	if (tl >= w - 1) {
		/* the window lies within one 2^32 subspace (Appendix A, case A) */
		if (seq_lo >= tl - w + 1)
			return (uint64_t)th << 32 | seq_lo;
		return (uint64_t)(th + 1) << 32 | seq_lo;
	}
	/* it spans two subspaces (case B) */
	if (seq_lo >= tl - w + 1 /* wraps */ && th > 0)
		return (uint64_t)(th - 1) << 32 | seq_lo;
	return (uint64_t)th << 32 | seq_lo;
}

static uint64_t bit_mask(const replay_t *r, uint64_t seq, uint32_t *block)
{
	uint64_t index = seq >> 6;
	*block = (uint32_t)(index & (r->n_blocks - 1));
	return (uint64_t)1 << (seq & 63);
}

replay_verdict_t replay_check(const replay_t *r, uint64_t seq)
{
	uint32_t block;
	uint64_t mask;

	if (seq == 0)
		return REPLAY_OLD;   /* numbers start at 1 and never wrap to 0 */
	if (seq > r->top)
		return REPLAY_OK;
	if (r->top - seq >= r->window)
		return REPLAY_OLD;
	mask = bit_mask(r, seq, &block);
	return (r->bits[block] & mask) ? REPLAY_SEEN : REPLAY_OK;
}

replay_verdict_t replay_update(replay_t *r, uint64_t seq)
{
	replay_verdict_t v = replay_check(r, seq);
	uint32_t block;
	uint64_t mask;

	if (v != REPLAY_OK)
		return v;
	if (seq > r->top) {
		uint64_t cur = r->top >> 6, next = seq >> 6;
		uint64_t diff = next - cur;
		if (diff > r->n_blocks)
			diff = r->n_blocks;
		/* clear the blocks the window slides into */
		for (uint64_t i = 1; i <= diff; i++)
			r->bits[(cur + i) & (r->n_blocks - 1)] = 0;
		r->top = seq;
	}
	mask = bit_mask(r, seq, &block);
	r->bits[block] |= mask;
	return REPLAY_OK;
}
