/*
 * addr.c - struct sockaddr_storage helpers (see addr.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <net/addr.h>

char *addr_ip_to_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	const void *p = NULL;

	if (a->ss_family == AF_INET)
		p = &((const struct sockaddr_in *)a)->sin_addr;
	else if (a->ss_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)a)->sin6_addr;
	if (!p || !inet_ntop(a->ss_family, p, buf, len))
		snprintf(buf, len, "%%unknown");
	return buf;
}

char *addr_to_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + 1];

	addr_ip_to_str(a, ip, sizeof(ip));
	snprintf(buf, len, "%s[%u]", ip, addr_get_port(a));
	return buf;
}

bool addr_from_str(const char *text, uint16_t port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return false;
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)out;
		if (inet_pton(AF_INET6, text, &s->sin6_addr) != 1)
			return false;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		return true;
	}
	struct sockaddr_in *s = (struct sockaddr_in *)out;
	if (inet_pton(AF_INET, text, &s->sin_addr) != 1)
		return false;
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	return true;
}

uint16_t addr_get_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

void addr_set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

chunk_t addr_bytes(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return chunk_create(&((const struct sockaddr_in *)a)->sin_addr, 4);
	if (a->ss_family == AF_INET6)
		return chunk_create(&((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	return chunk_empty;
}

bool addr_ip_equals(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       (a->ss_family == AF_INET || a->ss_family == AF_INET6) &&
	       chunk_equals(addr_bytes(a), addr_bytes(b));
}

bool addr_equals(const struct sockaddr_storage *a,
                 const struct sockaddr_storage *b)
{
	return addr_ip_equals(a, b) && addr_get_port(a) == addr_get_port(b);
}

bool addr_is_any(const struct sockaddr_storage *a)
{
	static const uint8_t zero[16];
	chunk_t b = addr_bytes(a);

	return b.len == 0 || memcmp(b.ptr, zero, b.len) == 0;
}

socklen_t addr_len(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (a->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}
