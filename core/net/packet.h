/*
 * packet.h - one UDP datagram as the socket layer hands it to the engine
 * and takes it back: addresses, ports and the IKE message bytes (without
 * the 4-byte non-ESP marker used on port 4500; the socket layer adds and
 * strips it).
 *
 * Owner: core/net.  The engine sees only this header and net_send(): tests
 * replace the sender to wire two engines together without sockets.
 */
#ifndef IKEV2D_NET_PACKET_H
#define IKEV2D_NET_PACKET_H

#include <stdbool.h>
#include <sys/socket.h>

#include <ikev2d/chunk.h>

typedef struct {
	struct sockaddr_storage src;  /* sender (peer, for received packets) */
	struct sockaddr_storage dst;  /* receiver (our address, for received) */
	chunk_t data;                 /* IKE message, owned by the packet */
} packet_t;

packet_t *packet_create(void);
packet_t *packet_clone(const packet_t *p);
void packet_destroy(packet_t *p);

/* Where received packets go (the engine sets this). Called on a worker
 * thread; the receiver takes ownership of the packet. */
typedef void (*packet_receiver_t)(packet_t *packet, void *ctx);
void net_set_receiver(packet_receiver_t fn, void *ctx);

/* How packets leave.  The default sends through the daemon's sockets,
 * choosing the socket by the source address and port; tests may install
 * their own.  Takes ownership of the packet.  Returns false if it could
 * not be sent (logged). */
typedef bool (*packet_sender_t)(packet_t *packet, void *ctx);
void net_set_sender(packet_sender_t fn, void *ctx);
bool net_send(packet_t *packet);

#endif
