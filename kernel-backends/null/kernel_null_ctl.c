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
	"<reqid>', 'acquire <src ip> <dst ip>', 'mapping <spi hex> <dst ip> " \
	"<new peer ip> <new peer port>' or 'other add|del in|out|fwd <src cidr> " \
	"<dst cidr> tunnel|transport <reqid> [<tmpl src ip> <tmpl dst ip>]'"

/* ADDR/PREFIX (a bare address: the host) as a selector of any protocol
 * and port; false if it is none. */
static bool parse_cidr(const char *text, kernel_ts_t *ts)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	struct sockaddr_storage a;
	unsigned long bits;

	if (n >= sizeof(ip))
		return false;
	memcpy(ip, text, n);
	ip[n] = '\0';
	if (!parse_ip(ip, &a))
		return false;
	kernel_ts_from_addr(ts, &a);
	size_t al = a.ss_family == AF_INET ? 4 : 16;
	if (!slash)
		return true;
	if (!parse_num(slash + 1, al * 8, &bits))
		return false;
	for (size_t i = 0; i < al; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? (unsigned)(bits - i * 8) : 0;
		uint8_t mask = (uint8_t)(keep ? 0xff << (8 - keep) : 0);
		ts->from[i] &= mask;
		ts->to[i] = ts->from[i] | (uint8_t)~mask;
	}
	return true;
}

/* other add|del DIR SRC DST MODE REQID [TMPL-SRC TMPL-DST]: -1 when the
 * line is not that, else whether the backend took it (it logs why not). */
static int other_command(kernel_null_t *kn, const char *line)
{
	char op[8], dir[8], src[64], dst[64], mode[16], rq[16], ts[64] = "", td[64] = "";
	unsigned long reqid;
	int end = 0;
	kernel_policy_t p;

	int n = sscanf(line, "%*s %7s %7s %63s %63s %15s %15s%n %63s %63s%n", op, dir,
	               src, dst, mode, rq, &end, ts, td, &end);
	if ((n != 6 && n != 8) || line[end] != '\0' ||
	    (strcmp(op, "add") != 0 && strcmp(op, "del") != 0))
		return -1;
	memset(&p, 0, sizeof(p));
	p.action = KERNEL_POLICY_PROTECT;
	p.protocol = KERNEL_PROTO_ESP;
	if (strcmp(dir, "in") == 0)
		p.dir = KERNEL_DIR_IN;
	else if (strcmp(dir, "out") == 0)
		p.dir = KERNEL_DIR_OUT;
	else if (strcmp(dir, "fwd") == 0)
		p.dir = KERNEL_DIR_FWD;
	else
		return -1;
	if (strcmp(mode, "tunnel") == 0)
		p.mode = KERNEL_MODE_TUNNEL;
	else if (strcmp(mode, "transport") == 0)
		p.mode = KERNEL_MODE_TRANSPORT;
	else
		return -1;
	if (!parse_cidr(src, &p.src_ts) || !parse_cidr(dst, &p.dst_ts) ||
	    p.src_ts.family != p.dst_ts.family || !parse_num(rq, UINT32_MAX, &reqid) ||
	    (n == 8 && (!parse_ip(ts, &p.sa_src) || !parse_ip(td, &p.sa_dst))))
		return -1;
	p.reqid = (uint32_t)reqid;
	return strcmp(op, "add") == 0 ? kernel_null_add_other_policy(kn, &p)
	                              : kernel_null_del_other_policy(kn, &p);
}

bool kernel_null_command(kernel_null_t *kn, const char *line)
{
	char verb[16], kind[8], ip[INET6_ADDRSTRLEN + 1];
	char a1[INET6_ADDRSTRLEN + 1], a2[INET6_ADDRSTRLEN + 1], a3[8];
	unsigned long spi, reqid, port;
	kernel_sa_id_t id;
	int end = 0;

	if (sscanf(line, "%15s", verb) != 1)
		goto bad;
	if (strcmp(verb, "other") == 0) {
		/* a well-formed line the backend refuses is logged there */
		int rc = other_command(kn, line);
		if (rc < 0)
			goto bad;
		return rc == 1;
	}
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
