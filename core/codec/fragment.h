/*
 * fragment.h - IKEv2 message fragmentation (RFC 7383).
 *
 * Sending: message_generate_fragments() splits the would-be SK plaintext of
 * a message over as many SKF-carrying messages as needed so that each is at
 * most max_len bytes long (the caller derives max_len from the path MTU minus
 * IP and UDP headers and the non-ESP marker on 4500; RFC 7383 §2.5.1).
 * Only used after both peers sent IKEV2_FRAGMENTATION_SUPPORTED, for
 * messages that do not fit.
 *
 * Receiving: one frag_reasm_t per IKE SA (and direction).  Each received
 * message holding an SKF payload is handed to frag_reasm_add(): the fragment
 * is verified and decrypted on its own (§2.6), then kept; when all
 * fragments of a message ID are present, the plaintexts are joined, parsed
 * and checked like an SK message, and the whole message is returned.
 * Rules of §2.6: fragment number 0 or above total -> dropped; a duplicate ->
 * dropped; a larger total for the same message ID -> start over with it; a
 * smaller total -> dropped; a new message ID -> start over.  Limits on the
 * number of fragments (CODEC_MAX_FRAGMENTS or less) and on total plaintext
 * bytes bound what a peer can make us hold.  Timeouts are the caller's: it
 * calls frag_reasm_reset() when it gives up on a message.
 */
#ifndef IKEV2D_CODEC_FRAGMENT_H
#define IKEV2D_CODEC_FRAGMENT_H

#include "codec/message.h"

/* Split m (all its payloads protected) into SKF messages of at most
 * max_len bytes each.  On success *frags is an array of *count chunks,
 * each freshly allocated: free with fragments_free(). */
codec_status_t message_generate_fragments(message_t *m, sk_ctx_t *sk,
                                          size_t max_len, chunk_t **frags,
                                          size_t *count, codec_error_t *err);
void fragments_free(chunk_t *frags, size_t count);

typedef struct frag_reasm frag_reasm_t;

/* max_frags: 1..CODEC_MAX_FRAGMENTS; max_bytes: limit on the sum of the
 * fragments' plaintext (<= CODEC_MAX_MESSAGE_LEN * 2 is sensible). */
frag_reasm_t *frag_reasm_create(size_t max_frags, size_t max_bytes);

/* Offer a parsed message that holds an SKF payload.  Returns:
 *   CODEC_OK with *done == NULL   fragment kept, message incomplete;
 *   CODEC_OK with *done != NULL   complete: *done is the reassembled message
 *                                 (header of fragment 1, payloads decrypted
 *                                 and checked; message_destroy it), state
 *                                 reset;
 *   CODEC_FRAG_IGNORED            fragment dropped per RFC 7383 (duplicate,
 *                                 out of range, older total); state kept;
 *   CODEC_INTEGRITY               ICV failed: fragment dropped, state kept;
 *   CODEC_INVALID_SYNTAX / ...    limits exceeded or reassembled message bad:
 *                                 state reset.
 * 'frag' stays the caller's (it is not kept). */
codec_status_t frag_reasm_add(frag_reasm_t *r, const message_t *frag,
                              sk_ctx_t *sk, message_t **done,
                              codec_error_t *err);

/* Whether a message is being collected, and its message ID. */
bool frag_reasm_pending(const frag_reasm_t *r, uint32_t *message_id);
/* Forget collected fragments (timeout, SA rekeyed). */
void frag_reasm_reset(frag_reasm_t *r);
void frag_reasm_destroy(frag_reasm_t *r);

#endif
