/*
 * payload.h - parsed IKEv2 payloads (RFC 7296 §3.2-§3.16, RFC 7383 §2.5).
 *
 * Every payload the parser accepts is copied into one of these structs.
 * Variable-length fields (chunk_t, arrays) point into memory owned by the
 * message_t the payload belongs to (its arena: a private copy of the
 * received bytes plus arrays), never into the caller's receive buffer, and
 * live exactly as long as that message.
 *
 * Multi-byte numbers are in host byte order.  SPIs of IKE SAs are 64-bit
 * numbers whose most significant byte is the first byte on the wire
 * (0x191ccd371a7a1f7b for the bytes 19 1c cd ...); ESP/AH SPIs likewise as
 * 32-bit numbers.
 */
#ifndef IKEV2D_CODEC_PAYLOAD_H
#define IKEV2D_CODEC_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <ikev2d/chunk.h>
#include <ikev2d/ikev2.h>
#include <ikev2d/transform.h>

/* ------------------------------------------------------------- limits
 * What a peer can make us hold.  The parser rejects (INVALID_SYNTAX) a
 * message that exceeds any of them, so nothing allocates without bound. */
#define CODEC_MAX_MESSAGE_LEN   65535  /* whole IKE message (a UDP datagram) */
#define CODEC_MAX_PAYLOADS      64     /* payloads in a message, SK inner ones included */
#define CODEC_MAX_PROPOSALS     32     /* per SA payload */
#define CODEC_MAX_TRANSFORMS    64     /* per proposal */
#define CODEC_MAX_TS            255    /* traffic selectors per TS payload:
                                          the 8-bit count (RFC 7296 §3.13) */
#define CODEC_MAX_DELETE_SPIS   512    /* SPIs per Delete payload */
#define CODEC_MAX_CP_ATTRS      64     /* attributes per CP payload */
#define CODEC_MAX_SPI_LEN       8      /* proposal / notify SPI size */
#define CODEC_MAX_FRAGMENTS     64     /* RFC 7383 fragments per message */

/* Critical bit in the generic payload header (RFC 7296 §3.2). */
#define PAYLOAD_CRITICAL 0x80

/* ---------------------------------------------------------------- SA */
typedef struct {
	uint8_t type;        /* transform_type_t */
	uint16_t id;         /* encr_id_t, prf_id_t, integ_id_t, ke_id_t, esn_id_t */
	uint16_t key_len;    /* key length attribute in bits, 0 when absent */
	/* The transform carried an attribute other than the key length; RFC
	 * 7296 §3.3.6 says such a transform is unknown and must not be
	 * selected.  Generation ignores this flag (such attributes are not
	 * reproduced). */
	bool unknown_attr;
} transform_t;

typedef struct {
	uint8_t number;      /* proposal number, 1.. */
	uint8_t protocol;    /* protocol_id_t */
	uint8_t spi_len;     /* 0 (IKE_SA_INIT), 4 (ESP/AH), 8 (IKE rekey) */
	uint8_t spi[CODEC_MAX_SPI_LEN];
	uint8_t num_transforms;
	transform_t *transforms;
} proposal_t;

typedef struct {
	uint8_t num_proposals;
	proposal_t *proposals;
} sa_payload_t;

/* ---------------------------------------------------- the small ones */
typedef struct {
	uint16_t group;      /* ke_id_t */
	chunk_t data;        /* key exchange data */
} ke_payload_t;

typedef struct {
	uint8_t type;        /* id_type_t (any value is carried) */
	chunk_t data;
} id_payload_t;          /* IDi and IDr */

typedef struct {
	uint8_t encoding;    /* cert_encoding_t (any value is carried) */
	chunk_t data;        /* CERT: the certificate; CERTREQ: CA key hashes */
} cert_payload_t;        /* CERT and CERTREQ */

typedef struct {
	uint8_t method;      /* auth_method_t */
	chunk_t data;
} auth_payload_t;

typedef struct {
	uint8_t protocol;    /* protocol_id_t, 0 when no SPI */
	uint8_t spi_len;     /* 0, 4 or 8 */
	uint8_t spi[CODEC_MAX_SPI_LEN];
	uint16_t type;       /* notify_type_t; unknown types are carried */
	chunk_t data;
} notify_payload_t;

typedef struct {
	uint8_t protocol;    /* protocol_id_t */
	uint8_t spi_len;     /* 0 for IKE, 4 for ESP/AH */
	uint16_t num_spis;
	uint32_t *spis;      /* ESP/AH SPIs (host order); NULL for IKE */
} delete_payload_t;

/* --------------------------------------------------- traffic selectors */
typedef struct {
	uint8_t type;        /* ts_type_t: TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE */
	uint8_t protocol;    /* IP protocol, 0 = any */
	uint16_t start_port;
	uint16_t end_port;
	uint8_t start[16];   /* network byte order; 4 bytes used for IPv4 */
	uint8_t end[16];
} ts_t;

typedef struct {
	uint8_t num_ts;
	ts_t *ts;
} ts_payload_t;          /* TSi and TSr */

/* ----------------------------------------------------------- CP, EAP */
typedef struct {
	uint16_t type;       /* configuration attribute type (15 bits) */
	chunk_t value;       /* may be empty (a request) */
} cp_attr_t;

typedef struct {
	uint8_t cfg_type;    /* cfg_type_t */
	uint8_t num_attrs;
	cp_attr_t *attrs;
} cp_payload_t;

typedef struct {
	chunk_t data;        /* the whole EAP message: code, id, length, ... */
} eap_payload_t;

/* ------------------------------------------------- SK and SKF (outer) */
typedef struct {
	/* Type of the first payload inside (the SK payload header's "next
	 * payload" field); for SKF, only fragment 1 carries it (0 elsewhere). */
	uint8_t inner_type;
	uint16_t frag_number;  /* SKF only */
	uint16_t frag_total;   /* SKF only */
	chunk_t data;          /* IV | ciphertext | ICV, as received */
	uint32_t offset;       /* offset of the payload header in the message */
} sk_payload_t;

/* ---------------------------------------------------- generic payload */
typedef struct {
	uint8_t type;          /* payload_type_t */
	bool critical;         /* critical bit as received (or to send) */
	/* Came from inside an SK/SKF payload (after message_decrypt or
	 * fragment reassembly); messages we build set it by themselves when
	 * generated with protection. */
	bool encrypted;
	/* Body is u.unknown, written verbatim (message_add_raw: tests and
	 * payload types the codec does not know). */
	bool raw_body;
	union {
		sa_payload_t sa;
		ke_payload_t ke;
		id_payload_t id;         /* PL_IDI, PL_IDR */
		cert_payload_t cert;     /* PL_CERT, PL_CERTREQ */
		auth_payload_t auth;
		chunk_t nonce;
		notify_payload_t notify;
		delete_payload_t del;
		chunk_t vendor;
		ts_payload_t ts;         /* PL_TSI, PL_TSR */
		cp_payload_t cp;
		eap_payload_t eap;
		sk_payload_t sk;         /* PL_SK, PL_SKF */
		chunk_t unknown;         /* non-critical unknown type: body kept */
	} u;
} payload_t;

/* Names for logs: "SA", "KE", "IDi", ..., NULL for unknown. */
const char *payload_type_name(uint8_t type);
/* Short names used in message summaries: "SA", "N", "D", "V", ... */
const char *payload_type_short(uint8_t type);
/* "INVALID_SYNTAX", "NAT_DETECTION_SOURCE_IP", ...; NULL for unknown. */
const char *notify_type_name(uint16_t type);
/* "IKE_SA_INIT", ...; NULL for unknown. */
const char *exchange_type_name(uint8_t exchange);

#endif
