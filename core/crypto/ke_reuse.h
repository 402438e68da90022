/*
 * ke_reuse.h - reuse of a Diffie-Hellman private value for a short time
 * (RFC 7296 §2.12), the daemon's ke_reuse_secs / ke_reuse_max_uses.
 *
 * ke_reuse_create() hands out a ke_t like crypto_create_ke(), but with
 * reuse on it is a light handle on a key shared with other exchanges: its
 * public value was computed once, when the key was made, and each handle
 * computes its own shared secret through the implementation's
 * compute_shared(), which leaves the key untouched (so several threads use
 * one key at once without a lock).  A key serves at most max_uses
 * exchanges and at most secs seconds; then a new one is made.  Keys are
 * kept per thread (no lock, no cache-line bouncing on the hot path); an
 * expired key is dropped by a timer even when its thread stays idle, and
 * its private value is wiped (ke->destroy) once the last handle is gone.
 *
 * With secs == 0, or a group whose implementation has no compute_shared,
 * it is exactly crypto_create_ke(): a fresh private value per exchange.
 *
 * Owner: core/crypto.
 */
#ifndef IKEV2D_CRYPTO_KE_REUSE_H
#define IKEV2D_CRYPTO_KE_REUSE_H

#include <ikev2d/crypto.h>

/* A key exchange for group: fresh, or a handle on this thread's current
 * key for the group when secs > 0 (see above).  NULL if the group is not
 * available.  The handle refuses set_private (known-answer tests use fresh
 * objects). */
ke_t *ke_reuse_create(ke_id_t group, unsigned secs, unsigned max_uses);

/* Drop every thread's kept keys now (reload, shutdown, before plugins are
 * unloaded); handles still held by exchanges keep their key alive until
 * they are destroyed. */
void ke_reuse_flush(void);

/* Keys currently made and not yet wiped (kept or still referenced). */
unsigned ke_reuse_live_keys(void);

#endif
