/*
 * sk.c - the Encrypted payload (RFC 7296 §3.14) and its AEAD variant (RFC
 * 5282), for SK and for the SKF fragments of RFC 7383.
 *
 * Layout of the protected part: IV | E(inner payloads | padding | pad
 * length) | ICV.  Encrypt-then-MAC: the ICV covers the whole message from
 * the IKE header to the end of the ciphertext.  AEAD: the associated data
 * is the IKE header plus the SK/SKF payload header (everything before the
 * IV), and the ICV is the AEAD tag.  Padding is zeros, as short as the
 * cipher's block size allows; on receipt its content is not checked
 * (§3.14 lets the sender choose it).
 */
#include "codec/codec_internal.h"

#include <stdlib.h>

#define MAX_IV 16
#define MAX_ICV 64

typedef struct {
	size_t iv;
	size_t icv;
	size_t block;
} sk_sizes_t;

static bool sk_sizes(const sk_ctx_t *sk, sk_sizes_t *s)
{
	if (sk->aead) {
		s->iv = sk->aead->get_iv_size(sk->aead);
		s->icv = sk->aead->get_icv_size(sk->aead);
		s->block = sk->aead->get_block_size(sk->aead);
	} else if (sk->crypter && sk->signer) {
		s->iv = sk->crypter->get_iv_size(sk->crypter);
		s->icv = sk->signer->get_block_size(sk->signer);
		s->block = sk->crypter->get_block_size(sk->crypter);
	} else {
		return false;
	}
	if (!s->block)
		s->block = 1;
	return s->iv <= MAX_IV && s->icv <= MAX_ICV && s->block <= 256;
}

size_t sk_overhead(const sk_ctx_t *sk, size_t plain_len)
{
	sk_sizes_t s;
	if (!sk_sizes(sk, &s))
		return 0;
	size_t enc = plain_len + 1;
	enc += (s.block - enc % s.block) % s.block;
	return 4 + s.iv + (enc - plain_len) + s.icv;
}

static bool make_iv(sk_ctx_t *sk, uint8_t *iv, size_t len)
{
	if (!len)
		return true;
	if (sk->rng)
		return sk->rng->get_bytes(sk->rng, len, iv);
	/* Counter IV: unique per key, as CTR and AEAD modes need. */
	uint64_t seq = sk->iv_seq++;
	memset(iv, 0, len);
	for (size_t i = 0; i < 8 && i < len; i++)
		iv[len - 1 - i] = (uint8_t)(seq >> (8 * i));
	return true;
}

codec_status_t sk_protect(const ike_header_t *hdr, uint8_t outer_type,
                          uint8_t inner_type, uint16_t frag_number,
                          uint16_t frag_total, chunk_t plain, sk_ctx_t *sk,
                          chunk_t *out, codec_error_t *err)
{
	sk_sizes_t s;

	*out = chunk_empty;
	if (!sk_sizes(sk, &s))
		return codec_fail(err, CODEC_CRYPTO, outer_type, 0,
		                  "no usable cipher for the SK payload");
	size_t sk_hdr = outer_type == PL_SKF ? 8 : 4;
	size_t enc = plain.len + 1;
	size_t pad = (s.block - enc % s.block) % s.block;
	enc += pad;
	size_t total = IKE_HEADER_LEN + sk_hdr + s.iv + enc + s.icv;
	if (total > CODEC_MAX_MESSAGE_LEN)
		return codec_fail(err, CODEC_TOO_BIG, outer_type, 0,
		                  "protected message of %zu bytes exceeds %u",
		                  total, CODEC_MAX_MESSAGE_LEN);
	uint8_t *buf = xmalloc(total);
	codec_write_header(buf, hdr, outer_type, (uint32_t)total);
	uint8_t *ph = buf + IKE_HEADER_LEN;
	ph[0] = inner_type;
	ph[1] = 0;
	put16(ph + 2, (uint16_t)(total - IKE_HEADER_LEN));
	if (outer_type == PL_SKF) {
		put16(ph + 4, frag_number);
		put16(ph + 6, frag_total);
	}
	uint8_t *iv = ph + sk_hdr;
	uint8_t *data = iv + s.iv;
	uint8_t *icv = data + enc;
	uint8_t ivcopy[MAX_IV];
	bool ok = make_iv(sk, iv, s.iv);
	if (plain.len)
		memcpy(data, plain.ptr, plain.len);
	memset(data + plain.len, 0, pad);
	data[enc - 1] = (uint8_t)pad;
	/* Ciphers may update the IV buffer they get (CBC chaining). */
	memcpy(ivcopy, iv, s.iv);
	if (ok && sk->aead) {
		ok = sk->aead->encrypt(sk->aead, chunk_create(data, enc),
		                       chunk_create(buf, IKE_HEADER_LEN + sk_hdr),
		                       chunk_create(ivcopy, s.iv), icv);
	} else if (ok) {
		ok = sk->crypter->encrypt(sk->crypter, chunk_create(data, enc),
		                          chunk_create(ivcopy, s.iv)) &&
		     sk->signer->get_signature(sk->signer,
		                               chunk_create(buf, total - s.icv), icv);
	}
	if (!ok) {
		memwipe(buf, total);
		free(buf);
		return codec_fail(err, CODEC_CRYPTO, outer_type, 0,
		                  "encrypting the %s payload failed",
		                  outer_type == PL_SKF ? "SKF" : "SK");
	}
	*out = chunk_create(buf, total);
	return CODEC_OK;
}

codec_status_t sk_unprotect(message_t *m, chunk_t raw, size_t aad_end,
                            chunk_t data, sk_ctx_t *sk, chunk_t *plain,
                            codec_error_t *err)
{
	sk_sizes_t s;

	if (!sk_sizes(sk, &s))
		return codec_fail(err, CODEC_CRYPTO, PL_SK, aad_end,
		                  "no usable cipher for the SK payload");
	if (data.len < s.iv + s.icv + 1)
		return codec_fail(err, CODEC_INTEGRITY, PL_SK, aad_end,
		                  "encrypted payload of %zu bytes cannot hold IV (%zu), "
		                  "pad length and ICV (%zu)", data.len, s.iv, s.icv);
	size_t enc = data.len - s.iv - s.icv;
	if (enc % s.block)
		return codec_fail(err, CODEC_INTEGRITY, PL_SK, aad_end,
		                  "ciphertext of %zu bytes is not a multiple of the "
		                  "block size %zu", enc, s.block);
	/* The ICV must end the message (SK/SKF is the last payload). */
	if (data.ptr + data.len != raw.ptr + raw.len || aad_end > raw.len)
		return codec_fail(err, CODEC_INTEGRITY, PL_SK, aad_end,
		                  "encrypted payload does not end the message");
	const uint8_t *iv = data.ptr;
	const uint8_t *ct = data.ptr + s.iv;
	const uint8_t *icv = ct + enc;
	uint8_t ivcopy[MAX_IV];
	memcpy(ivcopy, iv, s.iv);

	uint8_t *buf = message_alloc(m, enc);
	memcpy(buf, ct, enc);
	m->wipe = true;
	bool ok;
	if (sk->aead) {
		ok = sk->aead->decrypt(sk->aead, chunk_create(buf, enc),
		                       chunk_create(raw.ptr, aad_end),
		                       chunk_create(ivcopy, s.iv), icv);
		if (!ok)
			return codec_fail(err, CODEC_INTEGRITY, PL_SK, aad_end,
			                  "AEAD ICV of the encrypted payload does not "
			                  "verify");
	} else {
		ok = sk->signer->verify_signature(sk->signer,
		                                  chunk_create(raw.ptr, raw.len - s.icv),
		                                  chunk_create((uint8_t *)icv, s.icv));
		if (!ok)
			return codec_fail(err, CODEC_INTEGRITY, PL_SK, aad_end,
			                  "ICV of the encrypted payload does not verify");
		if (!sk->crypter->decrypt(sk->crypter, chunk_create(buf, enc),
		                          chunk_create(ivcopy, s.iv)))
			return codec_fail(err, CODEC_CRYPTO, PL_SK, aad_end,
			                  "decrypting the encrypted payload failed");
	}
	uint8_t pad = buf[enc - 1];
	if ((size_t)pad + 1 > enc)
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_SK, aad_end,
		                  "pad length %u in %zu bytes of plaintext", pad, enc);
	*plain = chunk_create(buf, enc - pad - 1);
	return CODEC_OK;
}

codec_status_t message_generate_sk(message_t *m, sk_ctx_t *sk, chunk_t *out,
                                   codec_error_t *err)
{
	writer_t w;

	*out = chunk_empty;
	writer_init(&w, 512);
	if (!codec_write_chain(&w, m, 0, m->count)) {
		memwipe(w.buf, w.len);
		writer_free(&w);
		return codec_fail(err, CODEC_TOO_BIG, 0, 0,
		                  "inner payloads exceed %u bytes, or a payload has "
		                  "no encoder", CODEC_MAX_MESSAGE_LEN);
	}
	m->hdr.next_payload = PL_SK;
	codec_status_t st = sk_protect(&m->hdr, PL_SK,
	                               m->count ? m->payloads[0].type : PL_NONE,
	                               0, 0, chunk_create(w.buf, w.len), sk, out,
	                               err);
	memwipe(w.buf, w.len);
	writer_free(&w);
	if (st != CODEC_OK)
		return st;
	for (size_t i = 0; i < m->count; i++)
		m->payloads[i].encrypted = true;
	m->hdr.length = (uint32_t)out->len;
	m->raw = message_copy(m, *out);
	return CODEC_OK;
}

codec_status_t message_decrypt(message_t *m, sk_ctx_t *sk, codec_error_t *err)
{
	if (!m->count || m->payloads[m->count - 1].type != PL_SK)
		return codec_fail(err, CODEC_INVALID_SYNTAX, PL_SK, 0,
		                  "message has no SK payload");
	payload_t skp = m->payloads[m->count - 1];
	chunk_t plain;
	codec_status_t st = sk_unprotect(m, m->raw, skp.u.sk.offset + 4,
	                                 skp.u.sk.data, sk, &plain, err);
	if (st != CODEC_OK)
		return st;
	size_t count = m->count;
	m->count--;
	m->decrypted = true;
	st = message_parse_chain(m, skp.u.sk.inner_type, plain, true, err);
	if (st == CODEC_OK)
		st = message_check(m, err);
	if (st != CODEC_OK) {
		/* Leave the message as it was: the SK payload, no inner ones. */
		m->count = count;
		m->payloads[count - 1] = skp;
		m->decrypted = false;
	}
	return st;
}
