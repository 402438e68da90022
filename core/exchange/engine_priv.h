/*
 * engine_priv.h - what the engine's files share: the engine object, the
 * handshake and key state of an IKE SA, and the internal entry points of
 * each exchange.  Not for use outside core/exchange.
 */
#ifndef IKEV2D_EXCHANGE_ENGINE_PRIV_H
#define IKEV2D_EXCHANGE_ENGINE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include <ikev2d/auth.h>
#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/runtime.h>

#include "codec/fragment.h"
#include "codec/message.h"
#include "crypto/keymat.h"
#include "exchange/engine.h"
#include "exchange/rule_stats.h"
#include "sa/ike_sa.h"
#include "sa/sa_table.h"

#define NONCE_LEN        32     /* >= half the largest PRF key (RFC 7296 §2.10) */
#define COOKIE_SECRET_LEN 32
#define MAX_INIT_RETRIES 3      /* COOKIE / INVALID_KE restarts */

struct engine {
	sa_table_t *table;
	pthread_mutex_t cfg_lock;
	config_t *cfg;                 /* for new SAs (a reference) */
	_Atomic bool stopping;         /* shutdown: accept no new SAs; set by the
	                                * stopping thread, read by workers */

	/* COOKIE secret (RFC 7296 §2.6), rotated; the previous one is still
	 * accepted so that a cookie handed out just before stays valid. */
	pthread_mutex_t cookie_lock;
	uint8_t cookie_secret[COOKIE_SECRET_LEN];
	uint8_t cookie_prev[COOKIE_SECRET_LEN];
	uint8_t cookie_version;        /* of cookie_secret */
	uint64_t cookie_rotated_ms;

	atomic_uint timers;            /* timer jobs scheduled and not yet run */
	atomic_uint n_established;
	atomic_uint_fast64_t ike_established_total;
	atomic_uint_fast64_t child_established_total;
	atomic_uint_fast64_t ike_rekeyed_total;
	atomic_uint_fast64_t child_rekeyed_total;
	atomic_uint_fast64_t cookies_sent;
	atomic_uint_fast64_t dropped;
	/* What `ikeadm get stats` shows (engine_ctl.h). */
	atomic_uint_fast64_t init_attempts, resp_attempts;
	atomic_uint_fast64_t init_established, resp_established;
	atomic_uint_fast64_t init_fail_no_response, init_fail_peer, resp_fail;
	rule_stats_table_t rule_stats;  /* per rule label, lock-free */
	pthread_mutex_t reqid_lock;
	void *reqid_map;                /* reqid -> IKE SA local SPI */
	const rule_t *last_acquire_rule; /* ACQUIRE rate limit (reqid_lock) */
	uint64_t last_acquire_ms;
	uint64_t last_acquire_key;       /* someone else's policy: which */
	pthread_mutex_t retry_lock;
	struct start_retry *retries;    /* scheduled tries of rules (start_retry.c) */
	atomic_uint_fast64_t start_retries_total;
	pthread_mutex_t retire_lock;
	struct child_retire *retiring;  /* inbound SAs in their grace period
	                                   (child_retire.c) */
	unsigned n_retiring;
	/* IKE_AUTHs waiting for a revocation answer, and resume jobs
	 * running (auth_wait.c, under its lock) */
	struct auth_wait *auth_waits;
	unsigned auth_resuming;
	atomic_uint auth_parked;       /* IKE_AUTH messages parked now */
};

typedef struct auth_wait auth_wait_t;

/* SK_* keys and the crypto objects of both directions. */
struct ike_keys {
	prf_id_t prf_alg;
	chunk_t sk_d, sk_pi, sk_pr;    /* sk_pi/sk_pr wiped once established */
	sk_ctx_t in, out;
	frag_reasm_t *reasm;           /* NULL unless a message is being
	                                  reassembled from fragments */
	uint64_t reasm_started_ms;     /* its first fragment arrived then */
	/* After an IKE SA rekey that changed the PRF: the keys derived the
	 * other way (RFC 7296 §2.18 uses the new PRF for prf+, strongSwan the
	 * old one), kept until a message from the peer verifies under one of
	 * the two sets (ike_keys_confirm).  NULL otherwise. */
	struct ike_keys *alt;
	bool alt_old_prf;              /* alt is the old-PRF (strongSwan) set */
};

/* What only the handshake needs; freed once the IKE SA is established. */
struct ike_hs {
	ke_t *ke;
	uint16_t ke_group;
	chunk_t ni, nr;
	chunk_t init_req, init_resp;   /* raw IKE_SA_INIT messages (AUTH) */
	chunk_t cookie;                /* initiator: the cookie to echo */
	unsigned init_retries;
	child_sa_t *child;             /* initiator: the first CHILD SA offered */
	bool frag_offered;
	/* From the peer (authn.c): its SIGNATURE_HASH_ALGORITHMS (RFC 7427
	 * §4) and the CA key ids of its CERTREQ payloads. */
	uint16_t peer_hashes[16];
	size_t n_peer_hashes;
	uint8_t certreq[AUTH_MAX_KEYIDS][AUTH_KEYID_SIZE];
	size_t n_certreq;
	/* the wait for a revocation answer and the IKE_AUTH message parked
	 * meanwhile (auth_wait.c); NULL if none was needed */
	struct auth_wait *wait;
};

/* ---------------------------------------------------------- logging
 * Every line about an SA names its rule and number. */
#define SA_RULE(sa) ((sa)->rule ? (sa)->rule->label : "-")
#define sa_log(sa, grp, lvl, fmt, ...) \
	bus_log((grp), (lvl), "%s #%llu: " fmt, SA_RULE(sa), \
	        (unsigned long long)(sa)->entry.unique_id, ##__VA_ARGS__)

/* ----------------------------------------------------------- engine.c */
config_t *engine_config(engine_t *e);   /* a new reference */
/* The local SPI of an IKE SA of rule label (the first one met in a walk
 * of the table) that is established (else: any not dead), 0 when there is
 * none. */
uint64_t engine_rule_ike_sa(engine_t *e, const char *label, bool established);
void ike_sa_release(engine_t *e, ike_sa_t *sa);
/* Done with a checked-out SA: remove it when it is IKE_DEAD, else check
 * it in.  Every path that checked an SA out ends here. */
void engine_finish(engine_t *e, ike_sa_t *sa);
/* New IKE SA object (not yet in the table). */
ike_sa_t *ike_sa_new(engine_t *e, config_t *cfg, const rule_t *rule,
                     bool initiator);
/* The SA failed or was deleted: log why (op level), emit events, remove
 * its CHILD SAs from the kernel, remove it from the table and check it in. */
void ike_sa_delete(engine_t *e, ike_sa_t *sa, const char *why);
/* Established: counters, events, free handshake state, arm DPD/rekey. */
void ike_sa_established(engine_t *e, ike_sa_t *sa);
void ike_hs_free(ike_hs_t *hs);
/* DPD and IKE SA rekey timers of an established SA. */
void ike_sa_arm_timers(engine_t *e, ike_sa_t *sa);
/* Send a NAT keepalive and re-arm (TIMER_KEEPALIVE). */
void nat_keepalive(engine_t *e, ike_sa_t *sa);
void ike_keys_free(ike_keys_t *k);

/* Timers: fn runs on a worker with the SA checked out (skipped when the
 * SA is gone).  'kind' says which timer field of the SA it is. */
typedef enum {
	TIMER_RETRANSMIT,
	TIMER_HALF_OPEN,
	TIMER_DPD,
	TIMER_REKEY,
	TIMER_KEEPALIVE,
	TIMER_CHILD_RETRY,   /* CHILD SA rekeys the peer put off (rekey_retry) */
} sa_timer_kind_t;
#define SA_TIMER_KINDS 6
void sa_timer_start(engine_t *e, ike_sa_t *sa, sa_timer_kind_t kind,
                    uint64_t ms);
void sa_timer_stop(engine_t *e, ike_sa_t *sa, sa_timer_kind_t kind);

/* Rules whose addresses match (local, remote); next after 'prev' (NULL:
 * first). */
const rule_t *rule_by_addr(const config_t *cfg, const rule_t *prev,
                           const struct sockaddr_storage *local,
                           const struct sockaddr_storage *remote);
bool addr_in_ranges(const addr_range_t *r, int n,
                    const struct sockaddr_storage *a);

/* ---------------------------------------------------------- send.c */
/* Generate (SK-protected unless IKE_SA_INIT, fragmented when needed and
 * allowed) and send our request, keeping it for retransmission. */
bool send_request(engine_t *e, ike_sa_t *sa, message_t *m);
/* Generate and send our response, keeping it for retransmitted requests. */
bool send_response(engine_t *e, ike_sa_t *sa, message_t *m);
/* Resend the stored response / request. */
void resend_response(engine_t *e, ike_sa_t *sa);
void retransmit_timeout(engine_t *e, ike_sa_t *sa);
/* Send raw bytes from/to the given addresses (unprotected answers). */
bool send_raw(chunk_t data, const struct sockaddr_storage *src,
              const struct sockaddr_storage *dst);
/* New request message of the SA with the next message ID. */
message_t *sa_new_request(ike_sa_t *sa, uint8_t exchange);
message_t *sa_new_response(ike_sa_t *sa, uint8_t exchange, uint32_t mid);

/* ------------------------------------------------------- ike_sa_init.c */
bool ike_init_start(engine_t *e, ike_sa_t *sa);
void ike_init_process_request(engine_t *e, packet_t *pkt, message_t *m);
void ike_init_process_response(engine_t *e, ike_sa_t *sa, message_t *m);
/* An unprotected IKE_SA_INIT answer with one notify, keeping no state. */
void init_answer(engine_t *e, packet_t *pkt, uint64_t spi_i, uint16_t type,
                 chunk_t data);

/* --------------------------------------------------------- cookie.c */
void cookie_init(engine_t *e);
/* The cookie for this initiator (SPIi, Ni, its address), current secret. */
chunk_t cookie_make(engine_t *e, uint64_t spi_i, chunk_t ni,
                    const struct sockaddr_storage *peer);
bool cookie_verify(engine_t *e, chunk_t cookie, uint64_t spi_i, chunk_t ni,
                   const struct sockaddr_storage *peer);

/* ---------------------------------------------------------- keys.c */
/* SKEYSEED and SK_* from the handshake state; sets up sa->keys. */
bool ike_keys_derive(ike_sa_t *sa);
/* Set up sa->keys from derived SK_* (takes and wipes them). */
bool ike_keys_install(ike_sa_t *sa, keymat_ike_keys_t *k);
/* Keep k as the alternative keys of sa (see ike_keys_t.alt); consumes k. */
bool ike_keys_install_alt(ike_sa_t *sa, keymat_ike_keys_t *k, bool old_prf);
/* A message from the peer verified under the alternative keys (alt_ok) or
 * under the primary ones: keep that set, drop the other. */
void ike_keys_confirm(ike_sa_t *sa, bool alt_ok);
/* Big-endian bytes of an IKE SPI as on the wire. */
void spi_to_bytes(uint64_t spi, uint8_t out[8]);
/* prf(key, data) with the SA's PRF into a fresh chunk. */
bool sa_prf(ike_sa_t *sa, chunk_t key, chunk_t data, chunk_t *out);

/* ------------------------------------------------------------- id.c */
/* Our ID payload (type and body) for the SA's rule; false (logged) if
 * it cannot be encoded. */
bool id_local(ike_sa_t *sa, uint8_t *type, chunk_t *data);
/* Whether a peer's ID payload matches one of the rule's remote IDs. */
bool id_matches_rule(const rule_t *rule, uint8_t type, chunk_t data);
/* Printable form of an ID payload for logs. */
char *id_to_str(uint8_t type, chunk_t data, char *buf, size_t len);

/* --------------------------------------------------------- ike_auth.c */
void ike_auth_start(engine_t *e, ike_sa_t *sa);
void ike_auth_process_request(engine_t *e, ike_sa_t *sa, message_t *m);
void ike_auth_process_response(engine_t *e, ike_sa_t *sa, message_t *m);

/* --------------------------------------------------------- child_sa.c */
/* Install both directions and the policies of a negotiated CHILD SA;
 * keys from SK_d and the nonces (g_ir empty without PFS); we_initiated:
 * we sent the request that created it. */
bool child_install(engine_t *e, ike_sa_t *sa, child_sa_t *c, chunk_t g_ir,
                   chunk_t ni, chunk_t nr, bool we_initiated);
/* Remove both directions and the policies from the kernel. */
void child_uninstall(ike_sa_t *sa, child_sa_t *c);
/* As child_uninstall, for a CHILD SA whose Delete we send: its inbound SA
 * stays until child_linger_release (the answer to that Delete, or the IKE
 * SA's end), since the peer may send on it until it has our Delete. */
void child_uninstall_linger(ike_sa_t *sa, child_sa_t *c);
/* The lingering inbound SAs go, after the grace period below. */
void child_linger_release(engine_t *e, ike_sa_t *sa);
/* As child_uninstall, for a CHILD SA the peer deleted: when a successor
 * has its reqid (the SA was replaced by a rekey, or lost a simultaneous
 * one) its inbound SA goes after the grace period, else at once. */
void child_uninstall_peer_deleted(engine_t *e, ike_sa_t *sa, child_sa_t *c);

/* ----------------------------------------------------- child_retire.c */
/* How long the inbound SA of a replaced CHILD SA stays after the exchange
 * that ended it, for ESP packets still in flight on it (strongSwan waits
 * 5 s, delete_rekeyed_delay; a rekey every few seconds should not keep
 * several). */
#define CHILD_INBOUND_GRACE_MS 2000
typedef struct child_retire child_retire_t;
/* Remove this inbound SA from the kernel after the grace period (at once
 * when the engine stops or e is NULL). */
void child_retire_inbound(engine_t *e, const kernel_sa_id_t *id);
/* Inbound SAs waiting for their removal. */
unsigned child_retire_pending(engine_t *e);
/* Remove them all now (engine shutdown). */
void child_retire_flush(engine_t *e);
/* Tests: another grace period (0: none). */
void child_retire_set_grace_ms(uint64_t ms);
uint64_t child_retire_grace_ms(void);
/* The SA whose inbound SPI is old_in is gone (or going): a rekey's
 * successor waiting for that gets its outbound SA now. */
void child_release_successor(ike_sa_t *sa, uint32_t old_in);
/* The peer's outer address/port moved from old_remote to sa->remote (a
 * NAT rebinding): update both SAs (and the policies' templates when the
 * address changed) in the kernel.  False (logged) if the kernel refused. */
bool child_move_peer(ike_sa_t *sa, child_sa_t *c,
                     const struct sockaddr_storage *old_remote);
/* child_move_peer for every installed CHILD SA of sa; returns how many
 * moved, *failed how many the kernel refused. */
int child_move_all(ike_sa_t *sa, const struct sockaddr_storage *old_remote,
                   int *failed);
child_sa_t *child_new(engine_t *e, const child_cfg_t *cfg);
void child_add_to_sa(ike_sa_t *sa, child_sa_t *c);
child_sa_t *child_find_by_spi(ike_sa_t *sa, uint32_t spi, bool inbound);
void child_log_up(ike_sa_t *sa, child_sa_t *c, const char *what);
/* A lifetime less up to 10 % at random. */
uint64_t lifetime_jitter(uint64_t secs);
/* reqids are unique in the process (the kernel is shared). */
uint32_t engine_next_reqid(void);
/* Which IKE SA (local SPI) owns the CHILD SAs of a reqid. */
void reqid_map_set(engine_t *e, uint32_t reqid, uint64_t ike_spi);
void reqid_map_del(engine_t *e, uint32_t reqid);
uint64_t reqid_map_get(engine_t *e, uint32_t reqid);
void reqid_map_free(engine_t *e);

/* ----------------------------------------------------------- trap.c */
/* Install the trap policies of cfg's on_demand rules for engine e (its
 * ACQUIREs start them), keep those already installed, remove those of
 * rules that went away (cfg NULL: all).  The traps are process-wide, like
 * the kernel's policies: one engine at a time owns them. */
void trap_sync(engine_t *e, config_t *cfg);
/* A CHILD SA of IKE SA ike_spi installed this policy: if it has a trap's
 * selectors it took the trap's place in the kernel. */
void trap_policy_added(const kernel_policy_t *p, uint64_t ike_spi);
/* A CHILD SA is removing this policy: true when it was a trap's place and
 * the trap is back (the caller must not delete it). */
bool trap_policy_released(const kernel_policy_t *p);
/* An ACQUIRE for a trap's reqid: start its rule (or a CHILD SA in the IKE
 * SA that served it), rate-limited.  False when the reqid is no trap's. */
bool trap_acquire(engine_t *e, const kernel_event_t *ev);

/* ----------------------------------------------------- initial_contact.c */
/* sa (checked out, established, peer_id set) carried INITIAL_CONTACT:
 * remove, from a job, the established IKE SAs of its rule with the same
 * whole peer identity and address that began before it (lineage older
 * than sa's): never sa itself nor the SAs rekeyed from it, which may
 * exist by the time the job runs. */
void initial_contact(engine_t *e, ike_sa_t *sa);
/* What that job does, synchronously (tests): returns how many went. */
unsigned initial_contact_sweep(engine_t *e, uint64_t lineage, uint8_t id_type,
                               chunk_t id, const char *label,
                               const struct sockaddr_storage *peer);

/* ------------------------------------------------------ informational.c */
void informational_process_request(engine_t *e, ike_sa_t *sa, message_t *m);
void informational_process_response(engine_t *e, ike_sa_t *sa, message_t *m);
/* Send a Delete for the IKE SA (state DELETING; removed on the answer
 * or the retransmit limit). */
void ike_sa_send_delete(engine_t *e, ike_sa_t *sa);
void dpd_timeout(engine_t *e, ike_sa_t *sa);

/* start_retry.c: an auto_start / on_demand start that got no answer is
 * tried again after a jittered, doubling back-off, up to the rule's
 * start_retry_limit.  Initiate rule `label` as try number `attempt`. */
bool engine_initiate_attempt(engine_t *e, const char *label, unsigned attempt);
/* Initiate rule `label` for someone else's policy: its first (and only)
 * CHILD SA is acq's (kernel_events.c). */
bool engine_initiate_acq(engine_t *e, const char *label, const child_acq_t *acq);
/* Called by ike_sa_delete for an SA that never came up. */
void start_retry_after_failure(engine_t *e, ike_sa_t *sa);
/* The back-off before try number `attempt` (>= 2), in ms, with jitter. */
uint64_t start_retry_backoff_ms(unsigned attempt, int max_secs);
/* Cancel every scheduled try (engine shutdown). */
void start_retry_cancel_all(engine_t *e);

#endif
