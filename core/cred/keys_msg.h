/*
 * keys_msg.h - the messages between the engine and the keys process under
 * privilege separation (HACKING.md, "Privilege separation", "The keys
 * process"), and the checks the keys process makes before it signs.
 *
 * The keys process alone holds the private keys and PKCS#11 sessions; the
 * engine signs through a proxy key_signer_t that sends "sign these octets
 * with key K of store generation G, scheme S" and gets the signature back.
 * Every message is one datagram on a SOCK_SEQPACKET socketpair: a header
 * (type, total length, sequence number), a body whose length the type
 * fixes, and for some types a variable part whose length the body states
 * and whose bound the type fixes.  No message carries key bytes out of the
 * keys process: no type exists for it.
 *
 *   engine -> keys   KSM_STORE      the public half of the keystore, please
 *                    KSM_SIGN       sign octets (AUTH, RFC 7296 §2.15)
 *                    KSM_READY      can this key sign now (token unlocked)?
 *                    KSM_LOGIN      ikeadm token login URI PIN
 *                    KSM_LOGOUT     ikeadm token logout URI
 *   keys -> engine   KSM_ITEM       one certificate (DER) of the store, with
 *                                   its key's type and size if it has one
 *                    KSM_END        the store's generation and item count
 *                    KSM_SIG        a signature (or a refusal)
 *                    KSM_RESULT     ok / refused for READY, LOGIN, LOGOUT
 *
 * ksm_decode() is the only reader: the datagram's length against the
 * header, the header's against the type and the variable part's stated
 * lengths, then the enumerations.  Owner: core/cred.
 */
#ifndef IKEV2D_CRED_KEYS_MSG_H
#define IKEV2D_CRED_KEYS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/cred.h>
#include <ikev2d/ikev2.h>

typedef enum {
	KSM_STORE  = 1,
	KSM_SIGN   = 2,
	KSM_READY  = 3,
	KSM_LOGIN  = 4,
	KSM_LOGOUT = 5,
	KSM_ITEM   = 32,
	KSM_END    = 33,
	KSM_SIG    = 34,
	KSM_RESULT = 35,
} ksm_type_t;

/* Largest IKE_SA_INIT message whose AUTH octets are signed. */
#define KSM_INIT_MAX 32768
/* What follows that message in the octets: the peer's nonce (16..256
 * octets, RFC 7296 §3.9) and prf(SK_p, IDx') (16..64 octets). */
#define KSM_TRAILER_MIN (16 + 16)
#define KSM_TRAILER_MAX (256 + 64)
#define KSM_SIGN_MAX (KSM_INIT_MAX + KSM_TRAILER_MAX)
#define KSM_SIG_MAX 2048          /* RSA-16384, DER ECDSA, EdDSA fit */
#define KSM_DER_MAX 65536         /* one certificate or CRL */
#define KSM_SOURCE_MAX 4096       /* a file path or token URI, for logs */
#define KSM_URI_MAX 1024
#define KSM_PIN_MAX 256
#define KSM_MSG_MAX (sizeof(ksm_hdr_t) + 64 + KSM_DER_MAX + KSM_SOURCE_MAX)

typedef struct {
	uint16_t type;
	uint16_t reserved;     /* 0 */
	uint32_t len;          /* the whole message, header included */
	uint32_t seq;
} ksm_hdr_t;

/* KSM_SIGN: then data_len octets. */
typedef struct {
	uint32_t gen, index, scheme, data_len;
} ksm_sign_t;

/* KSM_READY */
typedef struct {
	uint32_t gen, index;
} ksm_key_t;

/* KSM_LOGIN: then the URI and the PIN; KSM_LOGOUT: the URI (pin_len 0).
 * An empty URI: every open token. */
typedef struct {
	uint32_t uri_len, pin_len;
} ksm_token_t;

typedef enum {
	KSM_OWN = 1,           /* one of our certificates (keystore_add_entry) */
	KSM_ANCHOR = 2,        /* cacerts/ */
	KSM_INTER = 3,         /* intcerts/ */
	KSM_CRL = 4,           /* crls/ */
} ksm_kind_t;

/* KSM_ITEM: then source_len octets of source, der_len of DER. */
typedef struct {
	uint32_t gen, kind, index;
	uint32_t has_key, key_type, keysize;
	uint32_t source_len, der_len;
} ksm_item_t;

/* KSM_END */
typedef struct {
	uint32_t gen, count;
	int32_t ok;            /* 0: the keys process has no store to give */
	uint32_t pad;
} ksm_end_t;

/* KSM_SIG: then sig_len octets; KSM_RESULT: sig_len 0. */
typedef struct {
	int32_t ok;            /* 1 done, 0 failed or refused */
	uint32_t sig_len;
} ksm_result_t;

typedef struct {
	ksm_hdr_t hdr;
	union {
		ksm_sign_t sign;
		ksm_key_t key;
		ksm_token_t token;
		ksm_item_t item;
		ksm_end_t end;
		ksm_result_t result;
	} u;
	const uint8_t *var;    /* the variable part, in the buffer */
	size_t var_len;
} ksm_msg_t;

const char *ksm_type_name(uint16_t type);

/* Check buf (n bytes as received; truncated: the datagram was longer than
 * the buffer) and fill m.  False with why set on anything but a
 * well-formed message of a known type. */
bool ksm_decode(const uint8_t *buf, size_t n, bool truncated, ksm_msg_t *m,
                char *why, size_t why_len);

/* One message as one datagram (MSG_NOSIGNAL); false if it is larger than
 * KSM_MSG_MAX or the send fails. */
bool ksm_send(int fd, uint16_t type, uint32_t seq, const void *body,
              size_t body_len, const void *var1, size_t len1,
              const void *var2, size_t len2);

/*
 * What the keys process signs: octets an IKE_AUTH signature can be over
 * (RFC 7296 §2.15): an IKE_SA_INIT message - IKEv2 header, exchange 34,
 * message ID 0, SPIi not zero, a request (Initiator flag, SPIr zero) or a
 * response (Response flag, SPIr not zero), a length of at most
 * KSM_INIT_MAX and a chain of payloads that ends exactly at it and holds
 * SA, KE and Nonce - followed by KSM_TRAILER_MIN..KSM_TRAILER_MAX octets
 * (the peer's nonce and the MACed ID).  False with why set otherwise.
 */
bool ksm_octets_ok(const uint8_t *data, size_t len, char *why, size_t why_len);

/* Whether a rule's AUTH method (auth_method) lets a key of this type sign
 * with scheme: a signature method the key fits (as the pubkey
 * authenticator chooses: rsa_sig RSA, dss_sig DSA, ecdsa_* the ECDSA
 * curves, digital_sig any) and a scheme that fits the key. */
bool ksm_scheme_ok(auth_method_t rule_method, key_type_t type, sig_scheme_t scheme);

/* Under privsep the engine's cred_token_login/logout (ikeadm token
 * login|logout) go to the keys process through these (NULL: the tokens of
 * this process). */
void cred_token_set_proxy(bool (*login)(const char *uri, const char *pin),
                          bool (*logout)(const char *uri));

#endif
