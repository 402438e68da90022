/*
 * ts.c - traffic selector arithmetic (see ts.h).
 */
#include "exchange/ts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static size_t ts_addr_len(const ts_t *t)
{
	return t->type == TS_IPV6_ADDR_RANGE ? 16 : 4;
}

int ts_from_cfg(const ts_cfg_t *cfg, int n_cfg,
                const struct sockaddr_storage *host, ts_t *out, int max)
{
	int n = 0;
	if (n_cfg == 0) {
		if (!host || max < 1)
			return 0;
		ts_t *t = &out[0];
		memset(t, 0, sizeof(*t));
		t->end_port = 0xffff;
		if (host->ss_family == AF_INET) {
			t->type = TS_IPV4_ADDR_RANGE;
			memcpy(t->start, &((const struct sockaddr_in *)host)->sin_addr, 4);
			memcpy(t->end, t->start, 4);
		} else if (host->ss_family == AF_INET6) {
			t->type = TS_IPV6_ADDR_RANGE;
			memcpy(t->start, &((const struct sockaddr_in6 *)host)->sin6_addr, 16);
			memcpy(t->end, t->start, 16);
		} else {
			return 0;
		}
		return 1;
	}
	for (int i = 0; i < n_cfg && n < max; i++) {
		const ts_cfg_t *c = &cfg[i];
		ts_t *t = &out[n];
		memset(t, 0, sizeof(*t));
		t->type = c->addr.family == AF_INET6 ? TS_IPV6_ADDR_RANGE
		                                     : TS_IPV4_ADDR_RANGE;
		size_t al = ts_addr_len(t);
		memcpy(t->start, c->addr.lo, al);
		memcpy(t->end, c->addr.hi, al);
		t->protocol = c->proto;
		t->start_port = c->port_lo;
		t->end_port = c->port_hi;
		n++;
	}
	return n;
}

bool ts_intersect(const ts_t *a, const ts_t *b, ts_t *out)
{
	if (a->type != b->type)
		return false;
	if (a->protocol && b->protocol && a->protocol != b->protocol)
		return false;
	size_t al = ts_addr_len(a);
	ts_t r;
	memset(&r, 0, sizeof(r));
	r.type = a->type;
	r.protocol = a->protocol ? a->protocol : b->protocol;
	r.start_port = a->start_port > b->start_port ? a->start_port : b->start_port;
	r.end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
	if (r.start_port > r.end_port)
		return false;
	memcpy(r.start, memcmp(a->start, b->start, al) > 0 ? a->start : b->start, al);
	memcpy(r.end, memcmp(a->end, b->end, al) < 0 ? a->end : b->end, al);
	if (memcmp(r.start, r.end, al) > 0)
		return false;
	*out = r;
	return true;
}

static bool ts_equal(const ts_t *a, const ts_t *b)
{
	size_t al = ts_addr_len(a);
	return a->type == b->type && a->protocol == b->protocol &&
	       a->start_port == b->start_port && a->end_port == b->end_port &&
	       !memcmp(a->start, b->start, al) && !memcmp(a->end, b->end, al);
}

int ts_narrow(const ts_t *theirs, int n_theirs, const ts_t *ours, int n_ours,
              ts_t *out, int max)
{
	int n = 0;
	for (int i = 0; i < n_theirs; i++)
		for (int j = 0; j < n_ours; j++) {
			ts_t r;
			if (!ts_intersect(&theirs[i], &ours[j], &r))
				continue;
			bool dup = false;
			for (int k = 0; k < n && !dup; k++)
				dup = ts_equal(&out[k], &r);
			if (dup)
				continue;
			if (n == max)
				return -1;
			out[n++] = r;
		}
	return n;
}

bool ts_subset(const ts_t *sub, int n_sub, const ts_t *super, int n_super)
{
	for (int i = 0; i < n_sub; i++) {
		bool inside = false;
		for (int j = 0; j < n_super && !inside; j++) {
			ts_t r;
			inside = ts_intersect(&sub[i], &super[j], &r) &&
			         ts_equal(&r, &sub[i]);
		}
		if (!inside)
			return false;
	}
	return true;
}

char *ts_to_str(const ts_t *ts, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = ts->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	inet_ntop(af, ts->start, a, sizeof(a));
	inet_ntop(af, ts->end, b, sizeof(b));
	bool one = !memcmp(ts->start, ts->end, af == AF_INET6 ? 16 : 4);
	bool any_port = ts->start_port == 0 && ts->end_port == 0xffff;
	int n = snprintf(buf, len, "%s%s%s", a, one ? "" : "-", one ? "" : b);
	if ((ts->protocol || !any_port) && n >= 0 && (size_t)n < len) {
		if (any_port)
			snprintf(buf + n, len - n, "[%u]", ts->protocol);
		else if (ts->start_port == ts->end_port)
			snprintf(buf + n, len - n, "[%u/%u]", ts->protocol, ts->start_port);
		else
			snprintf(buf + n, len - n, "[%u/%u-%u]", ts->protocol,
			         ts->start_port, ts->end_port);
	}
	return buf;
}

char *ts_list_to_str(const ts_t *ts, int n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && used + 1 < len; i++) {
		char one[TS_STRLEN];
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
		                 ts_to_str(&ts[i], one, sizeof(one)));
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}
