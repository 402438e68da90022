/*
 * pfkey_msg.h - PF_KEY v2 (RFC 2367) messages with the Linux SADB_X_*
 * extensions: building requests into a caller's buffer and taking the
 * kernel's answers and events apart.  Pure functions on bytes, no socket:
 * the unit tests run them on a host without AF_KEY.
 *
 * Building: pfk_begin() starts a message in an 8-byte aligned buffer, each
 * pfk_add_*() appends one extension, pfk_end() writes the total length and
 * returns it (0 if anything did not fit; nothing is then sent).  Buffers
 * that carried keys are wiped by the caller (pfk_wipe).
 *
 * Parsing: pfk_parse() checks the header's length against the bytes
 * received, then walks the extensions: each length must be non-zero, fit in
 * what is left, be at least the size of its type's structure, and no type
 * may appear twice.  The pointers it fills point into the caller's buffer.
 * The pfk_get_*() accessors then check the inside of one extension
 * (sockaddr family and length, policy requests, supported algorithms)
 * before returning anything from it.
 */
#ifndef IKEV2D_PFKEY_MSG_H
#define IKEV2D_PFKEY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/pfkeyv2.h>
#include <linux/ipsec.h>

#include <ikev2d/chunk.h>

/* Largest message we build or accept (the kernel's are far smaller, but a
 * dump of a policy with many requests stays well inside). */
#define PFK_MSG_MAX 8192

typedef struct {
	uint64_t *buf;       /* 8-byte aligned */
	size_t cap;          /* bytes */
	size_t len;          /* bytes used */
	bool overflow;
} pfk_buf_t;

void pfk_begin(pfk_buf_t *b, uint64_t *mem, size_t cap, uint8_t type,
               uint8_t satype, uint32_t seq, uint32_t pid);
/* Total length in bytes, or 0 when something did not fit. */
size_t pfk_end(pfk_buf_t *b);
void pfk_wipe(pfk_buf_t *b);

/* SADB_EXT_SA: spi in host order; auth/encrypt are SADB_*ALG_* ids. */
void pfk_add_sa(pfk_buf_t *b, uint32_t spi, uint8_t replay, uint8_t auth,
                uint8_t encrypt, uint32_t flags);
/* SADB_EXT_ADDRESS_SRC/DST/PROXY: an address (its port too, for
 * policies) with a prefix length and upper-layer protocol (0 = any;
 * IPSEC_PROTO_ANY 255 is what the kernel uses for "any" in policies). */
void pfk_add_address(pfk_buf_t *b, uint16_t exttype,
                     const struct sockaddr_storage *addr, uint8_t prefixlen,
                     uint8_t proto);
void pfk_add_key(pfk_buf_t *b, uint16_t exttype, chunk_t key);
/* SADB_EXT_LIFETIME_HARD/SOFT: allocations (packets), bytes, seconds. */
void pfk_add_lifetime(pfk_buf_t *b, uint16_t exttype, uint64_t packets,
                      uint64_t bytes, uint64_t addtime);
void pfk_add_sa2(pfk_buf_t *b, uint8_t mode, uint32_t reqid);
void pfk_add_spirange(pfk_buf_t *b, uint32_t min, uint32_t max);
/* NAT-T: type (UDP_ENCAP_ESPINUDP), source and destination ports (host
 * order). */
void pfk_add_nat_t(pfk_buf_t *b, uint8_t type, uint16_t sport, uint16_t dport);

/* One request of an IPsec policy (tunnel mode carries the endpoints). */
typedef struct {
	uint8_t proto;               /* IPPROTO_ESP */
	uint8_t mode;                /* IPSEC_MODE_TRANSPORT / _TUNNEL */
	uint8_t level;               /* IPSEC_LEVEL_UNIQUE, ... */
	uint32_t reqid;
	struct sockaddr_storage src, dst;  /* family 0 = none (transport) */
} pfk_ipsecrequest_t;

/* SADB_X_EXT_POLICY: type IPSEC_POLICY_*, dir IPSEC_DIR_*, the kernel's
 * policy id (0 = let it choose), priority (lower wins), and at most one
 * request (type IPSEC_POLICY_IPSEC). */
void pfk_add_policy(pfk_buf_t *b, uint16_t type, uint8_t dir, uint32_t id,
                    uint32_t priority, const pfk_ipsecrequest_t *req);

/* A message taken apart: the header and one pointer per extension type
 * (NULL = absent), all into the buffer given to pfk_parse. */
typedef struct {
	const struct sadb_msg *hdr;
	const struct sadb_ext *ext[SADB_EXT_MAX + 1];
} pfk_msg_t;

/* Validate msg (n bytes, 8-byte aligned) as described above.  False with
 * a reason in err on anything wrong. */
bool pfk_parse(const void *msg, size_t n, pfk_msg_t *out, char *err,
               size_t errlen);

/* SADB_EXT_SA: spi (host order) and the algorithms, replay, state. */
bool pfk_get_sa(const pfk_msg_t *m, uint32_t *spi, uint8_t *auth,
                uint8_t *encrypt, uint8_t *replay, uint8_t *state);
/* An address extension: the sockaddr (family AF_INET/AF_INET6, its
 * length checked against the extension), prefix length (checked against
 * the family) and protocol.  False when absent or malformed. */
bool pfk_get_address(const pfk_msg_t *m, uint16_t exttype,
                     struct sockaddr_storage *addr, uint8_t *prefixlen,
                     uint8_t *proto);
bool pfk_get_sa2(const pfk_msg_t *m, uint8_t *mode, uint32_t *reqid);
bool pfk_get_lifetime(const pfk_msg_t *m, uint16_t exttype,
                      uint64_t *packets, uint64_t *bytes, uint64_t *addtime,
                      uint64_t *usetime);
/* NAT-T port extension (host order). */
bool pfk_get_nat_t_port(const pfk_msg_t *m, uint16_t exttype, uint16_t *port);
bool pfk_get_nat_t_type(const pfk_msg_t *m, uint8_t *type);

/* SADB_X_EXT_POLICY with its requests checked (each request's length
 * within the extension, its addresses well-formed and of one family). */
typedef struct {
	uint16_t type;
	uint8_t dir;
	uint32_t id;
	uint32_t priority;
	int n_req;
	pfk_ipsecrequest_t req[4];
} pfk_policy_t;
bool pfk_get_policy(const pfk_msg_t *m, pfk_policy_t *out);

/* SADB_EXT_SUPPORTED_AUTH/ENCRYPT: the algorithms a REGISTER answer
 * lists.  Fills at most max entries; *n is how many were listed. */
typedef struct {
	uint8_t id;
	uint8_t ivlen;
	uint16_t minbits, maxbits;
} pfk_alg_t;
bool pfk_get_supported(const pfk_msg_t *m, uint16_t exttype, pfk_alg_t *out,
                       size_t max, size_t *n);

/* Names for logs: "ADD", "X_SPDADD", "ACQUIRE", ... ("?" unknown). */
const char *pfk_type_name(uint8_t type);

/* Prefix length of a sockaddr's family (32, 128; 0 otherwise). */
uint8_t pfk_full_prefix(int family);

#endif
