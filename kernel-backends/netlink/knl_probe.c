/*
 * knl_probe.c - kernel-netlink's can_install: does this kernel have the
 * algorithms a rule's esp_xform allows?  Asked by in.ikev2d -c and at
 * start-up for every transform combination (core/kernel/kernel_check.c).
 *
 * The probe is an XFRM_MSG_NEWSA the kernel can never install: a 1-byte
 * cipher key, which ESP's set-up refuses.  xfrm_user looks the algorithm
 * names up in the crypto API (loading modules as needed) before it looks
 * for the ESP protocol, and ESP sets the key up last, so the answer says:
 *   ENOSYS  ("Requested ... algorithm not found")  the algorithm is absent;
 *   EPROTONOSUPPORT  the algorithms are there, ESP is not (the plugin
 *           warns about that once);
 *   EINVAL  (the key)  all there;
 *   0       the cipher took any key (ecb(cipher_null)): removed at once;
 *   other   with ESP present, the kernel cannot set the transform up
 *           (an "authenc" template missing, say): reported.
 * Nothing is installed either way.  One probe per (cipher, key length,
 * integrity) pair, remembered for the plugin's life: a configuration with
 * thousands of rules repeats a handful of transforms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>

#include "knl.h"

typedef struct knl_probe knl_probe_t;
struct knl_probe {
	knl_probe_t *next;
	uint16_t encr, keylen, integ;
	int rc;                  /* the kernel's answer, 0 or -errno */
	char why[200];           /* the kernel's text */
};

void knl_probe_free(knl_t *k)
{
	while (k->probes) {
		knl_probe_t *p = k->probes;
		k->probes = p->next;
		free(p);
	}
}

/* An integrity key of the size IKEv2 derives (RFC 7296 §2.13 / the RFCs
 * of each): HMAC takes any, XCBC and CMAC only 16 bytes. */
static size_t integ_key_len(uint16_t integ)
{
	switch (integ) {
	case INTEG_HMAC_MD5_96:       return 16;
	case INTEG_HMAC_SHA1_96:
	case INTEG_HMAC_SHA1_160:     return 20;
	case INTEG_AES_XCBC_96:
	case INTEG_AES_CMAC_96:       return 16;
	case INTEG_HMAC_SHA2_256_128: return 32;
	case INTEG_HMAC_SHA2_384_192: return 48;
	case INTEG_HMAC_SHA2_512_256: return 64;
	default:                      return 0;
	}
}

/* Ask the kernel about one transform; caller holds nothing. */
static int probe(knl_t *k, uint16_t encr, uint16_t keylen, uint16_t integ,
                 char *why, size_t why_len)
{
	static const uint8_t key[64];
	kernel_sa_t sa = {
		.id = { .spi = 0x0000fffd, .protocol = KERNEL_PROTO_ESP },
		.dir = KERNEL_DIR_OUT, .mode = KERNEL_MODE_TUNNEL,
	};
	if (!kernel_sa_set_algs(&sa, encr, keylen, integ)) {
		snprintf(why, why_len, "no such transform");
		return -ENOSYS;
	}
	/* the wrong cipher key (1 byte); integrity key and ICV as the
	 * transform has them, so that only ESP's key set-up fails */
	sa.encr_key = chunk_create((uint8_t *)key, 1);
	sa.integ_key = chunk_create((uint8_t *)key, integ_key_len(sa.integ_alg));
	struct sockaddr_in *d = (struct sockaddr_in *)&sa.id.dst;
	struct sockaddr_in *s = (struct sockaddr_in *)&sa.src;
	d->sin_family = s->sin_family = AF_INET;
	inet_pton(AF_INET, "203.0.113.251", &d->sin_addr);
	inet_pton(AF_INET, "203.0.113.252", &s->sin_addr);

	uint8_t *buf = xzalloc(KNL_BUFSZ);
	const char *alg = NULL;
	why[0] = '\0';
	pthread_mutex_lock(&k->xfrm_lock);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWSA;
	int rc = knl_put_sa(k, nlh, &sa, &alg);
	if (rc == 0)
		rc = knl_request(k, k->xfrm, nlh, NULL, NULL, why, why_len);
	pthread_mutex_unlock(&k->xfrm_lock);
	free(buf);
	if (rc == 0) {
		knl_sa_key_t sk;
		knl_sa_key(&sa.id, &sk);
		knl_del_sa_key(k, &sk);
	}
	return rc;
}

static const char *encr_text(uint16_t encr, uint16_t keylen, char *buf, size_t len)
{
	const char *n = transform_name(TRANS_ENCR, encr);
	if (keylen && encr != ENCR_3DES && encr != ENCR_CHACHA20_POLY1305 && encr != ENCR_NULL)
		snprintf(buf, len, "%s (%u-bit key)", n ? n : "?", keylen);
	else
		snprintf(buf, len, "%s", n ? n : "?");
	return buf;
}

bool knl_can_install(kernel_ipsec_t *self, const kernel_sa_t *sa,
                     char *why, size_t why_len)
{
	knl_t *k = (knl_t *)self;
	const char *en, *in;
	unsigned icv, trunc;
	char e[96];

	if (sa->id.protocol != KERNEL_PROTO_ESP) {
		snprintf(why, why_len, "only ESP SAs are installed");
		return false;
	}
	encr_text(sa->encr_alg, sa->encr_keylen_bits, e, sizeof(e));
	if (!knl_alg_names(sa->encr_alg, sa->integ_alg, &en, &in, &icv, &trunc)) {
		const char *i = transform_name(TRANS_INTEG, sa->integ_alg);
		snprintf(why, why_len, "esp_xform %s with %s: XFRM has no name for it",
		         e, sa->integ_alg == INTEG_NONE ? "no auth_alg" : i ? i : "?");
		return false;
	}

	pthread_mutex_lock(&k->state_lock);
	knl_probe_t *p = k->probes;
	while (p && !(p->encr == sa->encr_alg && p->keylen == sa->encr_keylen_bits &&
	              p->integ == sa->integ_alg))
		p = p->next;
	pthread_mutex_unlock(&k->state_lock);
	if (!p) {
		p = xzalloc(sizeof(*p));
		p->encr = sa->encr_alg;
		p->keylen = sa->encr_keylen_bits;
		p->integ = sa->integ_alg;
		/* the engine's key length attribute: none for fixed-size ciphers */
		uint16_t attr = sa->encr_alg == ENCR_3DES || sa->encr_alg == ENCR_NULL ||
		                sa->encr_alg == ENCR_CHACHA20_POLY1305 ? 0 : sa->encr_keylen_bits;
		p->rc = probe(k, sa->encr_alg, attr, sa->integ_alg, p->why, sizeof(p->why));
		log_verbose(DBG_KERNEL, KNL_NAME ": probe of %s%s%s: %s", en,
		            in ? " with " : "", in ? in : "",
		            p->rc ? strerror(-p->rc) : "installed (and removed)");
		pthread_mutex_lock(&k->state_lock);
		p->next = k->probes;
		k->probes = p;
		pthread_mutex_unlock(&k->state_lock);
	}
	if (p->rc == 0 || p->rc == -EPROTONOSUPPORT || p->rc == -EINVAL)
		return true;
	if (p->rc == -ENOSYS || p->rc == -ENOENT) {
		/* xfrm_user names the kind it did not find: the integrity
		 * algorithm ("AUTH..."), else the cipher or AEAD.  Said
		 * without the other half, so one missing algorithm is one
		 * message however many combinations it is in. */
		bool auth = in && strstr(p->why, "AUTH") != NULL;
		const char *iname = transform_name(TRANS_INTEG, sa->integ_alg);
		char what[120];
		if (auth)
			snprintf(what, sizeof(what), "auth_alg %s", iname ? iname : "?");
		else
			snprintf(what, sizeof(what), "%s", e);
		snprintf(why, why_len, "esp_xform %s: this kernel's crypto API lacks %s "
		         "(kernel: %s)%s", what, auth ? in : en,
		         p->why[0] ? p->why : strerror(-p->rc),
		         k->no_esp ? "; it has no ESP either (see above)"
		                   : ": load its module, or leave the transform out");
	} else {
		snprintf(why, why_len, "esp_xform %s: the kernel refused an SA with "
		         "%s%s%s: %s%s%s%s", e, en, in ? " / " : "", in ? in : "",
		         strerror(-p->rc), p->why[0] ? " (kernel: " : "",
		         p->why[0] ? p->why : "", p->why[0] ? ")" : "");
	}
	/* a kernel without ESP is not the one that will run this (or gets
	 * its modules later): a warning, as the missing ESP is */
	return k->no_esp;
}
