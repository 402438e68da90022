/*
 * rules.c - which payloads each exchange allows and requires (RFC 7296
 * §1.2-§1.5, §2.6, §3), as a table checked by message_check().
 *
 * A rule set lists, for one exchange and direction, each allowed payload
 * type with its minimum and maximum count.  Minimums are waived for a
 * response carrying an error Notify (or a COOKIE / INVALID_KE_PAYLOAD answer
 * in IKE_SA_INIT), which RFC 7296 lets stand alone.  All exchanges but
 * IKE_SA_INIT are protected: their payloads must come from inside SK/SKF,
 * except an unprotected message made only of error Notifies (§2.21:
 * INVALID_IKE_SPI, INVALID_MAJOR_VERSION ...), which the engine treats as
 * unauthenticated.  IKE_SA_INIT and IKE_AUTH requests must come from the
 * original initiator (Initiator flag set), their responses not.
 */
#include "codec/codec_internal.h"

#define MANY 0xff
#define MAX_RULES 16  /* payload types per rule set */

typedef struct {
	uint8_t type;
	uint8_t min;
	uint8_t max;
} pl_rule_t;

typedef struct {
	uint8_t exchange;
	bool response;
	bool encrypted;
	const pl_rule_t *rules;
	size_t n;
} exch_rules_t;

static const pl_rule_t init_req[] = {
	{ PL_SA, 1, 1 }, { PL_KE, 1, 1 }, { PL_NONCE, 1, 1 },
	{ PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY }, { PL_CERTREQ, 0, MANY },
};
static const pl_rule_t init_resp[] = {
	{ PL_SA, 1, 1 }, { PL_KE, 1, 1 }, { PL_NONCE, 1, 1 },
	{ PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY }, { PL_CERTREQ, 0, MANY },
};
/* IKE_AUTH: IDi/AUTH are optional because of EAP rounds (RFC 7296 §2.16)
 * and RFC 4739 multiple authentication; SA/TSi/TSr go together. */
static const pl_rule_t auth_req[] = {
	{ PL_IDI, 0, 1 }, { PL_IDR, 0, 1 }, { PL_CERT, 0, MANY },
	{ PL_CERTREQ, 0, MANY }, { PL_AUTH, 0, 1 }, { PL_EAP, 0, 1 },
	{ PL_CP, 0, 1 }, { PL_SA, 0, 1 }, { PL_TSI, 0, 1 }, { PL_TSR, 0, 1 },
	{ PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY },
};
static const pl_rule_t auth_resp[] = {
	{ PL_IDR, 0, 1 }, { PL_CERT, 0, MANY }, { PL_AUTH, 0, 1 },
	{ PL_EAP, 0, 1 }, { PL_CP, 0, 1 }, { PL_SA, 0, 1 }, { PL_TSI, 0, 1 },
	{ PL_TSR, 0, 1 }, { PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY },
};
static const pl_rule_t child_req[] = {
	{ PL_SA, 1, 1 }, { PL_NONCE, 1, 1 }, { PL_KE, 0, 1 }, { PL_TSI, 0, 1 },
	{ PL_TSR, 0, 1 }, { PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY },
	{ PL_CP, 0, 1 },
};
static const pl_rule_t child_resp[] = {
	{ PL_SA, 1, 1 }, { PL_NONCE, 1, 1 }, { PL_KE, 0, 1 }, { PL_TSI, 0, 1 },
	{ PL_TSR, 0, 1 }, { PL_NOTIFY, 0, MANY }, { PL_VENDOR, 0, MANY },
	{ PL_CP, 0, 1 },
};
static const pl_rule_t info_any[] = {
	{ PL_NOTIFY, 0, MANY }, { PL_DELETE, 0, MANY }, { PL_CP, 0, 1 },
	{ PL_VENDOR, 0, MANY },
};

#define RULES(x) (x), sizeof(x) / sizeof((x)[0])

static const exch_rules_t table[] = {
	{ EXCH_IKE_SA_INIT,     false, false, RULES(init_req) },
	{ EXCH_IKE_SA_INIT,     true,  false, RULES(init_resp) },
	{ EXCH_IKE_AUTH,        false, true,  RULES(auth_req) },
	{ EXCH_IKE_AUTH,        true,  true,  RULES(auth_resp) },
	{ EXCH_CREATE_CHILD_SA, false, true,  RULES(child_req) },
	{ EXCH_CREATE_CHILD_SA, true,  true,  RULES(child_resp) },
	{ EXCH_INFORMATIONAL,   false, true,  RULES(info_any) },
	{ EXCH_INFORMATIONAL,   true,  true,  RULES(info_any) },
};

static const char *pname(uint8_t type)
{
	const char *n = payload_type_name(type);
	return n ? n : "unknown";
}

static bool only_error_notifies(const message_t *m)
{
	if (!m->count)
		return false;
	for (size_t i = 0; i < m->count; i++)
		if (m->payloads[i].type != PL_NOTIFY ||
		    m->payloads[i].u.notify.type >= 16384)
			return false;
	return true;
}

codec_status_t message_check(const message_t *m, codec_error_t *err)
{
	const exch_rules_t *set = NULL;
	bool response = message_is_response(m);
	const char *ex = exchange_type_name(m->hdr.exchange);
	const char *dir = response ? "response" : "request";

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].exchange == m->hdr.exchange &&
		    table[i].response == response)
			set = &table[i];
	if (!set)
		return CODEC_OK;  /* unknown exchange: the engine decides */
	_Static_assert(sizeof(auth_req) / sizeof(auth_req[0]) <= MAX_RULES,
	               "rule set larger than MAX_RULES");

	/* Role: the first two exchanges go from the original initiator to the
	 * original responder, so their requests carry the Initiator flag and
	 * their responses do not (RFC 7296 §3.1). */
	if ((m->hdr.exchange == EXCH_IKE_SA_INIT || m->hdr.exchange == EXCH_IKE_AUTH) &&
	    ike_header_is_initiator(&m->hdr) == response)
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_NONE, 19,
		                  "%s %s with the Initiator flag %s", ex, dir,
		                  response ? "set" : "clear");

	if (set->encrypted && !m->decrypted) {
		if (only_error_notifies(m))
			return CODEC_OK;
		return codec_fail(err, CODEC_INVALID_SYNTAX,
		                  m->count ? m->payloads[0].type : PL_NONE, 0,
		                  "%s %s without protection", ex, dir);
	}

	uint8_t counts[MAX_RULES] = { 0 };
	for (size_t i = 0; i < m->count; i++) {
		const payload_t *p = &m->payloads[i];
		size_t r;
		for (r = 0; r < set->n; r++)
			if (set->rules[r].type == p->type)
				break;
		if (r == set->n)
			return codec_fail(err, CODEC_INVALID_SYNTAX, p->type, 0,
			                  "%s payload not allowed in %s %s",
			                  pname(p->type), ex, dir);
		if (!set->encrypted && p->encrypted)
			return codec_fail(err, CODEC_INVALID_SYNTAX, p->type, 0,
			                  "encrypted %s payload in %s %s",
			                  pname(p->type), ex, dir);
		if (set->encrypted && !p->encrypted)
			return codec_fail(err, CODEC_INVALID_SYNTAX, p->type, 0,
			                  "%s payload outside SK in %s %s",
			                  pname(p->type), ex, dir);
		if (counts[r] < MANY)
			counts[r]++;
		if (set->rules[r].max != MANY && counts[r] > set->rules[r].max)
			return codec_fail(err, CODEC_INVALID_SYNTAX, p->type, 0,
			                  "more than %u %s payloads in %s %s",
			                  set->rules[r].max, pname(p->type), ex, dir);
	}

	/* An error Notify may stand alone; so may COOKIE in IKE_SA_INIT. */
	bool relaxed = message_find_error_notify(m) != NULL ||
	               (m->hdr.exchange == EXCH_IKE_SA_INIT && response &&
	                message_find_notify(m, N_COOKIE) != NULL);
	if (!relaxed)
		for (size_t r = 0; r < set->n; r++)
			if (counts[r] < set->rules[r].min)
				return codec_fail(err, CODEC_INVALID_SYNTAX,
				                  set->rules[r].type, 0,
				                  "%s %s without %s payload", ex, dir,
				                  pname(set->rules[r].type));

	/* Payloads that only make sense together. */
	size_t sa = 0, tsi = 0, tsr = 0;
	for (size_t i = 0; i < m->count; i++) {
		sa += m->payloads[i].type == PL_SA;
		tsi += m->payloads[i].type == PL_TSI;
		tsr += m->payloads[i].type == PL_TSR;
	}
	if (tsi != tsr)
		return codec_fail(err, CODEC_INVALID_SYNTAX, tsi ? PL_TSI : PL_TSR, 0,
		                  "%s %s with TSi and TSr not in pairs", ex, dir);
	if (m->hdr.exchange == EXCH_IKE_AUTH && !relaxed && sa != tsi)
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_SA, 0,
		                  "%s %s with SA and TS payloads not together",
		                  ex, dir);
	return CODEC_OK;
}
