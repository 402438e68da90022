/*
 * us_replay.h - the ESP anti-replay window (RFC 4303 §3.4.3) as an RFC 6479
 * bitmap: a ring of 64-bit blocks one block larger than the window, so
 * sliding forward only clears whole blocks (no shifting), with 64-bit
 * extended sequence numbers (RFC 4303 Appendix A) inferred from the 32
 * bits on the wire.
 *
 * Not thread-safe: the caller serialises check+update per SA (a short
 * per-SA lock).  Check before the ICV (cheap rejection), update only
 * after the ICV verified, and update re-checks (two packets with the same
 * number may pass check at once).
 */
#ifndef US_REPLAY_H
#define US_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

/* Largest window accepted (packets). */
#define US_REPLAY_MAX 65536

typedef enum {
	REPLAY_OK = 0,
	REPLAY_SEEN,     /* this number was received already */
	REPLAY_OLD,      /* left of the window */
} replay_verdict_t;

typedef struct {
	uint64_t top;        /* highest number accepted; 0 = none yet */
	uint32_t window;     /* packets */
	uint32_t n_blocks;   /* power of two, > window / 64 */
	bool esn;
	uint64_t *bits;      /* n_blocks */
} replay_t;

/* A window of `window` packets (1..US_REPLAY_MAX); false if out of range. */
bool replay_init(replay_t *r, uint32_t window, bool esn);
void replay_free(replay_t *r);

/* The full (64-bit) sequence number a packet carrying seq_lo most likely
 * has: seq_lo itself without ESN, else high bits chosen as Appendix A
 * says from the window's position. */
uint64_t replay_infer(const replay_t *r, uint32_t seq_lo);

/* Whether seq would be accepted (nothing changes). */
replay_verdict_t replay_check(const replay_t *r, uint64_t seq);

/* Accept seq: slide the window if it is new, mark it.  Returns the
 * verdict of the re-check; nothing changes unless REPLAY_OK. */
replay_verdict_t replay_update(replay_t *r, uint64_t seq);

#endif
