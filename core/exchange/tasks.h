/*
 * tasks.h - exchanges an IKE SA has yet to start.  With a message ID
 * window of one, a new request waits until the previous one is answered;
 * rekeys, new CHILD SAs and CHILD SA deletes queue here and start in order.
 */
#ifndef IKEV2D_EXCHANGE_TASKS_H
#define IKEV2D_EXCHANGE_TASKS_H

#include "exchange/engine_priv.h"

typedef enum {
	TASK_CHILD_CREATE,   /* a new CHILD SA for cfg */
	TASK_CHILD_REKEY,    /* rekey the CHILD SA with inbound SPI spi */
	TASK_CHILD_DELETE,   /* delete the CHILD SA with inbound SPI spi */
	TASK_IKE_REKEY,
	TASK_IKE_DELETE,
} task_type_t;

typedef struct task task_t;
struct task {
	task_t *next;
	task_type_t type;
	uint32_t spi;                /* CHILD SA: its inbound SPI */
	const child_cfg_t *cfg;      /* TASK_CHILD_CREATE */
	uint16_t ke_group;           /* retry with this group (0 = default) */
	bool has_acq;                /* TASK_CHILD_CREATE for someone else's */
	child_acq_t acq;             /* policy: its selectors and reqid */
};

/* Queue a task and start it if nothing is in flight. */
void task_queue(engine_t *e, ike_sa_t *sa, task_type_t type, uint32_t spi,
                const child_cfg_t *cfg);
/* Queue a new CHILD SA for cfg with acq's selectors and reqid (an ACQUIRE
 * for someone else's policy); once for the same cfg and acq. */
void task_queue_acq(engine_t *e, ike_sa_t *sa, const child_cfg_t *cfg,
                    const child_acq_t *acq);
/* Put an IKE SA task (no SPI, no cfg) before everything queued but the
 * CHILD SA Deletes at the head, once;
 * it starts when the request in flight is answered (tasks_run). */
void task_queue_first(ike_sa_t *sa, task_type_t type);
/* Start the next queued task when no request is in flight. */
void tasks_run(engine_t *e, ike_sa_t *sa);
void tasks_free(engine_t *e, ike_sa_t *sa);
/* Move the CHILD SA tasks (create, rekey, delete) queued on an IKE SA to
 * the one its CHILD SAs moved to (an IKE SA rekey), in order. */
void tasks_move_child(ike_sa_t *from, ike_sa_t *to);

/* The request in flight (sa->exch) of a CREATE_CHILD_SA we started. */
typedef struct {
	task_type_t type;            /* TASK_CHILD_CREATE/_REKEY, TASK_IKE_REKEY */
	child_sa_t *child;           /* the CHILD SA being made */
	uint32_t old_spi;            /* CHILD SA being rekeyed (inbound SPI) */
	ke_t *ke;
	uint16_t ke_group;
	chunk_t ni;
	bool peer_rekeyed;           /* CHILD rekey: the peer rekeyed old too */
	uint64_t new_ike_spi;        /* IKE rekey: our SPI of the new IKE SA */
	/* IKE rekey collision (§2.8.2): the peer's rekey of the same SA was
	 * answered while ours was in flight. */
	uint64_t peer_new_ike_spi;   /* our SPI of the SA the peer's made */
	chunk_t peer_nonce;          /* lowest nonce of the peer's exchange */
	const child_cfg_t *cfg;
	bool has_acq;                /* the task's acq (an INVALID_KE retry */
	child_acq_t acq;             /* needs it again) */
} exch_t;

void exch_free(exch_t *x);
/* Forget the request in flight: its half-made CHILD SA goes, and so does
 * the half-made IKE SA of an IKE rekey (unless e is NULL: the table is
 * being torn down anyway). */
void exch_abort(engine_t *e, ike_sa_t *sa);

/* create_child_sa.c */
void child_exchange_start(engine_t *e, ike_sa_t *sa, task_t *t);
void create_child_process_request(engine_t *e, ike_sa_t *sa, message_t *m);
void create_child_process_response(engine_t *e, ike_sa_t *sa, message_t *m);
void child_delete_start(engine_t *e, ike_sa_t *sa, uint32_t spi);
void child_unlink(ike_sa_t *sa, child_sa_t *c);

/* A CHILD SA rekey the peer answered with TEMPORARY_FAILURE is tried again
 * after 1-3 s (TIMER_CHILD_RETRY of the IKE SA; the delay is returned);
 * _moved re-arms it on the IKE SA the CHILD SAs moved to; _fire queues
 * the rekeys. */
uint64_t child_rekey_retry_arm(engine_t *e, ike_sa_t *sa, child_sa_t *c);
void child_rekey_retry_moved(engine_t *e, ike_sa_t *sa);
void child_rekey_retry_fire(engine_t *e, ike_sa_t *sa);

/* ike_rekey.c */
void ike_rekey_start(engine_t *e, ike_sa_t *sa, task_t *t);
void ike_rekey_process_request(engine_t *e, ike_sa_t *sa, message_t *m);
void ike_rekey_process_response(engine_t *e, ike_sa_t *sa, message_t *m);

/* Random nonce of NONCE_LEN bytes; false without an RNG. */
bool nonce_create(chunk_t *out);
/* Lowest of two nonces (memcmp order, shorter first on a tie). */
chunk_t nonce_min(chunk_t a, chunk_t b);

#endif
