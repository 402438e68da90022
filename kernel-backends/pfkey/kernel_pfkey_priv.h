/*
 * kernel_pfkey_priv.h - what kernel_pfkey.c (requests, tables, journal,
 * events, SAs) and kernel_pfkey_policy.c (policies) share: the backend's
 * state and the helpers both use.  Private to the plugin.
 */
#ifndef IKEV2D_KERNEL_PFKEY_PRIV_H
#define IKEV2D_KERNEL_PFKEY_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kernel_pfkey.h"
#include "pfkey_msg.h"
#include "pfkey_route.h"
#include "pfkey_tables.h"
#include "pfkey_xlate.h"

#define REQID_MAX          PFK_REQID_MAX
/* Engine reqids for someone else's policies: this bit | the kernel
 * reqid of its request (its kreq slot pinned to it). */
#define PK_FOREIGN_REQID   0x40000000u
#define REQUEST_TIMEOUT_MS 15000
/* The first REGISTER makes the kernel probe (and load) every cipher
 * module it knows: seconds on a slow machine. */
#define REGISTER_TIMEOUT_MS 120000
#define MAX_PREFIXES       PFK_TS_PREFIXES_MAX   /* per side of one policy */
#define SPI_MIN            0x100    /* RFC 4303 §2.1: 1..255 reserved */
#define UDP_ENCAP_ESPINUDP_TYPE 2   /* <linux/udp.h> UDP_ENCAP_ESPINUDP */
/* Rewrite the journal from memory when it grows past this many bytes
 * more than the live entries need. */
#define JOURNAL_SLACK      (1u << 20)

struct kernel_pfkey {
	kernel_ipsec_t public;
	int req_fd, ev_fd;
	uint32_t pid, seq;
	pthread_mutex_t req_lock;    /* the request socket; held per method */
	pthread_mutex_t lock;        /* the tables below (events read them) */
	pfk_algs_t algs;
	pfk_sa_table_t sas;
	pfk_pol_table_t pols;
	pfk_kreq_table_t kreq;
	bool started, watching;
	bool getspi;                 /* SPIs from SADB_GETSPI (setting) */
	pfk_routes_t *routes;        /* NULL: no routes */
	char *journal_path;
	int journal_fd;
	size_t journal_bytes;
	uint64_t evbuf[PFK_MSG_MAX / 8];   /* loop thread only */
};

/* helpers (kernel_pfkey.c) */
void pk_bare(const struct sockaddr_storage *in, struct sockaddr_storage *out);
/* Where the address of ss (AF_INET or AF_INET6) starts. */
const uint8_t *pk_addr_bytes(const struct sockaddr_storage *ss);
uint16_t pk_port_of(const struct sockaddr_storage *ss);
uint64_t pk_now_secs(void);
/* reqid mapping, journal, policy table: k->lock held */
uint16_t pk_kreq_get(kernel_pfkey_t *k, uint32_t reqid);
void pk_kreq_put(kernel_pfkey_t *k, uint16_t kreqid);
bool pk_foreign_reqid(kernel_pfkey_t *k, uint32_t kr, uint32_t *engine);
/* A policy's address extension (prefix, port, protocol) as a selector. */
bool pk_ext_ts(const pfk_msg_t *m, uint16_t exttype, kernel_ts_t *ts);
void pk_journal_pol(kernel_pfkey_t *k, const pol_ent_t *e, bool add);
void pk_journal_maybe_compact(kernel_pfkey_t *k);
void pk_pol_remove(kernel_pfkey_t *k, pol_ent_t *e);
/* requests: req_lock held */
int pk_request(kernel_pfkey_t *k, pfk_buf_t *b, uint64_t *resp, size_t cap,
               pfk_msg_t *m, int timeout_ms);
int pk_simple(kernel_pfkey_t *k, pfk_buf_t *b);
void pk_begin(kernel_pfkey_t *k, pfk_buf_t *b, uint64_t *mem, size_t cap,
              uint8_t type, uint8_t satype);
void pk_ensure_started(kernel_pfkey_t *k);

#define LOCKED_START(k) \
	do { pthread_mutex_lock(&(k)->req_lock); pk_ensure_started(k); } while (0)
#define UNLOCK(k) pthread_mutex_unlock(&(k)->req_lock)

/* policies (kernel_pfkey_policy.c) */
bool pk_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p);
bool pk_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p);
bool pk_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                     kernel_usage_t *usage);
bool pk_match_policy(kernel_ipsec_t *self, const kernel_policy_t *want,
                     uint32_t *reqid);

#endif
