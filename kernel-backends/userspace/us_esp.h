/*
 * us_esp.h - ESP packet processing (RFC 4303) for the userspace backend:
 * building and opening one ESP packet in place with the crypto plugins'
 * objects (<ikev2d/crypto.h>); no cryptography of its own.
 *
 * Layout: SPI(4) | Seq(4) | IV | payload | padding | pad length(1) |
 * next header(1) | ICV.  AEADs (RFC 4106, 4309, 7634) authenticate SPI|Seq
 * (SPI|Seq-high|Seq-low with ESN) as associated data; cipher+integrity
 * MACs SPI..ciphertext with Seq-high appended when ESN is on (RFC 4303
 * §2.2.1).  IVs: the 64-bit sequence number for counter modes (GCM, CCM,
 * ChaCha20-Poly1305, CTR: unique per key, as RFC 4106 §3.1 allows) and
 * random for CBC.
 *
 * An esp_crypto_t holds per-message cipher state: one per SA per thread.
 */
#ifndef US_ESP_H
#define US_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/crypto.h>

#define ESP_HDR_LEN 8
#define ESP_MAX_IV 16
#define ESP_MAX_ICV 32
#define ESP_MAX_BLOCK 16
/* Room needed before the payload (header + IV) and after it (padding up
 * to a block, pad length, next header, ICV, and ESN's 4 bytes of
 * Seq-high while the MAC runs). */
#define ESP_HEADROOM (ESP_HDR_LEN + ESP_MAX_IV)
#define ESP_TAILROOM (ESP_MAX_BLOCK + 2 + ESP_MAX_ICV + 4)

/* What an SA's algorithms make of the format (fixed at install). */
typedef struct {
	uint32_t spi;             /* host order */
	bool esn;
	bool aead;
	bool iv_from_seq;         /* counter modes */
	uint16_t encr_alg, encr_keylen_bits, integ_alg;
	size_t iv_len, icv_len, align;
} esp_params_t;

typedef struct {
	aead_t *aead;
	crypter_t *crypter;
	signer_t *signer;
} esp_crypto_t;

/* Fill p for these algorithms (probing the crypto plugins); false with a
 * reason in *why when they are not usable here. */
bool esp_params_init(esp_params_t *p, uint32_t spi, uint16_t encr_alg,
                     uint16_t encr_keylen_bits, uint16_t integ_alg, bool esn,
                     const char **why);

/* Instances keyed with the SA's keys (encr_key includes any salt). */
bool esp_crypto_init(esp_crypto_t *c, const esp_params_t *p,
                     const uint8_t *encr_key, size_t encr_len,
                     const uint8_t *integ_key, size_t integ_len);
void esp_crypto_free(esp_crypto_t *c);

/* Bytes the ESP packet for a payload of len takes. */
size_t esp_packet_len(const esp_params_t *p, size_t len);

/* Encapsulate the len bytes at payload (ESP_HEADROOM writable before it,
 * ESP_TAILROOM after): writes header, IV, trailer and ICV around it.
 * *esp is the packet start (payload - header - IV), *esp_len its length. */
bool esp_encap(const esp_params_t *p, esp_crypto_t *c, uint64_t seq,
               uint8_t next_header, uint8_t *payload, size_t len,
               uint8_t **esp, size_t *esp_len);

typedef enum {
	ESP_OK = 0,
	ESP_TRUNCATED,     /* too short for header, IV, one block and ICV,
	                      or ciphertext not a multiple of the block */
	ESP_ICV_FAILED,
	ESP_BAD_PADDING,   /* pad length too long or padding bytes not 1,2,3.. */
	ESP_CRYPTO_ERROR,  /* the plugin refused (should not happen) */
} esp_status_t;

/* Verify and decrypt the ESP packet of len at esp in place for the full
 * sequence number seq (its low 32 bits are those in the packet).  On
 * ESP_OK: *payload and *payload_len give the inner data, *next_header
 * its protocol.  With ESN and a separate integrity algorithm the ICV's
 * place is overwritten (Seq-high sits there while the MAC runs). */
esp_status_t esp_decap(const esp_params_t *p, esp_crypto_t *c, uint64_t seq,
                       uint8_t *esp, size_t len, uint8_t **payload,
                       size_t *payload_len, uint8_t *next_header);

/* SPI and low sequence number of an ESP packet of at least 8 bytes. */
static inline uint32_t esp_get_spi(const uint8_t *esp)
{
	return (uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 |
	       (uint32_t)esp[2] << 8 | esp[3];
}

static inline uint32_t esp_get_seq(const uint8_t *esp)
{
	return (uint32_t)esp[4] << 24 | (uint32_t)esp[5] << 16 |
	       (uint32_t)esp[6] << 8 | esp[7];
}

#endif
