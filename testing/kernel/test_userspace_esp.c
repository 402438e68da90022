/*
 * test_userspace_esp.c - unit tests of the userspace ESP backend's packet
 * code (kernel-backends/userspace): the RFC 6479 anti-replay window with
 * ESN inference (us_replay.c) against a straightforward reference model,
 * and ESP known answers (us_esp.c) with the nettle plugin loaded through
 * the registry.
 *
 * The ESP packets below were computed independently with
 * python3-cryptography (OpenSSL) from the RFC 4303 layout (RFC 4106 for
 * AES-GCM: IV = the 64-bit sequence number, AAD = SPI | [Seq-high |]
 * Seq-low; RFC 3602 + RFC 4868 for AES-CBC + HMAC-SHA-256-128, ESN's
 * Seq-high appended to the MACed data).  gcm_esn_pkt uses the key, salt,
 * IV (= sequence number 0xfacedbaddecaf888) and plaintext of McGrew and
 * Viega's GCM test case 3 (/work/shared/vectors/cipher/
 * gcm_mcgrew_viega_rfc4106_layout.txt, "aes_gcm3_3"): its first 62 bytes
 * of ciphertext are that vector's.  cbc_rfc3602_pkt carries RFC 3602 case
 * 3's ciphertext as an ESP body, whose last plaintext bytes (0xde 0xdf)
 * make a pad length longer than the body.
 *
 * Also the RFC 3948 transport-mode checksum fix-up (us_flow.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel-backends/userspace/us_esp.h"
#include "kernel-backends/userspace/us_flow.h"
#include "kernel-backends/userspace/us_replay.h"
#include "kernel-backends/userspace/us_tunio.h"
#include "testing/crypto/nettle_load.h"

/* ------------------------------------------------------------ helpers */

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2;
	ck_assert_uint_le(n, max);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static const char gcm_esn_pkt[] =
	"11223344decaf888facedbaddecaf88842831ec2217774244b7221b784d0d49c"
	"e3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
	"1ba30b396a0aac973d58e091473f8bd4f3cff77f549166f49ee2a5fabe363253"
	;
static const char gcm_pkt[] =
	"11223344000000010000000000000001ed2a8af09a2019cb24cad00989e4156e"
	"7fe1e3b7b3b877538122d4d250289b803e1bbcb955115be87d3a2916113a1f5e"
	"a84c52ccf5ace412"
	;
static const char gcm_badpad_pkt[] =
	"11223344000000020000000000000002237fdde10bfc7114810a8a11fa161ae2"
	"32a10c7d136f1bd5edf9032faa01286edb405acae81350681464067411f65487"
	"476f1936abdc2776"
	;
static const char gcm_longpad_pkt[] =
	"11223344000000030000000000000003a7514c3667ac9718633a2f5d1b65d567"
	"97599f77"
	;
static const char cbc_pkt[] =
	"a1b2c3d400000005562e17996d093d28ddb3ba695a2e6f584f6335cc6774018a"
	"e2be9d7c6afcd9853d1d7958b3025b1a47f8b3ecee08974be313eff188f64976"
	"17c68bd8622a67040b19b6449ead572cf8be58cec5abdbbd"
	;
static const char cbc_esn_pkt[] =
	"a1b2c3d400000007562e17996d093d28ddb3ba695a2e6f584f6335cc6774018a"
	"e2be9d7c6afcd9853d1d7958b3025b1a47f8b3ecee08974b97849a446be8de16"
	"e26e59c0f9c1e7aac7fe5187267b238f1a0aa5a95ccfe416"
	;
static const char cbc_rfc3602_pkt[] =
	"a1b2c3d4000000098ce82eefbea0da3c44699ed7db51b7d9c30e32ffedc0774e"
	"6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf"
	"868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da552aa3db40749e76c9"
	"17b389eeb50f818c"
	;
static const char inner_payload[] =
	"616e20696e6e6572207061636b65742c203337206279746573206f6620706179"
	"6c6f616421"
	;
static const char mv_plain62[] =
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aaf"
	;
static const char mv_key_salt[] =
	"feffe9928665731c6d6a8f9467308308cafebabe"
	;
static const char cbc_ekey[] =
	"c286696d887c9aa0611bbb3e2025a45a"
	;
static const char cbc_akey[] =
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	;
static const char cbc_iv[] =
	"562e17996d093d28ddb3ba695a2e6f58"
	;

/* Inner packets for the RFC 3948 transport-mode checksum fix-up, made
 * with scapy: *_stale as a receiver rebuilds them behind a NAT (outer,
 * NATed source address in the IP header, the sender's checksum over its
 * own address), *_fixed as they must leave: the same with scapy's
 * checksum for the new addresses. */
static const char tcp_stale[] =
	"4500005000070000400665ed0a5900010a5900029c401451000003e8000007d0"
	"50182000ab3600006120544350207365676d656e74207468726f756768206120"
	"4e41542c206f6464206c656e67746821"
	;
static const char tcp_fixed[] =
	"4500005000070000400665ed0a5900010a5900029c401451000003e8000007d0"
	"50182000628f00006120544350207365676d656e74207468726f756768206120"
	"4e41542c206f6464206c656e67746821"
	;
static const char udp_stale[] =
	"4500002000010000401166180a5900010a59000214e90035000c392575647021"
	;
static const char udp_fixed[] =
	"4500002000010000401166180a5900010a59000214e90035000cf07d75647021"
	;
static const char udp6_stale[] =
	"6000000000161140fd000089000000000000000000000001fd00008900000000"
	"000000000000000203e807d00016ae93763620756470207061796c6f6164"
	;
static const char udp6_fixed[] =
	"6000000000161140fd000089000000000000000000000001fd00008900000000"
	"000000000000000203e807d00016ae1a763620756470207061796c6f6164"
	;

/* ------------------------------------------------- the replay window */

/* The reference: every number seen, in a plain bitmap over [base, base +
 * REF_SPAN), and the highest accepted. */
#define REF_SPAN (1u << 24)
typedef struct {
	uint64_t base, top;
	uint32_t window;
	uint8_t *seen;
} ref_t;

static replay_verdict_t ref_check(const ref_t *m, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_OLD;
	if (seq > m->top)
		return REPLAY_OK;
	if (m->top - seq >= m->window)
		return REPLAY_OLD;
	uint64_t i = seq - m->base;
	return (m->seen[i >> 3] >> (i & 7)) & 1 ? REPLAY_SEEN : REPLAY_OK;
}

static void ref_mark(ref_t *m, uint64_t seq)
{
	uint64_t i = seq - m->base;
	m->seen[i >> 3] |= (uint8_t)(1u << (i & 7));
	if (seq > m->top)
		m->top = seq;
}

static uint64_t rnd(uint64_t *s)   /* xorshift64*: fixed seeds, repeatable */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Random packets around the window's right edge (late, duplicate, new,
 * the odd far jump), checked against the reference; with ESN the 64-bit
 * number is inferred from its low 32 bits, starting just below 2^32 so
 * the run crosses into the next subspace. */
static void random_run(uint32_t window, bool esn, uint64_t seed, int ops)
{
	replay_t r;
	ref_t m = { .window = window };
	uint64_t s = seed;

	ck_assert(replay_init(&r, window, esn));
	m.seen = calloc(REF_SPAN / 8, 1);
	ck_assert_ptr_nonnull(m.seen);
	m.base = esn ? (1ull << 32) - 3 * (uint64_t)window - 5000 : 0;
	if (esn) {
		/* the first packet of the run, far into the first subspace */
		uint64_t first = m.base + 1;
		ck_assert_uint_eq(replay_infer(&r, (uint32_t)first), first);
		ck_assert_int_eq(replay_update(&r, first), REPLAY_OK);
		ref_mark(&m, first);
	}
	for (int i = 0; i < ops; i++) {
		uint64_t x = rnd(&s), seq;
		uint64_t span = (uint64_t)window + window / 2 + 64;
		if (x % 100 == 0)
			seq = m.top + 1 + x % (2 * (uint64_t)window + 300);   /* jump */
		else if (x % 3 == 0)
			seq = m.top + 1 + x % 70;                           /* new */
		else
			seq = m.top > span ? m.top - (x % span) : 1 + x % (m.top + 1);
		if (seq <= m.base)
			seq = m.base + 1;
		if (seq - m.base >= REF_SPAN)
			break;
		uint64_t got = seq;
		if (esn) {
			got = replay_infer(&r, (uint32_t)seq);
			/* Appendix A infers right for anything from the window's
			 * left edge up to 2^31 ahead */
			if (m.top < window || seq + window > m.top)
				ck_assert_msg(got == seq, "window %u: top %llx, seq %llx inferred %llx",
				              window, (unsigned long long)m.top,
				              (unsigned long long)seq, (unsigned long long)got);
			else
				continue;   /* far left: the inference may differ */
		} else {
			ck_assert_uint_eq(replay_infer(&r, (uint32_t)seq), (uint32_t)seq);
		}
		replay_verdict_t want = ref_check(&m, seq);
		ck_assert_msg(replay_check(&r, seq) == want,
		              "window %u, op %d: top %llu seq %llu: got %d want %d", window,
		              i, (unsigned long long)m.top, (unsigned long long)seq,
		              replay_check(&r, seq), want);
		if (want == REPLAY_OK) {
			ck_assert_int_eq(replay_update(&r, seq), REPLAY_OK);
			ref_mark(&m, seq);
			/* the same number again: now a replay */
			ck_assert_int_eq(replay_check(&r, seq), REPLAY_SEEN);
			ck_assert_int_eq(replay_update(&r, seq), REPLAY_SEEN);
		} else {
			ck_assert_int_eq(replay_update(&r, seq), want);
		}
		ck_assert_uint_eq(r.top, m.top);
	}
	if (esn)
		ck_assert_msg(m.top > (1ull << 32), "the ESN run did not cross 2^32");
	free(m.seen);
	replay_free(&r);
}

static const uint32_t windows[] = { 1, 32, 64, 65, 100, 128, 1000, 1024, 4096, 5000, 65536 };

START_TEST(test_replay_random)
{
	random_run(windows[_i], false, 0x9e3779b97f4a7c15ull + _i, 60000);
}
END_TEST

START_TEST(test_replay_random_esn)
{
	random_run(windows[_i], true, 0xd1b54a32d192ed03ull + _i, 60000);
}
END_TEST

/* The edges of each window size: the oldest number still inside, the
 * first one outside, sliding by one and by more than the whole ring. */
START_TEST(test_replay_edges)
{
	uint32_t w = windows[_i];
	replay_t r;

	ck_assert(replay_init(&r, w, false));
	ck_assert_int_eq(replay_check(&r, 0), REPLAY_OLD);
	for (uint64_t s = 1; s <= w; s++)
		ck_assert_int_eq(replay_update(&r, s), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, 1), REPLAY_SEEN);     /* oldest inside */
	ck_assert_int_eq(replay_update(&r, w + 1), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, 1), REPLAY_OLD);      /* just left out */
	if (w > 1)
		ck_assert_int_eq(replay_check(&r, 2), REPLAY_SEEN);
	/* a jump past the whole bitmap: everything inside is new again */
	uint64_t far = (uint64_t)w + 1 + (uint64_t)r.n_blocks * 64 * 3 + 17;
	ck_assert_int_eq(replay_update(&r, far), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, far), REPLAY_SEEN);
	for (uint64_t s = far - w + 1; s < far; s++)
		ck_assert_int_eq(replay_check(&r, s), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, far - w), REPLAY_OLD);
	ck_assert_int_eq(replay_check(&r, w), REPLAY_OLD);
	/* block boundaries: the last number of a 64-block and the next */
	uint64_t b = (far / 64 + 2) * 64;
	ck_assert_int_eq(replay_update(&r, b - 1), REPLAY_OK);
	ck_assert_int_eq(replay_update(&r, b), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, b - 1), w > 1 ? REPLAY_SEEN : REPLAY_OLD);
	if (w > 2)
		ck_assert_int_eq(replay_update(&r, b - 2), REPLAY_OK);
	replay_free(&r);
}
END_TEST

START_TEST(test_replay_init)
{
	replay_t r;

	ck_assert(!replay_init(&r, 0, false));
	ck_assert(!replay_init(&r, US_REPLAY_MAX + 1, false));
	ck_assert(replay_init(&r, US_REPLAY_MAX, true));
	ck_assert_uint_gt((uint64_t)r.n_blocks * 64, US_REPLAY_MAX);
	replay_free(&r);
	ck_assert(replay_init(&r, 4096, false));
	/* ring of blocks, a power of two, one block more than the window */
	ck_assert_uint_eq(r.n_blocks & (r.n_blocks - 1), 0);
	ck_assert_uint_ge((uint64_t)r.n_blocks * 64, 4096 + 64);
	replay_free(&r);
}
END_TEST

/* RFC 4303 Appendix A's two cases with explicit numbers. */
START_TEST(test_replay_esn_infer)
{
	replay_t r;
	const uint64_t hi = 1ull << 32;

	ck_assert(replay_init(&r, 64, true));
	/* case A: the window inside one subspace (Tl = 100 >= W - 1) */
	ck_assert_int_eq(replay_update(&r, hi + 100), REPLAY_OK);
	ck_assert_uint_eq(replay_infer(&r, 90), hi + 90);
	ck_assert_uint_eq(replay_infer(&r, 37), hi + 37);       /* left edge */
	ck_assert_uint_eq(replay_infer(&r, 36), 2 * hi + 36);   /* next subspace */
	ck_assert_uint_eq(replay_infer(&r, 5000), hi + 5000);
	ck_assert_int_eq(replay_check(&r, replay_infer(&r, 100)), REPLAY_SEEN);
	replay_free(&r);

	/* case B: the window spans two subspaces (Tl = 10 < W - 1) */
	ck_assert(replay_init(&r, 64, true));
	ck_assert_int_eq(replay_update(&r, hi - 20), REPLAY_OK);
	ck_assert_uint_eq(replay_infer(&r, 10), hi + 10);       /* wraps: ahead */
	ck_assert_int_eq(replay_update(&r, hi + 10), REPLAY_OK);
	ck_assert_uint_eq(replay_infer(&r, 0xfffffff0u), hi - 16);   /* late, old subspace */
	ck_assert_int_eq(replay_check(&r, hi - 16), REPLAY_OK);
	ck_assert_int_eq(replay_check(&r, hi - 20), REPLAY_SEEN);
	ck_assert_uint_eq(replay_infer(&r, 5), hi + 5);
	ck_assert_uint_eq(replay_infer(&r, 1000), hi + 1000);
	ck_assert_uint_eq(replay_infer(&r, 0), hi);
	ck_assert_int_eq(replay_check(&r, hi), REPLAY_OK);      /* 2^32 is a valid number */
	replay_free(&r);

	/* without ESN the 32 bits are the number */
	ck_assert(replay_init(&r, 64, false));
	ck_assert_int_eq(replay_update(&r, 0xffffffffu), REPLAY_OK);
	ck_assert_uint_eq(replay_infer(&r, 3), 3);
	ck_assert_int_eq(replay_check(&r, 3), REPLAY_OLD);
	replay_free(&r);
}
END_TEST

/* ------------------------------------------------------ ESP packets */

static void setup(void)
{
	nettle_load();
}

static void teardown(void)
{
	nettle_unload();
}

#define ROOM 128
typedef struct {
	uint8_t buf[ROOM + 2048];
} pkt_buf_t;

static void gcm_sa(esp_params_t *p, esp_crypto_t *c, bool esn)
{
	const char *why = NULL;
	uint8_t key[20];

	ck_assert_msg(esp_params_init(p, 0x11223344, ENCR_AES_GCM_16, 128,
	                              INTEG_NONE, esn, &why), "%s", why);
	ck_assert_uint_eq(p->iv_len, 8);
	ck_assert_uint_eq(p->icv_len, 16);
	ck_assert(p->iv_from_seq);
	ck_assert_uint_eq(unhex(mv_key_salt, key, sizeof(key)), 20);
	ck_assert(esp_crypto_init(c, p, key, 20, NULL, 0));
}

static void cbc_sa(esp_params_t *p, esp_crypto_t *c, bool esn)
{
	const char *why = NULL;
	uint8_t ek[16], ak[32];

	ck_assert_msg(esp_params_init(p, 0xa1b2c3d4, ENCR_AES_CBC, 128,
	                              INTEG_HMAC_SHA2_256_128, esn, &why), "%s", why);
	ck_assert_uint_eq(p->iv_len, 16);
	ck_assert_uint_eq(p->icv_len, 16);
	ck_assert_uint_eq(p->align, 16);
	unhex(cbc_ekey, ek, sizeof(ek));
	unhex(cbc_akey, ak, sizeof(ak));
	ck_assert(esp_crypto_init(c, p, ek, 16, ak, 32));
}

/* Build with esp_encap and compare with the vector byte for byte, then
 * open the vector with esp_decap. */
static void gcm_known(bool esn, uint64_t seq, const char *plain_hex,
                      const char *want_hex)
{
	esp_params_t p;
	esp_crypto_t c;
	pkt_buf_t b;
	uint8_t plain[256], want[512], *esp, *pl, nh = 0;
	size_t plen = unhex(plain_hex, plain, sizeof(plain));
	size_t wlen = unhex(want_hex, want, sizeof(want)), elen, got_len;

	gcm_sa(&p, &c, esn);
	memcpy(b.buf + ROOM, plain, plen);
	ck_assert(esp_encap(&p, &c, seq, 4, b.buf + ROOM, plen, &esp, &elen));
	ck_assert_uint_eq(elen, wlen);
	ck_assert_uint_eq(esp_packet_len(&p, plen), wlen);
	ck_assert_ptr_eq(esp, b.buf + ROOM - 16);
	ck_assert_mem_eq(esp, want, wlen);

	memcpy(b.buf + ROOM, want, wlen);
	ck_assert_int_eq(esp_decap(&p, &c, seq, b.buf + ROOM, wlen, &pl, &got_len, &nh),
	                 ESP_OK);
	ck_assert_uint_eq(got_len, plen);
	ck_assert_mem_eq(pl, plain, plen);
	ck_assert_uint_eq(nh, 4);

	/* the sequence number is authenticated: with ESN its high half too */
	memcpy(b.buf + ROOM, want, wlen);
	ck_assert_int_eq(esp_decap(&p, &c, esn ? seq + (1ull << 32) : seq + 1,
	                           b.buf + ROOM, wlen, &pl, &got_len, &nh),
	                 ESP_ICV_FAILED);
	/* one flipped bit anywhere after the header fails the ICV (the AAD
	 * is built from the SA's SPI and the number the caller inferred from
	 * the header, checked just above) */
	for (size_t i = 8; i < wlen; i += 5) {
		memcpy(b.buf + ROOM, want, wlen);
		b.buf[ROOM + i] ^= 0x20;
		ck_assert_int_eq(esp_decap(&p, &c, seq, b.buf + ROOM, wlen, &pl,
		                           &got_len, &nh), ESP_ICV_FAILED);
	}
	esp_crypto_free(&c);
}

START_TEST(test_esp_gcm_esn_known)
{
	uint8_t want[128], mv[62];

	gcm_known(true, 0xfacedbaddecaf888ull, mv_plain62, gcm_esn_pkt);
	/* the body's first 62 bytes are McGrew-Viega test case 3's ciphertext */
	static const char mv_cipher[] =
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f";
	unhex(gcm_esn_pkt, want, sizeof(want));
	unhex(mv_cipher, mv, sizeof(mv));
	ck_assert_mem_eq(want + 16, mv, 62);
}
END_TEST

START_TEST(test_esp_gcm_known)
{
	gcm_known(false, 1, inner_payload, gcm_pkt);
}
END_TEST

static esp_status_t open_vector(const esp_params_t *p, esp_crypto_t *c,
                                uint64_t seq, const char *hex, pkt_buf_t *b,
                                uint8_t **pl, size_t *plen, uint8_t *nh)
{
	uint8_t v[512];
	size_t n = unhex(hex, v, sizeof(v));
	memcpy(b->buf + ROOM, v, n);
	return esp_decap(p, c, seq, b->buf + ROOM, n, pl, plen, nh);
}

/* Padding (RFC 4303 §2.4): bytes 1, 2, 3, ... and a pad length within the
 * body; both vectors carry a valid ICV, so only the padding check stops
 * them. */
START_TEST(test_esp_bad_padding)
{
	esp_params_t p;
	esp_crypto_t c;
	pkt_buf_t b;
	uint8_t *pl, nh;
	size_t plen;

	gcm_sa(&p, &c, false);
	ck_assert_int_eq(open_vector(&p, &c, 2, gcm_badpad_pkt, &b, &pl, &plen, &nh),
	                 ESP_BAD_PADDING);     /* padding 01 03 */
	ck_assert_int_eq(open_vector(&p, &c, 3, gcm_longpad_pkt, &b, &pl, &plen, &nh),
	                 ESP_BAD_PADDING);     /* pad length 64 in a 4-byte body */
	esp_crypto_free(&c);
	cbc_sa(&p, &c, false);
	ck_assert_int_eq(open_vector(&p, &c, 9, cbc_rfc3602_pkt, &b, &pl, &plen, &nh),
	                 ESP_BAD_PADDING);     /* pad length 0xde */
	esp_crypto_free(&c);
}
END_TEST

START_TEST(test_esp_cbc_known)
{
	esp_params_t p;
	esp_crypto_t c;
	pkt_buf_t b;
	uint8_t *pl, nh, inner[64], iv[16];
	size_t plen, ilen = unhex(inner_payload, inner, sizeof(inner));

	cbc_sa(&p, &c, false);
	/* the vector's IV is RFC 3602 case 2's, after SPI and Seq */
	unhex(cbc_iv, iv, sizeof(iv));
	ck_assert_int_eq(open_vector(&p, &c, 5, cbc_pkt, &b, &pl, &plen, &nh), ESP_OK);
	ck_assert_mem_eq(b.buf + ROOM + 8, iv, 16);
	ck_assert_uint_eq(plen, ilen);
	ck_assert_mem_eq(pl, inner, ilen);
	ck_assert_uint_eq(nh, 41);
	/* the MAC covers the header as sent: another sequence number, a
	 * flipped bit anywhere */
	uint8_t v[256];
	size_t n = unhex(cbc_pkt, v, sizeof(v));
	for (size_t i = 0; i < n; i += 3) {
		memcpy(b.buf + ROOM, v, n);
		b.buf[ROOM + i] ^= 0x01;
		ck_assert_int_eq(esp_decap(&p, &c, 5, b.buf + ROOM, n, &pl, &plen, &nh),
		                 ESP_ICV_FAILED);
	}
	esp_crypto_free(&c);

	cbc_sa(&p, &c, true);
	ck_assert_int_eq(open_vector(&p, &c, 0x0000000200000007ull, cbc_esn_pkt, &b,
	                             &pl, &plen, &nh), ESP_OK);
	ck_assert_mem_eq(pl, inner, ilen);
	ck_assert_uint_eq(nh, 4);
	/* Seq-high is in the MAC, though not on the wire */
	ck_assert_int_eq(open_vector(&p, &c, 0x0000000100000007ull, cbc_esn_pkt, &b,
	                             &pl, &plen, &nh), ESP_ICV_FAILED);

	/* Our own packets: a random IV each time, padded 1, 2, 3, ... to
	 * the block, opened again (esp_decap checks the padding). */
	uint8_t *esp, first_iv[16];
	size_t elen;
	for (size_t len = 0; len <= 1500; len += (len < 40 ? 1 : 97)) {
		memset(b.buf + ROOM, (int)len, len);
		ck_assert(esp_encap(&p, &c, 0x300000000ull + len, 4, b.buf + ROOM, len,
		                    &esp, &elen));
		ck_assert_uint_eq(elen, esp_packet_len(&p, len));
		ck_assert_uint_eq((elen - 8 - 16 - 16) % 16, 0);
		memcpy(iv, esp + 8, 16);
		if (len == 0)
			memcpy(first_iv, iv, 16);
		else
			ck_assert_mem_ne(iv, first_iv, 16);
		ck_assert_int_eq(esp_decap(&p, &c, 0x300000000ull + len, esp, elen, &pl,
		                           &plen, &nh), ESP_OK);
		ck_assert_uint_eq(plen, len);
		for (size_t i = 0; i < len; i++)
			ck_assert_uint_eq(pl[i], (uint8_t)len);
	}
	esp_crypto_free(&c);
}
END_TEST

/* Too short for header, IV, one block and ICV, or a ciphertext that is
 * not a whole number of blocks. */
START_TEST(test_esp_truncated)
{
	esp_params_t p;
	esp_crypto_t c;
	pkt_buf_t b;
	uint8_t v[256], *pl, nh;
	size_t plen, n;

	cbc_sa(&p, &c, false);
	n = unhex(cbc_pkt, v, sizeof(v));
	for (size_t len = 0; len < n; len++) {
		memcpy(b.buf + ROOM, v, n);
		esp_status_t st = esp_decap(&p, &c, 5, b.buf + ROOM, len, &pl, &plen, &nh);
		ck_assert_msg(st == ESP_TRUNCATED || (st == ESP_ICV_FAILED &&
		              (len - 40) % 16 == 0 && len >= 56),
		              "length %zu: %d", len, st);
	}
	esp_crypto_free(&c);
	gcm_sa(&p, &c, false);
	n = unhex(gcm_pkt, v, sizeof(v));
	memcpy(b.buf + ROOM, v, n);
	ck_assert_int_eq(esp_decap(&p, &c, 1, b.buf + ROOM, 8 + 8 + 16 + 3, &pl, &plen, &nh),
	                 ESP_TRUNCATED);
	ck_assert_int_eq(esp_decap(&p, &c, 1, b.buf + ROOM, n - 1, &pl, &plen, &nh),
	                 ESP_TRUNCATED);     /* not a multiple of 4 */
	esp_crypto_free(&c);
}
END_TEST

/* Every payload length round-trips with the AEAD, trailer aligned to 4. */
START_TEST(test_esp_gcm_lengths)
{
	esp_params_t p;
	esp_crypto_t c;
	pkt_buf_t b;
	uint8_t *esp, *pl, nh;
	size_t elen, plen;

	gcm_sa(&p, &c, true);
	for (size_t len = 0; len <= 1500; len += (len < 40 ? 1 : 97)) {
		for (size_t i = 0; i < len; i++)
			b.buf[ROOM + i] = (uint8_t)(i * 7 + len);
		uint64_t seq = 0xfffffff0ull + len;
		ck_assert(esp_encap(&p, &c, seq, 41, b.buf + ROOM, len, &esp, &elen));
		ck_assert_uint_eq((elen - 8 - 8 - 16) % 4, 0);
		ck_assert_uint_lt(elen - 8 - 8 - 16 - len - 2, 4);   /* minimal padding */
		ck_assert_int_eq(esp_get_spi(esp), 0x11223344);
		ck_assert_int_eq(esp_get_seq(esp), (uint32_t)seq);
		ck_assert_int_eq(esp_decap(&p, &c, seq, esp, elen, &pl, &plen, &nh), ESP_OK);
		ck_assert_uint_eq(plen, len);
		ck_assert_uint_eq(nh, 41);
		for (size_t i = 0; i < len; i++)
			ck_assert_uint_eq(pl[i], (uint8_t)(i * 7 + len));
	}
	esp_crypto_free(&c);
}
END_TEST

START_TEST(test_esp_params_refused)
{
	esp_params_t p;
	const char *why = NULL;

	ck_assert(!esp_params_init(&p, 1, ENCR_AES_GCM_16, 128, INTEG_HMAC_SHA2_256_128,
	                           false, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert(!esp_params_init(&p, 1, ENCR_AES_CBC, 128, INTEG_NONE, false, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert(!esp_params_init(&p, 1, ENCR_AES_CBC, 100, INTEG_HMAC_SHA2_256_128,
	                           false, &why));
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* ------------------------------------------- RFC 3948 checksum fix-up */

static void fixup_case(const char *stale_hex, const char *fixed_hex)
{
	uint8_t stale[256], fixed[256];
	size_t n = unhex(stale_hex, stale, sizeof(stale));
	us_flow_t f;

	ck_assert_uint_eq(unhex(fixed_hex, fixed, sizeof(fixed)), n);
	ck_assert_mem_ne(stale, fixed, n);
	ck_assert(us_flow_parse(stale, n, &f));
	ck_assert(us_fix_l4_checksum(stale, &f));
	ck_assert_mem_eq(stale, fixed, n);
	/* a packet that is already right stays right */
	ck_assert(us_fix_l4_checksum(stale, &f));
	ck_assert_mem_eq(stale, fixed, n);
}

START_TEST(test_checksum_fixup)
{
	fixup_case(tcp_stale, tcp_fixed);
	fixup_case(udp_stale, udp_fixed);
	fixup_case(udp6_stale, udp6_fixed);

	/* IPv4 UDP without a checksum keeps none */
	uint8_t p[256];
	size_t n = unhex(udp_stale, p, sizeof(p));
	us_flow_t f;
	p[26] = p[27] = 0;
	ck_assert(us_flow_parse(p, n, &f));
	ck_assert(us_fix_l4_checksum(p, &f));
	ck_assert_uint_eq(p[26] | p[27], 0);
	/* a TCP header cut short is refused */
	n = unhex(tcp_stale, p, sizeof(p));
	p[2] = 0;
	p[3] = 20 + 12;
	ck_assert(us_flow_parse(p, 32, &f));
	ck_assert(!us_fix_l4_checksum(p, &f));
}
END_TEST

/* The incremental fix-up from NAT original addresses gives what a full
 * recomputation gives: a right packet (checksum over its header's
 * addresses) gets other header addresses, as a NAT would have made them,
 * and the adjustment from the old ones must make it right again. */
static void adjust_case(const char *hex, const uint8_t *new_src,
                        const uint8_t *new_dst)
{
	uint8_t p[256], want[256], oa_s[16], oa_d[16];
	size_t n = unhex(hex, p, sizeof(p));
	us_flow_t f;

	ck_assert(us_flow_parse(p, n, &f));
	size_t al = f.family == AF_INET ? 4 : 16, at = f.family == AF_INET ? 12 : 8;
	memcpy(oa_s, p + at, al);
	memcpy(oa_d, p + at + al, al);
	memcpy(p + at, new_src, al);
	memcpy(p + at + al, new_dst, al);
	memcpy(want, p, n);
	ck_assert(us_flow_parse(want, n, &f));
	ck_assert(us_fix_l4_checksum(want, &f));          /* the reference */
	ck_assert(us_flow_parse(p, n, &f));
	ck_assert_mem_ne(p, want, n);                     /* it was wrong */
	ck_assert(us_adjust_l4_checksum(p, &f, oa_s, oa_d));
	ck_assert_mem_eq(p, want, n);
	/* no difference in the addresses: nothing changes */
	ck_assert(us_adjust_l4_checksum(p, &f, f.src, f.dst));
	ck_assert_mem_eq(p, want, n);
}

START_TEST(test_checksum_adjust)
{
	static const uint8_t nat4[4] = { 192, 0, 2, 7 }, b4[4] = { 10, 89, 0, 2 },
		a4[4] = { 10, 89, 0, 1 }, nat6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 },
		b6[16] = { 0xfd, 0, 0, 0x89, [15] = 2 };

	adjust_case(tcp_fixed, nat4, b4);     /* the source translated */
	adjust_case(tcp_fixed, a4, nat4);     /* the destination */
	adjust_case(udp_fixed, nat4, nat4);   /* both */
	adjust_case(udp6_fixed, nat6, b6);

	uint8_t p[256], q[256], oa_s[4] = { 10, 89, 0, 1 }, oa_d[4] = { 10, 89, 0, 2 };
	us_flow_t f;
	/* the first fragment of a TCP segment carries its checksum: fixed
	 * (a recomputation could not: the rest of the segment is missing);
	 * a later fragment has none and is left alone */
	size_t n = unhex(tcp_fixed, p, sizeof(p));
	p[6] = 0x20;                          /* MF, offset 0 */
	memcpy(p + 12, nat4, 4);
	ck_assert(us_flow_parse(p, n, &f));
	ck_assert(us_adjust_l4_checksum(p, &f, oa_s, oa_d));
	n = unhex(tcp_fixed, q, sizeof(q));
	memcpy(q + 12, nat4, 4);
	ck_assert(us_flow_parse(q, n, &f));
	ck_assert(us_fix_l4_checksum(q, &f));
	ck_assert_mem_eq(p + 20, q + 20, n - 20);
	n = unhex(tcp_fixed, p, sizeof(p));
	p[6] = 0x00; p[7] = 0x10;             /* offset 128 bytes */
	memcpy(p + 12, nat4, 4);
	memcpy(q, p, n);
	ck_assert(us_flow_parse(p, n, &f));
	ck_assert(us_adjust_l4_checksum(p, &f, oa_s, oa_d));
	ck_assert_mem_eq(p, q, n);
	/* IPv4 UDP without a checksum keeps none */
	n = unhex(udp_fixed, p, sizeof(p));
	p[26] = p[27] = 0;
	memcpy(p + 12, nat4, 4);
	ck_assert(us_flow_parse(p, n, &f));
	ck_assert(us_adjust_l4_checksum(p, &f, oa_s, oa_d));
	ck_assert_uint_eq(p[26] | p[27], 0);
	/* a UDP header cut short is refused */
	n = unhex(udp_fixed, p, sizeof(p));
	p[2] = 0;
	p[3] = 20 + 6;
	ck_assert(us_flow_parse(p, 26, &f));
	ck_assert(!us_adjust_l4_checksum(p, &f, oa_s, oa_d));
}
END_TEST

/* -------------------------------------- TUN writes: TCP coalescing */

/* A TCP/IPv4 segment src:1000 -> dst:2000 with a valid checksum. */
static size_t mk_seg(uint8_t *p, uint8_t src_last, uint32_t seq, uint8_t flags,
                     size_t plen, uint8_t fill)
{
	size_t len = 20 + 32 + plen;   /* TCP with 12 bytes of options */
	us_flow_t f;

	memset(p, 0, len);
	p[0] = 0x45; p[2] = (uint8_t)(len >> 8); p[3] = (uint8_t)len;
	p[6] = 0x40; p[8] = 64; p[9] = IPPROTO_TCP;
	p[12] = 10; p[13] = 89; p[15] = src_last;
	p[16] = 10; p[17] = 89; p[19] = 2;
	p[20] = 1000 >> 8; p[21] = 1000 & 255; p[22] = 2000 >> 8; p[23] = 2000 & 255;
	p[24] = (uint8_t)(seq >> 24); p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8); p[27] = (uint8_t)seq;
	p[28] = 0xaa; p[31] = 7;          /* ACK number */
	p[32] = 8 << 4; p[33] = flags; p[34] = 0x01; p[35] = 0xf5;
	p[40] = 1; p[41] = 1; p[42] = 8; p[43] = 10; p[47] = 0x55; p[51] = 0x66;
	memset(p + 52, fill, plen);
	uint16_t ck = (uint16_t)~us_csum_add(0, p, 20);
	p[10] = (uint8_t)(ck >> 8); p[11] = (uint8_t)ck;
	ck_assert(us_flow_parse(p, len, &f));
	ck_assert(us_fix_l4_checksum(p, &f));
	return len;
}

START_TEST(test_tun_coalesce)
{
	static uint8_t bufs[10][2048];
	us_wq_t q = { .n = 0 };
	size_t n;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	/* five full segments and a shorter one with PSH: one run */
	for (int i = 0; i < 6; i++) {
		n = mk_seg(bufs[i], 1, 5000 + 100 * (uint32_t)i, i == 5 ? 0x18 : 0x10,
		           i == 5 ? 40 : 100, (uint8_t)(i + 1));
		ck_assert(us_wq_add(&q, bufs[i], n));
	}
	/* another host's segment, then one whose checksum is wrong, then a
	 * follower of that one: all alone */
	n = mk_seg(bufs[6], 9, 5600, 0x10, 100, 7);
	ck_assert(us_wq_add(&q, bufs[6], n));
	n = mk_seg(bufs[7], 1, 5540, 0x10, 100, 8);
	bufs[7][60] ^= 1;
	ck_assert(us_wq_add(&q, bufs[7], n));
	n = mk_seg(bufs[8], 1, 5640, 0x10, 100, 9);
	ck_assert(us_wq_add(&q, bufs[8], n));
	size_t writes = 0, merged = 0;
	ck_assert_uint_eq(us_wq_flush(sv[0], &q, &writes, &merged), 0);
	ck_assert_uint_eq(writes, 4);
	ck_assert_uint_eq(merged, 6);
	ck_assert_int_eq(q.n, 0);

	uint8_t m[4096];
	struct virtio_net_hdr h;
	ssize_t k = read(sv[1], m, sizeof(m));
	ck_assert_int_eq(k, (ssize_t)(sizeof(h) + 52 + 540));
	memcpy(&h, m, sizeof(h));
	ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(h.gso_size, 100);
	ck_assert_uint_eq(h.hdr_len, 52);
	ck_assert_uint_eq(h.csum_start, 20);
	ck_assert_uint_eq(h.csum_offset, 16);
	uint8_t *p = m + sizeof(h);
	ck_assert_uint_eq(p[2] << 8 | p[3], 52 + 540);     /* total length */
	ck_assert_uint_eq(us_csum_add(0, p, 20), 0xffff);  /* header checksum */
	ck_assert_uint_eq(p[33], 0x18);                    /* the last's PSH */
	for (int i = 0; i < 6; i++)
		for (int b = 0; b < (i == 5 ? 40 : 100); b++)
			ck_assert_uint_eq(p[52 + 100 * i + b], i + 1);
	/* the partial checksum: the pseudo header's sum, and completing it
	 * over the segment gives a valid one */
	uint8_t ph[12];
	memcpy(ph, p + 12, 8);
	ph[8] = 0; ph[9] = IPPROTO_TCP; ph[10] = (uint8_t)((32 + 540) >> 8);
	ph[11] = (uint8_t)(32 + 540);
	ck_assert_uint_eq(p[36] << 8 | p[37], us_csum_add(0, ph, 12));
	uint16_t ck = (uint16_t)~us_csum_add(0, p + 20, 32 + 540);
	p[36] = (uint8_t)(ck >> 8); p[37] = (uint8_t)ck;
	us_flow_t f;
	ck_assert(us_flow_parse(p, 52 + 540, &f));
	uint8_t again[1024];
	memcpy(again, p, 52 + 540);
	ck_assert(us_fix_l4_checksum(again, &f));
	ck_assert_mem_eq(again, p, 52 + 540);
	/* the three others as they were, each with an empty header */
	for (int i = 6; i < 9; i++) {
		k = read(sv[1], m, sizeof(m));
		ck_assert_int_eq(k, (ssize_t)(sizeof(h) + 52 + 100));
		memcpy(&h, m, sizeof(h));
		ck_assert_uint_eq(h.gso_type | h.flags | h.gso_size, 0);
		ck_assert_mem_eq(m + sizeof(h), bufs[i], 52 + 100);
	}
	/* a failed write loses its packets and says so */
	signal(SIGPIPE, SIG_IGN);
	close(sv[1]);
	n = mk_seg(bufs[0], 1, 1, 0x10, 100, 1);
	ck_assert(us_wq_add(&q, bufs[0], n));
	ck_assert_uint_eq(us_wq_flush(sv[0], &q, NULL, NULL), 1);
	close(sv[0]);
}
END_TEST

static Suite *us_suite(void)
{
	Suite *s = suite_create("userspace-esp");
	TCase *tc = tcase_create("replay");
	size_t nw = sizeof(windows) / sizeof(windows[0]);

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_replay_init);
	tcase_add_loop_test(tc, test_replay_edges, 0, (int)nw);
	tcase_add_loop_test(tc, test_replay_random, 0, (int)nw);
	tcase_add_loop_test(tc, test_replay_random_esn, 0, (int)nw);
	tcase_add_test(tc, test_replay_esn_infer);
	suite_add_tcase(s, tc);

	tc = tcase_create("esp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_esp_gcm_esn_known);
	tcase_add_test(tc, test_esp_gcm_known);
	tcase_add_test(tc, test_esp_cbc_known);
	tcase_add_test(tc, test_esp_bad_padding);
	tcase_add_test(tc, test_esp_truncated);
	tcase_add_test(tc, test_esp_gcm_lengths);
	tcase_add_test(tc, test_esp_params_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("checksum");
	tcase_add_test(tc, test_checksum_fixup);
	tcase_add_test(tc, test_checksum_adjust);
	tcase_add_test(tc, test_tun_coalesce);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(us_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
