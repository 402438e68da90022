/*
 * samples.h - typical messages of every exchange, built through the codec's
 * builder API, and toy ciphers that exercise the SK code paths without a
 * crypto plugin.  Shared by the codec unit tests, the corpus replay, the
 * fuzzer and the benchmark.
 *
 * The toy ciphers are NOT cryptography: a keyed xorshift keystream and a
 * keyed FNV tag, with the sizes of real ones (IV 16 / block 16 / ICV 12 for
 * the crypter+signer pair, IV 8 / block 1 / ICV 16 for the AEAD), so that
 * padding, IV and ICV handling and tamper detection can be tested.
 */
#ifndef IKEV2D_TESTING_CODEC_SAMPLES_H
#define IKEV2D_TESTING_CODEC_SAMPLES_H

#include "codec/message.h"
#include "codec/fragment.h"

typedef enum {
	SAMPLE_INIT_REQ,
	SAMPLE_INIT_RESP,
	SAMPLE_INIT_RESP_COOKIE,
	SAMPLE_AUTH_REQ,
	SAMPLE_AUTH_RESP,
	SAMPLE_CHILD_REQ,
	SAMPLE_CHILD_RESP,
	SAMPLE_REKEY_IKE_REQ,
	SAMPLE_INFO_DELETE,
	SAMPLE_INFO_DPD_RESP,
	SAMPLE_AUTH_REQ_EAP_CP,
	SAMPLE_COUNT,
} sample_t;

/* A new message of that kind (message_destroy it). */
message_t *sample_build(sample_t which);
/* Whether the kind is sent inside SK (every exchange but IKE_SA_INIT). */
bool sample_encrypted(sample_t which);
const char *sample_name(sample_t which);

/* Toy ciphers.  Both ends of a test make their own with the same key. */
crypter_t *toy_crypter_create(uint8_t key);
signer_t *toy_signer_create(uint8_t key);
aead_t *toy_aead_create(uint8_t key);
/* An AEAD with no ICV and identity "encryption" (fuzzing reassembly). */
aead_t *null_aead_create(void);

#endif
