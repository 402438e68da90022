/*
 * us_esp.c - one ESP packet built or opened in place (see us_esp.h).
 */
#include "us_esp.h"

#include <string.h>

#include <ikev2d/chunk.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

bool esp_params_init(esp_params_t *p, uint32_t spi, uint16_t encr_alg,
                     uint16_t encr_keylen_bits, uint16_t integ_alg, bool esn,
                     const char **why)
{
	size_t block;

	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->esn = esn;
	p->encr_alg = encr_alg;
	p->encr_keylen_bits = encr_keylen_bits;
	p->integ_alg = integ_alg;
	p->aead = encr_is_aead(encr_alg);
	if (p->aead) {
		aead_t *a;
		if (integ_alg != INTEG_NONE) {
			*why = "an AEAD with a separate integrity algorithm";
			return false;
		}
		a = crypto_create_aead(encr_alg, encr_keylen_bits);
		if (!a) {
			*why = "no crypto plugin provides this AEAD and key size";
			return false;
		}
		p->iv_len = a->get_iv_size(a);
		p->icv_len = a->get_icv_size(a);
		block = a->get_block_size(a);
		a->destroy(a);
		p->iv_from_seq = true;
	} else {
		crypter_t *c;
		signer_t *s;
		if (integ_alg == INTEG_NONE) {
			*why = "a cipher without integrity protection (RFC 8221 forbids it)";
			return false;
		}
		c = crypto_create_crypter(encr_alg, encr_keylen_bits);
		if (!c) {
			*why = "no crypto plugin provides this cipher and key size";
			return false;
		}
		s = crypto_create_signer(integ_alg);
		if (!s) {
			c->destroy(c);
			*why = "no crypto plugin provides this integrity algorithm";
			return false;
		}
		p->iv_len = c->get_iv_size(c);
		block = c->get_block_size(c);
		p->icv_len = s->get_block_size(s);
		c->destroy(c);
		s->destroy(s);
		p->iv_from_seq = encr_alg == ENCR_AES_CTR;
	}
	if (p->iv_len > ESP_MAX_IV || p->icv_len > ESP_MAX_ICV ||
	    block > ESP_MAX_BLOCK || (p->iv_from_seq && p->iv_len != 8)) {
		*why = "IV, ICV or block size outside what ESP processing supports";
		return false;
	}
	/* RFC 4303 §2.4: the trailer ends on a 4-byte boundary at least. */
	p->align = block < 4 ? 4 : block;
	return true;
}

bool esp_crypto_init(esp_crypto_t *c, const esp_params_t *p,
                     const uint8_t *encr_key, size_t encr_len,
                     const uint8_t *integ_key, size_t integ_len)
{
	memset(c, 0, sizeof(*c));
	if (p->aead) {
		c->aead = crypto_create_aead(p->encr_alg, p->encr_keylen_bits);
		if (!c->aead ||
		    !c->aead->set_key(c->aead, chunk_create((uint8_t *)encr_key, encr_len)))
			goto fail;
		return true;
	}
	c->crypter = crypto_create_crypter(p->encr_alg, p->encr_keylen_bits);
	c->signer = crypto_create_signer(p->integ_alg);
	if (!c->crypter || !c->signer ||
	    !c->crypter->set_key(c->crypter, chunk_create((uint8_t *)encr_key, encr_len)) ||
	    !c->signer->set_key(c->signer, chunk_create((uint8_t *)integ_key, integ_len)))
		goto fail;
	return true;
fail:
	esp_crypto_free(c);
	return false;
}

void esp_crypto_free(esp_crypto_t *c)
{
	if (c->aead)
		c->aead->destroy(c->aead);
	if (c->crypter)
		c->crypter->destroy(c->crypter);
	if (c->signer)
		c->signer->destroy(c->signer);
	memset(c, 0, sizeof(*c));
}

static size_t padded_len(const esp_params_t *p, size_t len)
{
	size_t body = len + 2;
	return (body + p->align - 1) / p->align * p->align;
}

size_t esp_packet_len(const esp_params_t *p, size_t len)
{
	return ESP_HDR_LEN + p->iv_len + padded_len(p, len) + p->icv_len;
}

/* Associated data of an AEAD: SPI | [Seq-high |] Seq-low. */
static size_t aead_assoc(const esp_params_t *p, uint64_t seq, uint8_t *out)
{
	put32(out, p->spi);
	if (p->esn) {
		put64(out + 4, seq);
		return 12;
	}
	put32(out + 4, (uint32_t)seq);
	return 8;
}

bool esp_encap(const esp_params_t *p, esp_crypto_t *c, uint64_t seq,
               uint8_t next_header, uint8_t *payload, size_t len,
               uint8_t **esp_out, size_t *esp_len)
{
	uint8_t *esp = payload - p->iv_len - ESP_HDR_LEN;
	uint8_t *iv = esp + ESP_HDR_LEN;
	size_t body = padded_len(p, len);
	size_t pad = body - len - 2;
	uint8_t *icv = payload + body;

	put32(esp, p->spi);
	put32(esp + 4, (uint32_t)seq);
	if (p->iv_from_seq)
		put64(iv, seq);
	else if (!crypto_random(RNG_WEAK, iv, p->iv_len))
		return false;
	/* RFC 4303 §2.4: padding bytes 1, 2, 3, ... */
	for (size_t i = 0; i < pad; i++)
		payload[len + i] = (uint8_t)(i + 1);
	payload[len + pad] = (uint8_t)pad;
	payload[len + pad + 1] = next_header;
	if (p->aead) {
		uint8_t assoc[12];
		size_t alen = aead_assoc(p, seq, assoc);
		if (!c->aead->encrypt(c->aead, chunk_create(payload, body),
		                      chunk_create(assoc, alen),
		                      chunk_create(iv, p->iv_len), icv))
			return false;
	} else {
		size_t mac_len = (size_t)(icv - esp);
		if (!c->crypter->encrypt(c->crypter, chunk_create(payload, body),
		                         chunk_create(iv, p->iv_len)))
			return false;
		if (p->esn) {
			/* Seq-high is MACed after the packet but not sent: it
			 * sits where the ICV goes until the ICV overwrites it */
			uint8_t tmp[ESP_MAX_ICV];
			put32(icv, (uint32_t)(seq >> 32));
			if (!c->signer->get_signature(c->signer,
			                              chunk_create(esp, mac_len + 4), tmp))
				return false;
			memcpy(icv, tmp, p->icv_len);
		} else if (!c->signer->get_signature(c->signer,
		                                     chunk_create(esp, mac_len), icv)) {
			return false;
		}
	}
	*esp_out = esp;
	*esp_len = ESP_HDR_LEN + p->iv_len + body + p->icv_len;
	return true;
}

esp_status_t esp_decap(const esp_params_t *p, esp_crypto_t *c, uint64_t seq,
                       uint8_t *esp, size_t len, uint8_t **payload,
                       size_t *payload_len, uint8_t *next_header)
{
	size_t overhead = ESP_HDR_LEN + p->iv_len + p->icv_len;
	uint8_t *iv = esp + ESP_HDR_LEN, *body, *icv;
	size_t blen;

	if (len < overhead + p->align)
		return ESP_TRUNCATED;
	blen = len - overhead;
	if (blen % p->align)
		return ESP_TRUNCATED;
	body = iv + p->iv_len;
	icv = body + blen;
	if (p->aead) {
		uint8_t assoc[12];
		size_t alen = aead_assoc(p, seq, assoc);
		if (!c->aead->decrypt(c->aead, chunk_create(body, blen),
		                      chunk_create(assoc, alen),
		                      chunk_create(iv, p->iv_len), icv))
			return ESP_ICV_FAILED;
	} else {
		uint8_t got[ESP_MAX_ICV];
		size_t mac_len = (size_t)(icv - esp);
		bool ok;
		memcpy(got, icv, p->icv_len);
		if (p->esn) {
			put32(icv, (uint32_t)(seq >> 32));
			mac_len += 4;
		}
		ok = c->signer->verify_signature(c->signer, chunk_create(esp, mac_len),
		                                 chunk_create(got, p->icv_len));
		if (!ok)
			return ESP_ICV_FAILED;
		if (!c->crypter->decrypt(c->crypter, chunk_create(body, blen),
		                         chunk_create(iv, p->iv_len)))
			return ESP_CRYPTO_ERROR;
	}
	uint8_t pad = body[blen - 2];
	if ((size_t)pad + 2 > blen)
		return ESP_BAD_PADDING;
	for (size_t i = 0; i < pad; i++)
		if (body[blen - 2 - pad + i] != (uint8_t)(i + 1))
			return ESP_BAD_PADDING;
	*next_header = body[blen - 1];
	*payload = body;
	*payload_len = blen - 2 - pad;
	return ESP_OK;
}
