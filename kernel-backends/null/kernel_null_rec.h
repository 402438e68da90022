/*
 * kernel_null_rec.h - the null backend's compact records of SAs and
 * policies (kernel_null_rec.c), for kernel_null.c only.
 */
#ifndef IKEV2D_KERNEL_NULL_REC_H
#define IKEV2D_KERNEL_NULL_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

/* ---------------------------------------------------- compact records
 *
 * The kernel-ipsec API passes addresses as struct sockaddr_storage (128
 * bytes each) for generality; a backend that keeps one record per SA and
 * policy for 100,000 SAs (load runs) stores them in these packed forms
 * instead, at a quarter of the size, and unpacks them for queries and the
 * state file.  Keys are never part of a record.
 */

/* An address and port; family 0 = none. */
typedef struct {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;            /* host order */
} cn_addr_t;

/* A traffic selector. */
typedef struct {
	uint8_t family;
	uint8_t proto;
	uint8_t from[16];
	uint8_t to[16];
	uint16_t port_from, port_to;
} cn_ts_t;

/* What names an SA: destination, SPI, protocol, mark. */
typedef struct {
	cn_addr_t dst;            /* its port is not part of the name */
	uint8_t protocol;
	uint32_t spi;
	uint32_t mark_value, mark_mask;
} cn_sa_id_t;

/* An installed SA (or a reserved SPI: id, src and reqid only). */
typedef struct {
	cn_sa_id_t id;            /* id.dst.port: the outer destination port */
	cn_addr_t src;            /* outer source address and port */
	uint8_t dir, mode, encap, esn;
	uint8_t encr_key_len, integ_key_len, encr_salt_len;
	uint16_t encr_alg, encr_keylen_bits, integ_alg, icv_bits;
	uint32_t reqid, replay_window;
	cn_ts_t src_ts, dst_ts;
	kernel_lifetime_t soft, hard;
	kernel_usage_t usage;
	uint64_t installed_ms;
} cn_sa_t;

/* A policy. */
typedef struct {
	cn_ts_t src_ts, dst_ts;
	cn_addr_t sa_src, sa_dst;
	uint8_t dir, action, mode, protocol;
	uint32_t reqid, priority;
	uint32_t mark_value, mark_mask;
} cn_policy_t;

#define FNV_BASIS 0xcbf29ce484222325ULL

void cn_addr_pack(const struct sockaddr_storage *in, cn_addr_t *out);
void cn_addr_unpack(const cn_addr_t *in, struct sockaddr_storage *out);
void cn_ts_pack(const kernel_ts_t *in, cn_ts_t *out);
void cn_ts_unpack(const cn_ts_t *in, kernel_ts_t *out);
void cn_sa_id_pack(const kernel_sa_id_t *in, cn_sa_id_t *out);
void cn_sa_id_unpack(const cn_sa_id_t *in, kernel_sa_id_t *out);
size_t cn_addr_len(uint8_t family);
bool cn_sa_id_equals(const cn_sa_id_t *a, const cn_sa_id_t *b);
uint64_t cn_fnv(uint64_t h, const void *data, size_t len);
uint64_t cn_sa_id_hash(const cn_sa_id_t *id);
void cn_sa_pack(const kernel_sa_t *in, cn_sa_t *out);
void cn_sa_unpack(const cn_sa_t *in, kernel_sa_t *out);
void cn_policy_pack(const kernel_policy_t *in, cn_policy_t *out);
void cn_policy_unpack(const cn_policy_t *in, kernel_policy_t *out);
bool cn_policy_same_name(const cn_policy_t *a, const cn_policy_t *b);
uint64_t cn_policy_hash(const cn_policy_t *p);

#endif
