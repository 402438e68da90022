/*
 * addr.h - small helpers on struct sockaddr_storage (IPv4/IPv6 address plus
 * port), the form addresses take in packets, SAs and logs.
 *
 * Owner: core/net.
 */
#ifndef IKEV2D_NET_ADDR_H
#define IKEV2D_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ikev2d/chunk.h>

/* "10.1.2.3[500]" / "fe80::1[4500]"; enough room for any. */
#define ADDR_STRLEN 64
char *addr_to_str(const struct sockaddr_storage *a, char *buf, size_t len);
/* Address only, no port. */
char *addr_ip_to_str(const struct sockaddr_storage *a, char *buf, size_t len);

/* Parse a literal IPv4/IPv6 address and set the port; false if invalid. */
bool addr_from_str(const char *text, uint16_t port,
                   struct sockaddr_storage *out);

/* Port in host order (0 for an unknown family) / set it. */
uint16_t addr_get_port(const struct sockaddr_storage *a);
void addr_set_port(struct sockaddr_storage *a, uint16_t port);

/* The address bytes (4 or 16, network order); chunk_empty otherwise. */
chunk_t addr_bytes(const struct sockaddr_storage *a);

/* Same family and address (ports ignored) / and same port too. */
bool addr_ip_equals(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b);
bool addr_equals(const struct sockaddr_storage *a,
                 const struct sockaddr_storage *b);

/* 0.0.0.0, :: or no family at all. */
bool addr_is_any(const struct sockaddr_storage *a);

/* Length to pass to sendto/bind for this family (0 if unknown). */
socklen_t addr_len(const struct sockaddr_storage *a);

#endif
