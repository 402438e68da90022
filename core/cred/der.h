/*
 * der.h - the little DER the core needs (RFC 7427 AlgorithmIdentifiers):
 * a strict reader of single-octet tags with definite, minimal lengths, and
 * a writer that nests constructed values.
 */
#ifndef IKEV2D_CRED_DER_H
#define IKEV2D_CRED_DER_H

#include <ikev2d/chunk.h>

#define DER_INTEGER    0x02
#define DER_NULL       0x05
#define DER_OID        0x06
#define DER_SEQUENCE   0x30
#define DER_CONTEXT(n) (0xa0 | (n))   /* [n] constructed, explicit */

/* Read one element with this tag from the front of *in: on success
 * *content borrows its contents and *in moves past it.  False (and *in
 * untouched) on another tag, a length that is not minimal DER or that runs
 * past the end of *in. */
bool der_get(chunk_t *in, uint8_t tag, chunk_t *content);

typedef struct {
	uint8_t *ptr;
	size_t len, size;
} der_buf_t;

void der_buf_init(der_buf_t *b);
/* A primitive element. */
void der_put(der_buf_t *b, uint8_t tag, chunk_t content);
/* Open a constructed element; pass the returned mark to der_end. */
size_t der_begin(der_buf_t *b, uint8_t tag);
void der_end(der_buf_t *b, size_t mark);
/* The encoding, handed to the caller (chunk_free). */
chunk_t der_buf_take(der_buf_t *b);

#endif
