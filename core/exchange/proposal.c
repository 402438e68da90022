/*
 * proposal.c - proposal construction and selection (see proposal.h).
 */
#include "exchange/proposal.h"

#include <stdio.h>
#include <string.h>

#include <ikev2d/crypto.h>

bool proposal_xform_available(transform_type_t type, uint16_t id)
{
	if (type == TRANS_ESN)
		return true;
	if (type == TRANS_INTEG && id == INTEG_NONE)
		return true;
	if (type == TRANS_KE && id == KE_NONE)
		return true;
	return crypto_provider(type, id) != NULL;
}

/* Our KE list for a configured proposal. */
static int cfg_ke(const proposal_cfg_t *p, uint16_t pfs_group, uint8_t protocol,
                  uint16_t out[CFG_MAX_XFORMS])
{
	if (pfs_group == PROPOSAL_NO_KE)
		return 0;
	if (p->n_ke > 0) {
		memcpy(out, p->ke, p->n_ke * sizeof(uint16_t));
		return p->n_ke;
	}
	if (protocol == PROTO_ESP) {
		out[0] = pfs_group;   /* KE_NONE when no PFS */
		return 1;
	}
	return 0;
}

static int cfg_esn(const proposal_cfg_t *p, uint16_t out[2])
{
	if (p->n_esn > 0) {
		memcpy(out, p->esn, p->n_esn * sizeof(uint16_t));
		return p->n_esn;
	}
	out[0] = ESN_NO;
	return 1;
}

static bool peer_has(const proposal_t *pp, uint8_t type, uint16_t id,
                     uint16_t keylen, bool any_keylen, uint16_t *got_keylen)
{
	for (int i = 0; i < pp->num_transforms; i++) {
		const transform_t *t = &pp->transforms[i];
		if (t->type != type || t->id != id || t->unknown_attr)
			continue;
		if (type == TRANS_ENCR && !any_keylen && t->key_len != keylen)
			continue;
		if (got_keylen)
			*got_keylen = t->key_len;
		return true;
	}
	return false;
}

static bool peer_has_type(const proposal_t *pp, uint8_t type)
{
	for (int i = 0; i < pp->num_transforms; i++)
		if (pp->transforms[i].type == type)
			return true;
	return false;
}

/* Match one configured proposal against one peer proposal. */
static bool match_one(const proposal_cfg_t *c, uint16_t pfs_group,
                      const proposal_t *pp, uint8_t protocol,
                      xform_available_t avail, algs_t *out)
{
	algs_t a = { 0 };
	bool found = false;
	bool aead = false;

	for (int i = 0; i < c->n_encr && !found; i++) {
		uint16_t kl = 0;
		if (!avail(TRANS_ENCR, c->encr[i].id))
			continue;
		if (peer_has(pp, TRANS_ENCR, c->encr[i].id, c->encr[i].keylen,
		             c->encr[i].keylen == 0, &kl)) {
			a.encr = c->encr[i].id;
			a.encr_keylen = kl;
			aead = encr_is_aead(a.encr);
			found = true;
		}
	}
	if (!found)
		return false;

	if (aead) {
		/* RFC 5282 §8: no integrity with an AEAD, or INTEG_NONE. */
		for (int i = 0; i < pp->num_transforms; i++)
			if (pp->transforms[i].type == TRANS_INTEG &&
			    pp->transforms[i].id != INTEG_NONE)
				return false;
		a.integ = INTEG_NONE;
	} else {
		found = false;
		for (int i = 0; i < c->n_integ && !found; i++)
			if (c->integ[i] != INTEG_NONE && avail(TRANS_INTEG, c->integ[i]) &&
			    peer_has(pp, TRANS_INTEG, c->integ[i], 0, true, NULL)) {
				a.integ = c->integ[i];
				found = true;
			}
		if (!found)
			return false;
	}

	if (protocol == PROTO_IKE) {
		found = false;
		for (int i = 0; i < c->n_prf && !found; i++)
			if (avail(TRANS_PRF, c->prf[i]) &&
			    peer_has(pp, TRANS_PRF, c->prf[i], 0, true, NULL)) {
				a.prf = c->prf[i];
				found = true;
			}
		if (!found)
			return false;
	}

	uint16_t ke[CFG_MAX_XFORMS];
	int n_ke = cfg_ke(c, pfs_group, protocol, ke);
	if (n_ke > 0) {
		found = false;
		for (int i = 0; i < n_ke && !found; i++) {
			if (!avail(TRANS_KE, ke[i]))
				continue;
			if (ke[i] == KE_NONE) {
				/* No KE transform, or an explicit NONE. */
				if (!peer_has_type(pp, TRANS_KE) ||
				    peer_has(pp, TRANS_KE, KE_NONE, 0, true, NULL)) {
					a.ke = KE_NONE;
					found = true;
				}
			} else if (peer_has(pp, TRANS_KE, ke[i], 0, true, NULL)) {
				a.ke = ke[i];
				found = true;
			}
		}
		if (!found)
			return false;
	} else if (protocol == PROTO_IKE) {
		return false;   /* an IKE proposal without a group is unusable */
	}

	if (protocol == PROTO_ESP) {
		uint16_t esn[2];
		int n_esn = cfg_esn(c, esn);
		found = false;
		for (int i = 0; i < n_esn && !found; i++) {
			if (peer_has(pp, TRANS_ESN, esn[i], 0, true, NULL) ||
			    (esn[i] == ESN_NO && !peer_has_type(pp, TRANS_ESN))) {
				a.esn = esn[i];
				found = true;
			}
		}
		if (!found)
			return false;
	}
	*out = a;
	return true;
}

bool proposal_select(const proposal_cfg_t *ours, int n_ours, uint16_t pfs_group,
                     const proposal_t *theirs, int n_theirs, uint8_t protocol,
                     xform_available_t avail, algs_t *out,
                     const proposal_t **chosen)
{
	if (!avail)
		avail = proposal_xform_available;
	for (int c = 0; c < n_ours; c++) {
		for (int p = 0; p < n_theirs; p++) {
			const proposal_t *pp = &theirs[p];
			if (pp->protocol != protocol)
				continue;
			if (protocol == PROTO_ESP && pp->spi_len != 4)
				continue;
			if (match_one(&ours[c], pfs_group, pp, protocol, avail, out)) {
				if (chosen)
					*chosen = pp;
				return true;
			}
		}
	}
	return false;
}

static int add_xf(transform_t *xf, int *n, int cap, uint8_t type, uint16_t id,
                  uint16_t keylen)
{
	if (*n >= cap)
		return 0;
	xf[*n] = (transform_t){ .type = type, .id = id, .key_len = keylen };
	(*n)++;
	return 1;
}

int proposal_build(const proposal_cfg_t *cfg, int n_cfg, uint16_t pfs_group,
                   uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
                   xform_available_t avail, proposal_t *props, int max_props,
                   transform_t *xf, int n_xf)
{
	if (!avail)
		avail = proposal_xform_available;
	int np = 0, used = 0;
	for (int c = 0; c < n_cfg && np < max_props; c++) {
		const proposal_cfg_t *p = &cfg[c];
		int start = used;
		int cap = n_xf - used;
		if (cap > CODEC_MAX_TRANSFORMS)
			cap = CODEC_MAX_TRANSFORMS;
		transform_t *x = &xf[start];
		int n = 0, n_encr = 0, n_integ = 0, n_prf = 0, n_ke = 0;
		bool all_aead = true, any_aead = false;

		for (int i = 0; i < p->n_encr; i++)
			if (avail(TRANS_ENCR, p->encr[i].id)) {
				n_encr += add_xf(x, &n, cap, TRANS_ENCR, p->encr[i].id,
				                 p->encr[i].keylen);
				if (encr_is_aead(p->encr[i].id))
					any_aead = true;
				else
					all_aead = false;
			}
		/* AEAD and non-AEAD ciphers cannot share a proposal (RFC 5282
		 * §8); the configuration keeps them apart, we only make sure. */
		if (any_aead && !all_aead)
			continue;
		if (!all_aead)
			for (int i = 0; i < p->n_integ; i++)
				if (p->integ[i] != INTEG_NONE && avail(TRANS_INTEG, p->integ[i]))
					n_integ += add_xf(x, &n, cap, TRANS_INTEG, p->integ[i], 0);
		if (protocol == PROTO_IKE)
			for (int i = 0; i < p->n_prf; i++)
				if (avail(TRANS_PRF, p->prf[i]))
					n_prf += add_xf(x, &n, cap, TRANS_PRF, p->prf[i], 0);
		uint16_t ke[CFG_MAX_XFORMS];
		int nk = cfg_ke(p, pfs_group, protocol, ke);
		for (int i = 0; i < nk; i++)
			if (avail(TRANS_KE, ke[i]) &&
			    !(protocol == PROTO_ESP && ke[i] == KE_NONE && nk == 1))
				n_ke += add_xf(x, &n, cap, TRANS_KE, ke[i], 0);
		if (protocol == PROTO_ESP) {
			uint16_t esn[2];
			int ne = cfg_esn(p, esn);
			for (int i = 0; i < ne; i++)
				add_xf(x, &n, cap, TRANS_ESN, esn[i], 0);
		}
		if (!n_encr || (!all_aead && !n_integ) ||
		    (protocol == PROTO_IKE && (!n_prf || !n_ke)) ||
		    (protocol == PROTO_ESP && nk > 0 && ke[0] != KE_NONE && !n_ke))
			continue;
		proposal_t *pr = &props[np];
		memset(pr, 0, sizeof(*pr));
		pr->number = np + 1;
		pr->protocol = protocol;
		pr->spi_len = spi_len;
		if (spi_len)
			memcpy(pr->spi, spi, spi_len);
		pr->num_transforms = n;
		pr->transforms = x;
		used += n;
		np++;
	}
	return np;
}

void proposal_from_algs(const algs_t *a, uint8_t protocol, uint8_t number,
                        const uint8_t *spi, uint8_t spi_len, proposal_t *prop,
                        transform_t xf[6])
{
	int n = 0;
	xf[n++] = (transform_t){ .type = TRANS_ENCR, .id = a->encr,
	                         .key_len = a->encr_keylen };
	if (a->integ != INTEG_NONE)
		xf[n++] = (transform_t){ .type = TRANS_INTEG, .id = a->integ };
	if (protocol == PROTO_IKE)
		xf[n++] = (transform_t){ .type = TRANS_PRF, .id = a->prf };
	if (a->ke != KE_NONE)
		xf[n++] = (transform_t){ .type = TRANS_KE, .id = a->ke };
	if (protocol == PROTO_ESP)
		xf[n++] = (transform_t){ .type = TRANS_ESN, .id = a->esn };
	memset(prop, 0, sizeof(*prop));
	prop->number = number;
	prop->protocol = protocol;
	prop->spi_len = spi_len;
	if (spi_len)
		memcpy(prop->spi, spi, spi_len);
	prop->num_transforms = n;
	prop->transforms = xf;
}

bool proposal_check_response(const proposal_cfg_t *ours, int n_ours,
                             uint16_t pfs_group, const proposal_t *resp,
                             uint8_t protocol, xform_available_t avail,
                             algs_t *out)
{
	if (!avail)
		avail = proposal_xform_available;
	if (resp->protocol != protocol)
		return false;
	/* Exactly one transform of each type (RFC 7296 §3.3.6). */
	int count[6] = { 0 };
	for (int i = 0; i < resp->num_transforms; i++) {
		uint8_t t = resp->transforms[i].type;
		if (t >= 1 && t <= 5 && ++count[t] > 1)
			return false;
	}
	for (int c = 0; c < n_ours; c++)
		if (match_one(&ours[c], pfs_group, resp, protocol, avail, out))
			return true;
	return false;
}

uint16_t proposal_first_ke(const proposal_cfg_t *cfg, int n_cfg,
                           uint16_t pfs_group, xform_available_t avail)
{
	if (!avail)
		avail = proposal_xform_available;
	for (int c = 0; c < n_cfg; c++) {
		uint16_t ke[CFG_MAX_XFORMS];
		int n = cfg_ke(&cfg[c], pfs_group, PROTO_IKE, ke);
		for (int i = 0; i < n; i++)
			if (ke[i] != KE_NONE && avail(TRANS_KE, ke[i]))
				return ke[i];
	}
	return KE_NONE;
}

bool proposal_allows_ke(const proposal_cfg_t *cfg, int n_cfg,
                        uint16_t pfs_group, uint16_t group)
{
	for (int c = 0; c < n_cfg; c++) {
		uint16_t ke[CFG_MAX_XFORMS];
		int n = cfg_ke(&cfg[c], pfs_group, PROTO_IKE, ke);
		for (int i = 0; i < n; i++)
			if (ke[i] == group)
				return true;
	}
	return false;
}

char *algs_to_str(const algs_t *a, uint8_t protocol, char *buf, size_t len)
{
	const char *encr = transform_name(TRANS_ENCR, a->encr);
	const char *integ = a->integ ? transform_name(TRANS_INTEG, a->integ) : NULL;
	const char *prf = protocol == PROTO_IKE ? transform_name(TRANS_PRF, a->prf) : NULL;
	const char *ke = a->ke ? transform_name(TRANS_KE, a->ke) : NULL;
	int n = snprintf(buf, len, "%s", encr ? encr : "?");
	if (a->encr_keylen && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, "-%u", a->encr_keylen);
	if (integ && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, "/%s", integ);
	if (prf && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, "/prf-%s", prf);
	if (ke && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, "/%s", ke);
	if (protocol == PROTO_ESP && a->esn && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "/esn");
	return buf;
}
