/*
 * kernel_null_ctl.c - the null backend's control commands (one line each,
 * from the plugin's control FIFO or a test): parsed strictly, every bad
 * line refused with a message naming what is wanted, then run through the
 * event injectors of kernel_null.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>

#include "kernel_null.h"

/* An address (no port) into a sockaddr; false if it is none. */
static bool parse_ip(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
	else
		return false;
	return true;
}

/* A decimal number without sign, within 0..max; false otherwise. */
static bool parse_num(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	*out = strtoul(text, &end, 10);
	return !errno && !*end && *out <= max;
}

#define CTL_USAGE "want 'expire soft|hard <spi hex> <dst ip>', 'acquire " \
	"<reqid>', 'acquire <src ip> <dst ip>' or 'mapping <spi hex> <dst ip> " \
	"<new peer ip> <new peer port>'"

bool kernel_null_command(kernel_null_t *kn, const char *line)
{
	char verb[16], kind[8], ip[INET6_ADDRSTRLEN + 1];
	char a1[INET6_ADDRSTRLEN + 1], a2[INET6_ADDRSTRLEN + 1], a3[8];
	unsigned long spi, reqid, port;
	kernel_sa_id_t id;
	int end = 0;

	if (sscanf(line, "%15s", verb) != 1)
		goto bad;
	if (strcmp(verb, "acquire") == 0) {
		struct sockaddr_storage src, dst;
		if (sscanf(line, "%*s %46s %46s%n", a1, a2, &end) == 2 &&
		    line[end] == '\0') {
			if (!parse_ip(a1, &src) || !parse_ip(a2, &dst))
				goto bad;
			return kernel_null_acquire_addr(kn, &src, &dst);
		}
		end = 0;
		if (sscanf(line, "%*s %46s%n", a1, &end) != 1 ||
		    line[end] != '\0' || !parse_num(a1, UINT32_MAX, &reqid))
			goto bad;
		return kernel_null_acquire(kn, (uint32_t)reqid);
	}
	if (strcmp(verb, "mapping") == 0) {
		struct sockaddr_storage peer;
		if (sscanf(line, "%*s %lx %46s %46s %7s%n", &spi, ip, a1, a3,
		           &end) != 4 || line[end] != '\0' || spi > UINT32_MAX ||
		    strchr(line, '-') || !parse_num(a3, 65535, &port) || !port)
			goto bad;
		memset(&id, 0, sizeof(id));
		id.spi = (uint32_t)spi;
		id.protocol = KERNEL_PROTO_ESP;
		if (!parse_ip(ip, &id.dst) || !parse_ip(a1, &peer))
			goto bad;
		if (peer.ss_family == AF_INET)
			((struct sockaddr_in *)&peer)->sin_port = htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&peer)->sin6_port = htons((uint16_t)port);
		return kernel_null_mapping(kn, &id, &peer);
	}
	if (strcmp(verb, "expire") == 0) {
		if (sscanf(line, "%*s %7s %lx %46s%n", kind, &spi, ip, &end) != 3 ||
		    line[end] != '\0' || strchr(line, '-') ||
		    spi > UINT32_MAX ||
		    (strcmp(kind, "soft") != 0 && strcmp(kind, "hard") != 0))
			goto bad;
		memset(&id, 0, sizeof(id));
		id.spi = (uint32_t)spi;
		id.protocol = KERNEL_PROTO_ESP;
		if (!parse_ip(ip, &id.dst))
			goto bad;
		if (!kernel_null_expire(kn, &id, strcmp(kind, "hard") == 0)) {
			log_error(DBG_KERNEL, "kernel-null: no SA %08lx to %s for %s",
			          spi, verb, ip);
			return false;
		}
		return true;
	}
bad:
	log_error(DBG_KERNEL, "kernel-null: bad control command '%.64s' ("
	          CTL_USAGE ")", line);
	return false;
}
