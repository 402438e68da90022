/*
 * keys_msg.c - the engine <-> keys process messages and the keys process's
 * checks of what it signs (keys_msg.h).
 */
#include "cred/keys_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static bool fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return false;
}

const char *ksm_type_name(uint16_t type)
{
	switch (type) {
	case KSM_STORE:  return "store";
	case KSM_SIGN:   return "sign";
	case KSM_READY:  return "ready";
	case KSM_LOGIN:  return "token-login";
	case KSM_LOGOUT: return "token-logout";
	case KSM_ITEM:   return "item";
	case KSM_END:    return "end";
	case KSM_SIG:    return "signature";
	case KSM_RESULT: return "result";
	}
	return "unknown";
}

static size_t body_size(uint16_t type)
{
	switch (type) {
	case KSM_STORE:  return 0;
	case KSM_SIGN:   return sizeof(ksm_sign_t);
	case KSM_READY:  return sizeof(ksm_key_t);
	case KSM_LOGIN:
	case KSM_LOGOUT: return sizeof(ksm_token_t);
	case KSM_ITEM:   return sizeof(ksm_item_t);
	case KSM_END:    return sizeof(ksm_end_t);
	case KSM_SIG:
	case KSM_RESULT: return sizeof(ksm_result_t);
	}
	return (size_t)-1;
}

static bool no_nul(const uint8_t *p, size_t n)
{
	return n == 0 || memchr(p, 0, n) == NULL;
}

bool ksm_decode(const uint8_t *buf, size_t n, bool truncated, ksm_msg_t *m,
                char *why, size_t wl)
{
	memset(m, 0, sizeof(*m));
	if (why && wl)
		why[0] = 0;
	if (truncated)
		return fail(why, wl, "larger than the largest message (%zu bytes)",
		            (size_t)KSM_MSG_MAX);
	if (n < sizeof(ksm_hdr_t))
		return fail(why, wl, "%zu bytes: shorter than a header", n);
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	if (m->hdr.len != n)
		return fail(why, wl, "the header says %u bytes, %zu came", m->hdr.len, n);
	if (m->hdr.reserved)
		return fail(why, wl, "reserved header field set");
	size_t bs = body_size(m->hdr.type);
	if (bs == (size_t)-1)
		return fail(why, wl, "unknown message type %u", m->hdr.type);
	if (n - sizeof(ksm_hdr_t) < bs)
		return fail(why, wl, "%s: body of %zu bytes, needs %zu",
		            ksm_type_name(m->hdr.type), n - sizeof(ksm_hdr_t), bs);
	if (bs)
		memcpy(&m->u, buf + sizeof(ksm_hdr_t), bs);
	m->var = buf + sizeof(ksm_hdr_t) + bs;
	m->var_len = n - sizeof(ksm_hdr_t) - bs;

	const char *t = ksm_type_name(m->hdr.type);
	size_t want = 0;
	switch (m->hdr.type) {
	case KSM_STORE:
		break;
	case KSM_SIGN:
		if (m->u.sign.scheme <= SIG_UNKNOWN || m->u.sign.scheme >= SIG_SCHEME_MAX)
			return fail(why, wl, "%s: unknown scheme %u", t, m->u.sign.scheme);
		if (m->u.sign.data_len > KSM_SIGN_MAX)
			return fail(why, wl, "%s: %u octets, at most %d are signed", t,
			            m->u.sign.data_len, KSM_SIGN_MAX);
		want = m->u.sign.data_len;
		break;
	case KSM_READY:
		break;
	case KSM_LOGIN:
	case KSM_LOGOUT:
		if (m->u.token.uri_len > KSM_URI_MAX)
			return fail(why, wl, "%s: URI of %u bytes", t, m->u.token.uri_len);
		if (m->hdr.type == KSM_LOGOUT ? m->u.token.pin_len != 0
		                              : (m->u.token.pin_len == 0 ||
		                                 m->u.token.pin_len > KSM_PIN_MAX))
			return fail(why, wl, "%s: PIN of %u bytes", t, m->u.token.pin_len);
		want = (size_t)m->u.token.uri_len + m->u.token.pin_len;
		break;
	case KSM_ITEM:
		if (m->u.item.kind < KSM_OWN || m->u.item.kind > KSM_CRL)
			return fail(why, wl, "%s: unknown kind %u", t, m->u.item.kind);
		if (m->u.item.has_key > 1 || m->u.item.key_type >= KEY_TYPE_MAX ||
		    (m->u.item.has_key && m->u.item.kind != KSM_OWN))
			return fail(why, wl, "%s: bad key fields", t);
		if (m->u.item.source_len > KSM_SOURCE_MAX || !m->u.item.der_len ||
		    m->u.item.der_len > KSM_DER_MAX)
			return fail(why, wl, "%s: lengths %u/%u out of range", t,
			            m->u.item.source_len, m->u.item.der_len);
		want = (size_t)m->u.item.source_len + m->u.item.der_len;
		break;
	case KSM_END:
		if (m->u.end.ok > 1 || m->u.end.pad)
			return fail(why, wl, "%s: bad fields", t);
		break;
	case KSM_SIG:
	case KSM_RESULT:
		if (m->u.result.ok < 0 || m->u.result.ok > 1)
			return fail(why, wl, "%s: ok is %d", t, m->u.result.ok);
		if (m->u.result.sig_len > KSM_SIG_MAX ||
		    ((m->hdr.type == KSM_RESULT || !m->u.result.ok) && m->u.result.sig_len))
			return fail(why, wl, "%s: %u signature octets", t,
			            m->u.result.sig_len);
		want = m->u.result.sig_len;
		break;
	}
	if (m->var_len != want)
		return fail(why, wl, "%s: %zu bytes after the body, the body says %zu",
		            t, m->var_len, want);
	if (m->hdr.type == KSM_LOGIN || m->hdr.type == KSM_LOGOUT) {
		if (!no_nul(m->var, m->var_len))
			return fail(why, wl, "%s: NUL in the URI or PIN", t);
	}
	if (m->hdr.type == KSM_ITEM && !no_nul(m->var, m->u.item.source_len))
		return fail(why, wl, "%s: NUL in the source", t);
	return true;
}

bool ksm_send(int fd, uint16_t type, uint32_t seq, const void *body,
              size_t blen, const void *v1, size_t l1, const void *v2, size_t l2)
{
	ksm_hdr_t h = { .type = type, .seq = seq };
	struct iovec iov[4] = {
		{ &h, sizeof(h) }, { (void *)body, blen },
		{ (void *)v1, l1 }, { (void *)v2, l2 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 4 };
	size_t total = sizeof(h) + blen + l1 + l2;
	ssize_t r;

	if (total > KSM_MSG_MAX) {
		errno = EMSGSIZE;
		return false;
	}
	h.len = (uint32_t)total;
	do {
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	return r == (ssize_t)total;
}

/* ------------------------------------------------------ what is signed */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

#define IKE_HDR_LEN 28
#define FLAG_I 0x08
#define FLAG_V 0x10
#define FLAG_R 0x20

bool ksm_octets_ok(const uint8_t *d, size_t n, char *why, size_t wl)
{
	if (n < IKE_HDR_LEN + KSM_TRAILER_MIN)
		return fail(why, wl, "%zu octets: too short for IKE_AUTH octets", n);
	if (all_zero(d, 8))
		return fail(why, wl, "no IKE header: SPIi is zero");
	if ((d[17] >> 4) != 2)
		return fail(why, wl, "no IKEv2 header: version 0x%02x", d[17]);
	if (d[18] != 34)
		return fail(why, wl, "not an IKE_SA_INIT message: exchange %u", d[18]);
	if (d[19] & ~(FLAG_I | FLAG_V | FLAG_R))
		return fail(why, wl, "reserved IKE header flags 0x%02x", d[19]);
	bool response = d[19] & FLAG_R;
	if (response ? (d[19] & FLAG_I) || all_zero(d + 8, 8)
	             : !(d[19] & FLAG_I) || !all_zero(d + 8, 8))
		return fail(why, wl, "IKE_SA_INIT %s with flags 0x%02x and SPIr %s",
		            response ? "response" : "request", d[19],
		            all_zero(d + 8, 8) ? "zero" : "set");
	if (!all_zero(d + 20, 4))
		return fail(why, wl, "IKE_SA_INIT with message ID %u", be32(d + 20));
	uint32_t len = be32(d + 24);
	if (len < IKE_HDR_LEN || len > KSM_INIT_MAX || len > n)
		return fail(why, wl, "IKE header length %u for %zu octets", len, n);
	size_t trailer = n - len;
	if (trailer < KSM_TRAILER_MIN || trailer > KSM_TRAILER_MAX)
		return fail(why, wl, "%zu octets after the IKE_SA_INIT message "
		            "(a nonce and a MACed ID are %d..%d)", trailer,
		            KSM_TRAILER_MIN, KSM_TRAILER_MAX);
	uint8_t np = d[16];
	size_t off = IKE_HDR_LEN;
	bool sa = false, ke = false, nonce = false;
	while (np) {
		if (off + 4 > len)
			return fail(why, wl, "payload %u past the message's end", np);
		size_t plen = (size_t)d[off + 2] << 8 | d[off + 3];
		if (plen < 4 || off + plen > len)
			return fail(why, wl, "payload %u of length %zu at %zu does not fit",
			            np, plen, off);
		sa |= np == 33;
		ke |= np == 34;
		nonce |= np == 40;
		np = d[off];
		off += plen;
	}
	if (off != len)
		return fail(why, wl, "%zu octets after the last payload", (size_t)(len - off));
	if (!sa || !ke || !nonce)
		return fail(why, wl, "an IKE_SA_INIT message without %s",
		            !sa ? "SA" : !ke ? "KE" : "Nonce");
	return true;
}

bool ksm_scheme_ok(auth_method_t rule_method, key_type_t type, sig_scheme_t scheme)
{
	bool fits;
	switch (rule_method) {
	case AUTH_RSA_SIG:   fits = type == KEY_RSA; break;
	case AUTH_DSS_SIG:   fits = type == KEY_DSA; break;
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521: fits = type == KEY_ECDSA_P256 || type == KEY_ECDSA_P384 ||
	                            type == KEY_ECDSA_P521; break;
	case AUTH_DIGITAL_SIG: fits = type > KEY_ANY && type < KEY_TYPE_MAX; break;
	default:             fits = false; break;
	}
	return fits && scheme > SIG_UNKNOWN && scheme < SIG_SCHEME_MAX &&
	       sig_scheme_fits_key(scheme, type);
}
