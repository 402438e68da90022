/*
 * ikev2.h - IKEv2 protocol numbers (RFC 7296 and the IANA "IKEv2
 * Parameters" registry) shared by the codec, the engine and plugins.
 * Transform numbers are in transform.h.
 */
#ifndef IKEV2D_IKEV2_H
#define IKEV2D_IKEV2_H

#define IKEV2_MAJOR_VERSION 2
#define IKEV2_MINOR_VERSION 0
#define IKE_HEADER_LEN      28
#define IKE_PORT            500
#define IKE_NATT_PORT       4500

typedef enum {
	EXCH_IKE_SA_INIT        = 34,
	EXCH_IKE_AUTH           = 35,
	EXCH_CREATE_CHILD_SA    = 36,
	EXCH_INFORMATIONAL      = 37,
	EXCH_IKE_SESSION_RESUME = 38,
} exchange_type_t;

/* Header flags */
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION   0x10
#define IKE_FLAG_RESPONSE  0x20

typedef enum {
	PL_NONE   = 0,
	PL_SA     = 33,
	PL_KE     = 34,
	PL_IDI    = 35,
	PL_IDR    = 36,
	PL_CERT   = 37,
	PL_CERTREQ = 38,
	PL_AUTH   = 39,
	PL_NONCE  = 40,
	PL_NOTIFY = 41,
	PL_DELETE = 42,
	PL_VENDOR = 43,
	PL_TSI    = 44,
	PL_TSR    = 45,
	PL_SK     = 46,
	PL_CP     = 47,
	PL_EAP    = 48,
	PL_SKF    = 53,  /* RFC 7383 */
} payload_type_t;

typedef enum {
	PROTO_NONE = 0,
	PROTO_IKE  = 1,
	PROTO_AH   = 2,
	PROTO_ESP  = 3,
} protocol_id_t;

typedef enum {
	ID_IPV4_ADDR   = 1,
	ID_FQDN        = 2,
	ID_RFC822_ADDR = 3,
	ID_IPV6_ADDR   = 5,
	ID_DER_ASN1_DN = 9,
	ID_DER_ASN1_GN = 10,
	ID_KEY_ID      = 11,
} id_type_t;

typedef enum {
	AUTH_RSA_SIG          = 1,
	AUTH_PSK              = 2,
	AUTH_DSS_SIG          = 3,
	AUTH_ECDSA_256        = 9,
	AUTH_ECDSA_384        = 10,
	AUTH_ECDSA_521        = 11,
	AUTH_GSPAM            = 12,
	AUTH_NULL             = 13,
	AUTH_DIGITAL_SIG      = 14,  /* RFC 7427 */
} auth_method_t;

typedef enum {
	TS_IPV4_ADDR_RANGE = 7,
	TS_IPV6_ADDR_RANGE = 8,
} ts_type_t;

typedef enum {
	CERT_X509_SIGNATURE = 4,
	CERT_HASH_URL_X509  = 12,
} cert_encoding_t;

typedef enum {
	CFG_REQUEST = 1,
	CFG_REPLY   = 2,
	CFG_SET     = 3,
	CFG_ACK     = 4,
} cfg_type_t;

/* Notify message types: errors below 16384, status from 16384. */
typedef enum {
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	N_INVALID_IKE_SPI              = 4,
	N_INVALID_MAJOR_VERSION        = 5,
	N_INVALID_SYNTAX               = 7,
	N_INVALID_MESSAGE_ID           = 9,
	N_INVALID_SPI                  = 11,
	N_NO_PROPOSAL_CHOSEN           = 14,
	N_INVALID_KE_PAYLOAD           = 17,
	N_AUTHENTICATION_FAILED        = 24,
	N_SINGLE_PAIR_REQUIRED         = 34,
	N_NO_ADDITIONAL_SAS            = 35,
	N_INTERNAL_ADDRESS_FAILURE     = 36,
	N_FAILED_CP_REQUIRED           = 37,
	N_TS_UNACCEPTABLE              = 38,
	N_INVALID_SELECTORS            = 39,
	N_TEMPORARY_FAILURE            = 43,
	N_CHILD_SA_NOT_FOUND           = 44,
	N_INITIAL_CONTACT              = 16384,
	N_SET_WINDOW_SIZE              = 16385,
	N_ADDITIONAL_TS_POSSIBLE       = 16386,
	N_IPCOMP_SUPPORTED             = 16387,
	N_NAT_DETECTION_SOURCE_IP      = 16388,
	N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE                       = 16390,
	N_USE_TRANSPORT_MODE           = 16391,
	N_HTTP_CERT_LOOKUP_SUPPORTED   = 16392,
	N_REKEY_SA                     = 16393,
	N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	N_NON_FIRST_FRAGMENTS_ALSO     = 16395,
	N_MOBIKE_SUPPORTED             = 16396,
	N_ADDITIONAL_IP4_ADDRESS       = 16397,
	N_ADDITIONAL_IP6_ADDRESS       = 16398,
	N_NO_ADDITIONAL_ADDRESSES      = 16399,
	N_UPDATE_SA_ADDRESSES          = 16400,
	N_COOKIE2                      = 16401,
	N_NO_NATS_ALLOWED              = 16402,
	N_MULTIPLE_AUTH_SUPPORTED      = 16404,
	N_ANOTHER_AUTH_FOLLOWS         = 16405,
	N_REDIRECT_SUPPORTED           = 16406,
	N_EAP_ONLY_AUTHENTICATION      = 16417,
	N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	N_SIGNATURE_HASH_ALGORITHMS    = 16431,
	N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
} notify_type_t;

#endif
