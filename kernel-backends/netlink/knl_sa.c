/*
 * knl_sa.c - kernel-netlink SAs: SPI allocation (XFRM_MSG_ALLOCSPI), add
 * (UPDSA over the larval SA of an allocated SPI, else NEWSA), address
 * change (read with its keys, delete, add at the new addresses), usage
 * (GETSA) and delete; the IKEv2 transform -> kernel algorithm names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/runtime.h>

#include "knl.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

/* ------------------------------------------------------ algorithms */

bool knl_alg_names(uint16_t encr, uint16_t integ, const char **encr_name,
                   const char **integ_name, unsigned *icv_bits,
                   unsigned *trunc_bits)
{
	*icv_bits = 0;
	*trunc_bits = 0;
	*integ_name = NULL;
	switch (encr) {
	case ENCR_AES_GCM_8:  *encr_name = "rfc4106(gcm(aes))"; *icv_bits = 64; break;
	case ENCR_AES_GCM_12: *encr_name = "rfc4106(gcm(aes))"; *icv_bits = 96; break;
	case ENCR_AES_GCM_16: *encr_name = "rfc4106(gcm(aes))"; *icv_bits = 128; break;
	case ENCR_AES_CCM_8:  *encr_name = "rfc4309(ccm(aes))"; *icv_bits = 64; break;
	case ENCR_AES_CCM_12: *encr_name = "rfc4309(ccm(aes))"; *icv_bits = 96; break;
	case ENCR_AES_CCM_16: *encr_name = "rfc4309(ccm(aes))"; *icv_bits = 128; break;
	case ENCR_NULL_AUTH_AES_GMAC: *encr_name = "rfc4543(gcm(aes))"; *icv_bits = 128; break;
	case ENCR_CHACHA20_POLY1305:
		*encr_name = "rfc7539esp(chacha20,poly1305)"; *icv_bits = 128; break;
	case ENCR_AES_CBC: *encr_name = "cbc(aes)"; break;
	case ENCR_AES_CTR: *encr_name = "rfc3686(ctr(aes))"; break;
	case ENCR_3DES:    *encr_name = "cbc(des3_ede)"; break;
	case ENCR_NULL:    *encr_name = "ecb(cipher_null)"; break;
	default: return false;
	}
	if (*icv_bits)
		return integ == INTEG_NONE;
	switch (integ) {
	case INTEG_HMAC_MD5_96:       *integ_name = "hmac(md5)"; *trunc_bits = 96; break;
	case INTEG_HMAC_SHA1_96:      *integ_name = "hmac(sha1)"; *trunc_bits = 96; break;
	case INTEG_HMAC_SHA1_160:     *integ_name = "hmac(sha1)"; *trunc_bits = 160; break;
	case INTEG_AES_XCBC_96:       *integ_name = "xcbc(aes)"; *trunc_bits = 96; break;
	case INTEG_AES_CMAC_96:       *integ_name = "cmac(aes)"; *trunc_bits = 96; break;
	case INTEG_HMAC_SHA2_256_128: *integ_name = "hmac(sha256)"; *trunc_bits = 128; break;
	case INTEG_HMAC_SHA2_384_192: *integ_name = "hmac(sha384)"; *trunc_bits = 192; break;
	case INTEG_HMAC_SHA2_512_256: *integ_name = "hmac(sha512)"; *trunc_bits = 256; break;
	default: return false;   /* ESP without integrity is not offered */
	}
	return true;
}

/* ------------------------------------------------------------ keys */

void knl_sa_key(const kernel_sa_id_t *id, knl_sa_key_t *key)
{
	memset(key, 0, sizeof(*key));
	knl_addr_from_ss(&id->dst, &key->daddr);
	key->spi = htonl(id->spi);
	key->family = id->dst.ss_family;
	key->proto = id->protocol == KERNEL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	key->mark_v = id->mark.value;
	key->mark_m = id->mark.mask;
}

static void put_sa_id(struct nlmsghdr *nlh, const knl_sa_key_t *key)
{
	struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	id->daddr = key->daddr;
	id->spi = key->spi;
	id->family = key->family;
	id->proto = key->proto;
	if (key->mark_m) {
		struct xfrm_mark m = { .v = key->mark_v, .m = key->mark_m };
		mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	}
}

static char *sa_str(const kernel_sa_id_t *id, char *buf, size_t len)
{
	char d[64];
	snprintf(buf, len, "SA %08x (%s, dst %s)", id->spi,
	         id->protocol == KERNEL_PROTO_AH ? "ah" : "esp",
	         knl_ss_str(&id->dst, d, sizeof(d)));
	return buf;
}

/* A hint for the errors a kernel without ESP or the algorithm gives. */
static const char *hint(int rc)
{
	switch (-rc) {
	case EPROTONOSUPPORT:
		return "; the kernel has no ESP (module esp4/esp6)";
	case ENOSYS:
	case ENOENT:
		return "; the kernel lacks the algorithm (or ESP)";
	default:
		return "";
	}
}

/* ------------------------------------------------------------- SPI */

typedef struct {
	uint32_t spi;
} spi_answer_t;

static int on_spi(const struct nlmsghdr *nlh, void *ctx)
{
	spi_answer_t *a = ctx;
	if (nlh->nlmsg_type == XFRM_MSG_NEWSA &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct xfrm_usersa_info)) {
		const struct xfrm_usersa_info *sa = mnl_nlmsg_get_payload(nlh);
		a->spi = ntohl(sa->id.spi);
	}
	return 0;
}

/* The reservation key of an inbound SPI: its name without a mark (the
 * engine names an SA with its marks only once it installs it). */
static void spi_key(const struct sockaddr_storage *dst, uint8_t protocol,
                    uint32_t spi, knl_sa_key_t *key)
{
	memset(key, 0, sizeof(*key));
	knl_addr_from_ss(dst, &key->daddr);
	key->spi = htonl(spi);
	key->family = dst->ss_family;
	key->proto = protocol == KERNEL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
}

/* allocspi = false: pick the SPI here.  ALLOCSPI costs the kernel a walk
 * over all its SAs on the kernels this was measured on (xfrm_alloc_spi:
 * 4 % of the responder's CPU at the start of a 10,000-SA run, 29 % at
 * its end, see testing/bench/RESULTS.md), so the install rate fell as
 * SAs piled up.  A random SPI that neither our own table nor the kernel
 * (XFRM_MSG_GETSA, one hash lookup) knows is reserved in k->spis until
 * add_sa installs it with NEWSA or del_sa gives it up.  Someone else
 * adding an SA by that very name in between makes our add fail with
 * EEXIST (logged; the CHILD SA fails cleanly). */
static bool pick_spi(knl_t *k, const struct sockaddr_storage *src,
                     const struct sockaddr_storage *dst, uint8_t protocol,
                     uint32_t *spi)
{
	char why[256], eb[320], s[64], d[64];
	uint8_t buf[512];
	int rc = 0;

	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;
		if (!crypto_random(RNG_WEAK, &v, sizeof(v))) {
			log_error(DBG_KERNEL, KNL_NAME ": no random bytes for an SPI");
			return false;
		}
		if (v < 0x100)          /* RFC 4303 §2.1: 1..255 reserved */
			continue;
		knl_sa_key_t key;
		spi_key(dst, protocol, v, &key);
		pthread_mutex_lock(&k->state_lock);
		bool taken = knl_set_find(&k->sas, &key) || knl_set_find(&k->spis, &key);
		if (!taken)
			knl_set_add(&k->spis, &key, NULL);
		pthread_mutex_unlock(&k->state_lock);
		if (taken)
			continue;
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = XFRM_MSG_GETSA;
		struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
		id->daddr = key.daddr;
		id->spi = key.spi;
		id->family = key.family;
		id->proto = key.proto;
		pthread_mutex_lock(&k->xfrm_lock);
		rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
		pthread_mutex_unlock(&k->xfrm_lock);
		if (rc == -ESRCH) {
			*spi = v;
			log_verbose(DBG_KERNEL, KNL_NAME ": SPI %08x reserved (picked by the daemon) for %s -> %s",
			            v, knl_ss_str(src, s, sizeof(s)), knl_ss_str(dst, d, sizeof(d)));
			return true;
		}
		pthread_mutex_lock(&k->state_lock);
		knl_set_del(&k->spis, &key);
		pthread_mutex_unlock(&k->state_lock);
		if (rc != 0)
			break;          /* not "no such SA": the kernel's error */
	}
	log_error(DBG_KERNEL, KNL_NAME ": picking an SPI for %s -> %s failed: %s",
	          knl_ss_str(src, s, sizeof(s)), knl_ss_str(dst, d, sizeof(d)),
	          rc ? knl_strerror(rc, why, eb, sizeof(eb)) : "every SPI tried is in use");
	return false;
}

bool knl_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                 const struct sockaddr_storage *dst, uint8_t protocol,
                 uint32_t reqid, uint32_t *spi)
{
	knl_t *k = (knl_t *)self;
	if (!k->allocspi)
		return pick_spi(k, src, dst, protocol, spi);
	uint8_t buf[512];
	char why[256], eb[320], s[64], d[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_ALLOCSPI;
	struct xfrm_userspi_info *u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	knl_addr_from_ss(dst, &u->info.id.daddr);
	knl_addr_from_ss(src, &u->info.saddr);
	u->info.id.proto = protocol == KERNEL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	u->info.family = dst->ss_family;
	u->info.reqid = reqid;
	u->info.mode = XFRM_MODE_TUNNEL;
	u->min = 0x100;             /* RFC 4303 §2.1: 1..255 reserved */
	u->max = 0xffffffff;
	spi_answer_t a = { 0 };
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, on_spi, &a, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	if (rc || a.spi < 0x100) {
		log_error(DBG_KERNEL, KNL_NAME ": allocating an SPI for %s -> %s "
		          "(reqid %u) failed: %s%s", knl_ss_str(src, s, sizeof(s)),
		          knl_ss_str(dst, d, sizeof(d)), reqid,
		          rc ? knl_strerror(rc, why, eb, sizeof(eb)) : "no SPI in the answer",
		          hint(rc));
		return false;
	}
	*spi = a.spi;
	log_verbose(DBG_KERNEL, KNL_NAME ": SPI %08x reserved by the kernel for %s -> %s", a.spi,
	            knl_ss_str(src, s, sizeof(s)), knl_ss_str(dst, d, sizeof(d)));
	return true;
}

/* -------------------------------------------------------------- add */

static uint64_t inf(uint64_t v)
{
	return v ? v : XFRM_INF;
}

int knl_put_sa(knl_t *k, struct nlmsghdr *nlh, const kernel_sa_t *sa,
               const char **alg_out)
{
	const char *encr_name, *integ_name;
	unsigned icv, trunc;
	if (!knl_alg_names(sa->encr_alg, sa->integ_alg, &encr_name, &integ_name,
	                   &icv, &trunc))
		return -ENOSYS;
	*alg_out = encr_name;
	/* the engine's figure for the ICV / truncation, where it gives one */
	if (sa->icv_bits && icv)
		icv = sa->icv_bits;
	else if (sa->icv_bits)
		trunc = sa->icv_bits;
	struct xfrm_usersa_info *x = mnl_nlmsg_put_extra_header(nlh, sizeof(*x));
	int fam = sa->id.dst.ss_family;
	knl_addr_from_ss(&sa->id.dst, &x->id.daddr);
	knl_addr_from_ss(&sa->src, &x->saddr);
	x->id.spi = htonl(sa->id.spi);
	x->id.proto = sa->id.protocol == KERNEL_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	x->family = (uint16_t)fam;
	x->mode = sa->mode == KERNEL_MODE_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	x->reqid = sa->reqid;
	if (sa->mode == KERNEL_MODE_TRANSPORT) {
		/* the hosts' own addresses; anything else: family only */
		if (!(sa->src_ts.family && sa->dst_ts.family &&
		      knl_sel_single(&sa->src_ts, &sa->dst_ts, &x->sel)))
			x->sel.family = (uint16_t)fam;
	} else {
		/* tunnel: inner traffic of either family (policies decide) */
		x->flags |= XFRM_STATE_AF_UNSPEC;
	}
	x->lft.soft_byte_limit = inf(sa->soft.bytes);
	x->lft.hard_byte_limit = inf(sa->hard.bytes);
	x->lft.soft_packet_limit = inf(sa->soft.packets);
	x->lft.hard_packet_limit = inf(sa->hard.packets);
	x->lft.soft_add_expires_seconds = sa->soft.secs;
	x->lft.hard_add_expires_seconds = sa->hard.secs;

	/* Windows over 32 packets and ESN need the ESN replay state. */
	uint32_t win = sa->replay_window;
	if (sa->esn || win > 32) {
		if (sa->esn)
			x->flags |= XFRM_STATE_ESN;
		if (win == 0)
			win = 1;   /* the kernel refuses an ESN SA without one */
		uint32_t words = (win + 31) / 32;
		size_t len = sizeof(struct xfrm_replay_state_esn) + words * 4;
		struct xfrm_replay_state_esn *r = xzalloc(len);
		r->bmp_len = words;
		r->replay_window = win;
		mnl_attr_put(nlh, XFRMA_REPLAY_ESN_VAL, len, r);
		free(r);
	} else {
		x->replay_window = (uint8_t)win;
	}

	size_t klen = sa->encr_key.len;
	if (icv) {
		size_t len = sizeof(struct xfrm_algo_aead) + klen;
		struct xfrm_algo_aead *a = xzalloc(len);
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", encr_name);
		a->alg_key_len = (unsigned)(klen * 8);
		a->alg_icv_len = icv;
		memcpy(a->alg_key, sa->encr_key.ptr, klen);
		mnl_attr_put(nlh, XFRMA_ALG_AEAD, len, a);
		explicit_bzero(a, len);
		free(a);
	} else {
		size_t len = sizeof(struct xfrm_algo) + klen;
		struct xfrm_algo *a = xzalloc(len);
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", encr_name);
		a->alg_key_len = (unsigned)(klen * 8);
		if (klen)
			memcpy(a->alg_key, sa->encr_key.ptr, klen);
		mnl_attr_put(nlh, XFRMA_ALG_CRYPT, len, a);
		explicit_bzero(a, len);
		free(a);
		size_t ilen = sa->integ_key.len;
		len = sizeof(struct xfrm_algo_auth) + ilen;
		struct xfrm_algo_auth *i = xzalloc(len);
		snprintf(i->alg_name, sizeof(i->alg_name), "%s", integ_name);
		i->alg_key_len = (unsigned)(ilen * 8);
		i->alg_trunc_len = trunc;
		memcpy(i->alg_key, sa->integ_key.ptr, ilen);
		mnl_attr_put(nlh, XFRMA_ALG_AUTH_TRUNC, len, i);
		explicit_bzero(i, len);
		free(i);
	}
	if (sa->encap) {
		struct xfrm_encap_tmpl e = {
			.encap_type = UDP_ENCAP_ESPINUDP,
			.encap_sport = knl_ss_port(&sa->src),
			.encap_dport = knl_ss_port(&sa->id.dst),
		};
		mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(e), &e);
	}
	if (sa->id.mark.mask) {
		struct xfrm_mark m = { .v = sa->id.mark.value, .m = sa->id.mark.mask };
		mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	}
	if (sa->if_id)
		mnl_attr_put_u32(nlh, XFRMA_IF_ID, sa->if_id);
	(void)k;
	return 0;
}

bool knl_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	knl_t *k = (knl_t *)self;
	uint8_t *buf = xzalloc(KNL_BUFSZ);
	char why[256], eb[320], desc[128], s[64];
	const char *alg = "?";
	int rc = 0;

	sa_str(&sa->id, desc, sizeof(desc));
	/* An inbound SPI is a larval SA from ALLOCSPI: update it in place;
	 * if it is gone (expired unused) or this is outbound, add.  An SPI
	 * we picked ourselves (pick_spi) has no larval SA: add. */
	int types[2] = { XFRM_MSG_UPDSA, XFRM_MSG_NEWSA };
	int first = sa->dir == KERNEL_DIR_IN ? 0 : 1;
	knl_sa_key_t rkey;
	spi_key(&sa->id.dst, sa->id.protocol, sa->id.spi, &rkey);
	pthread_mutex_lock(&k->state_lock);
	bool picked = sa->dir == KERNEL_DIR_IN && knl_set_find(&k->spis, &rkey);
	pthread_mutex_unlock(&k->state_lock);
	if (picked)
		first = 1;
	pthread_mutex_lock(&k->xfrm_lock);
	for (int t = first; t < 2; t++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = (uint16_t)types[t];
		rc = knl_put_sa(k, nlh, sa, &alg);
		if (rc)
			break;
		rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
		if (rc != -ESRCH)
			break;
	}
	pthread_mutex_unlock(&k->xfrm_lock);
	explicit_bzero(buf, KNL_BUFSZ);
	free(buf);
	if (picked) {   /* installed or failed: the reservation has served */
		pthread_mutex_lock(&k->state_lock);
		knl_set_del(&k->spis, &rkey);
		pthread_mutex_unlock(&k->state_lock);
	}
	if (rc == -ENOSYS && strcmp(alg, "?") == 0) {
		log_error(DBG_KERNEL, KNL_NAME ": %s: transform %u/%u has no kernel "
		          "algorithm", desc, sa->encr_alg, sa->integ_alg);
		return false;
	}
	if (rc) {
		log_error(DBG_KERNEL, KNL_NAME ": adding %s (%s, %s mode, %s, from %s, "
		          "reqid %u) failed: %s%s", desc, kernel_dir_name(sa->dir),
		          kernel_mode_name(sa->mode), alg, knl_ss_str(&sa->src, s, sizeof(s)),
		          sa->reqid, knl_strerror(rc, why, eb, sizeof(eb)), hint(rc));
		return false;
	}
	knl_sa_key_t key;
	knl_sa_key(&sa->id, &key);
	knl_sa_val_t *v = xzalloc(sizeof(*v));
	v->reqid = sa->reqid;
	v->inbound = sa->dir == KERNEL_DIR_IN;
	if (sa->soft.secs)
		v->soft_at_ms = time_monotonic_ms() + sa->soft.secs * 1000;
	pthread_mutex_lock(&k->state_lock);
	knl_set_add(&k->sas, &key, v);
	pthread_mutex_unlock(&k->state_lock);
	char xb[64] = "";
	if (sa->id.mark.mask || sa->if_id)
		snprintf(xb, sizeof(xb), ", mark 0x%x/0x%x, if_id %u",
		         sa->id.mark.value, sa->id.mark.mask, sa->if_id);
	log_verbose(DBG_KERNEL, KNL_NAME ": %s installed (%s, %s mode, %s%s%s%s)",
	            desc, kernel_dir_name(sa->dir), kernel_mode_name(sa->mode), alg,
	            sa->esn ? ", ESN" : "", sa->encap ? ", UDP-encapsulated" : "", xb);
	return true;
}

/* ------------------------------------------------------- ESP probe */

int knl_probe_esp(knl_t *k, char *why, size_t why_len)
{
	/* An SA the kernel can never install: ESP's key set-up refuses a
	 * 1-byte AES key, which it reaches only after it found the ESP
	 * protocol.  So EPROTONOSUPPORT says "no ESP", anything else says
	 * ESP is there, and nothing is added either way (a success, which no
	 * kernel gives, is undone at once).  TEST-NET-3 addresses. */
	static const uint8_t ekey[1] = { 0 };
	static const uint8_t ikey[20] = { 0 };
	kernel_sa_t sa = {
		.id = { .spi = 0x0000fffe, .protocol = KERNEL_PROTO_ESP },
		.dir = KERNEL_DIR_OUT, .mode = KERNEL_MODE_TUNNEL,
		.encr_alg = ENCR_AES_CBC, .encr_keylen_bits = 8,
		.encr_key = chunk_create((uint8_t *)ekey, sizeof(ekey)),
		.integ_alg = INTEG_HMAC_SHA1_96, .icv_bits = 96,
		.integ_key = chunk_create((uint8_t *)ikey, sizeof(ikey)),
	};
	struct sockaddr_in *d = (struct sockaddr_in *)&sa.id.dst;
	struct sockaddr_in *s = (struct sockaddr_in *)&sa.src;
	d->sin_family = s->sin_family = AF_INET;
	inet_pton(AF_INET, "203.0.113.253", &d->sin_addr);
	inet_pton(AF_INET, "203.0.113.254", &s->sin_addr);
	uint8_t *buf = xzalloc(KNL_BUFSZ);
	const char *alg;
	pthread_mutex_lock(&k->xfrm_lock);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	int rc = knl_put_sa(k, nlh, &sa, &alg);
	if (rc == 0)
		rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, why_len);
	pthread_mutex_unlock(&k->xfrm_lock);
	free(buf);
	if (rc == 0) {
		knl_sa_key_t key;
		knl_sa_key(&sa.id, &key);
		knl_del_sa_key(k, &key);
	}
	return rc;
}

/* ----------------------------------------------------------- delete */

int knl_del_sa_key(knl_t *k, const knl_sa_key_t *key)
{
	uint8_t buf[512];
	char why[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_DELSA;
	put_sa_id(nlh, key);
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	return rc;
}

bool knl_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	knl_t *k = (knl_t *)self;
	knl_sa_key_t key;
	char why[256], eb[320], desc[128];
	knl_sa_key(id, &key);
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_DELSA;
	put_sa_id(nlh, &key);
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	knl_sa_key_t rkey;
	spi_key(&id->dst, id->protocol, id->spi, &rkey);
	pthread_mutex_lock(&k->state_lock);
	free(knl_set_del(&k->sas, &key));
	knl_set_del(&k->spis, &rkey);   /* an SPI only reserved: given up */
	pthread_mutex_unlock(&k->state_lock);
	if (rc) {
		/* ESRCH: gone already (hard expiry, larval timeout) */
		if (rc == -ESRCH)
			log_verbose(DBG_KERNEL, KNL_NAME ": deleting %s: not in the kernel",
			            sa_str(id, desc, sizeof(desc)));
		else
			log_error(DBG_KERNEL, KNL_NAME ": deleting %s failed: %s",
			          sa_str(id, desc, sizeof(desc)),
			          knl_strerror(rc, why, eb, sizeof(eb)));
		return false;
	}
	log_verbose(DBG_KERNEL, KNL_NAME ": %s deleted", sa_str(id, desc, sizeof(desc)));
	return true;
}

/* ------------------------------------------------------------ query */

typedef struct {
	kernel_usage_t *usage;
	bool found;
} usage_answer_t;

static int on_usage(const struct nlmsghdr *nlh, void *ctx)
{
	usage_answer_t *a = ctx;
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
		return 0;
	const struct xfrm_usersa_info *sa = mnl_nlmsg_get_payload(nlh);
	a->found = true;
	a->usage->bytes = sa->curlft.bytes;
	a->usage->packets = sa->curlft.packets;
	a->usage->last_use_secs = 0;
	uint64_t use = sa->curlft.use_time;
	const struct nlattr *at;
	mnl_attr_for_each(at, nlh, sizeof(*sa))
		if (mnl_attr_get_type(at) == XFRMA_LASTUSED &&
		    mnl_attr_get_payload_len(at) >= sizeof(uint64_t))
			memcpy(&use, mnl_attr_get_payload(at), sizeof(use));
	if (use) {
		/* wall-clock seconds -> the monotonic clock */
		struct timespec rt, mt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		uint64_t ago = (uint64_t)rt.tv_sec > use ? (uint64_t)rt.tv_sec - use : 0;
		a->usage->last_use_secs = (uint64_t)mt.tv_sec > ago ?
		                          (uint64_t)mt.tv_sec - ago : 1;
	}
	return 0;
}

bool knl_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                  kernel_usage_t *usage)
{
	knl_t *k = (knl_t *)self;
	knl_sa_key_t key;
	char why[256], eb[320], desc[128];
	knl_sa_key(id, &key);
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_GETSA;
	put_sa_id(nlh, &key);
	memset(usage, 0, sizeof(*usage));
	usage_answer_t a = { .usage = usage };
	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, on_usage, &a, why, sizeof(why));
	pthread_mutex_unlock(&k->xfrm_lock);
	if (rc || !a.found) {
		log_verbose(DBG_KERNEL, KNL_NAME ": querying %s failed: %s",
		            sa_str(id, desc, sizeof(desc)),
		            rc ? knl_strerror(rc, why, eb, sizeof(eb)) : "no answer");
		return false;
	}
	return true;
}

/* ----------------------------------------------------------- update */

typedef struct {
	uint8_t *msg;     /* a copy of the NEWSA answer (holds keys) */
	size_t len;
} sa_copy_t;

static int on_copy(const struct nlmsghdr *nlh, void *ctx)
{
	sa_copy_t *c = ctx;
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA || c->msg ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct xfrm_usersa_info))
		return 0;
	c->len = nlh->nlmsg_len;
	c->msg = xmalloc(c->len);
	memcpy(c->msg, nlh, c->len);
	return 0;
}

bool knl_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                   const struct sockaddr_storage *new_src,
                   const struct sockaddr_storage *new_dst, bool encap)
{
	knl_t *k = (knl_t *)self;
	knl_sa_key_t key;
	char why[256], eb[320], desc[128];
	knl_sa_key(id, &key);
	sa_str(id, desc, sizeof(desc));
	uint8_t small[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(small);
	nlh->nlmsg_type = XFRM_MSG_GETSA;
	put_sa_id(nlh, &key);
	sa_copy_t c = { 0 };
	uint8_t *buf = xzalloc(KNL_BUFSZ);
	bool ok = false;

	pthread_mutex_lock(&k->xfrm_lock);
	int rc = knl_request(k, k->xfrm, nlh, on_copy, &c, why, sizeof(why));
	if (rc || !c.msg) {
		log_error(DBG_KERNEL, KNL_NAME ": updating %s: reading it failed: %s",
		          desc, rc ? knl_strerror(rc, why, eb, sizeof(eb)) : "no answer");
		goto out;
	}
	/* The new SA: the old one's fields and attributes, new addresses
	 * and encapsulation; counters and keys stay. */
	const struct nlmsghdr *old = (const struct nlmsghdr *)c.msg;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	struct xfrm_usersa_info *x = mnl_nlmsg_put_extra_header(nlh, sizeof(*x));
	memcpy(x, mnl_nlmsg_get_payload(old), sizeof(*x));
	knl_addr_from_ss(new_dst, &x->id.daddr);
	knl_addr_from_ss(new_src, &x->saddr);
	const struct nlattr *a;
	mnl_attr_for_each(a, old, sizeof(*x)) {
		uint16_t t = mnl_attr_get_type(a);
		if (t == XFRMA_ENCAP || t == XFRMA_LASTUSED)
			continue;
		mnl_attr_put(nlh, t, mnl_attr_get_payload_len(a), mnl_attr_get_payload(a));
	}
	if (encap) {
		struct xfrm_encap_tmpl e = {
			.encap_type = UDP_ENCAP_ESPINUDP,
			.encap_sport = knl_ss_port(new_src),
			.encap_dport = knl_ss_port(new_dst),
		};
		mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(e), &e);
	}
	/* Delete first: the new name may equal the old one (a port change). */
	uint8_t del[512];
	struct nlmsghdr *dn = mnl_nlmsg_put_header(del);
	dn->nlmsg_type = XFRM_MSG_DELSA;
	put_sa_id(dn, &key);
	rc = knl_request(k, k->xfrm, dn, NULL, NULL, why, sizeof(why));
	if (rc) {
		log_error(DBG_KERNEL, KNL_NAME ": updating %s: deleting the old SA "
		          "failed: %s", desc, knl_strerror(rc, why, eb, sizeof(eb)));
		goto out;
	}
	rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, sizeof(why));
	if (rc) {
		log_error(DBG_KERNEL, KNL_NAME ": updating %s: adding it at the new "
		          "addresses failed: %s", desc, knl_strerror(rc, why, eb, sizeof(eb)));
		goto out;
	}
	ok = true;
out:
	pthread_mutex_unlock(&k->xfrm_lock);
	if (c.msg) {
		explicit_bzero(c.msg, c.len);
		free(c.msg);
	}
	explicit_bzero(buf, KNL_BUFSZ);
	free(buf);
	if (ok) {
		kernel_sa_id_t nid = *id;
		nid.dst = *new_dst;
		knl_sa_key_t nkey;
		knl_sa_key(&nid, &nkey);
		pthread_mutex_lock(&k->state_lock);
		void *v = knl_set_del(&k->sas, &key);
		if (v)
			knl_set_add(&k->sas, &nkey, v);
		pthread_mutex_unlock(&k->state_lock);
		char s[64], d[64];
		log_verbose(DBG_KERNEL, KNL_NAME ": %s now %s -> %s%s", desc,
		            knl_ss_str(new_src, s, sizeof(s)),
		            knl_ss_str(new_dst, d, sizeof(d)), encap ? " (UDP)" : "");
	}
	return ok;
}
