/*
 * crypto_registry.c - which plugin provides each algorithm, and creating
 * instances through it.
 *
 * Plugins register one constructor per algorithm from their feature
 * callbacks (at load time); workers create instances for every SA.  So the
 * tables are read far more often than written: a read-write lock guards
 * them, and a lookup is an array index.  Algorithm numbers above
 * REGISTRY_MAX_ID (IANA private-use ranges) are not supported.
 */
#include <ikev2d/crypto.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define REGISTRY_MAX_ID 255

typedef void (*any_ctor_t)(void);

typedef struct {
	any_ctor_t ctor;  /* NULL: no provider */
	char *plugin;
} registry_entry_t;

typedef enum {
	REG_CRYPTER,
	REG_AEAD,
	REG_SIGNER,
	REG_PRF,
	REG_HASHER,
	REG_KE,
	REG_RNG,
	REG_KINDS,
} registry_kind_t;

static registry_entry_t registry[REG_KINDS][REGISTRY_MAX_ID + 1];
static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;

static bool registry_add(registry_kind_t kind, unsigned id, const char *plugin,
                         any_ctor_t ctor)
{
	bool added = false;

	if (id > REGISTRY_MAX_ID || !ctor)
		return false;
	pthread_rwlock_wrlock(&registry_lock);
	registry_entry_t *e = &registry[kind][id];
	if (!e->ctor) {
		e->ctor = ctor;
		e->plugin = xstrdup(plugin ? plugin : "?");
		added = true;
	}
	pthread_rwlock_unlock(&registry_lock);
	return added;
}

static void registry_remove(registry_kind_t kind, unsigned id)
{
	if (id > REGISTRY_MAX_ID)
		return;
	pthread_rwlock_wrlock(&registry_lock);
	registry_entry_t *e = &registry[kind][id];
	e->ctor = NULL;
	free(e->plugin);
	e->plugin = NULL;
	pthread_rwlock_unlock(&registry_lock);
}

static any_ctor_t registry_get(registry_kind_t kind, unsigned id)
{
	any_ctor_t ctor;

	if (id > REGISTRY_MAX_ID)
		return NULL;
	pthread_rwlock_rdlock(&registry_lock);
	ctor = registry[kind][id].ctor;
	pthread_rwlock_unlock(&registry_lock);
	return ctor;
}

/* The constructors have different types; they are stored as a generic
 * function pointer and converted back to their own type on use, which C
 * allows for function pointers. */
#define REG_ADD(kind, id, plugin, c) registry_add(kind, id, plugin, (any_ctor_t)(c))

bool crypto_register_crypter(encr_id_t alg, const char *plugin, crypter_ctor_t c)
{
	return REG_ADD(REG_CRYPTER, alg, plugin, c);
}

bool crypto_register_aead(encr_id_t alg, const char *plugin, aead_ctor_t c)
{
	return REG_ADD(REG_AEAD, alg, plugin, c);
}

bool crypto_register_signer(integ_id_t alg, const char *plugin, signer_ctor_t c)
{
	return REG_ADD(REG_SIGNER, alg, plugin, c);
}

bool crypto_register_prf(prf_id_t alg, const char *plugin, prf_ctor_t c)
{
	return REG_ADD(REG_PRF, alg, plugin, c);
}

bool crypto_register_hasher(hash_id_t alg, const char *plugin, hasher_ctor_t c)
{
	return REG_ADD(REG_HASHER, alg, plugin, c);
}

bool crypto_register_ke(ke_id_t group, const char *plugin, ke_ctor_t c)
{
	return REG_ADD(REG_KE, group, plugin, c);
}

bool crypto_register_rng(const char *plugin, rng_ctor_t c)
{
	return REG_ADD(REG_RNG, 0, plugin, c);
}

void crypto_unregister_crypter(encr_id_t alg) { registry_remove(REG_CRYPTER, alg); }
void crypto_unregister_aead(encr_id_t alg) { registry_remove(REG_AEAD, alg); }
void crypto_unregister_signer(integ_id_t alg) { registry_remove(REG_SIGNER, alg); }
void crypto_unregister_prf(prf_id_t alg) { registry_remove(REG_PRF, alg); }
void crypto_unregister_hasher(hash_id_t alg) { registry_remove(REG_HASHER, alg); }
void crypto_unregister_ke(ke_id_t group) { registry_remove(REG_KE, group); }
void crypto_unregister_rng(void) { registry_remove(REG_RNG, 0); }

crypter_t *crypto_create_crypter(encr_id_t alg, size_t key_bits)
{
	crypter_ctor_t c = (crypter_ctor_t)registry_get(REG_CRYPTER, alg);
	return c ? c(alg, key_bits) : NULL;
}

aead_t *crypto_create_aead(encr_id_t alg, size_t key_bits)
{
	aead_ctor_t c = (aead_ctor_t)registry_get(REG_AEAD, alg);
	return c ? c(alg, key_bits) : NULL;
}

signer_t *crypto_create_signer(integ_id_t alg)
{
	signer_ctor_t c = (signer_ctor_t)registry_get(REG_SIGNER, alg);
	return c ? c(alg) : NULL;
}

prf_t *crypto_create_prf(prf_id_t alg)
{
	prf_ctor_t c = (prf_ctor_t)registry_get(REG_PRF, alg);
	return c ? c(alg) : NULL;
}

hasher_t *crypto_create_hasher(hash_id_t alg)
{
	hasher_ctor_t c = (hasher_ctor_t)registry_get(REG_HASHER, alg);
	return c ? c(alg) : NULL;
}

ke_t *crypto_create_ke(ke_id_t group)
{
	ke_ctor_t c = (ke_ctor_t)registry_get(REG_KE, group);
	return c ? c(group) : NULL;
}

rng_t *crypto_create_rng(rng_quality_t quality)
{
	rng_ctor_t c = (rng_ctor_t)registry_get(REG_RNG, 0);
	return c ? c(quality) : NULL;
}

bool crypto_random(rng_quality_t quality, void *buf, size_t len)
{
	rng_t *rng = crypto_create_rng(quality);

	if (rng) {
		bool ok = rng->get_bytes(rng, len, buf);
		rng->destroy(rng);
		if (ok)
			return true;
	}
	uint8_t *p = buf;
	while (len) {
		ssize_t got = getrandom(p, len, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += got;
		len -= (size_t)got;
	}
	return true;
}

/* The returned name stays valid while the provider is registered: plugins
 * unregister only when they are unloaded. */
static const char *provider_of(registry_kind_t kind, unsigned id)
{
	const char *name;

	if (id > REGISTRY_MAX_ID)
		return NULL;
	pthread_rwlock_rdlock(&registry_lock);
	name = registry[kind][id].ctor ? registry[kind][id].plugin : NULL;
	pthread_rwlock_unlock(&registry_lock);
	return name;
}

const char *crypto_provider(transform_type_t type, uint16_t id)
{
	switch (type) {
	case TRANS_ENCR:
		return encr_is_aead(id) ? provider_of(REG_AEAD, id)
		                        : provider_of(REG_CRYPTER, id);
	case TRANS_PRF:
		return provider_of(REG_PRF, id);
	case TRANS_INTEG:
		return provider_of(REG_SIGNER, id);
	case TRANS_KE:
		return provider_of(REG_KE, id);
	case TRANS_ESN:
		break;
	}
	return NULL;
}

bool encr_is_aead(encr_id_t alg)
{
	switch (alg) {
	case ENCR_AES_CCM_8:
	case ENCR_AES_CCM_12:
	case ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
	case ENCR_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

/* Hashes and the RNG have no IKEv2 transform type, hence their own
 * queries (load-order tests and listings use them). */
const char *crypto_hasher_provider(hash_id_t alg)
{
	return provider_of(REG_HASHER, alg);
}

const char *crypto_rng_provider(void)
{
	return provider_of(REG_RNG, 0);
}
