/*
 * kernel_ipsec.h - the kernel IPsec interface: what the engine asks of the
 * kernel (SPIs, ESP SAs, policies, usage) and what the kernel tells the
 * engine (ACQUIRE, EXPIRE, NAT mapping changes).
 *
 * One backend at a time provides it: a plugin providing the feature
 * "kernel-ipsec" (netlink XFRM, PF_KEY v2, userspace ESP over TUN, or the
 * null backend for tests) calls kernel_ipsec_register() from its feature
 * callback and kernel_ipsec_unregister() when unloaded.  The core calls the
 * backend only through the kernel_* wrappers at the end of this file, which
 * log and fail cleanly when no backend is loaded.
 *
 * The data model is deliberately the common ground of XFRM (struct
 * xfrm_usersa_info / xfrm_userpolicy_info), PF_KEY v2 (RFC 2367 SADB_ADD,
 * SADB_X_SPDADD) and a userspace ESP engine:
 *  - an SA is named by (destination address, SPI, protocol) plus its mark,
 *    as in all three;
 *  - traffic selectors are address ranges with protocol and port range, as
 *    IKEv2 negotiates them; a backend that only knows prefixes (XFRM,
 *    PF_KEY) splits a range into the prefixes that cover it exactly;
 *  - algorithms are IKEv2 transform numbers (transform.h); each backend maps
 *    them to its own names ("rfc4106(gcm(aes))", SADB_X_EALG_AESCBC, ...);
 *  - keys are exactly what IKEv2 derived (RFC 7296 §2.17), including the
 *    salt/nonce bytes at the end for AES-GCM/CCM/CTR and ChaCha20-Poly1305.
 *
 * Threads: every function may be called from any worker thread at once;
 * backends lock internally.  Events are delivered on a backend thread (or
 * the event-loop thread); the callback MUST NOT block: it queues a job.
 *
 * Secrets: backends copy keys only into the kernel (or their ESP engine) and
 * never log them; the caller keeps ownership of the chunks it passes and
 * wipes them.
 */
#ifndef IKEV2D_KERNEL_IPSEC_H
#define IKEV2D_KERNEL_IPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/chunk.h>
#include <ikev2d/transform.h>

/* Direction of an SA or policy, from this host's point of view. */
typedef enum {
	KERNEL_DIR_IN  = 0,  /* traffic arriving for us */
	KERNEL_DIR_OUT = 1,  /* traffic we send */
	KERNEL_DIR_FWD = 2,  /* traffic we forward (tunnel gateways; policies only) */
} kernel_dir_t;

typedef enum {
	KERNEL_MODE_TRANSPORT = 0,
	KERNEL_MODE_TUNNEL    = 1,
} kernel_mode_t;

/* Protocol of an SA: values of protocol_id_t in ikev2.h. */
#define KERNEL_PROTO_ESP 3
#define KERNEL_PROTO_AH  2

/* A mark (XFRM "mark", PF_KEY extension, TUN engine tag); mask 0 = none. */
typedef struct {
	uint32_t value;
	uint32_t mask;
} kernel_mark_t;

/* A traffic selector: [from, to] addresses (network byte order; IPv4 uses
 * the first 4 bytes), an IP protocol (0 = any) and an inclusive port range
 * (0..65535 = any).  ICMP type/code ride in the port fields as RFC 7296
 * §3.13.1 says. */
typedef struct {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t from[16];
	uint8_t to[16];
	uint8_t proto;
	uint16_t port_from;
	uint16_t port_to;
} kernel_ts_t;

/* Lifetime limits; 0 in a field means no limit on that quantity.  A
 * backend raises a soft EXPIRE when a soft limit is reached (the engine
 * rekeys) and a hard EXPIRE when a hard limit is reached (the SA is gone
 * from the kernel by then; the engine deletes it). */
typedef struct {
	uint64_t bytes;
	uint64_t packets;
	uint64_t secs;       /* from installation */
} kernel_lifetime_t;

/* What names an SA in the kernel. */
typedef struct {
	struct sockaddr_storage dst;  /* outer destination (address only) */
	uint32_t spi;                 /* host byte order */
	uint8_t protocol;             /* KERNEL_PROTO_ESP */
	kernel_mark_t mark;
} kernel_sa_id_t;

/* Everything needed to install one SA (one direction of a CHILD SA). */
typedef struct {
	kernel_sa_id_t id;            /* id.dst is the outer destination */
	struct sockaddr_storage src;  /* outer source (address; port if encap) */
	kernel_dir_t dir;             /* KERNEL_DIR_IN or KERNEL_DIR_OUT */
	kernel_mode_t mode;
	uint32_t reqid;               /* ties SAs to policies; 0 = none */
	/* XFRM interface ID (an `ip link add NAME type xfrm if_id N`
	 * device carries the SA's traffic); 0 = none.  Not part of the SA's
	 * name: XFRM finds SAs by (dst, SPI, protocol, mark) alone.  A
	 * backend without interface IDs refuses an SA with one in
	 * can_install; the SA's mark (id.mark) likewise. */
	uint32_t if_id;

	/* UDP encapsulation (RFC 3948): the ports are taken from src and
	 * id.dst, which then must carry them. */
	bool encap;

	/* Either an AEAD (encr_alg AEAD per encr_is_aead(), integ_alg
	 * INTEG_NONE) or a cipher plus integrity.  The engine fills every
	 * field below for every transform (kernel_sa_set_algs()), so a
	 * backend needs no table of its own:
	 *  - encr_keylen_bits: the cipher key proper, salt excluded, never 0
	 *    but for ENCR_NULL: AES-* 128/192/256 (the key length attribute),
	 *    3DES 192, ChaCha20-Poly1305 256 (RFC 7634: no attribute);
	 *  - encr_salt_len: bytes of salt/nonce at the END of encr_key: 4 for
	 *    AES-GCM and AES-GMAC (RFC 4106 §8.1, 4543), AES-CTR (RFC 3686
	 *    §5.1) and ChaCha20-Poly1305 (RFC 7634 §2), 3 for AES-CCM
	 *    (RFC 4309 §7.1), 0 otherwise;
	 *  - encr_key.len == encr_keylen_bits / 8 + encr_salt_len, always
	 *    (XFRM: the whole chunk into xfrm_algo_aead/xfrm_algo with
	 *    alg_key_len = len * 8; PF_KEY: sadb_key_bits likewise);
	 *  - icv_bits: the AEAD's ICV (64/96/128) or the integrity
	 *    algorithm's truncated output (96 for *_96, 128 for
	 *    SHA2-256-128, 160 for SHA1-160, ...); XFRM alg_icv_len /
	 *    alg_trunc_len;
	 *  - integ_key: the whole integrity key (0 bytes for an AEAD). */
	uint16_t encr_alg;            /* encr_id_t */
	uint16_t encr_keylen_bits;
	uint8_t encr_salt_len;
	chunk_t encr_key;
	uint16_t integ_alg;           /* integ_id_t */
	uint16_t icv_bits;
	chunk_t integ_key;

	bool esn;                     /* 64-bit extended sequence numbers */
	uint32_t replay_window;       /* packets; 0 = no replay check (out) */
	kernel_lifetime_t soft, hard;

	/* Inner selectors of the SA (transport mode: the hosts' addresses;
	 * tunnel mode: may be left family 0 = any).  For XFRM's SA selector
	 * and PF_KEY's proxy/identity extensions. */
	kernel_ts_t src_ts, dst_ts;

	/* Transport mode through a NAT (RFC 3948 §3.1.2, RFC 7296 §2.23.1),
	 * inbound SA: the source and destination addresses the peer's stack
	 * computed its TCP/UDP checksums over (its own address and ours as
	 * it knows them), where the engine knows them; AF_UNSPEC (all zero)
	 * = not known.  A backend that rebuilds the header from the outer
	 * addresses fixes the checksums up incrementally from these, or
	 * recomputes them when one is not known.  Address only, port 0. */
	struct sockaddr_storage nat_oa_src, nat_oa_dst;
} kernel_sa_t;

/* Usage of an SA since it was installed. */
typedef struct {
	uint64_t bytes;
	uint64_t packets;
	uint64_t last_use_secs;  /* CLOCK_MONOTONIC seconds of last use; 0 = never */
} kernel_usage_t;

typedef enum {
	KERNEL_POLICY_PROTECT = 0,  /* apply IPsec (the SAs with reqid) */
	KERNEL_POLICY_PASS    = 1,  /* let through in clear */
	KERNEL_POLICY_DROP    = 2,
} kernel_policy_action_t;

/* A policy: traffic from src_ts to dst_ts in direction dir.  Named by
 * (src_ts, dst_ts, dir, mark, if_id) for deletion, as XFRM does. */
typedef struct {
	kernel_ts_t src_ts, dst_ts;
	kernel_dir_t dir;
	kernel_policy_action_t action;
	kernel_mark_t mark;
	uint32_t if_id;               /* XFRM interface ID; 0 = none; part of
	                                 the policy's name, as the mark */
	uint32_t reqid;
	uint32_t priority;            /* lower wins; 0 = backend default */
	kernel_mode_t mode;
	/* Outer (tunnel endpoint) addresses of the SA template (tunnel mode,
	 * and transport mode for PF_KEY's request); family 0 = none. */
	struct sockaddr_storage sa_src, sa_dst;
	uint8_t protocol;             /* KERNEL_PROTO_ESP */
} kernel_policy_t;

/* Events the kernel sends up. */
typedef enum {
	/* Traffic hit an OUT policy without an SA: start an exchange. */
	KERNEL_EV_ACQUIRE = 1,
	/* An SA reached a lifetime limit. */
	KERNEL_EV_EXPIRE  = 2,
	/* The peer's outer address/port of a UDP-encapsulated SA changed
	 * (a NAT rebinding seen on ESP-in-UDP). */
	KERNEL_EV_MAPPING = 3,
} kernel_event_type_t;

typedef struct {
	kernel_event_type_t type;
	union {
		struct {
			uint32_t reqid;        /* of the policy hit */
			kernel_ts_t src_ts;    /* the policy's selectors, narrowed */
			kernel_ts_t dst_ts;    /* to the packet where known */
			uint32_t seq;          /* backend's ACQUIRE sequence */
			/* The packet that hit the policy, where the backend
			 * knows it (family 0 otherwise); src_ts/dst_ts are
			 * then the policy's own selectors (RFC 7296 §2.9:
			 * the packet's go first in TSi/TSr). */
			kernel_ts_t pkt_src_ts;
			kernel_ts_t pkt_dst_ts;
			/* True when the policy hit is not one this backend
			 * installed (an administrator's `ip xfrm policy add
			 * ... tmpl proto esp`, setkey's spdadd): src_ts/dst_ts
			 * are then that policy's own selectors, reqid its
			 * template's, mode and tmpl_src/tmpl_dst its
			 * template's mode and tunnel endpoints (family 0 in
			 * transport mode or where unknown).  The engine
			 * negotiates those selectors (the packet's first),
			 * installs the SAs with that reqid so that the
			 * policy finds them, and installs no policy of its
			 * own for that CHILD SA. */
			bool foreign;
			kernel_mode_t mode;
			struct sockaddr_storage tmpl_src, tmpl_dst;
		} acquire;
		struct {
			kernel_sa_id_t sa;
			uint32_t reqid;
			bool hard;             /* false: soft (rekey), true: hard */
		} expire;
		struct {
			kernel_sa_id_t sa;
			uint32_t reqid;
			struct sockaddr_storage new_peer;  /* address and port */
		} mapping;
	};
} kernel_event_t;

/* Receives events; the engine installs one with kernel_ipsec_set_listener.
 * Runs on a backend thread: must not block, and must not call
 * kernel_ipsec_set_listener (the registry holds its lock meanwhile). */
typedef void (*kernel_event_cb_t)(const kernel_event_t *ev, void *ctx);

/* The backend interface.  Every method returns false on failure after
 * logging why (group DBG_KERNEL). */
typedef struct kernel_ipsec kernel_ipsec_t;
struct kernel_ipsec {
	/* Allocate an unused SPI for an inbound SA from src to dst (dst is
	 * ours); the backend reserves it (a larval SA) until add_sa or
	 * del_sa, or until it expires unused (backend-defined, >= 30 s).
	 * SPIs are >= 256 (RFC 4303 §2.1 reserves 1..255). */
	bool (*get_spi)(kernel_ipsec_t *self,
	                const struct sockaddr_storage *src,
	                const struct sockaddr_storage *dst,
	                uint8_t protocol, uint32_t reqid, uint32_t *spi);

	/* Install an SA; for an inbound one the SPI came from get_spi. */
	bool (*add_sa)(kernel_ipsec_t *self, const kernel_sa_t *sa);

	/* Change the outer addresses (and encapsulation ports) of an SA, for
	 * NAT-T port floating and NAT rebinding: the SA is found by id and its
	 * new id.dst / src are new_dst / new_src.  Keys and counters stay. */
	bool (*update_sa)(kernel_ipsec_t *self, const kernel_sa_id_t *id,
	                  const struct sockaddr_storage *new_src,
	                  const struct sockaddr_storage *new_dst, bool encap);

	bool (*query_sa)(kernel_ipsec_t *self, const kernel_sa_id_t *id,
	                 kernel_usage_t *usage);

	/* Remove an SA (or release a reserved SPI).  Deleting one that does
	 * not exist is a failure (logged at verbose by the backend). */
	bool (*del_sa)(kernel_ipsec_t *self, const kernel_sa_id_t *id);

	/* Install a policy; installing one that exists with the same selectors,
	 * direction and mark replaces it (XFRM "update"). */
	bool (*add_policy)(kernel_ipsec_t *self, const kernel_policy_t *policy);

	/* Last use of a policy (DPD decisions); bytes/packets may be 0. */
	bool (*query_policy)(kernel_ipsec_t *self, const kernel_policy_t *policy,
	                     kernel_usage_t *usage);

	/* Remove the policy with these selectors, direction and mark. */
	bool (*del_policy)(kernel_ipsec_t *self, const kernel_policy_t *policy);

	/* Whether the kernel's SPD has a PROTECT (ESP) policy of direction
	 * want->dir and template mode want->mode, one this backend did not
	 * install (someone else's), whose selectors hold want->src_ts and
	 * want->dst_ts (address ranges, protocol, ports); the one with the
	 * best (lowest) priority gives *reqid, its template's reqid in the
	 * engine's numbering (what add_sa / add_policy take to use it).
	 * The mark is want->mark exactly (where the backend has marks).
	 * Where want->sa_src / sa_dst have a family, the template's tunnel
	 * endpoints must be those addresses (a template endpoint left
	 * unspecified, as transport mode templates usually are, stands for
	 * any: kernel_tmpl_addr_ok).  False when there is none (and after
	 * logging, when the lookup failed).  NULL = the backend cannot tell:
	 * never matches.  The privsep parent asks it too, to allow the
	 * policies of a CHILD SA made for such a policy (privsep_guard.h). */
	bool (*match_policy)(kernel_ipsec_t *self, const kernel_policy_t *want,
	                     uint32_t *reqid);

	/* Let this socket's traffic pass without IPsec (the IKE sockets);
	 * NULL when the backend needs nothing (the socket layer also sets
	 * IP_XFRM_POLICY itself). */
	bool (*bypass_socket)(kernel_ipsec_t *self, int fd, int family);

	/* Remove every SA and policy this backend installed (shutdown and
	 * tests); NULL = nothing to do. */
	void (*flush)(kernel_ipsec_t *self);

	/* Whether this backend can install an SA like sa at all: asked by the
	 * configuration check (in.ikev2d -c and start-up) for every transform
	 * combination a CHILD SA's esp_xform allows, so what the kernel
	 * interface cannot express is refused with the rule's file:line before
	 * any peer is met, never found at install time.  Reads only encr_alg,
	 * encr_keylen_bits, integ_alg, esn, replay_window (0 = not configured
	 * explicitly), mode, encap, id.protocol, and src_ts / dst_ts where
	 * their family is not 0 (one configured local_ts / remote_ts, asked
	 * alone: a port range PF_KEY cannot express, say).  On false, why holds a
	 * short reason naming the transform ("AES-GCM-16 is an AEAD, which
	 * PF_KEY v2 cannot express").  NULL = it installs whatever the engine
	 * negotiates.  On true, a non-empty why is a warning the check prints
	 * with the rule's file:line (kernel-netlink on a kernel without ESP
	 * that also lacks an algorithm).  Also asked once per CHILD SA with only id.mark and
	 * if_id set besides the fields of a combination it took (a rule's
	 * mark_in/mark_out/if_id_in/if_id_out): a backend without marks or
	 * interface IDs says false then. */
	bool (*can_install)(kernel_ipsec_t *self, const kernel_sa_t *sa,
	                    char *why, size_t why_len);

	void (*destroy)(kernel_ipsec_t *self);
};

/* ---- for backends ------------------------------------------------- */

/* Make impl the kernel-ipsec provider.  False if one is registered. */
bool kernel_ipsec_register(const char *name, kernel_ipsec_t *impl);
/* Remove impl (the registry does not destroy it); waits until no call
 * into impl is running. */
void kernel_ipsec_unregister(kernel_ipsec_t *impl);

/* True while in.ikev2d -c checks a configuration: a backend loaded then
 * proves it can open its kernel interface but must neither read nor change
 * any kernel state (a running daemon owns it). */
bool kernel_ipsec_check_only(void);
void kernel_ipsec_set_check_only(bool on);

/*
 * The Linux capabilities the registered backend needs while it runs, as a
 * mask of KERNEL_CAP(CAP_...) bits (<linux/capability.h> numbers): e.g.
 * KERNEL_CAP(CAP_NET_ADMIN) for XFRM netlink or PF_KEY, 0 for a backend
 * that needs none.  Call it after kernel_ipsec_register.  The daemon keeps
 * exactly these once it has opened its sockets (and switched to its user);
 * a backend that declares nothing keeps CAP_NET_ADMIN, with a log line.
 * Only CAP_NET_ADMIN and CAP_NET_RAW can be kept.
 */
#define KERNEL_CAP(c) (UINT64_C(1) << (c))
void kernel_ipsec_declare_capabilities(uint64_t caps);
/* What the registered backend declared; false when it declared nothing
 * (or no backend is registered). */
bool kernel_ipsec_capabilities(uint64_t *caps);

/* Deliver an event to the engine's listener (dropped, logged at verbose,
 * when none is set). */
void kernel_ipsec_raise(const kernel_event_t *ev);

/* ---- for the engine (thin wrappers; false + log when no backend) ---- */

void kernel_ipsec_set_listener(kernel_event_cb_t cb, void *ctx);
/* Name of the registered backend, or NULL. */
const char *kernel_ipsec_name(void);

bool kernel_get_spi(const struct sockaddr_storage *src,
                    const struct sockaddr_storage *dst, uint8_t protocol,
                    uint32_t reqid, uint32_t *spi);
bool kernel_add_sa(const kernel_sa_t *sa);
bool kernel_update_sa(const kernel_sa_id_t *id,
                      const struct sockaddr_storage *new_src,
                      const struct sockaddr_storage *new_dst, bool encap);
bool kernel_query_sa(const kernel_sa_id_t *id, kernel_usage_t *usage);
bool kernel_del_sa(const kernel_sa_id_t *id);
bool kernel_add_policy(const kernel_policy_t *policy);
bool kernel_query_policy(const kernel_policy_t *policy, kernel_usage_t *usage);
bool kernel_del_policy(const kernel_policy_t *policy);
bool kernel_match_policy(const kernel_policy_t *want, uint32_t *reqid);
bool kernel_bypass_socket(int fd, int family);
void kernel_flush(void);
/* True when no backend is loaded or the backend's can_install says yes. */
bool kernel_can_install(const kernel_sa_t *sa, char *why, size_t why_len);

/* ---- helpers shared by backends and logs ---------------------------- */

const char *kernel_dir_name(kernel_dir_t dir);        /* "in", "out", "fwd" */
const char *kernel_mode_name(kernel_mode_t mode);     /* "tunnel", ... */
const char *kernel_action_name(kernel_policy_action_t a); /* "protect", ... */
/* "10.1.0.0-10.1.255.255[6/0-65535]"-style text; buf of >= KERNEL_TS_STRLEN. */
#define KERNEL_TS_STRLEN 112
char *kernel_ts_to_str(const kernel_ts_t *ts, char *buf, size_t len);
/* Fill encr_alg, encr_keylen_bits, encr_salt_len, integ_alg and icv_bits
 * of sa from the negotiated transforms (keylen_attr: the key length
 * attribute, 0 when the proposal had none).  False (sa unchanged) for an
 * unknown algorithm or a key length the algorithm does not have. */
bool kernel_sa_set_algs(kernel_sa_t *sa, uint16_t encr_alg,
                        uint16_t keylen_attr, uint16_t integ_alg);
/* The number of encr_key / integ_key bytes those fields call for. */
size_t kernel_sa_encr_key_len(const kernel_sa_t *sa);

/* Whether a policy template's endpoint - family and address bytes (4 or
 * 16; all zero: unspecified) - is want's address: want of family 0 asks
 * for nothing, an unspecified endpoint stands for any address. */
bool kernel_tmpl_addr_ok(const struct sockaddr_storage *want, int family,
                         const void *addr);

/* A selector covering exactly one address (proto/ports any). */
void kernel_ts_from_addr(kernel_ts_t *ts, const struct sockaddr_storage *addr);

#endif
