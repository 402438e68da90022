/*
 * engine.h - the IKEv2 protocol engine: receives IKE messages from the
 * socket layer, finds (or creates) the IKE SA they belong to in the SA table,
 * runs the exchange tasks on it and sends the answers.
 *
 * The daemon uses the process-wide engine (engine_start/_reload/_shutdown).
 * Tests that wire two engines together in one process create their own
 * instances with engine_create() and feed them packets with
 * engine_receive(); every engine_t is independent (own SA table, own config
 * reference, own cookie secret).
 *
 * Owner: core/exchange ("engine").
 */
#ifndef IKEV2D_EXCHANGE_ENGINE_H
#define IKEV2D_EXCHANGE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

#include <config/config.h>
#include <net/packet.h>

typedef struct engine engine_t;

/* ------------------------------------------------ process-wide engine */

/* Start the engine with cfg (takes its own reference): open the IKE
 * sockets on daemon.ike_port/natt_port (unless already open), install the
 * packet receiver and the kernel event listener, initiate every rule
 * marked auto_start.  False (logged) if it
 * cannot start. */
bool engine_start(config_t *cfg);
/* SIGHUP: new IKE SAs use cfg; established SAs keep their rule. */
void engine_reload(config_t *cfg);
/* Send a Delete for every IKE SA, wait up to wait_ms for the replies
 * (which arrive only while the event loop still runs: call this before
 * runtime_stop() to see them), then free all state and close the
 * sockets.  Safe to call when not started. */
void engine_shutdown(unsigned wait_ms);
/* The running engine, or NULL. */
engine_t *engine_get(void);

/* ------------------------------------------------------ instances */

/* Limits and timers come from cfg->daemon (half_open_*, cookie_threshold,
 * retry_*, response_wait_time). */
engine_t *engine_create(config_t *cfg);
/* Take ownership of a received packet and process it (the receiver that
 * engine_start installs calls this). */
void engine_receive(engine_t *e, packet_t *packet);
/* Replace the configuration (reference taken). */
void engine_set_config(engine_t *e, config_t *cfg);
/* Start an IKE SA (and its first CHILD SA) for the rule with this label;
 * false (logged) when the rule is unknown or has no usable address. */
bool engine_initiate(engine_t *e, const char *label);
/* Rekey on request: the IKE SAs (ike) or all their CHILD SAs, of the rule
 * with this label (NULL: every rule).  Returns how many rekeys were queued. */
unsigned engine_rekey(engine_t *e, const char *label, bool ike);
/* Phase one of a shutdown: refuse new SAs, send a Delete for every
 * established IKE SA and wait up to wait_ms for the answers (an answered
 * Delete removes its SA).  Packets must still reach the engine; whoever
 * delivers them retires it (stops delivering) before engine_destroy(e, 0)
 * frees it, as engine_shutdown does. */
void engine_stop(engine_t *e, unsigned wait_ms);
/* engine_stop, then delete what is left without notifications and free
 * the engine. */
void engine_destroy(engine_t *e, unsigned wait_ms);

/* A kernel event (kernel_ipsec.h) for this engine's CHILD SAs: soft
 * EXPIRE rekeys, hard EXPIRE deletes, ACQUIRE creates.  Events for reqids
 * the engine does not know are ignored.  Does not block (queues a job).
 * engine_start installs a listener that calls this. */
void engine_kernel_event(engine_t *e, const kernel_event_t *ev);

/* Counters, for tests, ikeadm and benchmarks. */
typedef struct {
	unsigned ike_sas;          /* in the table, any state */
	unsigned half_open;        /* responder SAs not yet authenticated */
	unsigned established;      /* IKE SAs in ESTABLISHED */
	uint64_t ike_established_total;
	uint64_t child_established_total;  /* installed CHILD SAs, rekeys included */
	uint64_t ike_rekeyed_total;
	uint64_t child_rekeyed_total;
	uint64_t cookies_sent;
	uint64_t dropped;          /* messages dropped as invalid */
	uint64_t start_retries;    /* unanswered starts tried again */
	unsigned auth_waiting;     /* IKE_AUTHs parked until a revocation
	                            * answer comes (auth_wait.c) */
} engine_stats_t;
void engine_get_stats(engine_t *e, engine_stats_t *st);

/* in.ikev2d -c: every rule's authentication can work with the loaded
 * plugins and this keystore (an authenticator for both methods; for a
 * signature method of ours, a certificate with its key carrying local_id
 * whose key type fits the method).  Each problem is logged as
 * "file:line: message"; returns their number. */
struct keystore;
int engine_check_auth(const config_t *cfg, struct keystore *ks);

/* What the engine can do, printed by `in.ikev2d -V` as "capabilities: ...";
 * the network suites (testing/netns/lib.sh require_cap) run a scenario only
 * when its capability is listed, and skip it otherwise.  Each name here was
 * shown by those suites against this engine: ike (IKE_SA_INIT + IKE_AUTH
 * PSK + first CHILD SA), rekey-child, rekey-ike, rekey-collision, dpd,
 * delete, natt, cookie, natt-keepalive, acquire (on_demand traps started
 * by ACQUIRE), expire (soft EXPIRE rekeys, hard EXPIRE deletes with a
 * Delete), mapping (a NAT mapping change moves the SAs), ipv6 (IKE and
 * CHILD SAs over IPv6 with IPv6 selectors), id-types (RFC822, DN, KEY_ID
 * and IPv6 identities), asym-psk (ikev2.preshared local_key/remote_key),
 * transport (USE_TRANSPORT_MODE), pfs (CHILD SAs with a KE group), esn,
 * ts-narrow (selector narrowing and TS_UNACCEPTABLE), initial-contact (a
 * restarted peer's INITIAL_CONTACT removes its stale IKE SAs), start-retry
 * (an unanswered auto_start / on_demand start is tried again).
 * Remove a name if the feature regresses on purpose. */
#define ENGINE_CAPABILITIES \
	"ike rekey-child rekey-ike rekey-collision dpd delete natt cookie " \
	"natt-keepalive acquire expire mapping ipv6 id-types asym-psk " \
	"transport pfs esn ts-narrow initial-contact start-retry"

#endif
