/*
 * kernel_pfkey_policy.c - kernel-pfkey's policies: X_SPDUPDATE /
 * X_SPDDELETE / X_SPDGET of each prefix pair a policy's selectors split
 * into, the routes of outbound tunnel policies (pfkey_route.h).
 */
#include "kernel_pfkey_priv.h"

#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

/* ------------------------------------------------------------ policies */

typedef struct {
	pfk_prefix_t s[MAX_PREFIXES], d[MAX_PREFIXES];
	int ns, nd;
	uint8_t proto;
} pol_sel_t;

static bool policy_selectors(const kernel_policy_t *p, pol_sel_t *sel,
                             char *why, size_t len)
{
	if (p->src_ts.family != p->dst_ts.family) {
		snprintf(why, len, "selectors of two address families");
		return false;
	}
	if (p->src_ts.proto != p->dst_ts.proto && p->src_ts.proto && p->dst_ts.proto) {
		snprintf(why, len, "selectors with two protocols");
		return false;
	}
	sel->ns = pfk_ts_prefixes(&p->src_ts, sel->s, MAX_PREFIXES, why, len);
	if (sel->ns < 0)
		return false;
	sel->nd = pfk_ts_prefixes(&p->dst_ts, sel->d, MAX_PREFIXES, why, len);
	if (sel->nd < 0)
		return false;
	sel->proto = pfk_ts_proto(p->src_ts.proto ? &p->src_ts : &p->dst_ts);
	return true;
}

static void policy_text(const kernel_policy_t *p, char *buf, size_t len)
{
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];

	snprintf(buf, len, "%s %s === %s", kernel_dir_name(p->dir),
	         kernel_ts_to_str(&p->src_ts, s, sizeof(s)),
	         kernel_ts_to_str(&p->dst_ts, d, sizeof(d)));
}

static void add_selectors(pfk_buf_t *b, const pfk_prefix_t *s,
                          const pfk_prefix_t *d, uint8_t proto)
{
	pfk_add_address(b, SADB_EXT_ADDRESS_SRC, &s->addr, s->plen, proto);
	pfk_add_address(b, SADB_EXT_ADDRESS_DST, &d->addr, d->plen, proto);
}

bool pk_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	pol_sel_t sel;
	pfk_ipsecrequest_t req = { 0 };
	uint16_t type;
	uint8_t dir = pfk_dir(p->dir);
	char why[160], txt[2 * KERNEL_TS_STRLEN + 16];
	bool ok = true;

	policy_text(p, txt, sizeof(txt));
	if (!policy_selectors(p, &sel, why, sizeof(why))) {
		log_error(DBG_KERNEL, "kernel-pfkey: policy %s not installed: %s",
		          txt, why);
		return false;
	}
	switch (p->action) {
	case KERNEL_POLICY_PASS: type = IPSEC_POLICY_NONE; break;
	case KERNEL_POLICY_DROP: type = IPSEC_POLICY_DISCARD; break;
	default:                 type = IPSEC_POLICY_IPSEC; break;
	}
	if (type == IPSEC_POLICY_IPSEC) {
		if (p->protocol != KERNEL_PROTO_ESP) {
			log_error(DBG_KERNEL, "kernel-pfkey: policy %s: only ESP", txt);
			return false;
		}
		req.proto = IPPROTO_ESP;
		req.mode = p->mode == KERNEL_MODE_TUNNEL ? IPSEC_MODE_TUNNEL
		                                         : IPSEC_MODE_TRANSPORT;
		/* UNIQUE: the kernel keeps our reqid and uses only SAs with it;
		 * reqid 0 (a CHILD SA for someone else's policy without one):
		 * REQUIRE, any SA between the endpoints */
		req.level = p->reqid ? IPSEC_LEVEL_UNIQUE : IPSEC_LEVEL_REQUIRE;
		if (p->mode == KERNEL_MODE_TUNNEL) {
			if (p->sa_src.ss_family != p->sa_dst.ss_family ||
			    (p->sa_src.ss_family != AF_INET && p->sa_src.ss_family != AF_INET6)) {
				log_error(DBG_KERNEL, "kernel-pfkey: tunnel policy %s "
				          "without both tunnel endpoints", txt);
				return false;
			}
			pk_bare(&p->sa_src, &req.src);
			pk_bare(&p->sa_dst, &req.dst);
		}
	}
	LOCKED_START(k);
	for (int i = 0; i < sel.ns && ok; i++)
		for (int j = 0; j < sel.nd && ok; j++) {
			uint64_t mem[64], resp[PFK_MSG_MAX / 8];
			pfk_buf_t b;
			pfk_msg_t m;
			pfk_policy_t got;
			uint16_t kr = 0;
			int rc;
			uint32_t prio = p->priority ? p->priority :
				pfk_priority(sel.s[i].plen, sel.d[j].plen,
				             sel.proto != IPSEC_PROTO_ANY,
				             pk_port_of(&sel.s[i].addr) || pk_port_of(&sel.d[j].addr));

			if (type == IPSEC_POLICY_IPSEC) {
				pthread_mutex_lock(&k->lock);
				kr = pk_kreq_get(k, p->reqid);
				pthread_mutex_unlock(&k->lock);
				if (!kr && p->reqid) {
					log_error(DBG_KERNEL, "kernel-pfkey: policy %s: "
					          "no PF_KEY reqid for reqid %u (all %d "
					          "in use)", txt, p->reqid, REQID_MAX);
					ok = false;
					break;
				}
				req.reqid = kr;
			}
			/* ours is replaced (X_SPDUPDATE); a new one is added
			 * (X_SPDADD), and where that finds one with these
			 * selectors it is someone else's: used as it is */
			pthread_mutex_lock(&k->lock);
			bool tracked = pfk_polt_find(&k->pols, dir, &sel.s[i], &sel.d[j], sel.proto) != NULL;
			pthread_mutex_unlock(&k->lock);
			pk_begin(k, &b, mem, sizeof(mem),
			         tracked ? SADB_X_SPDUPDATE : SADB_X_SPDADD, SADB_SATYPE_UNSPEC);
			add_selectors(&b, &sel.s[i], &sel.d[j], sel.proto);
			pfk_add_policy(&b, type, dir, 0, prio,
			               type == IPSEC_POLICY_IPSEC ? &req : NULL);
			rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
			if (rc == EEXIST && !tracked) {
				log_op(DBG_KERNEL, "kernel-pfkey: policy %s: a policy "
				       "with these selectors exists (not ours): used as "
				       "it is", txt);
				pthread_mutex_lock(&k->lock);
				pk_kreq_put(k, kr);
				pthread_mutex_unlock(&k->lock);
				continue;
			}
			if (rc == 0 && !pfk_get_policy(&m, &got))
				rc = EPROTO;
			bool route = false;
			pthread_mutex_lock(&k->lock);
			if (rc == 0) {
				pol_ent_t *e = pfk_polt_find(&k->pols, dir, &sel.s[i], &sel.d[j], sel.proto);
				if (e) {   /* replaced: the kernel kept its id */
					pk_kreq_put(k, e->kreqid);
					pfk_polt_set_index(&k->pols, e, got.id);
				} else {
					e = xzalloc(sizeof(*e));
					e->dir = dir;
					e->s = sel.s[i];
					e->d = sel.d[j];
					e->proto = sel.proto;
					e->index = got.id;
					pfk_polt_insert(&k->pols, e);
					/* a tunnel's way in: a route to the remote
					 * selector, one reference per policy */
					e->routed = route = k->routes &&
						p->dir == KERNEL_DIR_OUT &&
						p->mode == KERNEL_MODE_TUNNEL &&
						type == IPSEC_POLICY_IPSEC;
				}
				e->reqid = p->reqid;
				e->kreqid = kr;
				e->src_ts = p->src_ts;
				e->dst_ts = p->dst_ts;
				pk_journal_pol(k, e, true);
				pk_journal_maybe_compact(k);
			} else {
				pk_kreq_put(k, kr);
			}
			pthread_mutex_unlock(&k->lock);
			if (route)
				pfk_routes_add(k->routes, &p->src_ts, &p->sa_dst, &sel.d[j], 1);
			if (rc != 0) {
				log_error(DBG_KERNEL, "kernel-pfkey: X_SPDUPDATE of policy "
				          "%s (reqid %u): %s", txt, p->reqid,
				          rc > 0 ? strerror(rc) : "no answer");
				ok = false;
			}
		}
	UNLOCK(k);
	return ok;
}

bool pk_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	pol_sel_t sel;
	uint8_t dir = pfk_dir(p->dir);
	char why[160], txt[2 * KERNEL_TS_STRLEN + 16];
	bool ok = true;

	policy_text(p, txt, sizeof(txt));
	if (!policy_selectors(p, &sel, why, sizeof(why))) {
		log_verbose(DBG_KERNEL, "kernel-pfkey: policy %s: %s", txt, why);
		return false;
	}
	LOCKED_START(k);
	for (int i = 0; i < sel.ns; i++)
		for (int j = 0; j < sel.nd; j++) {
			uint64_t mem[64];
			pfk_buf_t b;
			int rc;

			/* only ours: one with these selectors that is not in
			 * the table is someone else's (or was never made) */
			pthread_mutex_lock(&k->lock);
			bool tracked = pfk_polt_find(&k->pols, dir, &sel.s[i], &sel.d[j], sel.proto) != NULL;
			pthread_mutex_unlock(&k->lock);
			if (!tracked)
				continue;
			pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDDELETE, SADB_SATYPE_UNSPEC);
			add_selectors(&b, &sel.s[i], &sel.d[j], sel.proto);
			pfk_add_policy(&b, IPSEC_POLICY_IPSEC, dir, 0, 0, NULL);
			bool routed = false;
			rc = pk_simple(k, &b);
			pthread_mutex_lock(&k->lock);
			if (rc == 0 || rc == ENOENT) {
				pol_ent_t *e = pfk_polt_find(&k->pols, dir, &sel.s[i], &sel.d[j], sel.proto);
				if (e) {
					routed = e->routed;
					pk_pol_remove(k, e);
				}
			}
			pthread_mutex_unlock(&k->lock);
			if (routed)
				pfk_routes_del(k->routes, &sel.d[j], 1);
			if (rc != 0) {
				if (rc == ENOENT)
					log_verbose(DBG_KERNEL, "kernel-pfkey: policy %s was "
					            "gone already", txt);
				else
					log_error(DBG_KERNEL, "kernel-pfkey: X_SPDDELETE of "
					          "policy %s: %s", txt,
					          rc > 0 ? strerror(rc) : "no answer");
				ok = false;
			}
		}
	UNLOCK(k);
	return ok;
}

bool pk_query_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                            kernel_usage_t *usage)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t mem[16], resp[PFK_MSG_MAX / 8];
	pol_sel_t sel;
	pfk_buf_t b;
	pfk_msg_t m;
	uint32_t index = 0;
	uint8_t dir = pfk_dir(p->dir);
	uint64_t use = 0;
	char why[160];
	int rc;

	if (!policy_selectors(p, &sel, why, sizeof(why)))
		return false;
	LOCKED_START(k);
	pthread_mutex_lock(&k->lock);
	pol_ent_t *pp = pfk_polt_find(&k->pols, dir, &sel.s[0], &sel.d[0], sel.proto);
	if (pp)
		index = pp->index;
	pthread_mutex_unlock(&k->lock);
	if (!pp) {
		UNLOCK(k);
		return false;
	}
	pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDGET, SADB_SATYPE_UNSPEC);
	pfk_add_policy(&b, IPSEC_POLICY_IPSEC, dir, index, 0, NULL);
	rc = pk_request(k, &b, resp, sizeof(resp), &m, REQUEST_TIMEOUT_MS);
	UNLOCK(k);
	if (rc != 0)
		return false;
	memset(usage, 0, sizeof(*usage));
	if (pfk_get_lifetime(&m, SADB_EXT_LIFETIME_CURRENT, NULL, NULL, NULL, &use) &&
	    use) {
		/* wall-clock seconds of the last lookup, to monotonic */
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		uint64_t ago = (uint64_t)rt.tv_sec > use ? (uint64_t)rt.tv_sec - use : 0;
		uint64_t mono = pk_now_secs();
		usage->last_use_secs = mono > ago ? mono - ago : 1;
	}
	return true;
}


/* ------------------------------------------- someone else's policies */

static bool ts_holds(const kernel_ts_t *o, const kernel_ts_t *i)
{
	size_t al = o->family == AF_INET6 ? 16 : 4;
	return o->family == i->family && memcmp(o->from, i->from, al) <= 0 &&
	       memcmp(i->to, o->to, al) <= 0 && (!o->proto || o->proto == i->proto) &&
	       o->port_from <= i->port_from && i->port_to <= o->port_to;
}

/* X_SPDDUMP: the best (lowest priority value) policy not in our table of
 * direction want->dir with one ESP request of want->mode whose selectors
 * hold want's and whose request's endpoints are want's tunnel endpoints
 * where it names them.  (PF_KEY has no marks.) */
bool pk_match_policy(kernel_ipsec_t *self, const kernel_policy_t *want,
                     uint32_t *reqid)
{
	kernel_pfkey_t *k = (kernel_pfkey_t *)self;
	uint64_t mem[8], resp[PFK_MSG_MAX / 8];
	pfk_buf_t b;
	pfk_msg_t m;
	uint8_t dir = pfk_dir(want->dir);
	uint8_t mode = want->mode == KERNEL_MODE_TUNNEL ? IPSEC_MODE_TUNNEL
	                                                : IPSEC_MODE_TRANSPORT;
	bool found = false;
	uint32_t best_prio = 0, best_kr = 0, best_id = 0;
	char txt[2 * KERNEL_TS_STRLEN + 16];

	policy_text(want, txt, sizeof(txt));
	LOCKED_START(k);
	pk_begin(k, &b, mem, sizeof(mem), SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC);
	/* Not pk_request: af_key numbers the dump's messages itself (1, 2,
	 * ..., the last 0), not with the request's sequence number, so each
	 * message of the dump (type, our pid) is read, from the first. */
	struct sadb_msg *h = (struct sadb_msg *)b.buf;
	h->sadb_msg_seq = ++k->seq;
	size_t len = pfk_end(&b);
	int rc = len && send(k->req_fd, b.buf, len, 0) == (ssize_t)len ? -2 : -1;
	uint64_t deadline = time_monotonic_ms() + REQUEST_TIMEOUT_MS;
	for (; rc == -2;) {
		uint64_t now = time_monotonic_ms();
		struct pollfd pfd = { .fd = k->req_fd, .events = POLLIN };
		char err[128];
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0) {
			rc = now >= deadline ? -1 : -2;
			continue;
		}
		ssize_t got = recv(k->req_fd, resp, sizeof(resp), MSG_DONTWAIT);
		if (got <= 0 || !pfk_parse(resp, (size_t)got, &m, err, sizeof(err)) ||
		    m.hdr->sadb_msg_type != SADB_X_SPDDUMP || m.hdr->sadb_msg_pid != k->pid)
			continue;
		rc = m.hdr->sadb_msg_errno;
	}
	/* one message per policy, the last with sequence number 0 (af_key);
	 * ENOENT: the SPD is empty */
	while (rc == 0) {
		pfk_policy_t pol;
		kernel_ts_t s, d;
		if (pfk_get_policy(&m, &pol) && pol.dir == dir &&
		    pol.type == IPSEC_POLICY_IPSEC && pol.n_req == 1 &&
		    pol.req[0].proto == IPPROTO_ESP && pol.req[0].mode == mode &&
		    pk_ext_ts(&m, SADB_EXT_ADDRESS_SRC, &s) &&
		    pk_ext_ts(&m, SADB_EXT_ADDRESS_DST, &d) &&
		    ts_holds(&s, &want->src_ts) && ts_holds(&d, &want->dst_ts) &&
		    kernel_tmpl_addr_ok(&want->sa_src, pol.req[0].src.ss_family,
		                        pk_addr_bytes(&pol.req[0].src)) &&
		    kernel_tmpl_addr_ok(&want->sa_dst, pol.req[0].dst.ss_family,
		                        pk_addr_bytes(&pol.req[0].dst)) &&
		    (!found || pol.priority < best_prio)) {
			pthread_mutex_lock(&k->lock);
			bool ours = pfk_polt_find_index(&k->pols, pol.id) != NULL;
			pthread_mutex_unlock(&k->lock);
			if (!ours) {
				found = true;
				best_prio = pol.priority;
				best_kr = pol.req[0].reqid;
				best_id = pol.id;
			}
		}
		if (m.hdr->sadb_msg_seq == 0)
			break;
		struct pollfd pfd = { .fd = k->req_fd, .events = POLLIN };
		char err[128];
		if (poll(&pfd, 1, REQUEST_TIMEOUT_MS) <= 0) {
			rc = -1;
			break;
		}
		ssize_t got = recv(k->req_fd, resp, sizeof(resp), MSG_DONTWAIT);
		if (got <= 0 || !pfk_parse(resp, (size_t)got, &m, err, sizeof(err))) {
			rc = -1;
			break;
		}
		if (m.hdr->sadb_msg_type != SADB_X_SPDDUMP || m.hdr->sadb_msg_pid != k->pid)
			continue;
		rc = m.hdr->sadb_msg_errno;
	}
	UNLOCK(k);
	if (rc != 0 && rc != ENOENT) {
		log_error(DBG_KERNEL, "kernel-pfkey: looking for a policy holding %s: "
		          "X_SPDDUMP failed: %s", txt, rc > 0 ? strerror(rc) : "no answer");
		return false;
	}
	if (!found) {
		log_verbose(DBG_KERNEL, "kernel-pfkey: no policy but ours holds %s", txt);
		return false;
	}
	uint32_t engine = 0;
	bool ok = true;
	if (best_kr > REQID_MAX) {
		ok = false;
	} else if (best_kr) {
		pthread_mutex_lock(&k->lock);
		ok = pk_foreign_reqid(k, best_kr, &engine);
		pthread_mutex_unlock(&k->lock);
	}
	if (!ok) {
		log_error(DBG_KERNEL, "kernel-pfkey: policy %u holding %s has reqid "
		          "%u, which kernel-pfkey cannot give someone else's SAs "
		          "(above %u, or one of its own)", best_id, txt, best_kr, REQID_MAX);
		return false;
	}
	log_verbose(DBG_KERNEL, "kernel-pfkey: %s is held by policy %u (not ours, "
	            "priority %u, reqid %u)", txt, best_id, best_prio, best_kr);
	*reqid = engine;
	return true;
}
