/*
 * esp_udp.h - ESP in UDP (RFC 3948) on the daemon's own NAT-T socket, for a
 * kernel backend that does ESP itself (kernel-userspace) instead of the
 * kernel.
 *
 * Port 4500 carries IKE (after the 4-byte non-ESP marker), NAT keepalives
 * (one 0xFF byte) and ESP (a non-zero SPI first).  The socket layer tells
 * them apart.  Normally it asks the kernel to decapsulate ESP
 * (UDP_ENCAP_ESPINUDP); when a backend has set a receiver here before the
 * sockets open, it does not, and hands every ESP datagram to that receiver
 * instead (on its receive thread, so the receiver must be quick and must
 * not block: it decrypts and writes, or queues).  The backend sends its
 * ESP-in-UDP through esp_udp_send(), which leaves from the NAT-T socket
 * (so the NAT binding the peer sees is the one IKE uses), without marker.
 *
 * Owner: core/kernel (the registry); core/net implements the two sides.
 */
#ifndef IKEV2D_ESP_UDP_H
#define IKEV2D_ESP_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One ESP datagram to send. */
typedef struct {
	struct sockaddr_storage src;  /* our address (may be any; port ignored) */
	struct sockaddr_storage dst;  /* the peer's address and UDP port */
	const uint8_t *data;          /* the ESP packet, from the SPI on */
	size_t len;
} esp_udp_datagram_t;

/* Receives one ESP datagram (esp: from the SPI on, writable, valid only
 * during the call; from: the peer's address and port; to: ours). */
typedef void (*esp_udp_receiver_t)(uint8_t *esp, size_t len,
                                   const struct sockaddr_storage *from,
                                   const struct sockaddr_storage *to,
                                   void *ctx);

/* For backends: set before the sockets open (plugin load) and clear (NULL)
 * after they closed (plugin unload). */
void esp_udp_set_receiver(esp_udp_receiver_t fn, void *ctx);
/* Send n datagrams (batched); returns how many left.  0 when the sockets
 * are closed or there is no NAT-T socket of the family (logged). */
size_t esp_udp_send(const esp_udp_datagram_t *d, size_t n);

/* For the socket layer. */
bool esp_udp_wanted(void);
void esp_udp_deliver(uint8_t *esp, size_t len,
                     const struct sockaddr_storage *from,
                     const struct sockaddr_storage *to);
typedef size_t (*esp_udp_sender_t)(const esp_udp_datagram_t *d, size_t n);
void esp_udp_set_sender(esp_udp_sender_t fn);

#endif
