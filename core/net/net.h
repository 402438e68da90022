/*
 * net.h - the daemon's UDP sockets: IKE on port 500 and NAT-T on 4500 (both
 * configurable), IPv4 and IPv6.
 *
 * Received datagrams are read in small batches (recvmmsg) by net's own
 * receive threads (one per worker thread the runtime has when net_open
 * runs; each socket wakes one of them, EPOLLEXCLUSIVE), checked (length,
 * non-ESP marker) and handed to the receiver (packet.h) on that same
 * thread: no queue or thread switch per datagram.  The
 * local address each arrived on is learnt with IP_PKTINFO/IPV6_RECVPKTINFO,
 * and replies leave from the address and port in packet->src: the socket is
 * chosen by the source port (NAT-T port: the 4-byte non-ESP marker is
 * prepended), the source address set with IP_PKTINFO/IPV6_PKTINFO.
 *
 * The NAT-T socket asks the kernel for UDP_ENCAP_ESPINUDP so that ESP in
 * UDP is decapsulated by the kernel; whatever ESP or keepalive bytes still
 * reach us are dropped.  When a kernel backend doing ESP itself set an
 * ESP-in-UDP receiver (<ikev2d/esp_udp.h>) before net_open, the socket is
 * left without UDP_ENCAP and each ESP datagram goes to that receiver, on
 * the receive thread; the backend sends its ESP through it too.  All IKE sockets bypass IPsec policies
 * (IP_XFRM_POLICY with XFRM_POLICY_ALLOW), so IKE is never itself
 * encrypted by a policy it negotiated.
 *
 * Owner: core/net.
 */
#ifndef IKEV2D_NET_NET_H
#define IKEV2D_NET_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <net/packet.h>

/* Largest datagram accepted (marker included); anything longer is dropped
 * as oversized.  RFC 7296 §2 asks for at least 3000; certificate chains
 * without fragmentation stay well below this. */
#define NET_MAX_PACKET 16384
#define NET_MAX_PACKET_STR "16384"

/* Open the sockets and start the receive threads (call after
 * runtime_init: one per worker thread running then).  A port of
 * 0 binds any free port (tests; see net_get_ports).  IPv6 is opened too
 * when the host has it; failing that is logged, not fatal.  Returns false
 * (logged) if either port cannot be bound on IPv4 nor IPv6. */
bool net_open(uint16_t ike_port, uint16_t natt_port);
/* net_open in two steps: bind the sockets (needs CAP_NET_BIND_SERVICE for
 * ports below 1024; no thread is started), then, once the runtime's
 * workers run, start the receive threads on the bound sockets. */
bool net_bind(uint16_t ike_port, uint16_t natt_port);
bool net_start(void);
/* Stop and join the receive threads, then close the sockets
 * (idempotent).  No receiver call runs once it returns. */
void net_close(void);
/* Privilege separation (HACKING.md): the parent binds (net_bind, with the
 * IPsec bypass its kernel backend sets) and hands the sockets to the
 * engine, which adopts them instead of binding.  Slots are IPv4 IKE, IPv4
 * NAT-T, IPv6 IKE, IPv6 NAT-T; -1 = none.  net_export_fds returns how many
 * are open and whether UDP_ENCAP took on the NAT-T ones; net_adopt takes
 * ownership of the descriptors (false, logged, unless an IKE and a NAT-T
 * socket are among them).  net_esp_send_only: the parent, whose backend
 * does ESP itself (kernel-userspace), sends its ESP-in-UDP from its copy of
 * the NAT-T sockets without ever reading from them. */
#define NET_FD_SLOTS 4
int net_export_fds(int fds[NET_FD_SLOTS], bool *encap);
bool net_adopt(const int fds[NET_FD_SLOTS], bool encap);
void net_esp_send_only(void);
/* Ports bound by net_open (host order); 0 when closed. */
void net_get_ports(uint16_t *ike_port, uint16_t *natt_port);
/* Whether a local port is our NAT-T port (so the packet carried, or must
 * carry, the non-ESP marker). */
bool net_is_natt_port(uint16_t port);

/* Whether the kernel decapsulates ESP-in-UDP on the NAT-T port
 * (UDP_ENCAP_ESPINUDP accepted).  Then it also swallows keepalives and ESP
 * for which it has no SA; otherwise those reach us and are dropped here. */
bool net_natt_encap(void);

/* The default sender: through the sockets, by packet->src port and
 * address.  Takes ownership of the packet.  net_open installs it with
 * net_set_default_sender (a sender set by net_set_sender takes
 * precedence). */
bool net_socket_send(packet_t *packet);
void net_set_default_sender(packet_sender_t fn);

/* Hand a received packet to the receiver (in the calling thread). */
void net_deliver(packet_t *packet);

/* Send one NAT keepalive (RFC 3948 §2.3: a single 0xFF byte) from our NAT-T
 * socket (src: our address and NAT-T port; its address may be unspecified)
 * to dst (the peer's address and port). */
bool net_send_keepalive(const struct sockaddr_storage *src,
                        const struct sockaddr_storage *dst);

/* The source address the kernel would use to reach dst (its port is left
 * 0): for an initiator's NAT detection and IKE_SA_INIT. */
bool net_get_source(const struct sockaddr_storage *dst,
                    struct sockaddr_storage *src);

/* Counters since net_open, for logs, ikeadm and tests. */
typedef struct {
	uint64_t rx_packets;     /* handed to the receiver */
	uint64_t rx_dropped;     /* too short, oversized, unexpected */
	uint64_t rx_keepalives;  /* NAT keepalives seen on the NAT-T port */
	uint64_t rx_esp;         /* ESP-in-UDP the kernel left to us */
	uint64_t tx_packets;
	uint64_t tx_errors;
} net_stats_t;
void net_get_stats(net_stats_t *stats);

#endif
