/*
 * message.h - IKEv2 messages: parsing, checking, building, generating,
 * and SK protection (RFC 7296 §3.1, §3.14; RFC 5282 for AEAD).
 *
 * Life of a received message (what the engine does):
 *
 *   ike_header_t hdr;  codec_error_t err;
 *   if (ike_parse_header(pkt, &hdr, &err) != CODEC_OK) ... (look up SA by hdr.spi_i/spi_r)
 *   message_t *m;
 *   if (message_parse(pkt, &m, &err) != CODEC_OK) -> err.notify tells what to answer
 *   if (message_has_sk(m))      message_decrypt(m, &sa->sk_in, &err);
 *   else if (message_has_skf(m)) frag_reasm_add(...)   (fragment.h)
 *   (m->decrypted now says the payloads were authenticated)
 *   ... message_find(m, PL_NONCE), message_find_notify(m, N_COOKIE), m->payloads[i] ...
 *   message_destroy(m);
 *
 * The payload rules of RFC 7296 (which payloads each exchange allows and
 * requires, for requests and responses) are checked by message_check();
 * message_parse() calls it for messages without SK/SKF and for every
 * IKE_SA_INIT message, message_decrypt() and fragment reassembly call it on
 * the decrypted message.
 *
 * Building and sending:
 *
 *   message_t *m = message_create(EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, spi_i, spi_r, 1);
 *   message_add_id(m, PL_IDI, ID_FQDN, chunk_from_str("a.example"));
 *   message_add_auth(m, AUTH_PSK, auth);
 *   ...
 *   message_generate_sk(m, &sa->sk_out, &pkt, &err);  (message_generate for IKE_SA_INIT,
 *   message_generate_fragments when it exceeds the MTU and the peer does RFC 7383)
 *   ... send pkt; chunk_free(&pkt); message_destroy(m);
 *
 * The codec logs nothing: every failure is described in a codec_error_t
 * (status, notify to answer with, payload type, byte offset and a text) for
 * the caller to log at DBG_CODEC.  The codec knows no algorithm: SK payloads
 * are protected through the crypto.h objects in an sk_ctx_t.
 */
#ifndef IKEV2D_CODEC_MESSAGE_H
#define IKEV2D_CODEC_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/chunk.h>
#include <ikev2d/crypto.h>
#include <ikev2d/ikev2.h>

#include "codec/payload.h"

/* ------------------------------------------------------------- errors */
typedef enum {
	CODEC_OK = 0,
	/* Shorter than an IKE header, or the header's length field does not
	 * match the datagram: drop silently (RFC 7296 §2.21.1 lets us). */
	CODEC_TRUNCATED,
	/* Major version != 2: answer N_INVALID_MAJOR_VERSION (unprotected). */
	CODEC_BAD_VERSION,
	/* Unknown payload type with the critical bit set: answer
	 * N_UNSUPPORTED_CRITICAL_PAYLOAD with err.payload as its data. */
	CODEC_UNSUPPORTED_CRITICAL,
	/* Malformed payload, a limit exceeded, or the exchange's payload
	 * rules violated: answer N_INVALID_SYNTAX (in an established SA). */
	CODEC_INVALID_SYNTAX,
	/* ICV did not verify or the ciphertext is malformed: drop silently
	 * (RFC 7296 §2.21.2). */
	CODEC_INTEGRITY,
	/* A crypto object failed, or a needed one is missing: local error. */
	CODEC_CRYPTO,
	/* Building: too many payloads, or the message would exceed
	 * CODEC_MAX_MESSAGE_LEN: local error. */
	CODEC_TOO_BIG,
	/* A fragment was dropped by reassembly (duplicate, out of range,
	 * superseded): not an error, just do nothing. */
	CODEC_FRAG_IGNORED,
} codec_status_t;

typedef struct {
	codec_status_t status;
	/* Notify type to answer with (N_INVALID_SYNTAX,
	 * N_UNSUPPORTED_CRITICAL_PAYLOAD, N_INVALID_MAJOR_VERSION) or 0 when
	 * the message is to be dropped without an answer. */
	uint16_t notify;
	/* Type of the payload being parsed when it failed (for
	 * CODEC_UNSUPPORTED_CRITICAL: the unsupported type), 0 for the header. */
	uint8_t payload;
	/* Byte offset in the message (in the SK plaintext when
	 * 'inner' is set) where the failing item starts. */
	uint32_t offset;
	bool inner;
	char text[128];  /* human-readable, for log_verbose(DBG_CODEC, ...) */
} codec_error_t;

/* "truncated", "invalid syntax", ... */
const char *codec_status_name(codec_status_t status);

/* ------------------------------------------------------------- header */
typedef struct {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next_payload;  /* type of the first payload */
	uint8_t major;         /* 2 */
	uint8_t minor;
	uint8_t exchange;      /* exchange_type_t (unknown values carried) */
	uint8_t flags;         /* IKE_FLAG_* (reserved bits carried) */
	uint32_t message_id;
	uint32_t length;       /* length field: whole message */
} ike_header_t;

/* Parse and check the 28-byte header only (SPI lookup before parsing the
 * rest): data.len >= 28, length field == data.len <= CODEC_MAX_MESSAGE_LEN,
 * major version 2. */
codec_status_t ike_parse_header(chunk_t data, ike_header_t *hdr,
                                codec_error_t *err);

static inline bool ike_header_is_response(const ike_header_t *h)
{
	return (h->flags & IKE_FLAG_RESPONSE) != 0;
}
static inline bool ike_header_is_initiator(const ike_header_t *h)
{
	return (h->flags & IKE_FLAG_INITIATOR) != 0;
}

/* ------------------------------------------------------------ message */
typedef struct codec_arena_block codec_arena_block_t;

typedef struct message {
	ike_header_t hdr;
	/* The message as received (a private copy), or as last generated by
	 * message_generate/_sk; chunk_empty for a message built and not yet
	 * generated.  The engine signs/verifies the IKE_SA_INIT messages over
	 * these bytes (RFC 7296 §2.15). */
	chunk_t raw;
	/* The payloads came out of an SK payload or reassembled SKF fragments
	 * whose ICV verified: the message is authenticated.  False for
	 * IKE_SA_INIT and for unprotected messages (which, in the other
	 * exchanges, message_check only lets through when they hold nothing
	 * but error Notifies: treat those as unauthenticated hints). */
	bool decrypted;
	size_t count;                       /* payloads[0..count) */
	payload_t payloads[CODEC_MAX_PAYLOADS];
	/* private: arena of the message (payload data, arrays) */
	codec_arena_block_t *arena;
	uint8_t *arena_pos;
	size_t arena_left;
	size_t inline_size;   /* bytes of arena allocated with the message */
	bool wipe;            /* arena held decrypted data: wipe when freed */
} message_t;

/* Parse a whole message: header, then the plaintext payload chain.  An SK
 * or SKF payload stays undecrypted (type PL_SK/PL_SKF, u.sk) until
 * message_decrypt()/frag_reasm_add().  Unknown non-critical payloads are
 * kept with type as received and u.unknown; they are skipped by the rules.
 * Messages without SK/SKF, and every IKE_SA_INIT message, are checked with
 * message_check() (so an SK payload in IKE_SA_INIT is INVALID_SYNTAX).  On success
 * *out is a new message (message_destroy it); on failure *out is NULL and
 * err says why. */
codec_status_t message_parse(chunk_t data, message_t **out, codec_error_t *err);

/* Check the exchange's payload rules (a declarative table: exchange,
 * request/response, which payloads are allowed and how many are required,
 * whether they must be encrypted).  Unknown exchanges pass (the engine
 * rejects them).  Failure is CODEC_INVALID_SYNTAX. */
codec_status_t message_check(const message_t *m, codec_error_t *err);

/* A new empty message to fill with message_add_*(). */
message_t *message_create(uint8_t exchange, uint8_t flags, uint64_t spi_i,
                          uint64_t spi_r, uint32_t message_id);
void message_destroy(message_t *m);

static inline bool message_is_response(const message_t *m)
{
	return ike_header_is_response(&m->hdr);
}

/* Whether the (outer) payload chain holds an SK / SKF payload. */
bool message_has_sk(const message_t *m);
bool message_has_skf(const message_t *m);

/* First payload of a type, the next one after 'prev', or NULL. */
payload_t *message_find(const message_t *m, uint8_t type);
payload_t *message_find_next(const message_t *m, const payload_t *prev,
                             uint8_t type);
/* First Notify of a given notify type, or NULL. */
notify_payload_t *message_find_notify(const message_t *m, uint16_t type);
/* First error Notify (type < 16384), or NULL. */
notify_payload_t *message_find_error_notify(const message_t *m);

/* One-line summary for logs: "IKE_AUTH request 1 [ IDi AUTH SA TSi TSr N(INITIAL_CONTACT) ]".
 * Writes at most len bytes (NUL-terminated), returns buf. */
char *message_summary(const message_t *m, char *buf, size_t len);

/* ---------------------------------------------------------- building
 * Each adder copies its data into the message and returns the new payload
 * (to adjust fields, e.g. the critical bit), or NULL when the message already
 * has CODEC_MAX_PAYLOADS payloads or a count exceeds its limit. */
payload_t *message_add_sa(message_t *m, const proposal_t *proposals, size_t n);
payload_t *message_add_ke(message_t *m, uint16_t group, chunk_t data);
payload_t *message_add_id(message_t *m, uint8_t pl_type /* PL_IDI/PL_IDR */,
                          uint8_t id_type, chunk_t data);
payload_t *message_add_cert(message_t *m, uint8_t pl_type /* PL_CERT/PL_CERTREQ */,
                            uint8_t encoding, chunk_t data);
payload_t *message_add_auth(message_t *m, uint8_t method, chunk_t data);
payload_t *message_add_nonce(message_t *m, chunk_t nonce);
payload_t *message_add_notify(message_t *m, uint8_t protocol, chunk_t spi,
                              uint16_t type, chunk_t data);
payload_t *message_add_delete(message_t *m, uint8_t protocol,
                              const uint32_t *spis, size_t n);
payload_t *message_add_vendor(message_t *m, chunk_t vid);
payload_t *message_add_ts(message_t *m, uint8_t pl_type /* PL_TSI/PL_TSR */,
                          const ts_t *ts, size_t n);
payload_t *message_add_cp(message_t *m, uint8_t cfg_type,
                          const cp_attr_t *attrs, size_t n);
payload_t *message_add_eap(message_t *m, chunk_t eap);
/* A payload of any type with a raw body (tests, unknown payloads). */
payload_t *message_add_raw(message_t *m, uint8_t type, bool critical, chunk_t body);

/* Memory owned by the message (freed with it), for callers that fill
 * payload structs themselves. */
void *message_alloc(message_t *m, size_t len);
chunk_t message_copy(message_t *m, chunk_t data);

/* Encode header and payloads (none may be SK/SKF: plaintext messages,
 * i.e. IKE_SA_INIT and unprotected error answers).  *out is freshly
 * allocated (chunk_free it); m->raw is set to a copy too. */
codec_status_t message_generate(message_t *m, chunk_t *out, codec_error_t *err);

/* --------------------------------------------------------- protection */
/* The crypto objects of one direction of an IKE SA, keyed by the caller
 * (outbound: SK_ei/SK_ai for the original initiator, SK_er/SK_ar for the
 * responder; inbound the other pair).  Either aead, or crypter + signer. */
typedef struct {
	aead_t *aead;
	crypter_t *crypter;
	signer_t *signer;
	/* Random IVs for CBC (RFC 7296 §3.14: unpredictable).  Counter-mode
	 * and AEAD ciphers use iv_seq below instead (RFC 3686, RFC 5282: IVs
	 * must be unique per key, need not be random). */
	rng_t *rng;
	uint64_t iv_seq;
} sk_ctx_t;

/* Encode the message with all its payloads inside one SK payload:
 * IV (crypter/aead IV size), payloads, zero padding to the block size, pad
 * length, ICV.  AEAD: associated data = IKE header + SK payload header
 * (RFC 5282 §5.1).  Otherwise encrypt, then MAC over header..ciphertext. */
codec_status_t message_generate_sk(message_t *m, sk_ctx_t *sk, chunk_t *out,
                                   codec_error_t *err);

/* The message's SK payload: verify its ICV, decrypt, check padding, parse
 * the inner chain (next payload type from the SK header) and replace the SK
 * payload by the inner payloads (encrypted = true); then message_check().
 * The SK payload must be the last one.  On any failure (ICV ->
 * CODEC_INTEGRITY, bad padding or inner payloads -> CODEC_INVALID_SYNTAX /
 * CODEC_UNSUPPORTED_CRITICAL) the payload list is left as it was. */
codec_status_t message_decrypt(message_t *m, sk_ctx_t *sk, codec_error_t *err);

/* Bytes an SK payload adds around 'plain_len' bytes of inner payloads
 * (header + IV + padding + pad length + ICV), for MTU decisions. */
size_t sk_overhead(const sk_ctx_t *sk, size_t plain_len);

/* Lower level, also used by fragment.c and the fuzzer: parse a plaintext
 * inner payload chain (first payload type 'first') and append its payloads
 * to m, marked encrypted; no rules checked.  'chain' must stay alive as long
 * as m (copy it with message_copy first). */
codec_status_t message_parse_chain(message_t *m, uint8_t first, chunk_t chain,
                                   bool encrypted, codec_error_t *err);

#endif
