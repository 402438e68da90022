/*
 * send.c - generating, sending and resending our messages: requests are
 * kept until answered and resent with exponential back-off (RFC 7296
 * §2.1); responses are kept to answer a retransmitted request without
 * processing it again (§2.1, §2.3).
 */
#include "exchange/engine_priv.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/addr.h"

message_t *sa_new_request(ike_sa_t *sa, uint8_t exchange)
{
	return message_create(exchange, sa->initiator ? IKE_FLAG_INITIATOR : 0,
	                      sa->spi_i, sa->spi_r, sa->mid_next_out);
}

message_t *sa_new_response(ike_sa_t *sa, uint8_t exchange, uint32_t mid)
{
	return message_create(exchange, IKE_FLAG_RESPONSE |
	                      (sa->initiator ? IKE_FLAG_INITIATOR : 0),
	                      sa->spi_i, sa->spi_r, mid);
}

bool send_raw(chunk_t data, const struct sockaddr_storage *src,
              const struct sockaddr_storage *dst)
{
	packet_t *p = packet_create();
	p->src = *src;
	p->dst = *dst;
	p->data = chunk_clone(data);
	return net_send(p);
}

/* Largest IKE message that fits the configured MTU on this path. */
static size_t max_msg_len(ike_sa_t *sa)
{
	size_t mtu = sa->cfg->daemon.fragmentation_mtu ?
	             (size_t)sa->cfg->daemon.fragmentation_mtu : 1350;
	size_t ip = sa->remote.ss_family == AF_INET6 ? 40 : 20;
	return mtu - ip - 8 - (sa->natt ? 4 : 0);
}

/* Encode m into one message, or fragments when that is too big and both
 * sides support RFC 7383.  Returns an array (*n entries). */
static chunk_t *encode_with(ike_sa_t *sa, message_t *m, sk_ctx_t *sk, int *n)
{
	codec_error_t err;
	chunk_t one;
	codec_status_t st;

	*n = 0;
	if (m->hdr.exchange == EXCH_IKE_SA_INIT || !sa->keys)
		st = message_generate(m, &one, &err);
	else
		st = message_generate_sk(m, sk, &one, &err);
	if (st != CODEC_OK) {
		sa_log(sa, DBG_CODEC, LVL_ERROR, "cannot build %s message: %s",
		       exchange_type_name(m->hdr.exchange) ?: "?", err.text);
		return NULL;
	}
	if (one.len > max_msg_len(sa) && sa->keys && sa->peer_fragmentation &&
	    sa->cfg->daemon.fragmentation_enable &&
	    m->hdr.exchange != EXCH_IKE_SA_INIT) {
		chunk_t *frags;
		size_t count;
		st = message_generate_fragments(m, sk, max_msg_len(sa),
		                                &frags, &count, &err);
		if (st == CODEC_OK) {
			chunk_free(&one);
			sa_log(sa, DBG_IKESA, LVL_VERBOSE, "%s message split into %zu fragments",
			       exchange_type_name(m->hdr.exchange) ?: "?", count);
			/* Own copies so ike_sa_free_msgs can free them. */
			chunk_t *out = xmalloc(count * sizeof(chunk_t));
			for (size_t i = 0; i < count; i++)
				out[i] = chunk_clone(frags[i]);
			fragments_free(frags, count);
			*n = (int)count;
			return out;
		}
		sa_log(sa, DBG_CODEC, LVL_VERBOSE, "fragmentation failed (%s), "
		       "sending whole", err.text);
	}
	chunk_t *out = xmalloc(sizeof(chunk_t));
	out[0] = one;
	*n = 1;
	return out;
}

static chunk_t *encode(ike_sa_t *sa, message_t *m, int *n)
{
	return encode_with(sa, m, sa->keys ? &sa->keys->out : NULL, n);
}

static void transmit(ike_sa_t *sa, chunk_t *msgs, int n)
{
	for (int i = 0; i < n; i++)
		send_raw(msgs[i], &sa->local, &sa->remote);
}

static void log_sent(ike_sa_t *sa, message_t *m)
{
	if (bus_log_enabled(DBG_IKESA, LVL_VERBOSE)) {
		char sum[256], r[ADDR_STRLEN];
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "sending %s to %s",
		       message_summary(m, sum, sizeof(sum)),
		       addr_to_str(&sa->remote, r, sizeof(r)));
	}
}

bool send_request(engine_t *e, ike_sa_t *sa, message_t *m)
{
	int n, n_alt = 0;
	/* Under the alternative keys of a PRF-changing rekey first, so that
	 * m->raw is left as the primary keys made it. */
	chunk_t *alt = NULL;
	ike_sa_free_msgs(&sa->req_alt, &sa->n_req_alt);
	if (sa->keys && sa->keys->alt && m->hdr.exchange != EXCH_IKE_SA_INIT)
		alt = encode_with(sa, m, &sa->keys->alt->out, &n_alt);
	chunk_t *msgs = encode(sa, m, &n);
	if (!msgs) {
		ike_sa_free_msgs(&alt, &n_alt);
		return false;
	}
	sa->req_alt = alt;
	sa->n_req_alt = alt ? n_alt : 0;
	log_sent(sa, m);
	ike_sa_free_msgs(&sa->req, &sa->n_req);
	sa->req = msgs;
	sa->n_req = n;
	sa->req_exchange = m->hdr.exchange;
	sa->mid_next_out = m->hdr.message_id + 1;
	sa->retransmits = 0;
	sa->req_first_sent_ms = time_monotonic_ms();
	transmit(sa, msgs, n);
	uint64_t first = sa->cfg->daemon.retry_timer_init_ms > 0 ?
	                 (uint64_t)sa->cfg->daemon.retry_timer_init_ms : 500;
	sa_timer_start(e, sa, TIMER_RETRANSMIT, first);
	return true;
}

bool send_response(engine_t *e, ike_sa_t *sa, message_t *m)
{
	(void)e;
	int n;
	chunk_t *msgs = encode(sa, m, &n);
	/* Even when it could not be built, the request is consumed. */
	sa->mid_next_in = m->hdr.message_id + 1;
	if (!msgs)
		return false;
	log_sent(sa, m);
	ike_sa_free_msgs(&sa->resp, &sa->n_resp);
	sa->resp = msgs;
	sa->n_resp = n;
	transmit(sa, msgs, n);
	return true;
}

void resend_response(engine_t *e, ike_sa_t *sa)
{
	(void)e;
	transmit(sa, sa->resp, sa->n_resp);
}

void retransmit_timeout(engine_t *e, ike_sa_t *sa)
{
	if (!sa->n_req)
		return;
	const daemon_cfg_t *d = &sa->cfg->daemon;
	unsigned limit = d->retry_limit >= 0 ? (unsigned)d->retry_limit : 5;
	uint64_t waited = time_monotonic_ms() - sa->req_first_sent_ms;
	uint64_t wait_limit = d->response_wait_time > 0 ?
	                      (uint64_t)d->response_wait_time * 1000 : 30000;
	if (sa->retransmits >= limit || waited >= wait_limit) {
		char why[128];
		/* an auto_start / on_demand start tries again (start_retry.c) */
		if (sa->state < IKE_ESTABLISHED)
			sa->unanswered = true;
		snprintf(why, sizeof(why), "no response to %s request after %u "
		         "retransmits (%llu ms): peer unreachable",
		         exchange_type_name(sa->req_exchange) ?: "?", sa->retransmits,
		         (unsigned long long)waited);
		sa->fail_no_response = true;
		if (sa->state >= IKE_ESTABLISHED)
			rule_stats_add(e, sa->rule, RS_DPD_DEATHS);
		ike_sa_delete(e, sa, why);
		return;
	}
	sa->retransmits++;
	rule_stats_add(e, sa->rule, RS_RETRANSMITS);
	sa_log(sa, DBG_IKESA, LVL_VERBOSE, "retransmit %u of %s request %u",
	       sa->retransmits, exchange_type_name(sa->req_exchange) ?: "?",
	       sa->mid_next_out - 1);
	/* Until the peer shows which keys of a PRF-changing rekey it derived,
	 * every other retransmission goes out under the other set. */
	if (sa->n_req_alt && (sa->retransmits & 1))
		transmit(sa, sa->req_alt, sa->n_req_alt);
	else
		transmit(sa, sa->req, sa->n_req);
	uint64_t base = d->retry_timer_init_ms > 0 ? (uint64_t)d->retry_timer_init_ms : 500;
	uint64_t max = d->retry_timer_max_secs > 0 ?
	               (uint64_t)d->retry_timer_max_secs * 1000 : 30000;
	uint64_t next = base << (sa->retransmits < 16 ? sa->retransmits : 16);
	if (next > max)
		next = max;
	if (waited + next > wait_limit)
		next = wait_limit - waited;
	sa_timer_start(e, sa, TIMER_RETRANSMIT, next ? next : 1);
}
