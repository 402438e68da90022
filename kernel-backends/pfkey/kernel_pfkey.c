/*
 * kernel_pfkey.c - the PF_KEY v2 backend (kernel_pfkey.h): requests,
 * the record of what we installed, the journal, and kernel events.
 */
#include "kernel_pfkey_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/runtime.h>
#include <ikev2d/transform.h>

/* ------------------------------------------------------------ helpers */

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

const uint8_t *pk_addr_bytes(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

uint16_t pk_port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return 0;
}

/* The address alone (port 0): what SA address extensions carry. */
void pk_bare(const struct sockaddr_storage *in, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	out->ss_family = in->ss_family;
	if (in->ss_family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)out)->sin6_addr, pk_addr_bytes(in), 16);
	else if (in->ss_family == AF_INET)
		memcpy(&((struct sockaddr_in *)out)->sin_addr, pk_addr_bytes(in), 4);
}

static bool same_ip(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       memcmp(pk_addr_bytes(a), pk_addr_bytes(b), alen(a->ss_family)) == 0;
}

static const char *ip_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    !inet_ntop(ss->ss_family, pk_addr_bytes(ss), buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static bool ip_parse(const char *s, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		out->ss_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		out->ss_family = AF_INET6;
		return true;
	}
	return false;
}

uint64_t pk_now_secs(void)
{
	return time_monotonic_ms() / 1000;
}

/* ------------------------------------------------------------- reqids */

/* The kernel reqid for an engine reqid, taking a reference (lock held);
 * 0 when all 0x3fff are in use. */
uint16_t pk_kreq_get(kernel_pfkey_t *k, uint32_t reqid)
{
	return pfk_kreq_get(&k->kreq, reqid);
}

void pk_kreq_put(kernel_pfkey_t *k, uint16_t kreqid)
{
	pfk_kreq_put(&k->kreq, kreqid);
}

/* The engine reqid for kernel reqid kr (1..REQID_MAX) of someone else's
 * policy: PK_FOREIGN_REQID | kr, its slot pinned so that ours never get
 * it; false when one of ours has it already.  Lock held. */
bool pk_foreign_reqid(kernel_pfkey_t *k, uint32_t kr, uint32_t *engine)
{
	*engine = PK_FOREIGN_REQID | kr;
	return pfk_kreq_pin(&k->kreq, (uint16_t)kr, *engine);
}

/* ------------------------------------------------------------ journal */

static void journal_write(kernel_pfkey_t *k, const char *line)
{
	size_t n = strlen(line);

	if (k->journal_fd < 0)
		return;
	if (write(k->journal_fd, line, n) != (ssize_t)n) {
		log_error(DBG_KERNEL, "kernel-pfkey: cannot write %s (%s): a crash "
		          "now would leave SAs behind", k->journal_path,
		          strerror(errno));
		return;
	}
	k->journal_bytes += n;
}

static void journal_sa(kernel_pfkey_t *k, const sa_ent_t *e, bool add)
{
	char line[160], d[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];

	if (add)
		snprintf(line, sizeof(line), "sa %s %08" PRIx32 " %s %u\n",
		         ip_str(&e->dst, d, sizeof(d)), e->spi,
		         ip_str(&e->src, s, sizeof(s)), e->kreqid);
	else
		snprintf(line, sizeof(line), "-sa %s %08" PRIx32 "\n",
		         ip_str(&e->dst, d, sizeof(d)), e->spi);
	journal_write(k, line);
}

void pk_journal_pol(kernel_pfkey_t *k, const pol_ent_t *e, bool add)
{
	char line[64];

	if (add)
		snprintf(line, sizeof(line), "pol %" PRIu32 " %u %u\n", e->index,
		         e->dir, e->kreqid);
	else
		snprintf(line, sizeof(line), "-pol %" PRIu32 "\n", e->index);
	journal_write(k, line);
}

/* Rewrite the journal from the tables when it has grown far past them
 * (lock held). */
void pk_journal_maybe_compact(kernel_pfkey_t *k)
{
	if (k->journal_fd < 0 ||
	    k->journal_bytes < JOURNAL_SLACK + 96 * (k->sas.n + k->pols.n))
		return;
	if (ftruncate(k->journal_fd, 0) < 0)
		return;
	k->journal_bytes = 0;
	for (sa_ent_t *e = k->sas.all; e; e = e->next)
		journal_sa(k, e, true);
	for (pol_ent_t *e = k->pols.all; e; e = e->next)
		pk_journal_pol(k, e, true);
}

/* ------------------------------------------------------------ requests */

/* Send the message in b and wait for the kernel's answer to it (same
 * type, sequence number, pid) in resp.  0 = done, >0 = the errno the
 * kernel answered, -1 = no answer (logged).  req_lock held. */
int pk_request(kernel_pfkey_t *k, pfk_buf_t *b, uint64_t *resp,
                   size_t cap, pfk_msg_t *m, int timeout_ms)
{
	struct sadb_msg *h = (struct sadb_msg *)b->buf;
	uint8_t type = h->sadb_msg_type;
	uint32_t seq = ++k->seq;
	size_t len;
	uint64_t deadline;
	char err[128];

	h->sadb_msg_seq = seq;
	len = pfk_end(b);
	if (!len) {
		log_error(DBG_KERNEL, "kernel-pfkey: %s request too large",
		          pfk_type_name(type));
		return -1;
	}
	if (send(k->req_fd, b->buf, len, 0) != (ssize_t)len) {
		int e = errno;
		log_verbose(DBG_KERNEL, "kernel-pfkey: sending %s: %s",
		            pfk_type_name(type), strerror(e));
		return e ? e : EIO;
	}
	deadline = time_monotonic_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t now = time_monotonic_ms();
		struct pollfd pfd = { .fd = k->req_fd, .events = POLLIN };
		ssize_t n;

		if (now >= deadline) {
			log_error(DBG_KERNEL, "kernel-pfkey: no answer to %s within "
			          "%d ms", pfk_type_name(type), timeout_ms);
			return -1;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recv(k->req_fd, resp, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS)   /* others' broadcasts overflowed us */
				continue;
			log_error(DBG_KERNEL, "kernel-pfkey: reading the answer to "
			          "%s: %s", pfk_type_name(type), strerror(errno));
			return -1;
		}
		if ((size_t)n > cap)
			continue;   /* not ours: we send nothing that large */
		if (!pfk_parse(resp, (size_t)n, m, err, sizeof(err))) {
			log_error(DBG_KERNEL, "kernel-pfkey: malformed message from "
			          "the kernel ignored: %s", err);
			continue;
		}
		if (m->hdr->sadb_msg_type != type || m->hdr->sadb_msg_seq != seq ||
		    m->hdr->sadb_msg_pid != k->pid)
			continue;   /* a broadcast of someone else's change */
		return m->hdr->sadb_msg_errno;
	}
}

/* Plain request whose answer only says yes or no. */
int pk_simple(kernel_pfkey_t *k, pfk_buf_t *b)
{
	uint64_t resp[PFK_MSG_MAX / 8];
	pfk_msg_t m;
	int rc = pk_request(k, b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);

	explicit_bzero(resp, sizeof(resp));
	return rc;
}

void pk_begin(kernel_pfkey_t *k, pfk_buf_t *b, uint64_t *mem, size_t cap,
                  uint8_t type, uint8_t satype)
{
	pfk_begin(b, mem, cap, type, satype, 0, k->pid);
}

/* -------------------------------------------------- SA table (lock held) */

static sa_ent_t *sa_find(kernel_pfkey_t *k, const struct sockaddr_storage *dst,
                         uint32_t spi)
{
	return pfk_sat_find(&k->sas, dst, spi);
}

static void sa_remove(kernel_pfkey_t *k, sa_ent_t *e)
{
	pfk_sat_remove(&k->sas, e);
	journal_sa(k, e, false);
	pk_kreq_put(k, e->kreqid);
	free(e);
}

void pk_pol_remove(kernel_pfkey_t *k, pol_ent_t *e)
{
	pfk_polt_remove(&k->pols, e);
	pk_journal_pol(k, e, false);
	pk_kreq_put(k, e->kreqid);
	free(e);
}

/* ------------------------------------------------------------- events */

/* An address extension of a policy (prefix, port, protocol) as a
 * selector; false when absent. */
bool pk_ext_ts(const pfk_msg_t *m, uint16_t exttype, kernel_ts_t *ts)
{
	struct sockaddr_storage a;
	uint8_t plen = 0, proto = 0;

	if (!pfk_get_address(m, exttype, &a, &plen, &proto))
		return false;
	kernel_ts_from_addr(ts, &a);
	size_t al = ts->family == AF_INET6 ? 16 : 4;
	for (unsigned b = plen; b < al * 8; b++) {
		ts->from[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
		ts->to[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	ts->proto = proto == IPSEC_PROTO_ANY ? 0 : proto;
	uint16_t port = pk_port_of(&a);
	if (port) {
		ts->port_from = port;
		ts->port_to = port;
	}
	return true;
}

/* Someone else's policy (the ACQUIRE's id is none of ours): X_SPDGET it for
 * its selectors, its request's mode, endpoints and reqid, and give the
 * engine an engine reqid that maps to that kernel reqid (pinned in the
 * table, so ours never take it).  Loop thread; false (logged) when the
 * policy cannot be used. */
static bool acquire_foreign(kernel_pfkey_t *k, const pfk_policy_t *pol,
                            kernel_event_t *ev)
{
	uint64_t mem[16], resp[PFK_MSG_MAX / 8];
	pfk_buf_t b;
	pfk_msg_t m;
	pfk_policy_t got;
	int rc;

	LOCKED_START(k);
	pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDGET, SADB_SATYPE_UNSPEC);
	pfk_add_policy(&b, IPSEC_POLICY_IPSEC, pol->dir ? pol->dir : IPSEC_DIR_OUTBOUND,
	               pol->id, 0, NULL);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
	bool ok = rc == 0 && pfk_get_policy(&m, &got) &&
	          pk_ext_ts(&m, SADB_EXT_ADDRESS_SRC, &ev->acquire.src_ts) &&
	          pk_ext_ts(&m, SADB_EXT_ADDRESS_DST, &ev->acquire.dst_ts);
	UNLOCK(k);
	if (!ok) {
		log_error(DBG_KERNEL, "kernel-pfkey: ACQUIRE for policy %u (not "
		          "ours): X_SPDGET of it failed (%s): nothing started",
		          pol->id, rc > 0 ? strerror(rc) : rc ? "no answer" :
		          "malformed answer");
		return false;
	}
	if (got.n_req != 1 || got.req[0].proto != IPPROTO_ESP) {
		log_error(DBG_KERNEL, "kernel-pfkey: ACQUIRE for policy %u (not "
		          "ours): it asks for %d requests, not one ESP request: "
		          "nothing started", pol->id, got.n_req);
		return false;
	}
	const pfk_ipsecrequest_t *r = &got.req[0];
	ev->acquire.foreign = true;
	ev->acquire.mode = r->mode == IPSEC_MODE_TUNNEL ? KERNEL_MODE_TUNNEL
	                                                : KERNEL_MODE_TRANSPORT;
	if (r->mode == IPSEC_MODE_TUNNEL) {
		pk_bare(&r->src, &ev->acquire.tmpl_src);
		pk_bare(&r->dst, &ev->acquire.tmpl_dst);
	}
	/* reqid 0 (setkey's "require"): SAs with reqid 0 serve it */
	if (r->reqid == 0) {
		ev->acquire.reqid = 0;
		return true;
	}
	if (r->reqid > REQID_MAX) {
		log_error(DBG_KERNEL, "kernel-pfkey: ACQUIRE for policy %u (not "
		          "ours): its reqid %u is above %u: nothing started",
		          pol->id, r->reqid, REQID_MAX);
		return false;
	}
	uint32_t engine;
	pthread_mutex_lock(&k->lock);
	ok = pk_foreign_reqid(k, r->reqid, &engine);
	pthread_mutex_unlock(&k->lock);
	if (!ok) {
		log_error(DBG_KERNEL, "kernel-pfkey: ACQUIRE for policy %u (not "
		          "ours): its reqid %u is one kernel-pfkey gave its own "
		          "SAs: nothing started (give it another reqid)",
		          pol->id, r->reqid);
		return false;
	}
	ev->acquire.reqid = engine;
	return true;
}

static void on_acquire(kernel_pfkey_t *k, const pfk_msg_t *m)
{
	pfk_policy_t pol;
	kernel_event_t ev = { .type = KERNEL_EV_ACQUIRE };
	bool found = false;

	if (!pfk_get_policy(m, &pol)) {
		log_error(DBG_KERNEL, "kernel-pfkey: ACQUIRE without a valid "
		          "policy extension ignored");
		return;
	}
	pthread_mutex_lock(&k->lock);
	pol_ent_t *e = pfk_polt_find_index(&k->pols, pol.id);
	if (e) {
		ev.acquire.reqid = e->reqid;
		ev.acquire.src_ts = e->src_ts;
		ev.acquire.dst_ts = e->dst_ts;
		found = true;
	}
	pthread_mutex_unlock(&k->lock);
	if (!found && !acquire_foreign(k, &pol, &ev))
		return;
	ev.acquire.seq = m->hdr->sadb_msg_seq;
	log_verbose(DBG_KERNEL, "kernel-pfkey: ACQUIRE for policy %u (reqid "
	            "%u%s)", pol.id, ev.acquire.reqid, found ? "" : ", not ours");
	kernel_ipsec_raise(&ev);
}

static void on_expire(kernel_pfkey_t *k, const pfk_msg_t *m)
{
	kernel_event_t ev = { .type = KERNEL_EV_EXPIRE };
	struct sockaddr_storage dst;
	uint32_t spi;
	sa_ent_t *e;
	bool ours = false;
	char d[INET6_ADDRSTRLEN];

	if (!pfk_get_sa(m, &spi, NULL, NULL, NULL, NULL) ||
	    !pfk_get_address(m, SADB_EXT_ADDRESS_DST, &dst, NULL, NULL)) {
		log_error(DBG_KERNEL, "kernel-pfkey: EXPIRE without a valid SA "
		          "or destination ignored");
		return;
	}
	/* RFC 2367 §3.1.6: the hard lifetime is present for a hard expiry */
	ev.expire.hard = m->ext[SADB_EXT_LIFETIME_HARD] != NULL;
	ev.expire.sa.spi = spi;
	ev.expire.sa.protocol = KERNEL_PROTO_ESP;
	pk_bare(&dst, &ev.expire.sa.dst);
	pthread_mutex_lock(&k->lock);
	if ((e = sa_find(k, &dst, spi))) {
		ours = true;
		ev.expire.reqid = e->reqid;
		ev.expire.sa.dst = e->dst;
		if (ev.expire.hard)
			sa_remove(k, e);   /* the kernel has deleted it */
	}
	pthread_mutex_unlock(&k->lock);
	if (!ours)
		return;
	log_verbose(DBG_KERNEL, "kernel-pfkey: %s EXPIRE for SA %08x to %s",
	            ev.expire.hard ? "hard" : "soft", spi,
	            ip_str(&dst, d, sizeof(d)));
	kernel_ipsec_raise(&ev);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static void on_new_mapping(kernel_pfkey_t *k, const pfk_msg_t *m)
{
	kernel_event_t ev = { .type = KERNEL_EV_MAPPING };
	struct sockaddr_storage src, dst;
	uint16_t sport;
	uint32_t spi;
	sa_ent_t *e;
	bool ours = false;

	if (!pfk_get_sa(m, &spi, NULL, NULL, NULL, NULL) ||
	    !pfk_get_address(m, SADB_EXT_ADDRESS_SRC, &src, NULL, NULL) ||
	    !pfk_get_address(m, SADB_EXT_ADDRESS_DST, &dst, NULL, NULL) ||
	    !pfk_get_nat_t_port(m, SADB_X_EXT_NAT_T_SPORT, &sport)) {
		log_error(DBG_KERNEL, "kernel-pfkey: X_NAT_T_NEW_MAPPING without "
		          "valid SA, addresses or port ignored");
		return;
	}
	pthread_mutex_lock(&k->lock);
	if ((e = sa_find(k, &dst, spi))) {
		ours = true;
		ev.mapping.reqid = e->reqid;
		ev.mapping.sa.dst = e->dst;
	}
	pthread_mutex_unlock(&k->lock);
	if (!ours)
		return;
	ev.mapping.sa.spi = spi;
	ev.mapping.sa.protocol = KERNEL_PROTO_ESP;
	pk_bare(&src, &ev.mapping.new_peer);
	set_port(&ev.mapping.new_peer, sport);
	kernel_ipsec_raise(&ev);
}

/* Loop thread: everything the REGISTERed socket received. */
static void on_event(int fd, uint32_t events, void *arg)
{
	kernel_pfkey_t *k = arg;
	char err[128];
	(void)events;

	for (;;) {
		ssize_t n = recv(fd, k->evbuf, sizeof(k->evbuf),
		                 MSG_DONTWAIT | MSG_TRUNC);
		pfk_msg_t m;

		if (n < 0) {
			if (errno == ENOBUFS) {
				log_error(DBG_KERNEL, "kernel-pfkey: event socket "
				          "overflowed: some kernel events were lost");
				continue;
			}
			break;
		}
		if ((size_t)n > sizeof(k->evbuf)) {
			log_error(DBG_KERNEL, "kernel-pfkey: %zd-byte kernel message "
			          "too large, ignored", n);
			continue;
		}
		if (!pfk_parse(k->evbuf, (size_t)n, &m, err, sizeof(err))) {
			log_error(DBG_KERNEL, "kernel-pfkey: malformed kernel message "
			          "ignored: %s", err);
			continue;
		}
		if (m.hdr->sadb_msg_errno)
			continue;
		switch (m.hdr->sadb_msg_type) {
		case SADB_ACQUIRE:
			if (m.hdr->sadb_msg_pid == 0)   /* from the kernel */
				on_acquire(k, &m);
			break;
		case SADB_EXPIRE:
			on_expire(k, &m);
			break;
		case SADB_X_NAT_T_NEW_MAPPING:
			on_new_mapping(k, &m);
			break;
		default:
			break;   /* broadcasts of changes (ours and others') */
		}
		/* ACQUIRE/ADD broadcasts carry no keys, GET answers do not come
		 * here; wipe anyway, the buffer is reused. */
		explicit_bzero(k->evbuf, (size_t)n);
	}
}

/* ------------------------------------------- leftovers of a crashed run */

typedef struct {
	uint32_t index;
	uint8_t dir;
	uint16_t kreqid;
} left_pol_t;

/* SADB_GET the SA; delete it when source and reqid are the journal's. */
static void clean_sa(kernel_pfkey_t *k, const struct sockaddr_storage *dst,
                     uint32_t spi, const struct sockaddr_storage *src,
                     unsigned kreqid)
{
	uint64_t mem[64], resp[PFK_MSG_MAX / 8];
	pfk_buf_t b;
	pfk_msg_t m;
	struct sockaddr_storage ksrc;
	uint32_t kr = 0;
	char d[INET6_ADDRSTRLEN];
	int rc;

	pk_begin(k, &b, mem, sizeof(mem), SADB_GET, SADB_SATYPE_ESP);
	pfk_add_sa(&b, spi, 0, 0, 0, 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, src, pfk_full_prefix(src->ss_family), 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_DST, dst, pfk_full_prefix(dst->ss_family), 0);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
	if (rc == 0 && pfk_get_address(&m, SADB_EXT_ADDRESS_SRC, &ksrc, NULL, NULL) &&
	    same_ip(&ksrc, src) && pfk_get_sa2(&m, NULL, &kr) && kr == kreqid) {
		explicit_bzero(resp, sizeof(resp));
		pk_begin(k, &b, mem, sizeof(mem), SADB_DELETE, SADB_SATYPE_ESP);
		pfk_add_sa(&b, spi, 0, 0, 0, 0);
		pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, src, pfk_full_prefix(src->ss_family), 0);
		pfk_add_address(&b, SADB_EXT_ADDRESS_DST, dst, pfk_full_prefix(dst->ss_family), 0);
		if (pk_simple(k, &b) == 0)
			log_op(DBG_KERNEL, "kernel-pfkey: removed SA %08x to %s left "
			       "by an earlier run", spi, ip_str(dst, d, sizeof(d)));
		return;
	}
	explicit_bzero(resp, sizeof(resp));
	if (rc == 0)
		log_op(DBG_KERNEL, "kernel-pfkey: SA %08x to %s is no longer the "
		       "one an earlier run installed: left alone", spi,
		       ip_str(dst, d, sizeof(d)));
}

/* X_SPDDUMP, deleting each policy whose id, direction and reqid are a
 * journal entry's. */
static void clean_policies(kernel_pfkey_t *k, const left_pol_t *left, size_t n)
{
	uint64_t mem[8], resp[PFK_MSG_MAX / 8];
	uint32_t *doomed;
	uint8_t *dirs;
	size_t n_doomed = 0;
	pfk_buf_t b;
	pfk_msg_t m;
	int rc;

	if (!n)
		return;
	doomed = xzalloc(n * sizeof(*doomed));
	dirs = xzalloc(n);
	pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
	/* The dump comes as one message per policy, each with our pid;
	 * the last has sequence number 0 (Linux af_key). */
	for (; rc == 0;) {
		pfk_policy_t pol;
		if (pfk_get_policy(&m, &pol))
			for (size_t i = 0; i < n; i++)
				if (left[i].index == pol.id && left[i].dir == pol.dir &&
				    (left[i].kreqid == 0 ? pol.n_req == 0 :
				     pol.n_req == 1 && pol.req[0].reqid == left[i].kreqid) &&
				    n_doomed < n) {
					doomed[n_doomed] = pol.id;
					dirs[n_doomed++] = pol.dir;
				}
		if (m.hdr->sadb_msg_seq == 0)
			break;
		/* next part of the dump */
		struct pollfd pfd = { .fd = k->req_fd, .events = POLLIN };
		ssize_t got;
		char err[128];
		if (poll(&pfd, 1, REQUEST_TIMEOUT_MS) <= 0)
			break;
		got = recv(k->req_fd, resp, sizeof(resp), MSG_DONTWAIT);
		if (got <= 0 || !pfk_parse(resp, (size_t)got, &m, err, sizeof(err)))
			break;
		if (m.hdr->sadb_msg_type != SADB_X_SPDDUMP || m.hdr->sadb_msg_pid != k->pid)
			continue;
		if (m.hdr->sadb_msg_errno)
			break;
	}
	for (size_t i = 0; i < n_doomed; i++) {
		pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDDELETE2, SADB_SATYPE_UNSPEC);
		pfk_add_policy(&b, IPSEC_POLICY_IPSEC, dirs[i], doomed[i], 0, NULL);
		if (pk_simple(k, &b) == 0)
			log_op(DBG_KERNEL, "kernel-pfkey: removed policy %u left by an "
			       "earlier run", doomed[i]);
	}
	if (n > n_doomed)
		log_op(DBG_KERNEL, "kernel-pfkey: %zu policies an earlier run "
		       "installed are gone or changed: left alone", n - n_doomed);
	free(doomed);
	free(dirs);
}

/* Read the journal of an earlier run and remove what it still lists. */
static void clean_leftovers(kernel_pfkey_t *k)
{
	FILE *f = fopen(k->journal_path, "r");
	left_pol_t *pols = NULL;
	size_t n_pols = 0, cap = 0;
	struct left_sa { struct sockaddr_storage dst, src; uint32_t spi; unsigned kreqid; } *sas = NULL;
	size_t n_sas = 0, sa_cap = 0;
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char a[64], b[64];
		unsigned spi, kr, dir, idx;
		struct sockaddr_storage d, s;

		if (sscanf(line, "sa %63s %x %63s %u", a, &spi, b, &kr) == 4 &&
		    ip_parse(a, &d) && ip_parse(b, &s)) {
			if (n_sas == sa_cap) {
				sa_cap = sa_cap ? sa_cap * 2 : 64;
				sas = realloc(sas, sa_cap * sizeof(*sas));
				if (!sas)
					abort();
			}
			sas[n_sas++] = (struct left_sa){ d, s, spi, kr };
		} else if (sscanf(line, "-sa %63s %x", a, &spi) == 2 && ip_parse(a, &d)) {
			for (size_t i = 0; i < n_sas; i++)
				if (sas[i].spi == spi && same_ip(&sas[i].dst, &d)) {
					sas[i] = sas[--n_sas];
					break;
				}
		} else if (sscanf(line, "pol %u %u %u", &idx, &dir, &kr) == 3) {
			if (n_pols == cap) {
				cap = cap ? cap * 2 : 64;
				pols = realloc(pols, cap * sizeof(*pols));
				if (!pols)
					abort();
			}
			pols[n_pols++] = (left_pol_t){ idx, (uint8_t)dir, (uint16_t)kr };
		} else if (sscanf(line, "-pol %u", &idx) == 1) {
			for (size_t i = 0; i < n_pols; i++)
				if (pols[i].index == idx) {
					pols[i] = pols[--n_pols];
					break;
				}
		}
	}
	fclose(f);
	if (n_sas || n_pols)
		log_op(DBG_KERNEL, "kernel-pfkey: %s lists %zu SAs and %zu policies "
		       "of an earlier run that did not stop cleanly: removing "
		       "those still in the kernel", k->journal_path, n_sas, n_pols);
	clean_policies(k, pols, n_pols);
	for (size_t i = 0; i < n_sas; i++)
		clean_sa(k, &sas[i].dst, sas[i].spi, &sas[i].src, sas[i].kreqid);
	free(pols);
	free(sas);
}

/* First kernel call: clean up after a crashed run, start the journal,
 * watch the event socket (req_lock held). */
void pk_ensure_started(kernel_pfkey_t *k)
{
	if (k->started)
		return;
	k->started = true;
	if (k->journal_path) {
		clean_leftovers(k);
		k->journal_fd = open(k->journal_path, O_WRONLY | O_CREAT | O_TRUNC |
		                     O_APPEND | O_CLOEXEC, 0600);
		if (k->journal_fd < 0)
			log_error(DBG_KERNEL, "kernel-pfkey: cannot open %s (%s): a "
			          "crash would leave its SAs and policies behind",
			          k->journal_path, strerror(errno));
	}
	pfk_routes_start(k->routes);
	k->watching = loop_watch_fd(k->ev_fd, EPOLLIN, on_event, k);
	if (!k->watching)
		log_error(DBG_KERNEL, "kernel-pfkey: not watching the kernel's "
		          "events: no ACQUIRE or EXPIRE will reach the engine");
}


/* ----------------------------------------------------------------- SAs */

static int get_sa(kernel_pfkey_t *k, const sa_ent_t *e, uint64_t *resp,
                  size_t cap, pfk_msg_t *m);

/* getspi = false: a random SPI that neither our table nor the kernel
 * (SADB_GET, one hash lookup) knows.  SADB_GETSPI costs the kernel time
 * that grows with the number of SAs it holds (the kernel-netlink
 * allocspi setting in ikev2.config(5)); an SA someone else adds by that
 * name before ours makes our ADD fail with EEXIST (logged).  0, or the
 * errno of the failure (logged by the caller).  req_lock held. */
static int pick_spi(kernel_pfkey_t *k, const struct sockaddr_storage *s,
                    const struct sockaddr_storage *d, uint32_t *spi)
{
	uint64_t resp[PFK_MSG_MAX / 8];
	pfk_msg_t m;
	int rc = EAGAIN;

	for (int tries = 0; tries < 64; tries++) {
		sa_ent_t probe = { .src = *s, .dst = *d };
		bool taken;

		if (!crypto_random(RNG_WEAK, &probe.spi, sizeof(probe.spi)))
			return EIO;
		if (probe.spi < SPI_MIN)
			continue;
		pthread_mutex_lock(&k->lock);
		taken = sa_find(k, d, probe.spi) != NULL;
		pthread_mutex_unlock(&k->lock);
		if (taken)
			continue;
		rc = get_sa(k, &probe, resp, sizeof(resp), &m);
		explicit_bzero(resp, sizeof(resp));
		if (rc == ESRCH) {
			*spi = probe.spi;
			return 0;
		}
		if (rc != 0)
			return rc < 0 ? EIO : rc;
		rc = EAGAIN;   /* the kernel has one by that name */
	}
	return rc;
}

static bool pk_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                       const struct sockaddr_storage *dst, uint8_t protocol,
                       uint32_t reqid, uint32_t *spi)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t mem[32], resp[PFK_MSG_MAX / 8];
	struct sockaddr_storage s, d;
	pfk_buf_t b;
	pfk_msg_t m;
	uint16_t kr;
	uint32_t got = 0;
	int rc;
	char ds[INET6_ADDRSTRLEN];

	if (protocol != KERNEL_PROTO_ESP) {
		log_error(DBG_KERNEL, "kernel-pfkey: only ESP SPIs are allocated");
		return false;
	}
	pk_bare(src, &s);
	pk_bare(dst, &d);
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	kr = pk_kreq_get(k, reqid);
	pthread_mutex_unlock(&k->lock);
	if (reqid && !kr) {
		UNLOCK(k);
		log_error(DBG_KERNEL, "kernel-pfkey: all %d PF_KEY reqids in use: "
		          "no SPI for reqid %u", REQID_MAX, reqid);
		return false;
	}
	if (!k->getspi) {
		rc = pick_spi(k, &s, &d, &got);
		goto record;
	}
	pk_begin(k, &b, mem, sizeof(mem), SADB_GETSPI, SADB_SATYPE_ESP);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &s, pfk_full_prefix(s.ss_family), 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_DST, &d, pfk_full_prefix(d.ss_family), 0);
	pfk_add_spirange(&b, SPI_MIN, 0xffffffffu);
	pfk_add_sa2(&b, IPSEC_MODE_ANY, kr);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
	if (rc == 0 && (!pfk_get_sa(&m, &got, NULL, NULL, NULL, NULL) || got < SPI_MIN))
		rc = EPROTO;
record:
	pthread_mutex_lock(&k->lock);
	if (rc == 0) {
		sa_ent_t *e = xzalloc(sizeof(*e));
		e->src = s;
		e->dst = d;
		e->spi = got;
		e->reqid = reqid;
		e->kreqid = kr;
		e->larval = true;
		e->picked = !k->getspi;
		pfk_sat_insert(&k->sas, e);
		journal_sa(k, e, true);
	} else {
		pk_kreq_put(k, kr);
	}
	pthread_mutex_unlock(&k->lock);
	UNLOCK(k);
	if (rc != 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: GETSPI for %s: %s",
		          ip_str(&d, ds, sizeof(ds)),
		          rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	*spi = got;
	return true;
}

/* Build the ADD/UPDATE for sa (keys included) into b. */
static bool build_sa(kernel_pfkey_t *k, pfk_buf_t *b, uint64_t *mem, size_t cap,
                     uint8_t type, const kernel_sa_t *sa, uint16_t kr,
                     char *why, size_t wlen)
{
	uint8_t eid, aid;
	uint16_t ebits, abits;
	struct sockaddr_storage s, d;
	uint32_t replay = sa->replay_window;

	if (!pfk_encr(sa->encr_alg, sa->encr_keylen_bits, &eid, &ebits, why, wlen) ||
	    !pfk_integ(sa->integ_alg, &aid, &abits, why, wlen))
		return false;
	if (sa->esn) {
		snprintf(why, wlen, "ESN cannot be installed through PF_KEY v2");
		return false;
	}
	if (sa->encr_key.len * 8 != ebits || sa->integ_key.len * 8 != abits) {
		snprintf(why, wlen, "key lengths %zu+%zu bytes do not fit %s/%s",
		         sa->encr_key.len, sa->integ_key.len,
		         transform_name(TRANS_ENCR, sa->encr_alg) ?: "?",
		         transform_name(TRANS_INTEG, sa->integ_alg) ?: "none");
		return false;
	}
	/* A window above what the kernel keeps only comes from the built-in
	 * default (an explicit one is refused by in.ikev2d -c). */
	if (replay > PFK_REPLAY_MAX)
		replay = PFK_REPLAY_MAX;
	pk_bare(&sa->src, &s);
	pk_bare(&sa->id.dst, &d);
	pk_begin(k, b, mem, cap, type, SADB_SATYPE_ESP);
	pfk_add_sa(b, sa->id.spi, (uint8_t)replay, aid, eid, 0);
	pfk_add_address(b, SADB_EXT_ADDRESS_SRC, &s, pfk_full_prefix(s.ss_family), 0);
	pfk_add_address(b, SADB_EXT_ADDRESS_DST, &d, pfk_full_prefix(d.ss_family), 0);
	if (aid != SADB_AALG_NONE)
		pfk_add_key(b, SADB_EXT_KEY_AUTH, sa->integ_key);
	if (ebits)
		pfk_add_key(b, SADB_EXT_KEY_ENCRYPT, sa->encr_key);
	pfk_add_sa2(b, sa->mode == KERNEL_MODE_TUNNEL ? IPSEC_MODE_TUNNEL
	                                              : IPSEC_MODE_TRANSPORT, kr);
	if (sa->hard.packets || sa->hard.bytes || sa->hard.secs)
		pfk_add_lifetime(b, SADB_EXT_LIFETIME_HARD, sa->hard.packets,
		                 sa->hard.bytes, sa->hard.secs);
	if (sa->soft.packets || sa->soft.bytes || sa->soft.secs)
		pfk_add_lifetime(b, SADB_EXT_LIFETIME_SOFT, sa->soft.packets,
		                 sa->soft.bytes, sa->soft.secs);
	if (sa->encap)
		pfk_add_nat_t(b, UDP_ENCAP_ESPINUDP_TYPE, pk_port_of(&sa->src),
		              pk_port_of(&sa->id.dst));
	return true;
}

static bool pk_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t mem[PFK_MSG_MAX / 8];
	struct sockaddr_storage d;
	pfk_buf_t b;
	char why[256], ds[INET6_ADDRSTRLEN];
	bool larval = false;
	uint16_t kr;
	int rc;

	pk_bare(&sa->id.dst, &d);
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	sa_ent_t *old = sa_find(k, &d, sa->id.spi);
	if (old && !old->larval) {
		pthread_mutex_unlock(&k->lock);
		UNLOCK(k);
		log_error(DBG_KERNEL, "kernel-pfkey: SA %08x to %s is installed "
		          "already", sa->id.spi, ip_str(&d, ds, sizeof(ds)));
		return false;
	}
	larval = old != NULL;
	bool picked = old && old->picked;
	kr = pk_kreq_get(k, sa->reqid);
	pthread_mutex_unlock(&k->lock);
	if (sa->reqid && !kr) {
		UNLOCK(k);
		log_error(DBG_KERNEL, "kernel-pfkey: all %d PF_KEY reqids in use: "
		          "SA %08x not installed", REQID_MAX, sa->id.spi);
		return false;
	}
	/* An inbound SA replaces the larval SA its GETSPI made; an SPI we
	 * picked ourselves has none. */
	if (!build_sa(k, &b, mem, sizeof(mem), larval && !picked ? SADB_UPDATE : SADB_ADD,
	              sa, kr, why, sizeof(why))) {
		rc = -2;
	} else {
		rc = pk_simple(k, &b);
		pfk_wipe(&b);
		if (larval && rc == ESRCH) {   /* the larval expired meanwhile */
			build_sa(k, &b, mem, sizeof(mem), SADB_ADD, sa, kr, why, sizeof(why));
			rc = pk_simple(k, &b);
			pfk_wipe(&b);
		}
	}
	pthread_mutex_lock(&k->lock);
	if (rc == 0) {
		sa_ent_t *e = sa_find(k, &d, sa->id.spi);
		if (e) {
			/* the larval: its reqid reference goes */
			pk_kreq_put(k, e->kreqid);
		} else {
			e = xzalloc(sizeof(*e));
			e->dst = d;
			e->spi = sa->id.spi;
			pfk_sat_insert(&k->sas, e);
		}
		pk_bare(&sa->src, &e->src);
		e->dst = d;
		e->spi = sa->id.spi;
		e->reqid = sa->reqid;
		e->kreqid = kr;
		e->larval = false;
		journal_sa(k, e, true);
		pk_journal_maybe_compact(k);
	} else {
		pk_kreq_put(k, kr);
	}
	pthread_mutex_unlock(&k->lock);
	UNLOCK(k);
	if (rc == -2) {
		log_error(DBG_KERNEL, "kernel-pfkey: SA %08x to %s not installed: "
		          "%s", sa->id.spi, ip_str(&d, ds, sizeof(ds)), why);
		return false;
	}
	if (rc != 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: %s of %s SA %08x to %s (%s, %s "
		          "mode%s): %s", larval ? "UPDATE" : "ADD",
		          kernel_dir_name(sa->dir), sa->id.spi,
		          ip_str(&d, ds, sizeof(ds)),
		          transform_name(TRANS_ENCR, sa->encr_alg) ?: "?",
		          kernel_mode_name(sa->mode), sa->encap ? ", UDP-encapsulated" : "",
		          rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	log_verbose(DBG_KERNEL, "kernel-pfkey: %s SA %08x to %s installed",
	            kernel_dir_name(sa->dir), sa->id.spi, ip_str(&d, ds, sizeof(ds)));
	return true;
}

/* GET an SA into resp (keys included: the caller wipes resp). */
static int get_sa(kernel_pfkey_t *k, const sa_ent_t *e, uint64_t *resp,
                  size_t cap, pfk_msg_t *m)
{
	uint64_t mem[32];
	pfk_buf_t b;

	pk_begin(k, &b, mem, sizeof(mem), SADB_GET, SADB_SATYPE_ESP);
	pfk_add_sa(&b, e->spi, 0, 0, 0, 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &e->src, pfk_full_prefix(e->src.ss_family), 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_DST, &e->dst, pfk_full_prefix(e->dst.ss_family), 0);
	return pk_request(k, &b, resp, cap, m, REQUEST_TIMEOUT_MS);
}

/* Copy what the kernel still knows of an SA: the inputs of an UPDATE. */
static bool key_of(const pfk_msg_t *m, uint16_t type, chunk_t *out)
{
	const struct sadb_key *key = (const void *)m->ext[type];
	size_t avail, bytes;

	*out = (chunk_t){ NULL, 0 };
	if (!key)
		return true;
	avail = (size_t)key->sadb_key_len * 8 - sizeof(*key);
	bytes = ((size_t)key->sadb_key_bits + 7) / 8;
	if (bytes > avail)
		return false;
	*out = (chunk_t){ (uint8_t *)(key + 1), bytes };
	return true;
}

static bool pk_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_src,
                         const struct sockaddr_storage *new_dst, bool encap)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t resp[PFK_MSG_MAX / 8], mem[PFK_MSG_MAX / 8];
	struct sockaddr_storage d;
	pfk_msg_t m;
	pfk_buf_t b;
	sa_ent_t e = { 0 }, *pp;
	char ds[INET6_ADDRSTRLEN];
	int rc;

	pk_bare(&id->dst, &d);
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	pp = sa_find(k, &d, id->spi);
	if (pp)
		e = *pp;
	pthread_mutex_unlock(&k->lock);
	if (!pp) {
		UNLOCK(k);
		log_error(DBG_KERNEL, "kernel-pfkey: cannot update SA %08x to %s: "
		          "not installed by us", id->spi, ip_str(&d, ds, sizeof(ds)));
		return false;
	}
	/* PF_KEY names an SA by its destination: a new address would be a
	 * new SA with fresh sequence numbers, which the peer's replay
	 * window would reject.  Only the NAT-T ports change in place
	 * (SADB_UPDATE); Linux's SADB_X_MIGRATE could move SA and policy
	 * together, but this backend does not use it (yet). */
	if (!same_ip(new_dst, &e.dst) || !same_ip(new_src, &e.src)) {
		char ns[INET6_ADDRSTRLEN], nd[INET6_ADDRSTRLEN];
		UNLOCK(k);
		log_error(DBG_KERNEL, "kernel-pfkey: SA %08x to %s cannot move to "
		          "%s -> %s: kernel-pfkey follows a NAT-T port change but "
		          "not an address change (no SADB_X_MIGRATE); the CHILD SA "
		          "must be rekeyed (kernel-netlink follows it)", id->spi,
		          ip_str(&d, ds, sizeof(ds)), ip_str(new_src, ns, sizeof(ns)),
		          ip_str(new_dst, nd, sizeof(nd)));
		return false;
	}
	rc = get_sa(k, &e, resp, sizeof(resp), &m);
	if (rc == 0) {
		uint8_t aid, eid, replay;
		uint8_t mode = IPSEC_MODE_TUNNEL;
		uint32_t kr = e.kreqid;
		chunk_t ak, ek;
		uint64_t p, by, t;
		if (!pfk_get_sa(&m, NULL, &aid, &eid, &replay, NULL) ||
		    !key_of(&m, SADB_EXT_KEY_AUTH, &ak) ||
		    !key_of(&m, SADB_EXT_KEY_ENCRYPT, &ek)) {
			rc = EPROTO;
		} else {
			pfk_get_sa2(&m, &mode, &kr);
			pk_begin(k, &b, mem, sizeof(mem), SADB_UPDATE, SADB_SATYPE_ESP);
			pfk_add_sa(&b, e.spi, replay, aid, eid, 0);
			pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &e.src, pfk_full_prefix(e.src.ss_family), 0);
			pfk_add_address(&b, SADB_EXT_ADDRESS_DST, &e.dst, pfk_full_prefix(e.dst.ss_family), 0);
			if (ak.len)
				pfk_add_key(&b, SADB_EXT_KEY_AUTH, ak);
			if (ek.len)
				pfk_add_key(&b, SADB_EXT_KEY_ENCRYPT, ek);
			pfk_add_sa2(&b, mode, kr);
			if (pfk_get_lifetime(&m, SADB_EXT_LIFETIME_HARD, &p, &by, &t, NULL))
				pfk_add_lifetime(&b, SADB_EXT_LIFETIME_HARD, p, by, t);
			if (pfk_get_lifetime(&m, SADB_EXT_LIFETIME_SOFT, &p, &by, &t, NULL))
				pfk_add_lifetime(&b, SADB_EXT_LIFETIME_SOFT, p, by, t);
			if (encap)
				pfk_add_nat_t(&b, UDP_ENCAP_ESPINUDP_TYPE,
				              pk_port_of(new_src), pk_port_of(new_dst));
			explicit_bzero(resp, sizeof(resp));
			rc = pk_simple(k, &b);
			pfk_wipe(&b);
		}
	}
	explicit_bzero(resp, sizeof(resp));
	UNLOCK(k);
	if (rc != 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: UPDATE of SA %08x to %s: %s",
		          id->spi, ip_str(&d, ds, sizeof(ds)),
		          rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	return true;
}

static bool pk_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                        kernel_usage_t *usage)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t resp[PFK_MSG_MAX / 8];
	struct sockaddr_storage d;
	sa_ent_t e, *pp;
	pfk_msg_t m;
	uint64_t packets = 0, bytes = 0;
	int rc;

	pk_bare(&id->dst, &d);
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	pp = sa_find(k, &d, id->spi);
	if (pp)
		e = *pp;
	pthread_mutex_unlock(&k->lock);
	if (!pp) {
		UNLOCK(k);
		return false;
	}
	rc = get_sa(k, &e, resp, sizeof(resp), &m);
	if (rc == 0 && !pfk_get_lifetime(&m, SADB_EXT_LIFETIME_CURRENT, &packets,
	                                 &bytes, NULL, NULL))
		rc = EPROTO;
	explicit_bzero(resp, sizeof(resp));
	if (rc == 0) {
		/* PF_KEY tells when an SA was first used, not last: a query
		 * that sees the byte count move dates the last use. */
		pthread_mutex_lock(&k->lock);
		pp = sa_find(k, &d, id->spi);
		if (pp) {
			if (bytes != pp->last_bytes) {
				pp->last_bytes = bytes;
				pp->last_use_secs = pk_now_secs();
			}
			e = *pp;
		}
		pthread_mutex_unlock(&k->lock);
		usage->bytes = bytes;
		usage->packets = packets;
		usage->last_use_secs = e.last_use_secs;
	}
	UNLOCK(k);
	if (rc != 0)
		log_verbose(DBG_KERNEL, "kernel-pfkey: GET of SA %08x: %s", id->spi,
		            rc > 0 ? strerror(rc) : "no answer");
	return rc == 0;
}

static int delete_sa(kernel_pfkey_t *k, const sa_ent_t *e)
{
	uint64_t mem[32];
	pfk_buf_t b;

	pk_begin(k, &b, mem, sizeof(mem), SADB_DELETE, SADB_SATYPE_ESP);
	pfk_add_sa(&b, e->spi, 0, 0, 0, 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_SRC, &e->src, pfk_full_prefix(e->src.ss_family), 0);
	pfk_add_address(&b, SADB_EXT_ADDRESS_DST, &e->dst, pfk_full_prefix(e->dst.ss_family), 0);
	return pk_simple(k, &b);
}

static bool pk_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	struct sockaddr_storage d;
	sa_ent_t e, *pp;
	char ds[INET6_ADDRSTRLEN];
	int rc;

	pk_bare(&id->dst, &d);
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	pp = sa_find(k, &d, id->spi);
	if (pp)
		e = *pp;
	pthread_mutex_unlock(&k->lock);
	if (!pp) {
		UNLOCK(k);
		log_verbose(DBG_KERNEL, "kernel-pfkey: SA %08x to %s: not installed "
		            "(or already expired)", id->spi, ip_str(&d, ds, sizeof(ds)));
		return false;
	}
	rc = delete_sa(k, &e);
	pthread_mutex_lock(&k->lock);
	if (rc == 0 || rc == ESRCH) {
		pp = sa_find(k, &d, id->spi);
		if (pp)
			sa_remove(k, pp);
	}
	pthread_mutex_unlock(&k->lock);
	UNLOCK(k);
	if (rc != 0) {
		if (rc == ESRCH)
			log_verbose(DBG_KERNEL, "kernel-pfkey: SA %08x to %s was gone "
			            "already", id->spi, ip_str(&d, ds, sizeof(ds)));
		else
			log_error(DBG_KERNEL, "kernel-pfkey: DELETE of SA %08x to %s: "
			          "%s", id->spi, ip_str(&d, ds, sizeof(ds)),
			          rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------- sockets */

static bool pk_bypass_socket(kernel_ipsec_t *self, int fd, int family)
{
	struct sadb_x_policy pol;
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int opt = family == AF_INET6 ? IPV6_IPSEC_POLICY : IP_IPSEC_POLICY;
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;

	/* The IKE sockets open when the daemon really starts (never under
	 * in.ikev2d -c): the moment to clean up after a crashed run. */
	LOCKED_START(k);
	UNLOCK(k);

	for (int dir = IPSEC_DIR_INBOUND; dir <= IPSEC_DIR_OUTBOUND; dir++) {
		memset(&pol, 0, sizeof(pol));
		pol.sadb_x_policy_len = sizeof(pol) / 8;
		pol.sadb_x_policy_exttype = SADB_X_EXT_POLICY;
		pol.sadb_x_policy_type = IPSEC_POLICY_BYPASS;
		pol.sadb_x_policy_dir = (uint8_t)dir;
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) < 0) {
			log_error(DBG_KERNEL, "kernel-pfkey: no PF_KEY bypass policy "
			          "on the IKE socket: %s (IKE would be caught by the "
			          "SAs it negotiates)", strerror(errno));
			return false;
		}
	}
	return true;
}

static void pk_flush(kernel_ipsec_t *self)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	unsigned n_sa = 0, n_pol = 0, failed = 0;

	pthread_mutex_lock(&k->req_lock);
	if (!k->started) {
		pthread_mutex_unlock(&k->req_lock);
		return;
	}
	for (;;) {
		pol_ent_t e;
		uint64_t mem[16];
		pfk_buf_t b;
		int rc;

		pthread_mutex_lock(&k->lock);
		if (!k->pols.all) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		e = *k->pols.all;
		pk_pol_remove(k, k->pols.all);
		pthread_mutex_unlock(&k->lock);
		pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDDELETE2, SADB_SATYPE_UNSPEC);
		pfk_add_policy(&b, IPSEC_POLICY_IPSEC, e.dir, e.index, 0, NULL);
		rc = pk_simple(k, &b);
		if (rc == 0)
			n_pol++;
		else if (rc != ENOENT)
			failed++;
	}
	for (;;) {
		sa_ent_t e;
		int rc;

		pthread_mutex_lock(&k->lock);
		if (!k->sas.all) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		e = *k->sas.all;
		sa_remove(k, k->sas.all);
		pthread_mutex_unlock(&k->lock);
		rc = delete_sa(k, &e);
		if (rc == 0)
			n_sa++;
		else if (rc != ESRCH)
			failed++;
	}
	pfk_routes_flush(k->routes);
	pthread_mutex_unlock(&k->req_lock);
	if (n_sa || n_pol)
		log_op(DBG_KERNEL, "kernel-pfkey: removed %u SAs and %u policies "
		       "still installed", n_sa, n_pol);
	if (failed)
		log_error(DBG_KERNEL, "kernel-pfkey: %u removals failed", failed);
}

static bool pk_can_install(kernel_ipsec_t *self, const kernel_sa_t *sa,
                           char *why, size_t len)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;

	return pfk_can_install(&k->algs, sa, why, len);
}

static void pk_destroy(kernel_ipsec_t *self)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;

	if (k->watching)
		loop_unwatch_fd(k->ev_fd);
	/* what is still installed stays listed in the journal: the next
	 * start removes it (a daemon stopping cleanly flushed first) */
	bool empty = !k->sas.n && !k->pols.n;
	pfk_sat_free(&k->sas);
	pfk_polt_free(&k->pols);
	if (k->journal_fd >= 0) {
		if (k->started && empty)
			unlink(k->journal_path);
		close(k->journal_fd);
	}
	close(k->req_fd);
	close(k->ev_fd);
	pfk_routes_destroy(k->routes);
	pthread_mutex_destroy(&k->req_lock);
	pthread_mutex_destroy(&k->lock);
	free(k->journal_path);
	free(k);
}

/* REGISTER the event socket for ESP; the answer lists the algorithms. */
static bool do_register(kernel_pfkey_t *k)
{
	uint64_t mem[4], resp[PFK_MSG_MAX / 8];
	pfk_buf_t b;
	pfk_msg_t m;
	int req = k->req_fd, rc;

	/* pk_request() talks on req_fd: point it at the event socket once */
	k->req_fd = k->ev_fd;
	pk_begin(k, &b, mem, sizeof(mem), SADB_REGISTER, SADB_SATYPE_ESP);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REGISTER_TIMEOUT_MS);
	k->req_fd = req;
	if (rc != 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: REGISTER for ESP: %s",
		          rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	if (!pfk_algs_from_register(&m, &k->algs))
		log_error(DBG_KERNEL, "kernel-pfkey: the REGISTER answer lists no "
		          "algorithms");
	log_verbose(DBG_KERNEL, "kernel-pfkey: kernel lists %zu ciphers and %zu "
	            "integrity algorithms", k->algs.n_encr, k->algs.n_auth);
	return true;
}

kernel_pfkey_t *kernel_pfkey_create(const char *state_file, bool getspi,
                                    uint32_t route_table,
                                    uint32_t route_rule_priority)
{
	kernel_pfkey_t *k = xzalloc(sizeof(*k));

	k->public = (kernel_ipsec_t){
		.get_spi = pk_get_spi,
		.add_sa = pk_add_sa,
		.update_sa = pk_update_sa,
		.query_sa = pk_query_sa,
		.del_sa = pk_del_sa,
		.add_policy = pk_add_policy,
		.query_policy = pk_query_policy,
		.match_policy = pk_match_policy,
		.del_policy = pk_del_policy,
		.bypass_socket = pk_bypass_socket,
		.flush = pk_flush,
		.can_install = pk_can_install,
		.destroy = pk_destroy,
	};
	k->journal_fd = -1;
	k->getspi = getspi;
	k->pid = (uint32_t)getpid();
	pfk_sat_init(&k->sas);
	pfk_polt_init(&k->pols);
	pfk_kreq_init(&k->kreq);
	pthread_mutex_init(&k->req_lock, NULL);
	pthread_mutex_init(&k->lock, NULL);
	k->req_fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
	k->ev_fd = k->req_fd < 0 ? -1 :
	           socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
	if (k->req_fd < 0 || k->ev_fd < 0) {
		log_error(DBG_KERNEL, "kernel-pfkey: cannot open a PF_KEY socket: "
		          "%s%s", strerror(errno), errno == EAFNOSUPPORT ?
		          " (this kernel has no AF_KEY: modprobe af_key, or use "
		          "kernel-netlink)" : errno == EPERM ? " (needs "
		          "CAP_NET_ADMIN)" : "");
		if (k->req_fd >= 0)
			close(k->req_fd);
		pthread_mutex_destroy(&k->req_lock);
		pthread_mutex_destroy(&k->lock);
		pfk_sat_free(&k->sas);
		pfk_polt_free(&k->pols);
		free(k);
		return NULL;
	}
	if (!do_register(k)) {
		close(k->req_fd);
		close(k->ev_fd);
		pthread_mutex_destroy(&k->req_lock);
		pthread_mutex_destroy(&k->lock);
		pfk_sat_free(&k->sas);
		pfk_polt_free(&k->pols);
		free(k);
		return NULL;
	}
	fcntl(k->ev_fd, F_SETFL, fcntl(k->ev_fd, F_GETFL) | O_NONBLOCK);
	if (state_file && *state_file)
		k->journal_path = xstrdup(state_file);
	/* now: the daemon may not be allowed to open it later */
	if (!kernel_ipsec_check_only())
		k->routes = pfk_routes_create(route_table, route_rule_priority);
	return k;
}

kernel_ipsec_t *kernel_pfkey_ipsec(kernel_pfkey_t *k)
{
	return &k->public;
}
