/*
 * samples.c - see samples.h.
 */
#include "samples.h"

#include <stdlib.h>

static const uint8_t nonce_i[32] = {
	0x8f, 0x02, 0x11, 0x6a, 0x33, 0x90, 0x41, 0x7c, 0x55, 0x62, 0xa7, 0x08,
	0x19, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80, 0x91, 0xa2, 0xb3, 0xc4,
	0xd5, 0xe6, 0xf7, 0x08, 0x19, 0x2a, 0x3b, 0x4c,
};

/* A self-signed ECDSA P-256 certificate for CN=moon.example (made with
 * openssl req -x509 for these tests; its key was thrown away). */
static const uint8_t sample_cert[] = {
	0x30, 0x82, 0x01, 0x82, 0x30, 0x82, 0x01, 0x29, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x14, 0x71, 0xfe, 0x92, 0xba, 0xeb, 0xe8, 0xf6, 0xc3, 0x54,
	0x0e, 0xf4, 0x25, 0x32, 0x0a, 0x8c, 0x6e, 0x1f, 0x81, 0xdd, 0xfe, 0x30,
	0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
	0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c,
	0x6d, 0x6f, 0x6f, 0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x37, 0x30, 0x39,
	0x32, 0x35, 0x31, 0x30, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x32,
	0x34, 0x30, 0x39, 0x32, 0x35, 0x31, 0x30, 0x5a, 0x30, 0x17, 0x31, 0x15,
	0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x6d, 0x6f, 0x6f,
	0x6e, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x59, 0x30,
	0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
	0xce, 0x48, 0x52, 0xd5, 0xb7, 0x45, 0x2f, 0xf5, 0x19, 0x04, 0x48, 0x1a,
	0xe0, 0x5c, 0x73, 0x4f, 0xa5, 0xc9, 0x49, 0x3e, 0x17, 0x40, 0xd1, 0xdf,
	0xff, 0x61, 0xd2, 0xb2, 0xdf, 0x20, 0x14, 0xf9, 0x5b, 0x04, 0xd4, 0xe4,
	0xf8, 0xcc, 0x12, 0x29, 0xba, 0xef, 0x14, 0x9f, 0xcb, 0xeb, 0x38, 0x56,
	0x0a, 0xe6, 0x5e, 0xad, 0x2a, 0x91, 0xd0, 0x12, 0x3c, 0xa0, 0x43, 0x8e,
	0xd0, 0xf8, 0xf0, 0xe3, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03,
	0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xa5, 0x7b, 0x01, 0x1c, 0x54,
	0xab, 0x2a, 0x69, 0xb1, 0xf4, 0x18, 0x07, 0xcd, 0x52, 0x89, 0xad, 0x19,
	0xac, 0x2f, 0x5f, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18,
	0x30, 0x16, 0x80, 0x14, 0xa5, 0x7b, 0x01, 0x1c, 0x54, 0xab, 0x2a, 0x69,
	0xb1, 0xf4, 0x18, 0x07, 0xcd, 0x52, 0x89, 0xad, 0x19, 0xac, 0x2f, 0x5f,
	0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05,
	0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30, 0x44, 0x02, 0x20,
	0x6c, 0x32, 0x7f, 0xb0, 0xf3, 0x2f, 0x42, 0xe4, 0xf4, 0x55, 0xf8, 0x83,
	0xd7, 0xa1, 0xd2, 0xaa, 0x75, 0xef, 0xb8, 0x05, 0x23, 0x2e, 0x59, 0x58,
	0xbe, 0x00, 0x8c, 0x7d, 0xc1, 0xe0, 0x13, 0xad, 0x02, 0x20, 0x2d, 0xc9,
	0x0d, 0xdd, 0xbb, 0xbf, 0xda, 0x80, 0x3e, 0xf7, 0x29, 0x69, 0x45, 0x00,
	0x25, 0x0f, 0x41, 0x8b, 0x8c, 0xf0, 0x84, 0x2a, 0x2c, 0xd8, 0xca, 0xd7,
	0x24, 0xeb, 0x8b, 0x1e, 0x00, 0xd5,
};

static uint8_t ke_data[64];

static void fill_ke(void)
{
	for (size_t i = 0; i < sizeof(ke_data); i++)
		ke_data[i] = (uint8_t)(i * 37 + 11);
}

static void ike_proposals(message_t *m, bool with_spi)
{
	transform_t t1[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 256, false },
		{ TRANS_PRF, PRF_HMAC_SHA2_384, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
		{ TRANS_KE, KE_CURVE25519, 0, false },
	};
	transform_t t2[] = {
		{ TRANS_ENCR, ENCR_AES_CBC, 128, false },
		{ TRANS_ENCR, ENCR_AES_CBC, 256, false },
		{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
		{ TRANS_KE, KE_MODP_2048, 0, false },
	};
	proposal_t p[2] = {
		{ .number = 1, .protocol = PROTO_IKE, .num_transforms = 4, .transforms = t1 },
		{ .number = 2, .protocol = PROTO_IKE, .num_transforms = 6, .transforms = t2 },
	};
	if (with_spi) {
		for (int i = 0; i < 2; i++) {
			p[i].spi_len = 8;
			memcpy(p[i].spi, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
		}
	}
	message_add_sa(m, p, 2);
}

static void esp_proposal(message_t *m, bool pfs)
{
	transform_t t[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 128, false },
		{ TRANS_ESN, ESN_NO, 0, false },
		{ TRANS_ESN, ESN_YES, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
	};
	proposal_t p = {
		.number = 1, .protocol = PROTO_ESP, .spi_len = 4,
		.spi = { 0xc1, 0x2f, 0x00, 0x07 },
		.num_transforms = pfs ? 4 : 3, .transforms = t,
	};
	message_add_sa(m, &p, 1);
}

static void add_ts(message_t *m)
{
	ts_t tsi[2] = {
		{ TS_IPV4_ADDR_RANGE, 0, 0, 65535, { 10, 1, 0, 0 }, { 10, 1, 255, 255 } },
		{ TS_IPV6_ADDR_RANGE, 6, 443, 443,
		  { 0x20, 0x01, 0x0d, 0xb8 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } },
	};
	ts_t tsr = { TS_IPV4_ADDR_RANGE, 17, 500, 4500, { 10, 2, 0, 1 }, { 10, 2, 0, 1 } };
	message_add_ts(m, PL_TSI, tsi, 2);
	message_add_ts(m, PL_TSR, &tsr, 1);
}

static const uint64_t SPI_I = 0x191ccd371a7a1f7bULL;
static const uint64_t SPI_R = 0xbc123d15e4af593fULL;

message_t *sample_build(sample_t which)
{
	message_t *m = NULL;
	uint8_t nat[20];
	uint8_t auth[32];
	fill_ke();
	for (size_t i = 0; i < sizeof(nat); i++)
		nat[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(auth); i++)
		auth[i] = (uint8_t)(i ^ 0x5c);

	switch (which) {
	case SAMPLE_INIT_REQ:
		m = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_INITIATOR, SPI_I, 0, 0);
		ike_proposals(m, false);
		message_add_ke(m, KE_ECP_256, chunk_create(ke_data, 64));
		message_add_nonce(m, chunk_create(nonce_i, 32));
		message_add_notify(m, 0, chunk_empty, N_NAT_DETECTION_SOURCE_IP,
		                   chunk_create(nat, 20));
		message_add_notify(m, 0, chunk_empty, N_NAT_DETECTION_DESTINATION_IP,
		                   chunk_create(nat, 20));
		message_add_notify(m, 0, chunk_empty, N_IKEV2_FRAGMENTATION_SUPPORTED,
		                   chunk_empty);
		message_add_notify(m, 0, chunk_empty, N_SIGNATURE_HASH_ALGORITHMS,
		                   chunk_create("\x00\x02\x00\x03\x00\x04", 6));
		message_add_vendor(m, chunk_from_str("ikev2d sample vendor id"));
		break;
	case SAMPLE_INIT_RESP:
		m = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, SPI_I, SPI_R, 0);
		{
			transform_t t[] = {
				{ TRANS_ENCR, ENCR_AES_CBC, 256, false },
				{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
				{ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
				{ TRANS_KE, KE_ECP_256, 0, false },
			};
			proposal_t p = { .number = 2, .protocol = PROTO_IKE,
			                 .num_transforms = 4, .transforms = t };
			message_add_sa(m, &p, 1);
		}
		message_add_ke(m, KE_ECP_256, chunk_create(ke_data, 64));
		message_add_nonce(m, chunk_create(nonce_i + 4, 28));
		message_add_notify(m, 0, chunk_empty, N_NAT_DETECTION_SOURCE_IP,
		                   chunk_create(nat, 20));
		message_add_notify(m, 0, chunk_empty, N_NAT_DETECTION_DESTINATION_IP,
		                   chunk_create(nat, 20));
		message_add_cert(m, PL_CERTREQ, CERT_X509_SIGNATURE,
		                 chunk_create(nat, 20));
		message_add_notify(m, 0, chunk_empty, N_MULTIPLE_AUTH_SUPPORTED,
		                   chunk_empty);
		break;
	case SAMPLE_INIT_RESP_COOKIE:
		m = message_create(EXCH_IKE_SA_INIT, IKE_FLAG_RESPONSE, SPI_I, 0, 0);
		message_add_notify(m, 0, chunk_empty, N_COOKIE, chunk_create(nat, 20));
		break;
	case SAMPLE_AUTH_REQ:
		m = message_create(EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, SPI_I, SPI_R, 1);
		message_add_id(m, PL_IDI, ID_FQDN, chunk_from_str("moon.strongswan.org"));
		message_add_notify(m, 0, chunk_empty, N_INITIAL_CONTACT, chunk_empty);
		message_add_id(m, PL_IDR, ID_IPV4_ADDR, chunk_create("\xc0\xa8\x01\x0e", 4));
		message_add_auth(m, AUTH_PSK, chunk_create(auth, 32));
		message_add_cert(m, PL_CERT, CERT_X509_SIGNATURE,
		                 chunk_create(sample_cert, sizeof(sample_cert)));
		esp_proposal(m, false);
		add_ts(m);
		message_add_notify(m, 0, chunk_empty, N_MOBIKE_SUPPORTED, chunk_empty);
		message_add_notify(m, 0, chunk_empty, N_NO_ADDITIONAL_ADDRESSES, chunk_empty);
		break;
	case SAMPLE_AUTH_RESP:
		m = message_create(EXCH_IKE_AUTH, IKE_FLAG_RESPONSE, SPI_I, SPI_R, 1);
		/* DER of the DN "CN=sun.example" */
		message_add_id(m, PL_IDR, ID_DER_ASN1_DN,
		               chunk_create("\x30\x16\x31\x14\x30\x12\x06\x03\x55\x04\x03"
		                            "\x0c\x0bsun.example", 24));
		message_add_auth(m, AUTH_DIGITAL_SIG, chunk_create(auth, 32));
		esp_proposal(m, false);
		add_ts(m);
		message_add_notify(m, 0, chunk_empty, N_USE_TRANSPORT_MODE, chunk_empty);
		break;
	case SAMPLE_CHILD_REQ:
		m = message_create(EXCH_CREATE_CHILD_SA, IKE_FLAG_INITIATOR, SPI_I, SPI_R, 2);
		message_add_notify(m, PROTO_ESP, chunk_create("\xc1\x2f\x00\x07", 4),
		                   N_REKEY_SA, chunk_empty);
		esp_proposal(m, true);
		message_add_nonce(m, chunk_create(nonce_i, 32));
		message_add_ke(m, KE_ECP_256, chunk_create(ke_data, 64));
		add_ts(m);
		break;
	case SAMPLE_CHILD_RESP:
		m = message_create(EXCH_CREATE_CHILD_SA, IKE_FLAG_RESPONSE, SPI_I, SPI_R, 2);
		esp_proposal(m, true);
		message_add_nonce(m, chunk_create(nonce_i, 16));
		message_add_ke(m, KE_ECP_256, chunk_create(ke_data, 64));
		add_ts(m);
		break;
	case SAMPLE_REKEY_IKE_REQ:
		m = message_create(EXCH_CREATE_CHILD_SA, 0, SPI_I, SPI_R, 7);
		ike_proposals(m, true);
		message_add_nonce(m, chunk_create(nonce_i, 32));
		message_add_ke(m, KE_ECP_256, chunk_create(ke_data, 64));
		break;
	case SAMPLE_INFO_DELETE: {
		m = message_create(EXCH_INFORMATIONAL, IKE_FLAG_INITIATOR, SPI_I, SPI_R, 3);
		uint32_t spis[3] = { 0xc12f0007, 0x00000100, 0xdeadbeef };
		message_add_delete(m, PROTO_ESP, spis, 3);
		message_add_delete(m, PROTO_IKE, NULL, 0);
		break;
	}
	case SAMPLE_INFO_DPD_RESP:
		m = message_create(EXCH_INFORMATIONAL, IKE_FLAG_RESPONSE, SPI_I, SPI_R, 4);
		break;
	case SAMPLE_AUTH_REQ_EAP_CP: {
		m = message_create(EXCH_IKE_AUTH, IKE_FLAG_INITIATOR, SPI_I, SPI_R, 2);
		cp_attr_t attrs[3] = {
			{ 1, chunk_empty },                      /* INTERNAL_IP4_ADDRESS */
			{ 3, chunk_empty },                      /* INTERNAL_IP4_DNS */
			{ 8, chunk_create("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x40", 17) },
		};
		message_add_cp(m, CFG_REQUEST, attrs, 3);
		message_add_eap(m, chunk_create("\x02\x07\x00\x09\x01user", 9));
		break;
	}
	case SAMPLE_COUNT:
		break;
	}
	return m;
}

bool sample_encrypted(sample_t which)
{
	return which != SAMPLE_INIT_REQ && which != SAMPLE_INIT_RESP &&
	       which != SAMPLE_INIT_RESP_COOKIE;
}

const char *sample_name(sample_t which)
{
	static const char *names[] = {
		"IKE_SA_INIT request", "IKE_SA_INIT response",
		"IKE_SA_INIT COOKIE response", "IKE_AUTH request",
		"IKE_AUTH response", "CREATE_CHILD_SA request",
		"CREATE_CHILD_SA response", "IKE rekey request",
		"INFORMATIONAL Delete", "INFORMATIONAL empty response",
		"IKE_AUTH EAP+CP request",
	};
	return which < SAMPLE_COUNT ? names[which] : "?";
}

/* ------------------------------------------------------ toy ciphers */

typedef struct {
	crypter_t pub;
	uint8_t key;
} toy_crypter_t;

static void keystream_xor(uint8_t key, const uint8_t *iv, size_t iv_len,
                          uint8_t *data, size_t len)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ key;
	for (size_t i = 0; i < iv_len; i++)
		s = (s ^ iv[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		data[i] ^= (uint8_t)s;
	}
}

static bool tc_crypt(crypter_t *self, chunk_t data, chunk_t iv)
{
	toy_crypter_t *t = (toy_crypter_t *)self;
	if (data.len % 16 || iv.len != 16)
		return false;
	keystream_xor(t->key, iv.ptr, iv.len, data.ptr, data.len);
	return true;
}

static size_t tc_16(crypter_t *self) { (void)self; return 16; }
static bool tc_set_key(crypter_t *self, chunk_t key) { (void)self; (void)key; return true; }
static void tc_destroy(crypter_t *self) { free(self); }

crypter_t *toy_crypter_create(uint8_t key)
{
	toy_crypter_t *t = xzalloc(sizeof(*t));
	t->pub = (crypter_t){
		.encrypt = tc_crypt, .decrypt = tc_crypt,
		.get_block_size = tc_16, .get_iv_size = tc_16, .get_key_size = tc_16,
		.set_key = tc_set_key, .destroy = tc_destroy,
	};
	t->key = key;
	return &t->pub;
}

typedef struct {
	signer_t pub;
	uint8_t key;
} toy_signer_t;

static void toy_tag3(uint8_t key, const uint8_t *a, size_t alen,
                     const uint8_t *v, size_t vlen, const uint8_t *b,
                     size_t blen, uint8_t *out, size_t outlen)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ key;
	for (size_t i = 0; i < alen; i++)
		h = (h ^ a[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < vlen; i++)
		h = (h ^ v[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < blen; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < outlen; i++) {
		h = (h ^ i) * 0x100000001b3ULL;
		out[i] = (uint8_t)(h >> 32);
	}
}

static void toy_tag(uint8_t key, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, uint8_t *out, size_t outlen)
{
	toy_tag3(key, a, alen, NULL, 0, b, blen, out, outlen);
}

static bool ts_sign(signer_t *self, chunk_t data, uint8_t *out)
{
	toy_tag(((toy_signer_t *)self)->key, data.ptr, data.len, NULL, 0, out, 12);
	return true;
}

static bool ts_verify(signer_t *self, chunk_t data, chunk_t sig)
{
	uint8_t tag[12];
	if (sig.len != 12)
		return false;
	ts_sign(self, data, tag);
	return memeq_const(tag, sig.ptr, 12);
}

static size_t ts_12(signer_t *self) { (void)self; return 12; }
static bool ts_set_key(signer_t *self, chunk_t key) { (void)self; (void)key; return true; }
static void ts_destroy(signer_t *self) { free(self); }

signer_t *toy_signer_create(uint8_t key)
{
	toy_signer_t *t = xzalloc(sizeof(*t));
	t->pub = (signer_t){
		.get_signature = ts_sign, .verify_signature = ts_verify,
		.get_block_size = ts_12, .get_key_size = ts_12,
		.set_key = ts_set_key, .destroy = ts_destroy,
	};
	t->key = key;
	return &t->pub;
}

typedef struct {
	aead_t pub;
	uint8_t key;
	size_t icv;
} toy_aead_t;

static bool ta_encrypt(aead_t *self, chunk_t data, chunk_t assoc, chunk_t iv,
                       uint8_t *icv)
{
	toy_aead_t *t = (toy_aead_t *)self;
	if (!t->icv)
		return true;  /* the null AEAD */
	keystream_xor(t->key, iv.ptr, iv.len, data.ptr, data.len);
	uint8_t tag[16];
	toy_tag3(t->key, assoc.ptr, assoc.len, iv.ptr, iv.len, data.ptr, data.len, tag, 16);
	memcpy(icv, tag, t->icv);
	return true;
}

static bool ta_decrypt(aead_t *self, chunk_t data, chunk_t assoc, chunk_t iv,
                       const uint8_t *icv)
{
	toy_aead_t *t = (toy_aead_t *)self;
	if (!t->icv)
		return true;  /* the null AEAD */
	uint8_t tag[16];
	toy_tag3(t->key, assoc.ptr, assoc.len, iv.ptr, iv.len, data.ptr, data.len, tag, 16);
	if (!memeq_const(tag, icv, t->icv))
		return false;
	keystream_xor(t->key, iv.ptr, iv.len, data.ptr, data.len);
	return true;
}

static size_t ta_1(aead_t *self) { (void)self; return 1; }
static size_t ta_icv(aead_t *self) { return ((toy_aead_t *)self)->icv; }
static size_t ta_8(aead_t *self) { (void)self; return 8; }
static size_t ta_20(aead_t *self) { (void)self; return 20; }
static bool ta_set_key(aead_t *self, chunk_t key) { (void)self; (void)key; return true; }
static void ta_destroy(aead_t *self) { free(self); }

static aead_t *aead_make(uint8_t key, size_t icv)
{
	toy_aead_t *t = xzalloc(sizeof(*t));
	t->pub = (aead_t){
		.encrypt = ta_encrypt, .decrypt = ta_decrypt,
		.get_block_size = ta_1, .get_icv_size = ta_icv, .get_iv_size = ta_8,
		.get_key_size = ta_20, .set_key = ta_set_key, .destroy = ta_destroy,
	};
	t->key = key;
	t->icv = icv;
	return &t->pub;
}

aead_t *toy_aead_create(uint8_t key)
{
	return aead_make(key, 16);
}

aead_t *null_aead_create(void)
{
	return aead_make(0, 0);
}
