/*
 * names.c - names of payload, notify and exchange types and of codec
 * statuses, for log lines and message summaries.
 */
#include "codec/message.h"

#include <stddef.h>

typedef struct {
	uint16_t value;
	const char *name;
} name_entry_t;

static const char *lookup(const name_entry_t *t, size_t n, uint16_t value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}

#define LOOKUP(table, v) lookup((table), sizeof(table) / sizeof((table)[0]), (v))

static const name_entry_t payload_names[] = {
	{ PL_NONE, "NONE" }, { PL_SA, "SA" }, { PL_KE, "KE" }, { PL_IDI, "IDi" },
	{ PL_IDR, "IDr" }, { PL_CERT, "CERT" }, { PL_CERTREQ, "CERTREQ" },
	{ PL_AUTH, "AUTH" }, { PL_NONCE, "Nonce" }, { PL_NOTIFY, "Notify" },
	{ PL_DELETE, "Delete" }, { PL_VENDOR, "Vendor ID" }, { PL_TSI, "TSi" },
	{ PL_TSR, "TSr" }, { PL_SK, "SK" }, { PL_CP, "CP" }, { PL_EAP, "EAP" },
	{ PL_SKF, "SKF" },
};

static const name_entry_t payload_short[] = {
	{ PL_SA, "SA" }, { PL_KE, "KE" }, { PL_IDI, "IDi" }, { PL_IDR, "IDr" },
	{ PL_CERT, "CERT" }, { PL_CERTREQ, "CERTREQ" }, { PL_AUTH, "AUTH" },
	{ PL_NONCE, "No" }, { PL_NOTIFY, "N" }, { PL_DELETE, "D" },
	{ PL_VENDOR, "V" }, { PL_TSI, "TSi" }, { PL_TSR, "TSr" }, { PL_SK, "SK" },
	{ PL_CP, "CP" }, { PL_EAP, "EAP" }, { PL_SKF, "SKF" },
};

static const name_entry_t notify_names[] = {
	{ N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
	{ N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
	{ N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
	{ N_INVALID_SYNTAX, "INVALID_SYNTAX" },
	{ N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
	{ N_INVALID_SPI, "INVALID_SPI" },
	{ N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
	{ N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
	{ N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
	{ N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
	{ N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
	{ N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
	{ N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
	{ N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
	{ N_INVALID_SELECTORS, "INVALID_SELECTORS" },
	{ N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
	{ N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
	/* error types of later RFCs, by number (not in ikev2.h) */
	{ 40, "UNACCEPTABLE_ADDRESSES" },     /* RFC 4555 */
	{ 41, "UNEXPECTED_NAT_DETECTED" },    /* RFC 4555 */
	{ 42, "USE_ASSIGNED_HoA" },           /* RFC 5026 */
	{ 45, "INVALID_GROUP_ID" },           /* G-IKEv2 */
	{ 46, "AUTHORIZATION_FAILED" },       /* G-IKEv2 */
	{ 47, "STATE_NOT_FOUND" },            /* RFC 9370 */
	{ N_INITIAL_CONTACT, "INITIAL_CONTACT" },
	{ N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
	{ N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE" },
	{ N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED" },
	{ N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
	{ N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP" },
	{ N_COOKIE, "COOKIE" },
	{ N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
	{ N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED" },
	{ N_REKEY_SA, "REKEY_SA" },
	{ N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED" },
	{ N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO" },
	{ N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED" },
	{ N_ADDITIONAL_IP4_ADDRESS, "ADDITIONAL_IP4_ADDRESS" },
	{ N_ADDITIONAL_IP6_ADDRESS, "ADDITIONAL_IP6_ADDRESS" },
	{ N_NO_ADDITIONAL_ADDRESSES, "NO_ADDITIONAL_ADDRESSES" },
	{ N_UPDATE_SA_ADDRESSES, "UPDATE_SA_ADDRESSES" },
	{ N_COOKIE2, "COOKIE2" },
	{ N_NO_NATS_ALLOWED, "NO_NATS_ALLOWED" },
	{ N_MULTIPLE_AUTH_SUPPORTED, "MULTIPLE_AUTH_SUPPORTED" },
	{ N_ANOTHER_AUTH_FOLLOWS, "ANOTHER_AUTH_FOLLOWS" },
	{ N_REDIRECT_SUPPORTED, "REDIRECT_SUPPORTED" },
	{ 16403, "AUTH_LIFETIME" },           /* RFC 4478 */
	{ 16407, "REDIRECT" },                /* RFC 5685 */
	{ 16408, "REDIRECTED_FROM" },         /* RFC 5685 */
	{ N_EAP_ONLY_AUTHENTICATION, "EAP_ONLY_AUTHENTICATION" },
	{ 16418, "CHILDLESS_IKEV2_SUPPORTED" }, /* RFC 6023 */
	{ N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
	{ N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
	{ 16435, "USE_PPK" },                 /* RFC 8784 */
	{ 16436, "PPK_IDENTITY" },            /* RFC 8784 */
	{ 16437, "NO_PPK_AUTH" },             /* RFC 8784 */
	{ 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" }, /* RFC 9242 */
};

static const name_entry_t exchange_names[] = {
	{ EXCH_IKE_SA_INIT, "IKE_SA_INIT" },
	{ EXCH_IKE_AUTH, "IKE_AUTH" },
	{ EXCH_CREATE_CHILD_SA, "CREATE_CHILD_SA" },
	{ EXCH_INFORMATIONAL, "INFORMATIONAL" },
	{ EXCH_IKE_SESSION_RESUME, "IKE_SESSION_RESUME" },
};

const char *payload_type_name(uint8_t type)
{
	return LOOKUP(payload_names, type);
}

const char *payload_type_short(uint8_t type)
{
	return LOOKUP(payload_short, type);
}

const char *notify_type_name(uint16_t type)
{
	return LOOKUP(notify_names, type);
}

const char *exchange_type_name(uint8_t exchange)
{
	return LOOKUP(exchange_names, exchange);
}

const char *codec_status_name(codec_status_t status)
{
	switch (status) {
	case CODEC_OK:                   return "ok";
	case CODEC_TRUNCATED:            return "truncated";
	case CODEC_BAD_VERSION:          return "unsupported major version";
	case CODEC_UNSUPPORTED_CRITICAL: return "unsupported critical payload";
	case CODEC_INVALID_SYNTAX:       return "invalid syntax";
	case CODEC_INTEGRITY:            return "integrity check failed";
	case CODEC_CRYPTO:               return "crypto failure";
	case CODEC_TOO_BIG:              return "message too big";
	case CODEC_FRAG_IGNORED:         return "fragment ignored";
	}
	return "unknown status";
}
