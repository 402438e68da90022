/*
 * keys.c - an IKE SA's keys: SKEYSEED and SK_* from the handshake
 * (crypto/keymat.h) and the crypto objects that protect each direction.
 */
#include "exchange/engine_priv.h"

#include <stdlib.h>

#include "crypto/keymat.h"

void spi_to_bytes(uint64_t spi, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(spi >> (56 - 8 * i));
}

static bool setup_dir(ike_sa_t *sa, sk_ctx_t *c, chunk_t sk_e, chunk_t sk_a,
                      bool outbound)
{
	const algs_t *a = &sa->algs;
	if (encr_is_aead(a->encr)) {
		c->aead = crypto_create_aead(a->encr, a->encr_keylen);
		return c->aead && c->aead->set_key(c->aead, sk_e);
	}
	c->crypter = crypto_create_crypter(a->encr, a->encr_keylen);
	c->signer = crypto_create_signer(a->integ);
	/* Only what we send needs random IVs. */
	c->rng = outbound ? crypto_create_rng(RNG_WEAK) : NULL;
	return c->crypter && c->signer && (c->rng || !outbound) &&
	       c->crypter->set_key(c->crypter, sk_e) &&
	       c->signer->set_key(c->signer, sk_a);
}

/* The crypto objects of both directions for k (consumed); NULL on failure. */
static ike_keys_t *keys_build(ike_sa_t *sa, keymat_ike_keys_t *k)
{
	ike_keys_t *keys = xzalloc(sizeof(*keys));
	keys->prf_alg = sa->algs.prf;
	bool ok;
	if (sa->initiator)
		ok = setup_dir(sa, &keys->out, k->sk_ei, k->sk_ai, true) &&
		     setup_dir(sa, &keys->in, k->sk_er, k->sk_ar, false);
	else
		ok = setup_dir(sa, &keys->out, k->sk_er, k->sk_ar, true) &&
		     setup_dir(sa, &keys->in, k->sk_ei, k->sk_ai, false);
	keys->sk_d = k->sk_d;
	keys->sk_pi = k->sk_pi;
	keys->sk_pr = k->sk_pr;
	k->sk_d = k->sk_pi = k->sk_pr = chunk_empty;
	/* keys->reasm is created when a fragment arrives (receive.c). */
	keymat_ike_keys_clear(k);
	if (!ok) {
		sa_log(sa, DBG_KEY, LVL_ERROR, "cannot set up the IKE SA's ciphers");
		ike_keys_free(keys);
		return NULL;
	}
	return keys;
}

bool ike_keys_install(ike_sa_t *sa, keymat_ike_keys_t *k)
{
	ike_keys_t *keys = keys_build(sa, k);
	if (!keys)
		return false;
	ike_keys_free(sa->keys);
	sa->keys = keys;
	return true;
}

bool ike_keys_install_alt(ike_sa_t *sa, keymat_ike_keys_t *k, bool old_prf)
{
	if (!sa->keys) {
		keymat_ike_keys_clear(k);
		return false;
	}
	ike_keys_t *alt = keys_build(sa, k);
	if (!alt)
		return false;
	ike_keys_free(sa->keys->alt);
	sa->keys->alt = alt;
	sa->keys->alt_old_prf = old_prf;
	return true;
}

void ike_keys_confirm(ike_sa_t *sa, bool alt_ok)
{
	ike_keys_t *k = sa->keys;
	if (!k || !k->alt)
		return;
	bool old_prf = alt_ok ? k->alt_old_prf : !k->alt_old_prf;
	sa_log(sa, DBG_KEY, alt_ok ? LVL_OP : LVL_VERBOSE,
	       "the peer derived this rekeyed IKE SA's keys with the %s SA's PRF "
	       "for prf+ (%s)%s", old_prf ? "old" : "new",
	       old_prf ? "as strongSwan does" : "RFC 7296 section 2.18",
	       alt_ok ? ": switched to that set" : "");
	if (alt_ok) {
		ike_keys_t *alt = k->alt;
		k->alt = NULL;
		alt->reasm = k->reasm;   /* fragments verified so far stay */
		k->reasm = NULL;
		ike_keys_free(k);
		sa->keys = alt;
		/* our request in flight: from now on as the peer can read it */
		if (sa->n_req_alt) {
			ike_sa_free_msgs(&sa->req, &sa->n_req);
			sa->req = sa->req_alt;
			sa->n_req = sa->n_req_alt;
			sa->req_alt = NULL;
			sa->n_req_alt = 0;
		}
	} else {
		ike_keys_free(k->alt);
		k->alt = NULL;
	}
	ike_sa_free_msgs(&sa->req_alt, &sa->n_req_alt);
}

bool ike_keys_derive(ike_sa_t *sa)
{
	ike_hs_t *hs = sa->hs;
	chunk_t g_ir;
	if (!hs->ke->get_shared_secret(hs->ke, &g_ir)) {
		sa_log(sa, DBG_KEY, LVL_ERROR, "no shared secret from the key exchange");
		return false;
	}
	keymat_algs_t ka = {
		.prf = sa->algs.prf, .encr = sa->algs.encr,
		.encr_key_bits = sa->algs.encr_keylen, .integ = sa->algs.integ,
	};
	uint8_t spi_i[8], spi_r[8];
	spi_to_bytes(sa->spi_i, spi_i);
	spi_to_bytes(sa->spi_r, spi_r);
	keymat_ike_keys_t k = { 0 };
	bool ok = keymat_derive_ike(&ka, g_ir, hs->ni, hs->nr, spi_i, spi_r, &k);
	chunk_clear(&g_ir);
	/* The private value is no longer needed. */
	hs->ke->destroy(hs->ke);
	hs->ke = NULL;
	if (!ok) {
		sa_log(sa, DBG_KEY, LVL_ERROR, "IKE key derivation failed");
		return false;
	}
	return ike_keys_install(sa, &k);
}

bool sa_prf(ike_sa_t *sa, chunk_t key, chunk_t data, chunk_t *out)
{
	*out = chunk_empty;
	prf_t *prf = crypto_create_prf(sa->algs.prf);
	if (!prf)
		return false;
	chunk_t r = chunk_alloc(prf->get_block_size(prf));
	bool ok = prf->set_key(prf, key) && prf->get_bytes(prf, data, r.ptr);
	prf->destroy(prf);
	if (!ok) {
		chunk_clear(&r);
		return false;
	}
	*out = r;
	return true;
}
