/*
 * ike_sa.h - the state of one IKE SA and its CHILD SAs.
 *
 * An ike_sa_t lives in the SA table (it embeds sa_entry_t first) and is only
 * touched by the thread that checked it out.  What the handshake alone needs
 * (key exchange, nonces, the IKE_SA_INIT messages for AUTH) lives in a
 * separately allocated ike_hs_t that is freed once the SA is established, so
 * an established SA stays small.
 *
 * Owner: core/sa ("engine").
 */
#ifndef IKEV2D_SA_IKE_SA_H
#define IKEV2D_SA_IKE_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/chunk.h>
#include <ikev2d/crypto.h>
#include <ikev2d/runtime.h>

#include "codec/payload.h"
#include "config/config.h"
#include "sa/sa_table.h"

typedef enum {
	IKE_CREATED,        /* nothing sent or received yet */
	IKE_INIT_SENT,      /* initiator: IKE_SA_INIT request out */
	IKE_INIT_DONE,      /* responder: IKE_SA_INIT answered, waiting for AUTH */
	IKE_AUTH_SENT,      /* initiator: IKE_AUTH request out */
	IKE_ESTABLISHED,
	IKE_REKEYING,       /* CREATE_CHILD_SA rekeying this IKE SA in flight */
	IKE_DELETING,       /* Delete sent, waiting for the answer */
	IKE_DEAD,           /* being removed */
} ike_sa_state_t;

const char *ike_sa_state_name(ike_sa_state_t s);

/* A negotiated set of transforms (IKE or ESP). */
typedef struct {
	uint16_t encr, encr_keylen;  /* keylen in bits, 0 = none */
	uint16_t integ;              /* INTEG_NONE with AEAD */
	uint16_t prf;                /* IKE only */
	uint16_t ke;                 /* KE_NONE without (P)FS */
	uint16_t esn;                /* ESP only */
} algs_t;

typedef enum {
	CHILD_CREATED,
	CHILD_INSTALLED,
	CHILD_REKEYING,
	CHILD_REKEYED,      /* replaced, waiting for its Delete */
	CHILD_DELETING,
} child_sa_state_t;

/* A CHILD SA asked for by a policy someone else installed (an ACQUIRE the
 * backend marks foreign): the selectors to propose (the packet's first,
 * then the policy's, RFC 7296 §2.9) and the template's reqid, which the
 * SAs must carry for that policy to use them. */
#define CHILD_ACQ_MAX_TS 2
typedef struct {
	uint32_t reqid;
	int child;                   /* index of the rule's childsa entry */
	ts_t local[CHILD_ACQ_MAX_TS]; int n_local;
	ts_t remote[CHILD_ACQ_MAX_TS]; int n_remote;
} child_acq_t;

typedef struct child_sa child_sa_t;
/* Transport mode through a NAT (RFC 7296 §2.23.1): a host behind a NAT
 * names its own address in its selectors, not the one the IKE SA sees.
 * The CHILD SA's selectors have the IKE SA's address (what our stack
 * uses); this remembers the other. */
typedef struct {
	uint8_t type;         /* TS_IPV4/IPV6_ADDR_RANGE; 0 = nothing replaced */
	uint8_t orig[16];     /* the address the selectors on the wire have */
	uint8_t ike[16];      /* the IKE SA's address that took its place */
} nat_oa_t;

struct child_sa {
	child_sa_t *next;
	child_sa_state_t state;
	const child_cfg_t *cfg;
	uint32_t spi_in, spi_out;    /* network byte order values as on the wire */
	algs_t algs;
	bool transport;
	ts_t *ts_local; int n_ts_local;
	ts_t *ts_remote; int n_ts_remote;
	uint64_t unique_id;
	uint64_t established_ms;
	uint32_t reqid;              /* shared by a CHILD SA and its rekeyed successors */
	bool keep_policies;          /* rekeyed: the successor owns the policies */
	bool foreign_policy;         /* made for someone else's policy (its
	                                selectors and reqid) */
	bool rekeyed_by_peer;        /* the peer rekeyed it while we tried too */
	chunk_t peer_rekey_nonce;    /* lowest nonce of the peer's rekey exchange */
	chunk_t our_rekey_nonce;     /* rekeyed by us: lowest nonce of our exchange */
	uint32_t successor_spi;      /* rekeyed by us: the new SA's inbound SPI */
	/* Made as the responder of a rekey: the outbound SA waits until the
	 * initiator has installed its inbound one, i.e. until the old SA goes
	 * (its Delete, or its expiry), so no packet leaves on an SA the peer
	 * cannot decrypt yet.  deferred_out holds the engine's description
	 * of that SA and its keys (wiped when freed); deferred_for is the old
	 * SA's inbound SPI. */
	chunk_t deferred_out;
	uint32_t deferred_for;
	bool rekey_retry;            /* our rekey met TEMPORARY_FAILURE: again soon */
	/* transport mode through a NAT: the peer's own address (its side's
	 * selectors) and ours as the peer knows it (our side's) */
	nat_oa_t nat_oa_remote, nat_oa_local;
};

typedef struct ike_hs ike_hs_t;   /* handshake scratch, engine-defined */
typedef struct ike_keys ike_keys_t; /* SK_* and their crypto objects */

typedef struct ike_sa ike_sa_t;
struct ike_sa {
	sa_entry_t entry;            /* first: the table's view */
	ike_sa_state_t state;
	bool initiator;              /* we were the original initiator */
	uint64_t spi_i, spi_r;       /* as on the wire (big-endian values) */
	config_t *cfg;               /* the configuration the SA started with */
	const rule_t *rule;          /* in cfg; NULL until matched */
	struct sockaddr_storage local, remote;
	algs_t algs;
	ike_keys_t *keys;
	ike_hs_t *hs;                /* NULL once established */

	/* Message IDs (RFC 7296 §2.3, window size 1). */
	uint32_t mid_next_out;       /* ID of our next request */
	uint32_t mid_next_in;        /* ID of the next request we expect */
	chunk_t *resp; int n_resp;   /* our answer to request mid_next_in - 1
	                                (one chunk, or its fragments) */
	chunk_t *req; int n_req;     /* our unanswered request, for resending */
	chunk_t *req_alt; int n_req_alt; /* the same under the alternative keys
	                                of a rekey that changed the PRF, sent
	                                on every other retransmission until
	                                the peer shows which it derived */
	uint8_t req_exchange;        /* its exchange type */
	unsigned retransmits;
	uint64_t req_first_sent_ms;
	void *timer[6];              /* engine timers (retransmit, half-open,
	                                DPD, rekey, NAT keepalive, CHILD rekey
	                                retry); NULL when
	                                not armed */
	uint64_t last_heard_ms;      /* last valid message from the peer */

	child_sa_t *children;
	/* Inbound SPIs of rekeyed CHILD SAs whose Delete we sent: their
	 * inbound SA stays until the peer's answer (it may still be sending
	 * on it until it gets our Delete), then goes. */
	uint32_t linger_in[8];
	kernel_mark_t linger_mark[8];  /* their marks (the rule's mark_in) */
	int n_linger;
	bool peer_fragmentation;     /* peer sent IKEV2_FRAGMENTATION_SUPPORTED */
	bool nat_local, nat_remote;  /* NAT detected in front of us / the peer */
	bool natt;                   /* on port 4500 with the non-ESP marker */
	bool redundant;              /* lost a simultaneous rekey: delete it soon */
	uint8_t peer_id_type;        /* the peer's authenticated identity, */
	chunk_t peer_id;             /* whole (INITIAL_CONTACT compares it);
	                                empty = not known */
	uint64_t lineage;            /* unique_id of the first IKE SA of the
	                                chain of rekeys this one belongs to */
	unsigned start_attempt;      /* try number of an auto_start / on_demand
	                                start (1 = first); 0 = not retried */
	bool unanswered;             /* failed because the peer never answered */
	uint64_t created_ms;         /* CLOCK_MONOTONIC when made */
	uint64_t established_ms;     /* when it came up (or was rekeyed into) */
	/* Why a handshake failed, for the statistics: no answer at all, or
	 * the error notify the peer sent or we answered with (0 = other). */
	bool fail_no_response;
	uint16_t fail_notify;
	child_acq_t *acq;            /* the first CHILD SA is for someone else's
	                                policy (initiator; freed with the SA) */
	void *tasks;                 /* engine-defined queue of exchanges to start */
	void *exch;                  /* engine-defined state of our request in flight */
};

/* Free everything the SA owns except its table entry's memory layout (the
 * SA itself is freed here too); wipes keys. */
void ike_sa_free(ike_sa_t *sa);
/* Remember the peer's authenticated identity (a copy). */
void ike_sa_set_peer_id(ike_sa_t *sa, uint8_t type, chunk_t data);
void child_sa_free(child_sa_t *c);
/* Free a stored message (an array of n chunks) and reset it. */
void ike_sa_free_msgs(chunk_t **msgs, int *n);

#endif
