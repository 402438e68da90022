/*
 * kernel_pfkey.h - the PF_KEY v2 kernel backend (RFC 2367 with the Linux
 * SADB_X_* extensions): kernel-ipsec through an AF_KEY socket.
 *
 * Two sockets: one for requests (one at a time under a lock; each answer
 * is matched by type, sequence number and our pid, and everything else the
 * kernel broadcasts to every PF_KEY socket is skipped), and one that is
 * REGISTERed for ESP, so it alone receives ACQUIRE, EXPIRE and
 * X_NAT_T_NEW_MAPPING; the event loop watches it.
 *
 * What it installed (SAs, SPIs reserved, policies with the kernel's policy
 * ids) is kept in memory, so flush() removes exactly that and no one
 * else's, and is written to a journal (state_file), so the next start
 * removes what a crashed daemon left, after checking with the kernel (GET,
 * X_SPDDUMP) that each entry is still the one it installed.  That first
 * start-up work happens on the first kernel call, not at plugin load, so
 * `in.ikev2d -c` next to a running daemon touches nothing.
 *
 * Engine reqids are mapped onto the kernel's manual reqid space
 * (1..0x3fff, IPSEC_MANUAL_REQID_MAX): a larger one in a policy request
 * would be replaced by a kernel-chosen one, and the SAs would then never
 * match the policy.
 */
#ifndef IKEV2D_KERNEL_PFKEY_H
#define IKEV2D_KERNEL_PFKEY_H

#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

typedef struct kernel_pfkey kernel_pfkey_t;

/* Open the sockets and REGISTER (learning the kernel's algorithms).
 * state_file: the journal (NULL = none); route_table: the routing table
 * for tunnel routes (0 = none, pfkey_route.h), consulted by a rule of
 * route_rule_priority.  NULL (logged) when the kernel has no PF_KEY. */
kernel_pfkey_t *kernel_pfkey_create(const char *state_file, bool getspi,
                                    uint32_t route_table,
                                    uint32_t route_rule_priority);
kernel_ipsec_t *kernel_pfkey_ipsec(kernel_pfkey_t *k);

#endif
