/*
 * ctl_proto.h - the control socket's wire format, shared by the control
 * plugin and ikeadm (see PROTOCOL.md next to this file, and ikeadm(8)).
 *
 * Every message is a frame: an 8-byte header then `length` bytes of body.
 *
 *   0..1  magic "IK"
 *   2     version (CTL_VERSION)
 *   3     type (CTL_REQUEST, CTL_DATA, CTL_END)
 *   4..7  length of the body, big-endian
 *
 * A request body: flags (4 bytes, big-endian: CTL_F_*), argc (2 bytes,
 * big-endian, 1..CTL_MAX_ARGS), then argc NUL-terminated arguments (each
 * at most CTL_MAX_ARG bytes, no control characters but tab and newline),
 * filling the body exactly.  The daemon answers with any number of DATA
 * frames (output, at most CTL_MAX_DATA bytes each) and one END frame:
 * status (1 byte, CTL_S_*, also ikeadm's exit status) then a message
 * (UTF-8 text, may be empty).
 */
#ifndef IKEV2D_CTL_PROTO_H
#define IKEV2D_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION      1
#define CTL_HDR_LEN      8
#define CTL_MAX_REQUEST  (64 * 1024)   /* request body */
#define CTL_MAX_DATA     (64 * 1024)   /* one DATA/END body */
#define CTL_MAX_ARGS     64
#define CTL_MAX_ARG      (32 * 1024)

enum {
	CTL_REQUEST = 0x01,
	CTL_DATA    = 0x81,
	CTL_END     = 0x82,
};

/* Request flags. */
#define CTL_F_JSON      0x1u   /* output as JSON */
#define CTL_F_NUMERIC   0x2u   /* -n: numbers, no names */
#define CTL_F_PARANOID  0x4u   /* -p: key bytes as X */
#define CTL_F_KNOWN     0x7u

/* END status: also ikeadm's exit status. */
enum {
	CTL_S_OK          = 0,
	CTL_S_FAILED      = 1,   /* the command failed (message says why) */
	CTL_S_USAGE       = 2,   /* bad command or arguments */
	CTL_S_NOT_FOUND   = 3,   /* no such SA, rule or key */
	CTL_S_DENIED      = 4,   /* not allowed for this user */
	CTL_S_UNREACHABLE = 5,   /* ikeadm: cannot reach the daemon */
	CTL_S_PROTOCOL    = 6,   /* malformed frame or request */
	CTL_S_UNSUPPORTED = 7,   /* this daemon does not do that */
};

typedef struct {
	uint8_t version;
	uint8_t type;
	uint32_t length;
} ctl_hdr_t;

/* Parse a header (CTL_HDR_LEN bytes).  NULL when it is good and its
 * length at most max_len, else the reason. */
const char *ctl_hdr_parse(const uint8_t *b, ctl_hdr_t *h, uint32_t max_len);
void ctl_hdr_write(uint8_t *b, uint8_t type, uint32_t length);

typedef struct {
	uint32_t flags;
	int argc;
	char *argv[CTL_MAX_ARGS + 1];   /* into buf; argv[argc] = NULL */
	char *buf;
	size_t len;                     /* of buf, wiped when freed */
} ctl_request_t;

/* Parse a request body; NULL on success (free with ctl_request_free),
 * else the reason (nothing to free). */
const char *ctl_request_parse(const uint8_t *body, size_t len, ctl_request_t *r);
void ctl_request_free(ctl_request_t *r);

/* A whole request frame (header included) in fresh memory; false when
 * the arguments break a limit.  *out is free()d by the caller. */
bool ctl_request_encode(uint32_t flags, int argc, char *const *argv,
                        uint8_t **out, size_t *out_len);

#endif
