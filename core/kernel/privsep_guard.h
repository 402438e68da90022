/*
 * privsep_guard.h - what the privileged parent lets the engine do with the
 * kernel (HACKING.md, "Privilege separation").
 *
 * The parent decodes each request (privsep_msg.h), asks psg_check whether
 * the configuration the PARENT loaded allows it, runs it against the real
 * backend only then, and tells the guard the outcome (psg_done) so that it
 * knows which SPIs it allocated and which SAs and policies it installed for
 * the engine:
 *  - get_spi: the addresses must be ones a rule allows (remote -> local);
 *  - add_sa: outer addresses a rule allows, algorithms one of that rule's
 *    childsa proposals allows, key lengths the algorithms call for; an
 *    inbound SA's SPI one the parent allocated and not yet used, an
 *    outbound one not installed already;
 *  - update_sa/query_sa/del_sa: only SAs installed (del: or SPIs
 *    allocated) for the engine; update_sa's new addresses a rule allows;
 *  - add_policy: only "protect", selectors inside one rule's local_ts /
 *    remote_ts (the rule's addresses for a side without selectors),
 *    tunnel endpoints the rule's addresses; or, outside them, what a
 *    policy someone else installed justifies (psg_set_spd); query/del
 *    only installed ones;
 *  - flush: only once the parent is shutting down.
 * Owner: core/kernel.  Not thread-safe: the parent calls it from one thread.
 */
#ifndef IKEV2D_KERNEL_PRIVSEP_GUARD_H
#define IKEV2D_KERNEL_PRIVSEP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "kernel/privsep_msg.h"

typedef struct psg psg_t;

/* SPIs allocated for the engine and not used by an add_sa yet: at most
 * PSG_SPI_MAX at a time (get_spi beyond is refused), each forgotten after
 * twice the longest response_wait_time in force, PSG_SPI_AGE_MIN_MS at
 * least.  So an engine that allocates without installing cannot grow the
 * parent's memory without limit. */
#define PSG_SPI_MAX 4096
#define PSG_SPI_AGE_MIN_MS 60000

psg_t *psg_create(void);
void psg_destroy(psg_t *g);
/* The configuration requests are checked against (a reference is taken).
 * The three before it stay in force too: IKE SAs established under an
 * older rule keep it (config.h) and rekey their CHILD SAs with it after a
 * reload; older ones are released.  SAs and policies installed before
 * stay known. */
void psg_set_config(psg_t *g, config_t *cfg);
void psg_set_shutdown(psg_t *g, bool on);

/* The kernel's SPD (the parent: kernel_match_policy): whether a PROTECT
 * policy not the backend's holds want (kernel_ipsec_t.match_policy), its
 * reqid in *reqid.  With it, add_policy also allows a policy outside every
 * childsa's selectors when the kernel holds an outbound ESP policy not
 * the backend's, of the request's mode and a childsa's mark_out, whose
 * selectors hold the request's (local -> remote), whose template's
 * endpoints are the request's tunnel endpoints (those of a rule whose
 * childsa has that mode and the request's mark and if_id) and whose reqid
 * is the request's: the policies of a CHILD SA negotiated for an
 * administrator's policy (its selectors and reqid).  Asked again for every
 * such request, so a policy the administrator removed justifies nothing
 * more.  NULL (the default): nothing outside the childsa selectors. */
typedef bool (*psg_spd_match_t)(const kernel_policy_t *want, uint32_t *reqid);
void psg_set_spd(psg_t *g, psg_spd_match_t match);

/* Whether the decoded request m may run; why says why not. */
bool psg_check(psg_t *g, const psm_msg_t *m, char *why, size_t why_len);
/* The request ran (ok: the backend succeeded; spi: get_spi's result). */
void psg_done(psg_t *g, const psm_msg_t *m, bool ok, uint32_t spi);

/* How many SAs/SPIs and policies the guard knows, and how many of them
 * are SPIs not used yet (tests). */
void psg_counts(const psg_t *g, size_t *sas, size_t *policies);
size_t psg_spis(const psg_t *g);
/* The clock of the SPI ageing (tests; NULL: time_monotonic_ms). */
void psg_set_clock(psg_t *g, uint64_t (*now_ms)(void));

#endif
