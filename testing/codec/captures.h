/*
 * captures.h - reader for testing/vectors/pcaps/NAME.txt: IKE messages from
 * Wireshark's test captures with their keys and expected decodes (see
 * make-expect.py there).
 */
#ifndef IKEV2D_TESTING_CODEC_CAPTURES_H
#define IKEV2D_TESTING_CODEC_CAPTURES_H

#include <ikev2d/chunk.h>
#include <stdbool.h>
#include <stdint.h>

#define CAPTURE_MAX_MSGS 8
#define CAPTURE_MAX_CHAIN 24

typedef struct {
	uint8_t type;
	uint16_t notify;  /* for Notify payloads */
} chain_item_t;

typedef struct {
	int frame;
	char exchange[32];
	unsigned flags;
	uint32_t mid;
	chunk_t data;
	chain_item_t outer[CAPTURE_MAX_CHAIN];
	int n_outer;
	bool has_plain;
	chunk_t plain;                        /* SK plaintext incl. padding */
	chain_item_t inner[CAPTURE_MAX_CHAIN];
	int n_inner;
	chunk_t auth;
} capture_msg_t;

typedef struct {
	char name[64];
	unsigned encr, key_bits, aead_icv, integ;
	uint64_t spi_i, spi_r;
	chunk_t sk_ei, sk_er, sk_ai, sk_ar;
	capture_msg_t msgs[CAPTURE_MAX_MSGS];
	int n_msgs;
} capture_t;

extern const char *const capture_names[];
extern const int capture_count;

/* Read $top_srcdir/testing/vectors/pcaps/<name>.txt; false on error
 * (printed). */
bool capture_load(const char *name, capture_t *c);
void capture_free(capture_t *c);

#endif
