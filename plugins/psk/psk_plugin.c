/*
 * psk_plugin.c - pre-shared key authentication (RFC 7296 §2.15):
 *
 *     AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *
 * with the IKE SA's PRF.  Each side's AUTH uses that side's secret: ours is
 * the rule's local_key, the peer's its remote_key (equal for a symmetric
 * `key`), which gives the asymmetric keys of ikev2.preshared(5).
 * Provides the feature "auth:psk" and needs some PRF.
 */
#include <ikev2d/auth.h>
#include <ikev2d/bus.h>
#include <ikev2d/crypto.h>
#include <ikev2d/plugin.h>

#include <stdlib.h>

#define KEY_PAD "Key Pad for IKEv2"

/* Compute the AUTH value into out (prf block size bytes). */
static bool psk_compute(const auth_params_t *p, chunk_t *out)
{
	*out = chunk_empty;
	if (!p->psk.len) {
		log_error(DBG_IKESA, "%s #%llu: no pre-shared key for this rule",
		          p->rule ? p->rule : "?", (unsigned long long)p->sa_id);
		return false;
	}
	prf_t *prf = crypto_create_prf(p->prf);
	if (!prf) {
		log_error(DBG_IKESA, "%s #%llu: PRF %s not available for PSK AUTH",
		          p->rule ? p->rule : "?", (unsigned long long)p->sa_id,
		          transform_name(TRANS_PRF, p->prf) ?: "?");
		return false;
	}
	size_t bs = prf->get_block_size(prf);
	chunk_t padkey = chunk_alloc(bs);
	chunk_t auth = chunk_alloc(bs);
	bool ok = prf->set_key(prf, p->psk) &&
	          prf->get_bytes(prf, chunk_from_str(KEY_PAD), padkey.ptr) &&
	          prf->set_key(prf, padkey) &&
	          prf->get_bytes(prf, p->octets, auth.ptr);
	prf->destroy(prf);
	chunk_clear(&padkey);
	if (!ok) {
		chunk_clear(&auth);
		log_error(DBG_IKESA, "%s #%llu: PRF failed computing PSK AUTH",
		          p->rule ? p->rule : "?", (unsigned long long)p->sa_id);
		return false;
	}
	*out = auth;
	return true;
}

static bool psk_build(const authenticator_t *self, const auth_params_t *p,
                      uint8_t *method, chunk_t *auth_data)
{
	(void)self;
	*method = AUTH_PSK;
	return psk_compute(p, auth_data);
}

static auth_verify_t psk_verify(const authenticator_t *self,
                                const auth_params_t *p, uint8_t method,
                                chunk_t auth_data)
{
	(void)self;
	chunk_t expected;
	if (method != AUTH_PSK)
		return AUTH_VERIFY_FAILED;
	if (!psk_compute(p, &expected))
		return AUTH_VERIFY_FAILED;
	bool ok = expected.len == auth_data.len &&
	          memeq_const(expected.ptr, auth_data.ptr, expected.len);
	chunk_clear(&expected);
	return ok ? AUTH_VERIFY_OK : AUTH_VERIFY_FAILED;
}

static const authenticator_t psk_authenticator = {
	.method = AUTH_PSK,
	.build = psk_build,
	.verify = psk_verify,
	.request = NULL,     /* nothing to ask of the peer */
};

static bool psk_feature(ikev2d_plugin_t *plugin, const plugin_feature_t *f,
                        bool load)
{
	(void)f;
	if (load)
		return auth_register(plugin->name, &psk_authenticator);
	auth_unregister(&psk_authenticator);
	return true;
}

static const plugin_feature_t features[] = {
	PLUGIN_PROVIDE("auth:psk", psk_feature, NULL),
	PLUGIN_DEPENDS("prf:*"),
};

static size_t get_features(ikev2d_plugin_t *self, const plugin_feature_t **f)
{
	(void)self;
	*f = features;
	return sizeof(features) / sizeof(features[0]);
}

static void destroy(ikev2d_plugin_t *self)
{
	free(self);
}

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;
ikev2d_plugin_t *ikev2d_plugin_create(void);

ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	ikev2d_plugin_t *p = xzalloc(sizeof(*p));
	p->name = "psk";
	p->get_features = get_features;
	p->destroy = destroy;
	return p;
}
