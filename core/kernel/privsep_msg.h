/*
 * privsep_msg.h - the messages between the privileged parent and the
 * engine under privilege separation (HACKING.md, "Privilege separation").
 *
 * Every message is one datagram on a SOCK_SEQPACKET socketpair: a header
 * (type, total length, sequence number) and a body whose layout and length
 * are fixed by the type.  The only variable parts are an ESP datagram
 * (kernel-userspace, bounded by PSM_ESP_MAX) and the configuration texts of
 * a reload (bounded by PSM_TEXT_MAX each).  There are no pointers: keys
 * travel inline (bounded by PSM_KEY_MAX), addresses as sockaddr_storage
 * whose family the decoder checks and whose unused bytes it zeroes.
 *
 * Channels (one socketpair each):
 *   kernel   engine -> parent: one request per kernel_ipsec_t method;
 *            parent -> engine: one PSM_REPLY with the request's sequence.
 *   events   parent -> engine: PSM_EVENT (ACQUIRE, EXPIRE, MAPPING);
 *            engine -> parent: PSM_ESP (ESP-in-UDP for kernel-userspace).
 *   control  parent -> engine: PSM_RELOAD (the texts the parent read),
 *            PSM_READ_DONE (the answer to a PSM_READ, after its RELOAD);
 *            engine -> parent: PSM_READY once it serves, PSM_READ
 *            (`ikeadm read`: have the parent reload, from these files).
 *
 * psm_decode() is the only way a receiver reads a message: it checks the
 * received length against the header and the header's length against the
 * type before any field is read, then every enumerated field's range.
 * Owner: core/kernel.
 */
#ifndef IKEV2D_KERNEL_PRIVSEP_MSG_H
#define IKEV2D_KERNEL_PRIVSEP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/kernel_ipsec.h>

typedef enum {
	PSM_GET_SPI      = 1,
	PSM_ADD_SA       = 2,
	PSM_UPDATE_SA    = 3,
	PSM_QUERY_SA     = 4,
	PSM_DEL_SA       = 5,
	PSM_ADD_POLICY   = 6,
	PSM_QUERY_POLICY = 7,
	PSM_DEL_POLICY   = 8,
	PSM_FLUSH        = 9,
	PSM_MATCH_POLICY = 10,
	PSM_REPLY        = 32,
	PSM_EVENT        = 33,
	PSM_ESP          = 34,
	PSM_RELOAD       = 35,
	PSM_READY        = 36,
	PSM_READ         = 37,
	PSM_READ_DONE    = 38,
} psm_type_t;

/* Largest key chunk of an SA: HMAC-SHA2-512 (64 bytes) and AES-256 with
 * its 4-byte salt both fit. */
#define PSM_KEY_MAX 64
/* Largest ESP-in-UDP datagram forwarded (the socket layer's own limit). */
#define PSM_ESP_MAX 16384
/* Largest configuration or preshared text of a reload. */
#define PSM_TEXT_MAX 65536
/* Largest message of any type: receive buffers are one byte more, so an
 * oversized datagram is told apart (MSG_TRUNC). */
#define PSM_MSG_MAX (sizeof(psm_hdr_t) + 2 * PSM_TEXT_MAX + 2 * 4096 + 16)

typedef struct {
	uint16_t type;
	uint16_t reserved;     /* 0 */
	uint32_t len;          /* the whole message, header included */
	uint32_t seq;
} psm_hdr_t;

/* ---- bodies ------------------------------------------------------- */

typedef struct {
	struct sockaddr_storage src, dst;
	uint32_t reqid;
	uint8_t protocol;
	uint8_t pad[3];
} psm_get_spi_t;

/* kernel_sa_t with the keys inline. */
typedef struct {
	kernel_sa_id_t id;
	struct sockaddr_storage src;
	uint32_t dir, mode, reqid, replay_window;
	uint32_t if_id;
	uint8_t encap, esn, encr_salt_len, pad;
	uint16_t encr_alg, encr_keylen_bits, integ_alg, icv_bits;
	kernel_lifetime_t soft, hard;
	kernel_ts_t src_ts, dst_ts;
	uint16_t encr_key_len, integ_key_len;
	uint8_t encr_key[PSM_KEY_MAX], integ_key[PSM_KEY_MAX];
	struct sockaddr_storage nat_oa_src, nat_oa_dst;
} psm_sa_t;

typedef struct {
	kernel_sa_id_t id;
	struct sockaddr_storage new_src, new_dst;
	uint8_t encap;
	uint8_t pad[7];
} psm_update_sa_t;

typedef struct {
	int32_t ok;            /* 1 done, 0 failed or refused */
	uint32_t spi;          /* PSM_GET_SPI; the reqid of PSM_MATCH_POLICY */
	kernel_usage_t usage;  /* PSM_QUERY_SA, PSM_QUERY_POLICY */
} psm_reply_t;

typedef struct {
	struct sockaddr_storage from, to;
	uint32_t esp_len;      /* bytes after this struct */
	uint32_t pad;
} psm_esp_t;

typedef struct {
	uint32_t path_len, text_len;          /* configuration file */
	uint32_t psk_path_len, psk_text_len;  /* preshared file; 0 = none */
	/* then: path, text, psk path, psk text (no NULs inside) */
} psm_reload_t;

/* PSM_READ: the files of `ikeadm read rule|preshared [FILE]`; a length of
 * 0 is the daemon's own (the configuration file, the one it names). */
typedef struct {
	uint32_t path_len, psk_path_len;
	/* then: path, psk path (absolute, no NULs) */
} psm_read_t;

#define PSM_READ_MSG_MAX 1024
typedef struct {
	int32_t ok;            /* 1: in force everywhere */
	uint32_t msg_len;      /* then the reason (no NULs) when not ok */
} psm_read_done_t;

/* A decoded message: the header and a view of its body. */
typedef struct {
	psm_hdr_t hdr;
	union {
		psm_get_spi_t get_spi;
		psm_sa_t sa;
		psm_update_sa_t update;
		kernel_sa_id_t id;          /* QUERY_SA, DEL_SA */
		kernel_policy_t policy;     /* *_POLICY (MATCH: the wanted one) */
		psm_reply_t reply;
		kernel_event_t event;
		psm_esp_t esp;
		psm_reload_t reload;
		psm_read_t read;
		psm_read_done_t read_done;
	} u;
	const uint8_t *var;    /* ESP bytes or the reload texts, in the buffer */
	size_t var_len;
} psm_msg_t;

const char *psm_type_name(uint16_t type);

/* Check buf (n bytes as received; truncated: the datagram was longer than
 * the buffer) and fill m.  False with why set (a short reason for the log)
 * on anything but a well-formed message of a known type. */
bool psm_decode(const uint8_t *buf, size_t n, bool truncated, psm_msg_t *m,
                char *why, size_t why_len);

/* The text a decoded PSM_RELOAD carries for path (the configuration
 * file or the preshared file), as a new NUL-terminated copy of *len
 * bytes; NULL for any other path.  The config_reader_t of both the
 * engine and the keys process while they apply a reload. */
char *psm_reload_text(const psm_msg_t *m, const char *path, size_t *len);


/* Encoders: fill buf (at least PSM_MSG_MAX bytes for the variable types,
 * sizeof(psm_hdr_t) + the body otherwise) and return the length, 0 when
 * the input cannot be encoded (a key longer than PSM_KEY_MAX, ...). */
size_t psm_encode(uint8_t *buf, size_t cap, uint16_t type, uint32_t seq,
                  const void *body, size_t body_len,
                  const void *var, size_t var_len);
/* kernel_sa_t -> psm_sa_t (false: a key too long); psm_sa_t ->
 * kernel_sa_t whose key chunks point into p. */
bool psm_sa_from_kernel(psm_sa_t *p, const kernel_sa_t *sa);
void psm_sa_to_kernel(kernel_sa_t *sa, psm_sa_t *p);

/* Send one message (blocking; EINTR retried).  False on failure. */
bool psm_send(int fd, uint16_t type, uint32_t seq, const void *body,
              size_t body_len, const void *var, size_t var_len);

/* The engine's side of the descriptors, handed over at exec in the
 * environment variable PSM_ENV ("ctl,kernel,events,ike4,natt4,ike6,natt6,
 * encap,esp"). */
#define PSM_ENV "IKEV2D_PRIVSEP_ENGINE"
typedef struct {
	int ctl, kernel, events;
	int socks[4];
	bool encap;       /* UDP_ENCAP took on the NAT-T sockets */
	bool esp;         /* the parent's backend does ESP: forward ESP-in-UDP */
} psm_env_t;
bool psm_env_parse(const char *text, psm_env_t *e);

/* Test hook (testing/suites/privsep-forged.sh): when this variable names a
 * path, the engine's kernel proxy binds a datagram socket there and puts
 * whatever arrives on it, unchanged, on its kernel socketpair, answering
 * with the parent's reply: a test plays a compromised engine. */
#define PSM_TEST_ENV "IKEV2D_PRIVSEP_TEST_SOCKET"

#endif
