/*
 * receive.c - the receive path: header check, SA lookup and checkout,
 * message ID window, retransmitted requests, decryption and reassembly,
 * then the exchange's handler.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>
#include <string.h>

#include "exchange/auth_wait.h"
#include "exchange/tasks.h"
#include "net/addr.h"

static void drop(engine_t *e, packet_t *pkt, const char *why)
{
	char s[ADDR_STRLEN];
	atomic_fetch_add(&e->dropped, 1);
	log_verbose(DBG_NET, "dropped message from %s: %s",
	            addr_to_str(&pkt->src, s, sizeof(s)), why);
}

static void log_codec(engine_t *e, packet_t *pkt, const char *what,
                      const codec_error_t *err)
{
	char s[ADDR_STRLEN];
	atomic_fetch_add(&e->dropped, 1);
	log_verbose(DBG_CODEC, "%s from %s: %s (%s, payload %u, offset %u)", what,
	            addr_to_str(&pkt->src, s, sizeof(s)),
	            codec_status_name(err->status), err->text, err->payload,
	            err->offset);
}

/* A retransmitted IKE_SA_INIT request for an SA we already answered. */
static void init_retransmit(engine_t *e, packet_t *pkt)
{
	ike_header_t hdr;
	codec_error_t err;
	ike_parse_header(pkt->data, &hdr, &err);
	sa_entry_t *en = sa_table_checkout_init(e->table, hdr.spi_i, 
	                                        (const struct sockaddr *)&pkt->src);
	if (!en) {
		/* new initiator */
		message_t *m;
		if (message_parse(pkt->data, &m, &err) != CODEC_OK) {
			log_codec(e, pkt, "invalid IKE_SA_INIT request", &err);
			/* Say what is wrong (RFC 7296 §2.5, §2.21.1); unprotected,
			 * no state kept. */
			if (err.notify == N_UNSUPPORTED_CRITICAL_PAYLOAD) {
				uint8_t type = err.payload;
				init_answer(e, pkt, hdr.spi_i, err.notify, chunk_create(&type, 1));
			} else if (err.notify == N_INVALID_SYNTAX) {
				init_answer(e, pkt, hdr.spi_i, err.notify, chunk_empty);
			}
			return;
		}
		ike_init_process_request(e, pkt, m);
		message_destroy(m);
		return;
	}
	ike_sa_t *sa = (ike_sa_t *)en;
	if (sa->hs && chunk_equals(sa->hs->init_req, pkt->data)) {
		sa_log(sa, DBG_IKESA, LVL_VERBOSE,
		       "retransmitted IKE_SA_INIT request, sending our response again");
		resend_response(e, sa);
	} else {
		sa_log(sa, DBG_IKESA, LVL_VERBOSE,
		       "another IKE_SA_INIT request with the same SPI, ignored");
		atomic_fetch_add(&e->dropped, 1);
	}
	engine_finish(e, sa);
}

/* Whether a request with the ID of the one we last answered really is the
 * peer's retransmission of it (RFC 7296 §2.1): its integrity must verify
 * under the SA's keys (so a forged header with the right SPIs and ID makes
 * us send nothing), and of a fragmented request only fragment 1 makes us
 * resend, as RFC 7383 §2.6.1 says (one resend, not one per fragment). */
static bool genuine_retransmit(engine_t *e, ike_sa_t *sa, packet_t *pkt)
{
	codec_error_t err;
	message_t *m;
	if (!sa->keys || message_parse(pkt->data, &m, &err) != CODEC_OK) {
		drop(e, pkt, "retransmitted request does not parse");
		return false;
	}
	bool ok = false;
	payload_t *skf = message_find(m, PL_SKF);
	if (skf) {
		if (!sa->peer_fragmentation) {
			drop(e, pkt, "fragment, but fragmentation was not negotiated");
		} else if (skf->u.sk.frag_number != 1) {
			sa_log(sa, DBG_IKESA, LVL_VERBOSE, "fragment %u of retransmitted "
			       "request %u: only fragment 1 makes us resend",
			       skf->u.sk.frag_number, m->hdr.message_id);
		} else {
			/* verified on its own, in a reassembler of its own */
			frag_reasm_t *r = frag_reasm_create(CODEC_MAX_FRAGMENTS,
			                                    2 * CODEC_MAX_MESSAGE_LEN);
			message_t *done = NULL;
			ok = frag_reasm_add(r, m, &sa->keys->in, &done, &err) == CODEC_OK;
			if (done)
				message_destroy(done);
			frag_reasm_destroy(r);
		}
	} else if (message_has_sk(m)) {
		ok = message_decrypt(m, &sa->keys->in, &err) == CODEC_OK;
	}
	if (!ok && !skf)
		drop(e, pkt, "retransmitted request does not verify");
	else if (!ok && skf && skf->u.sk.frag_number == 1)
		drop(e, pkt, "retransmitted fragment 1 does not verify");
	message_destroy(m);
	return ok;
}

/* Move to the peer's new port (strongSwan moves to 4500 after
 * IKE_SA_INIT) once a message there proved to be genuine. */
static void follow_peer(ike_sa_t *sa, packet_t *pkt)
{
	if (addr_equals(&sa->remote, &pkt->src) && addr_equals(&sa->local, &pkt->dst))
		return;
	if (!addr_ip_equals(&sa->remote, &pkt->src))
		return;   /* address changes need MOBIKE; ports are NAT-T */
	if (bus_log_enabled(DBG_NET, LVL_VERBOSE)) {
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		sa_log(sa, DBG_NET, LVL_VERBOSE, "peer moved from %s to %s",
		       addr_to_str(&sa->remote, a, sizeof(a)),
		       addr_to_str(&pkt->src, b, sizeof(b)));
	}
	struct sockaddr_storage old = sa->remote;
	bool was_natt = sa->natt;
	bool local_same = addr_is_any(&pkt->dst) || addr_equals(&sa->local, &pkt->dst);
	sa->remote = pkt->src;
	if (!addr_is_any(&pkt->dst))
		sa->local = pkt->dst;
	if (sa->cfg && addr_get_port(&pkt->dst) == sa->cfg->daemon.natt_port)
		sa->natt = true;
	/* The peer's NAT rebound (RFC 7296 §2.23): its UDP-encapsulated
	 * CHILD SAs come from the new port too. */
	if (was_natt && sa->natt && local_same && sa->children &&
	    sa->state >= IKE_ESTABLISHED) {
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		int failed, moved = child_move_all(sa, &old, &failed);
		sa_log(sa, DBG_NET, LVL_OP, "peer's NAT mapping changed from %s to "
		       "%s (authenticated IKE message): %d CHILD SA%s follow%s",
		       addr_to_str(&old, a, sizeof(a)), addr_to_str(&sa->remote, b, sizeof(b)),
		       moved, moved == 1 ? "" : "s",
		       failed ? " (the kernel refused some)" : "");
	}
}

/* Decrypt (or reassemble) a message of an SA; NULL when there is nothing
 * to process (yet).  Takes m. */
static message_t *unprotect(engine_t *e, ike_sa_t *sa, packet_t *pkt,
                            message_t *m, bool *answer_error,
                            codec_error_t *err)
{
	*answer_error = false;
	if (!sa->keys) {
		message_destroy(m);
		drop(e, pkt, "protected message before keys exist");
		return NULL;
	}
	if (message_has_skf(m) && !sa->peer_fragmentation) {
		/* RFC 7383 §2.5: fragments only after both announced support
		 * (never when fragmentation_enable is false). */
		message_destroy(m);
		drop(e, pkt, "fragment, but fragmentation was not negotiated");
		return NULL;
	}
	if (message_has_skf(m)) {
		/* The reassembler (over 1 KB) exists only while a fragmented
		 * message is being put together: most SAs never see one. */
		ike_keys_t *k = sa->keys;
		/* A message whose fragments stopped coming is given up after
		 * response_wait_time (the peer would have retransmitted). */
		uint64_t now = time_monotonic_ms();
		uint64_t wait = sa->cfg && sa->cfg->daemon.response_wait_time > 0 ?
		                (uint64_t)sa->cfg->daemon.response_wait_time * 1000 : 30000;
		if (k->reasm && frag_reasm_pending(k->reasm, NULL) &&
		    now - k->reasm_started_ms > wait) {
			sa_log(sa, DBG_CODEC, LVL_VERBOSE, "fragments of an incomplete "
			       "message older than %llu ms: dropped",
			       (unsigned long long)wait);
			frag_reasm_reset(k->reasm);
		}
		uint32_t pending_mid;
		if (k->reasm && (!frag_reasm_pending(k->reasm, &pending_mid) ||
		                 pending_mid != m->hdr.message_id))
			k->reasm_started_ms = now;   /* a new message starts */
		if (!k->reasm) {
			k->reasm = frag_reasm_create(CODEC_MAX_FRAGMENTS,
			                             2 * CODEC_MAX_MESSAGE_LEN);
			k->reasm_started_ms = now;
		}
		message_t *done = NULL;
		codec_status_t st = frag_reasm_add(k->reasm, m, &k->in, &done, err);
		if (k->alt) {
			/* after a PRF-changing rekey: which keys did the peer use? */
			if (st == CODEC_INTEGRITY &&
			    frag_reasm_add(k->reasm, m, &k->alt->in, &done, err) == CODEC_OK) {
				ike_keys_confirm(sa, true);
				k = sa->keys;
				st = CODEC_OK;
			} else if (st == CODEC_OK) {
				ike_keys_confirm(sa, false);
			}
		}
		message_destroy(m);
		if (!frag_reasm_pending(k->reasm, NULL)) {
			frag_reasm_destroy(k->reasm);
			k->reasm = NULL;
		}
		if (st == CODEC_OK && !done)
			return NULL;   /* more fragments to come */
		if (st != CODEC_OK) {
			if (st != CODEC_FRAG_IGNORED)
				sa_log(sa, DBG_CODEC, LVL_VERBOSE, "fragment rejected: %s (%s)",
				       codec_status_name(st), err->text);
			*answer_error = err->notify != 0 && st != CODEC_INTEGRITY;
			return NULL;
		}
		return done;
	}
	if (!message_has_sk(m)) {
		message_destroy(m);
		drop(e, pkt, "unprotected message in an IKE SA");
		return NULL;
	}
	codec_status_t st = message_decrypt(m, &sa->keys->in, err);
	if (sa->keys->alt) {
		/* after a PRF-changing rekey: which keys did the peer use?  (A
		 * failed decryption leaves the message as it was.) */
		if (st == CODEC_INTEGRITY &&
		    message_decrypt(m, &sa->keys->alt->in, err) == CODEC_OK) {
			ike_keys_confirm(sa, true);
			st = CODEC_OK;
		} else if (st == CODEC_OK) {
			ike_keys_confirm(sa, false);
		}
	}
	if (st != CODEC_OK) {
		sa_log(sa, DBG_CODEC, LVL_VERBOSE, "%s %u rejected: %s (%s)",
		       exchange_type_name(m->hdr.exchange) ?: "message",
		       m->hdr.message_id, codec_status_name(st), err->text);
		*answer_error = err->notify != 0 && st != CODEC_INTEGRITY;
		atomic_fetch_add(&e->dropped, 1);
		message_destroy(m);
		return NULL;
	}
	return m;
}

/* Answer a request we could not parse with the notify the codec named
 * (INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD), protected. */
static void answer_codec_error(engine_t *e, ike_sa_t *sa, const ike_header_t *hdr,
                               const codec_error_t *err)
{
	message_t *r = sa_new_response(sa, hdr->exchange, hdr->message_id);
	uint8_t pl = err->payload;
	chunk_t data = err->notify == N_UNSUPPORTED_CRITICAL_PAYLOAD ?
	               chunk_create(&pl, 1) : chunk_empty;
	message_add_notify(r, PROTO_NONE, chunk_empty, err->notify, data);
	sa_log(sa, DBG_IKESA, LVL_OP, "answering request %u with %s",
	       hdr->message_id, notify_type_name(err->notify) ?: "error");
	send_response(e, sa, r);
	message_destroy(r);
}

static void dispatch(engine_t *e, ike_sa_t *sa, message_t *m)
{
	bool resp = message_is_response(m);
	if (bus_log_enabled(DBG_IKESA, LVL_VERBOSE)) {
		/* the summary is formatted only when it will be shown */
		char sum[256];
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "received %s",
		       message_summary(m, sum, sizeof(sum)));
	}
	if (resp) {
		/* Our request is answered: stop resending it. */
		sa_timer_stop(e, sa, TIMER_RETRANSMIT);
		ike_sa_free_msgs(&sa->req, &sa->n_req);
		ike_sa_free_msgs(&sa->req_alt, &sa->n_req_alt);
	}
	switch (m->hdr.exchange) {
	case EXCH_IKE_SA_INIT:
		if (resp && sa->state == IKE_INIT_SENT)
			ike_init_process_response(e, sa, m);
		break;
	case EXCH_IKE_AUTH:
		if (!resp && sa->state == IKE_INIT_DONE)
			ike_auth_process_request(e, sa, m);
		else if (resp && sa->state == IKE_AUTH_SENT)
			ike_auth_process_response(e, sa, m);
		else
			sa_log(sa, DBG_IKESA, LVL_VERBOSE,
			       "IKE_AUTH in state %s ignored", ike_sa_state_name(sa->state));
		break;
	case EXCH_INFORMATIONAL:
		if (sa->state < IKE_ESTABLISHED && !resp) {
			/* Before AUTH only errors about the handshake matter. */
			informational_process_request(e, sa, m);
		} else if (resp) {
			informational_process_response(e, sa, m);
		} else {
			informational_process_request(e, sa, m);
		}
		break;
	case EXCH_CREATE_CHILD_SA:
		if (sa->state < IKE_ESTABLISHED) {
			sa_log(sa, DBG_IKESA, LVL_VERBOSE,
			       "CREATE_CHILD_SA before the IKE SA is up, ignored");
			break;
		}
		if (resp)
			create_child_process_response(e, sa, m);
		else
			create_child_process_request(e, sa, m);
		break;
	default:
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "exchange type %u not supported",
		       m->hdr.exchange);
		break;
	}
	/* Our window is free again: start what waits. */
	if (resp && sa->state == IKE_ESTABLISHED)
		tasks_run(e, sa);
}

void engine_receive(engine_t *e, packet_t *pkt)
{
	ike_header_t hdr = { 0 };
	codec_error_t err;

	codec_status_t st = ike_parse_header(pkt->data, &hdr, &err);
	if (st != CODEC_OK) {
		log_codec(e, pkt, "invalid IKE header", &err);
		/* A request of another major version learns ours (§2.5). */
		if (st == CODEC_BAD_VERSION && hdr.exchange == EXCH_IKE_SA_INIT &&
		    !(hdr.flags & IKE_FLAG_RESPONSE) && hdr.spi_i)
			init_answer(e, pkt, hdr.spi_i, N_INVALID_MAJOR_VERSION, chunk_empty);
		packet_destroy(pkt);
		return;
	}
	bool from_initiator = ike_header_is_initiator(&hdr);
	bool response = ike_header_is_response(&hdr);

	if (hdr.exchange == EXCH_IKE_SA_INIT && !response) {
		if (!from_initiator || hdr.spi_r != 0 || hdr.message_id != 0 ||
		    hdr.spi_i == 0)
			drop(e, pkt, "IKE_SA_INIT request with bad SPIs or message ID");
		else if (e->stopping)
			drop(e, pkt, "shutting down");
		else
			init_retransmit(e, pkt);
		packet_destroy(pkt);
		return;
	}

	uint64_t ours = from_initiator ? hdr.spi_r : hdr.spi_i;
	sa_entry_t *en = ours ? sa_table_checkout(e->table, ours) : NULL;
	if (!en) {
		drop(e, pkt, "no IKE SA with this SPI");
		packet_destroy(pkt);
		return;
	}
	ike_sa_t *sa = (ike_sa_t *)en;

	/* The SA must be the one the header names, seen from the right side. */
	if (sa->initiator == from_initiator ||
	    (from_initiator ? hdr.spi_i != sa->spi_i
	                    : (sa->spi_r && hdr.spi_r != sa->spi_r)) ||
	    sa->state == IKE_DEAD) {
		drop(e, pkt, "SPIs or roles do not match the IKE SA");
		goto out;
	}

	if (auth_wait_holds(sa, NULL)) {
		/* Our IKE_AUTH waits for a revocation answer (auth_wait.c):
		 * the SA takes no other message meanwhile, and the peer's
		 * retransmissions of that request get the answer once it is
		 * made.  Nothing is sent, so nothing needs verifying. */
		bool again = !response && hdr.exchange == EXCH_IKE_AUTH &&
		             hdr.message_id == sa->mid_next_in;
		sa_log(sa, DBG_IKESA, LVL_VERBOSE, "%s %u ignored: IKE_AUTH waits "
		       "for a revocation answer",
		       again ? "retransmitted IKE_AUTH request" :
		       response ? "response" : "request", hdr.message_id);
		atomic_fetch_add(&e->dropped, 1);
		goto out;
	}
	if (!response) {
		if (sa->n_resp && hdr.message_id + 1 == sa->mid_next_in) {
			if (!genuine_retransmit(e, sa, pkt))
				goto out;
			sa_log(sa, DBG_IKESA, LVL_VERBOSE,
			       "retransmitted request %u, sending our response again",
			       hdr.message_id);
			resend_response(e, sa);
			goto out;
		}
		if (hdr.message_id != sa->mid_next_in) {
			sa_log(sa, DBG_IKESA, LVL_VERBOSE,
			       "request with message ID %u, expected %u: dropped",
			       hdr.message_id, sa->mid_next_in);
			atomic_fetch_add(&e->dropped, 1);
			goto out;
		}
	} else if (!sa->n_req || hdr.message_id + 1 != sa->mid_next_out) {
		sa_log(sa, DBG_IKESA, LVL_VERBOSE,
		       "unexpected response with message ID %u: dropped",
		       hdr.message_id);
		atomic_fetch_add(&e->dropped, 1);
		goto out;
	}

	message_t *m;
	if (message_parse(pkt->data, &m, &err) != CODEC_OK) {
		sa_log(sa, DBG_CODEC, LVL_VERBOSE, "invalid message %u: %s (%s)",
		       hdr.message_id, codec_status_name(err.status), err.text);
		atomic_fetch_add(&e->dropped, 1);
		goto out;
	}
	if (hdr.exchange != EXCH_IKE_SA_INIT) {
		bool answer = false;
		m = unprotect(e, sa, pkt, m, &answer, &err);
		if (!m) {
			if (answer && !response) {
				/* answer is set only once the ICV verified, so
				 * the request is genuine: answer it where it came
				 * from (strongSwan's IKE_AUTH arrives on 4500). */
				follow_peer(sa, pkt);
				answer_codec_error(e, sa, &hdr, &err);
			}
			goto out;
		}
		follow_peer(sa, pkt);
		sa->last_heard_ms = time_monotonic_ms();
	}
	dispatch(e, sa, m);
	/* an IKE_AUTH waiting for a revocation answer keeps its message */
	if (!auth_wait_holds(sa, m))
		message_destroy(m);
out:
	engine_finish(e, sa);
	packet_destroy(pkt);
}
