/*
 * pfkey_route.h - routes for the tunnels kernel-pfkey installs.
 *
 * PF_KEY has no routes, yet a site-to-site tunnel needs one: the kernel
 * looks up the IPsec policy of a packet only once the packet is routed,
 * and the address the packet leaves with must be inside the local
 * selector.  So, as kernel-netlink does, each remote-selector prefix of an
 * outbound tunnel policy gets a route in a table of our own (default 220,
 * consulted through one `ip rule`), towards the peer's next hop, with the
 * source an address of this host inside the local selector.  Routes are
 * counted per prefix (several policies may share one) and removed with the
 * last policy needing them.  This is rtnetlink (libmnl), used for routes
 * only; everything IPsec stays on PF_KEY.
 *
 * Our routes carry rtm_protocol PFK_ROUTE_PROTO, so the routes a crashed
 * daemon left in the table are told from anyone else's and removed at the
 * next start (pfk_routes_start), which also takes over the rule such a
 * run left (same table and priority) and removes it at shutdown.
 */
#ifndef IKEV2D_PFKEY_ROUTE_H
#define IKEV2D_PFKEY_ROUTE_H

#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

#include "pfkey_xlate.h"

/* rtm_protocol of our routes (unassigned in iproute2's rt_protos;
 * kernel-netlink uses 158). */
#define PFK_ROUTE_PROTO 159

typedef struct pfk_routes pfk_routes_t;

/* Open the rtnetlink socket (at plugin load: the daemon may lose the
 * right to later).  NULL when table is 0 (no routes wanted) or the socket
 * cannot be had (logged: the backend then works without routes). */
pfk_routes_t *pfk_routes_create(uint32_t table, uint32_t rule_priority);

/* First real use (never under in.ikev2d -c): remove routes a crashed run
 * left in the table, add the rule.  False when the rule failed (logged). */
bool pfk_routes_start(pfk_routes_t *r);

/* Routes to the n prefixes dst[] (an outbound tunnel policy's remote
 * selector) towards peer (the tunnel's far end), sourced from an address
 * of ours inside local_ts.  Each prefix counts one reference, also when
 * no route could be made (logged), so pfk_routes_del stays symmetric. */
void pfk_routes_add(pfk_routes_t *r, const kernel_ts_t *local_ts,
                    const struct sockaddr_storage *peer,
                    const pfk_prefix_t *dst, int n);
/* Drop one reference per prefix; the last removes the route. */
void pfk_routes_del(pfk_routes_t *r, const pfk_prefix_t *dst, int n);

/* Remove every route of ours and the rule (shutdown). */
void pfk_routes_flush(pfk_routes_t *r);
void pfk_routes_destroy(pfk_routes_t *r);

#endif
