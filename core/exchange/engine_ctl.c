/*
 * engine_ctl.c - engine_ctl.h: copies of SA state for the control socket,
 * deletes on request, statistics.
 */
#include "exchange/engine_ctl.h"
#include "exchange/engine_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/proposal.h"
#include "exchange/tasks.h"
#include "exchange/ts.h"
#include "net/addr.h"

static const engine_ctl_daemon_t *daemon_ops;

void engine_ctl_set_daemon(const engine_ctl_daemon_t *d)
{
	daemon_ops = d;
}

const engine_ctl_daemon_t *engine_ctl_daemon(void)
{
	return daemon_ops;
}

typedef struct {
	uint64_t *v;
	size_t n, cap;
} handles_t;

static void add_handle(uint64_t spi, void *ctx)
{
	handles_t *h = ctx;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n++] = spi;
}

size_t engine_ctl_list(engine_t *e, uint64_t **handles)
{
	handles_t h = { 0 };
	sa_table_foreach_spi(e->table, add_handle, &h);
	*handles = h.v;
	return h.n;
}

static const char *child_state_name(child_sa_state_t s)
{
	switch (s) {
	case CHILD_CREATED:   return "CREATED";
	case CHILD_INSTALLED: return "INSTALLED";
	case CHILD_REKEYING:  return "REKEYING";
	case CHILD_REKEYED:   return "REKEYED";
	case CHILD_DELETING:  return "DELETING";
	}
	return "?";
}

static uint64_t secs_since(uint64_t now, uint64_t then)
{
	return then && now > then ? (now - then) / 1000 : 0;
}

static void local_id_text(const ike_sa_t *sa, char *buf, size_t len)
{
	if (sa->rule && sa->rule->local_id.type && sa->rule->local_id.text)
		snprintf(buf, len, "%s", sa->rule->local_id.text);
	else if (sa->rule && sa->state >= IKE_ESTABLISHED)
		/* no local_id: the address is the identity (id.c) */
		addr_ip_to_str(&sa->local, buf, len);
	else
		buf[0] = '\0';
}

static void outer(const ike_sa_t *sa, const struct sockaddr_storage *a,
                  struct sockaddr_storage *out)
{
	*out = *a;
	if (!sa->natt)
		addr_set_port(out, 0);
}

static void copy_child(const ike_sa_t *sa, const child_sa_t *c, uint64_t now,
                       engine_child_info_t *o)
{
	memset(o, 0, sizeof(*o));
	o->ike_handle = sa->entry.local_spi;
	o->ike_unique_id = sa->entry.unique_id;
	o->unique_id = c->unique_id;
	o->state = child_state_name(c->state);
	o->spi_in = c->spi_in;
	o->spi_out = c->spi_out;
	if (c->state != CHILD_CREATED)
		algs_to_str(&c->algs, PROTO_ESP, o->algs, sizeof(o->algs));
	o->transport = c->transport;
	ts_list_to_str(c->ts_local, c->n_ts_local, o->ts_local, sizeof(o->ts_local));
	ts_list_to_str(c->ts_remote, c->n_ts_remote, o->ts_remote, sizeof(o->ts_remote));
	o->reqid = c->reqid;
	o->age_secs = secs_since(now, c->established_ms);
	o->id_in = (kernel_sa_id_t){ .spi = c->spi_in, .protocol = KERNEL_PROTO_ESP };
	outer(sa, &sa->local, &o->id_in.dst);
	o->id_out = (kernel_sa_id_t){ .spi = c->spi_out, .protocol = KERNEL_PROTO_ESP };
	outer(sa, &sa->remote, &o->id_out.dst);
	if (c->cfg && c->state != CHILD_CREATED) {
		o->id_in.mark = c->cfg->mark_in;
		o->id_out.mark = c->cfg->mark_out;
	}
}

bool engine_ctl_ike(engine_t *e, uint64_t handle, engine_ike_info_t *info,
                    engine_child_info_t *children, int max_children)
{
	sa_entry_t *en = sa_table_checkout(e->table, handle);
	if (!en)
		return false;
	ike_sa_t *sa = (ike_sa_t *)en;
	uint64_t now = time_monotonic_ms();

	memset(info, 0, sizeof(*info));
	info->handle = handle;
	info->unique_id = sa->entry.unique_id;
	snprintf(info->rule, sizeof(info->rule), "%s", SA_RULE(sa));
	info->state = ike_sa_state_name(sa->state);
	info->established = sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYING;
	info->half_open = sa->entry.half_open;
	info->initiator = sa->initiator;
	info->local = sa->local;
	info->remote = sa->remote;
	info->spi_i = sa->spi_i;
	info->spi_r = sa->spi_r;
	local_id_text(sa, info->local_id, sizeof(info->local_id));
	if (sa->peer_id.len)
		id_to_str(sa->peer_id_type, sa->peer_id, info->remote_id,
		          sizeof(info->remote_id));
	if (sa->algs.encr)
		algs_to_str(&sa->algs, PROTO_IKE, info->algs, sizeof(info->algs));
	info->age_secs = secs_since(now, sa->created_ms);
	info->established_secs = sa->state >= IKE_ESTABLISHED &&
	                         sa->state < IKE_DEAD ?
	                         secs_since(now, sa->established_ms) : 0;
	info->natt = sa->natt;
	info->nat_local = sa->nat_local;
	info->nat_remote = sa->nat_remote;
	info->retransmits = sa->retransmits;
	for (child_sa_t *c = sa->children; c; c = c->next) {
		if (info->n_children < max_children && children)
			copy_child(sa, c, now, &children[info->n_children]);
		info->n_children++;
	}
	engine_finish(e, sa);
	return true;
}

bool engine_ctl_child_usage(engine_child_info_t *c)
{
	c->have_usage = false;
	if (!c->spi_in || !c->spi_out || strcmp(c->state, "CREATED") == 0)
		return false;
	/* The backend logs a failure at its own level: a CHILD SA that went
	 * away meanwhile is no error for a listing. */
	c->have_usage = kernel_query_sa(&c->id_in, &c->in) &&
	                kernel_query_sa(&c->id_out, &c->out);
	return c->have_usage;
}

bool engine_ctl_ike_delete(engine_t *e, uint64_t handle, const char *why)
{
	sa_entry_t *en = sa_table_checkout(e->table, handle);
	if (!en)
		return false;
	ike_sa_t *sa = (ike_sa_t *)en;
	sa_log(sa, DBG_IKESA, LVL_OP, "%s", why);
	switch (sa->state) {
	case IKE_ESTABLISHED:
	case IKE_REKEYING:
		ike_sa_send_delete(e, sa);
		break;
	case IKE_DELETING:
	case IKE_DEAD:
		break;     /* on its way out already */
	default:
		ike_sa_delete(e, sa, why);
		break;
	}
	engine_finish(e, sa);
	return true;
}

bool engine_ctl_child_delete(engine_t *e, uint64_t handle, uint32_t spi_in)
{
	sa_entry_t *en = sa_table_checkout(e->table, handle);
	if (!en)
		return false;
	ike_sa_t *sa = (ike_sa_t *)en;
	bool found = false;
	for (child_sa_t *c = sa->children; c; c = c->next)
		if (c->spi_in == spi_in && c->state == CHILD_INSTALLED)
			found = true;
	if (found && sa->state == IKE_ESTABLISHED) {
		sa_log(sa, DBG_CHILDSA, LVL_OP, "CHILD SA %08x_i: delete requested "
		       "by ikeadm", spi_in);
		task_queue(e, sa, TASK_CHILD_DELETE, spi_in, NULL);
	} else {
		found = false;
	}
	engine_finish(e, sa);
	return found;
}

void engine_ctl_stats(engine_t *e, engine_ctl_stats_t *st)
{
	memset(st, 0, sizeof(*st));
	engine_get_stats(e, &st->base);
	st->init_attempts = atomic_load(&e->init_attempts);
	st->resp_attempts = atomic_load(&e->resp_attempts);
	st->init_established = atomic_load(&e->init_established);
	st->resp_established = atomic_load(&e->resp_established);
	st->init_fail_no_response = atomic_load(&e->init_fail_no_response);
	st->init_fail_peer = atomic_load(&e->init_fail_peer);
	st->resp_fail = atomic_load(&e->resp_fail);
}
