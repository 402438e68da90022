/*
 * knl.h - the kernel-netlink backend's shared state: the netlink sockets,
 * what the backend installed (so that it removes exactly that), and the
 * helpers its parts share.
 *
 * Parts: knl_nl.c (requests, selectors, the sets of what is installed,
 * leftover cleanup), knl_sa.c (SPIs and SAs), knl_policy.c (policies and
 * their routes), knl_events.c (ACQUIRE, EXPIRE, MAPPING), knl_plugin.c.
 *
 * What is ours: every policy the backend installs has a priority in
 * [prio_base, prio_base + KNL_PRIO_BAND); nobody else is expected to use
 * that band (ikev2.config(5) says so).  At start-up the policies in the
 * band are a crashed daemon's leftovers: they are removed, with the SAs
 * carrying their templates' reqids, and the routes in our table with our
 * route protocol.  A policy that exists already and is not in the band is
 * someone else's: it is used as it is and never replaced or removed.
 */
#ifndef KNL_H
#define KNL_H

#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include <ikev2d/kernel_ipsec.h>

#define KNL_NAME "kernel-netlink"
/* Width of the priority band of our policies (see knl_priority). */
#define KNL_PRIO_BAND 4096
/* Most XFRM policies one kernel_policy_t may become (prefixes x ports). */
#define KNL_MAX_SPLIT 256
#define KNL_BUFSZ 32768

/* A set of fixed-size keys with a payload (what we installed). */
typedef struct knl_entry knl_entry_t;
struct knl_entry {
	knl_entry_t *next;
	uint32_t hash;
	void *value;            /* owned by the entry (freed with it) */
	uint8_t key[];
};

typedef struct {
	knl_entry_t **buckets;
	size_t n_buckets, count, klen;
} knl_set_t;

void knl_set_init(knl_set_t *s, size_t klen);
void knl_set_free(knl_set_t *s);
/* The entry for key, or NULL. */
knl_entry_t *knl_set_find(knl_set_t *s, const void *key);
/* Adds (value owned) or returns the existing entry (value freed). */
knl_entry_t *knl_set_add(knl_set_t *s, const void *key, void *value);
/* Removes and returns its value (caller frees), NULL when absent. */
void *knl_set_del(knl_set_t *s, const void *key);

/* The name of an SA, zero-padded for the set. */
typedef struct {
	xfrm_address_t daddr;
	uint32_t spi;           /* network order */
	uint16_t family;
	uint8_t proto;
	uint8_t pad;
	uint32_t mark_v, mark_m;
} knl_sa_key_t;

typedef struct {
	uint32_t reqid;
	uint64_t soft_at_ms;    /* monotonic; 0 = no time limit */
	bool soft_raised;
	bool inbound;
} knl_sa_val_t;

/* The name of an XFRM policy: selector, direction, mark. */
typedef struct {
	struct xfrm_selector sel;
	uint8_t dir;
	uint8_t pad[3];
	uint32_t mark_v, mark_m;
	uint32_t if_id;         /* 0 = none */
} knl_pol_key_t;

typedef struct {
	uint32_t reqid;
	uint32_t priority;
} knl_pol_val_t;

/* A route of ours (table route_table): one destination prefix. */
typedef struct {
	uint16_t family;
	uint8_t plen;
	uint8_t pad;
	xfrm_address_t dst;
} knl_route_key_t;

typedef struct {
	unsigned refs;
	xfrm_address_t src, gw;
	int oif;
	bool has_gw;
} knl_route_val_t;

typedef struct {
	kernel_ipsec_t public;

	/* Requests: one at a time on each socket. */
	pthread_mutex_t xfrm_lock;
	struct mnl_socket *xfrm;
	struct mnl_socket *rtnl;
	uint32_t seq;

	/* Events (ACQUIRE/EXPIRE/MAPPING), read on the event loop. */
	struct mnl_socket *events;
	int events_fd;

	/* What we installed. */
	pthread_mutex_t state_lock;
	knl_set_t sas;          /* knl_sa_key_t -> knl_sa_val_t */
	knl_set_t policies;     /* knl_pol_key_t -> knl_pol_val_t */
	knl_set_t routes;       /* knl_route_key_t -> knl_route_val_t */
	knl_set_t spis;         /* knl_sa_key_t (no mark): SPIs we picked
	                         * (allocspi = false) and not yet installed */

	/* Settings. */
	uint32_t prio_base;
	uint32_t route_table;   /* 0 = no routes */
	uint32_t route_rule_prio;
	uint8_t route_proto;
	bool allocspi;          /* SPIs from XFRM_MSG_ALLOCSPI */
	bool rule_added;
	/* in.ikev2d -c: the sockets are opened (can the backend work here?)
	 * but nothing in the kernel is read or changed */
	bool check_only;
	/* the kernel answered the ESP probe with EPROTONOSUPPORT */
	bool no_esp;
	/* knl_probe.c: what each transform's probe found (under state_lock) */
	struct knl_probe *probes;
} knl_t;

/* ---- knl_nl.c ---- */

/* Called for each answer message of a request (not errors, not DONE). */
typedef int (*knl_msg_cb_t)(const struct nlmsghdr *nlh, void *ctx);

/* Send nlh (type and payload set) on sock with a fresh sequence number and
 * NLM_F_ACK (unless a dump), read until the ACK/error/DONE.  Returns 0 or
 * -errno; the kernel's extended-ack text, if any, into why (may be NULL).
 * Caller holds k->xfrm_lock.  The request buffer is wiped after sending
 * (it may hold keys). */
int knl_request(knl_t *k, struct mnl_socket *sock, struct nlmsghdr *nlh,
                knl_msg_cb_t cb, void *ctx, char *why, size_t why_len);

/* "File exists (kernel: ...)" style text for logs. */
const char *knl_strerror(int err, const char *why, char *buf, size_t len);

void knl_addr_from_ss(const struct sockaddr_storage *ss, xfrm_address_t *a);
void knl_ss_from_addr(int family, const xfrm_address_t *a, uint16_t port_n,
                      struct sockaddr_storage *ss);
char *knl_ss_str(const struct sockaddr_storage *ss, char *buf, size_t len);
uint16_t knl_ss_port(const struct sockaddr_storage *ss);   /* network order */

/* Split a selector pair into XFRM selectors (prefix x prefix x port
 * blocks).  Returns the count, 0 if it would be more than max. */
int knl_split(const kernel_ts_t *src, const kernel_ts_t *dst,
              struct xfrm_selector *out, int max);
/* A selector from one kernel_ts_t pair when each is a single prefix and
 * port block (SA selectors); false otherwise. */
bool knl_sel_single(const kernel_ts_t *src, const kernel_ts_t *dst,
                    struct xfrm_selector *sel);
/* Priority of a policy: more specific selectors win (lower number). */
uint32_t knl_priority(const knl_t *k, const struct xfrm_selector *sel);
bool knl_is_ours(const knl_t *k, uint32_t priority);

/* Remove a crashed daemon's policies, SAs and routes (start-up). */
void knl_cleanup_leftovers(knl_t *k);
/* Remove everything installed (shutdown). */
void knl_flush(kernel_ipsec_t *self);

/* ---- knl_sa.c ---- */
bool knl_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                 const struct sockaddr_storage *dst, uint8_t protocol,
                 uint32_t reqid, uint32_t *spi);
bool knl_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa);
/* The NEWSA/UPDSA body of sa into nlh: 0, or -ENOSYS when the transform
 * has no kernel name (*alg_out: the cipher's kernel name). */
int knl_put_sa(knl_t *k, struct nlmsghdr *nlh, const kernel_sa_t *sa,
               const char **alg_out);
/* Whether the kernel has ESP, without adding anything: 0 or an errno
 * other than -EPROTONOSUPPORT = it has (why: the kernel's text). */
int knl_probe_esp(knl_t *k, char *why, size_t why_len);
bool knl_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                   const struct sockaddr_storage *new_src,
                   const struct sockaddr_storage *new_dst, bool encap);
bool knl_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                  kernel_usage_t *usage);
bool knl_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id);
void knl_sa_key(const kernel_sa_id_t *id, knl_sa_key_t *key);
/* Delete one SA by its key (flush, cleanup); 0 or -errno. */
int knl_del_sa_key(knl_t *k, const knl_sa_key_t *key);
/* Whether the kernel can do the transform (check at start-up and -c). */
bool knl_alg_names(uint16_t encr, uint16_t integ, const char **encr_name,
                   const char **integ_name, unsigned *icv_bits,
                   unsigned *trunc_bits);

/* ---- knl_probe.c ---- */
/* can_install: whether this kernel has the algorithms of sa (one probe
 * per transform, remembered). */
bool knl_can_install(kernel_ipsec_t *self, const kernel_sa_t *sa,
                     char *why, size_t why_len);
void knl_probe_free(knl_t *k);

/* ---- knl_policy.c ---- */
bool knl_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p);
bool knl_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                      kernel_usage_t *usage);
bool knl_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p);
bool knl_match_policy(kernel_ipsec_t *self, const kernel_policy_t *want,
                      uint32_t *reqid);
bool knl_bypass_socket(kernel_ipsec_t *self, int fd, int family);
int knl_del_policy_key(knl_t *k, const knl_pol_key_t *key);
bool knl_route_rule(knl_t *k, bool add);
void knl_route_flush(knl_t *k, bool leftovers);

/* ---- knl_events.c ---- */
/* One side of an XFRM selector as a kernel_ts_t (ICMP type/code in the
 * source's port, RFC 4301 style). */
void knl_sel_to_ts(const struct xfrm_selector *sel, bool src, kernel_ts_t *ts);
bool knl_events_open(knl_t *k);
void knl_events_close(knl_t *k);
/* After lost events: compare the kernel's SAs with ours, raise what was
 * missed (hard EXPIRE for ours that are gone, soft for those past it). */
void knl_resync(knl_t *k);

#endif
