/*
 * keystore.c - the keystore directory (see <ikev2d/keystore.h>): loading
 * with permission checks, matching keys to certificates, the published
 * set, and lookups (local certificate, chain, peer validation).
 */
#include <ikev2d/keystore.h>
#include <ikev2d/bus.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest path of a chain we build for our own CERT payloads. */
#define CHAIN_MAX 8

typedef struct {
	certificate_t *cert;
	uint8_t keyid[KEYSTORE_KEYID_SIZE];
	char *source;
} anchor_t;

struct keystore {
	atomic_int refcount;
	keystore_entry_t *entries; size_t n_entries;
	anchor_t *anchors; size_t n_anchors;
	certificate_t **inter; size_t n_inter;
	crl_t **crls; size_t n_crls;
	cert_validator_t *validator;   /* NULL without a "cert:x509" provider */
};

/* ---------------------------------------------------------------- signer */

typedef struct {
	key_signer_t public;
	private_key_t *key;
} inproc_signer_t;

static key_type_t ks_get_type(key_signer_t *s)
{
	private_key_t *k = ((inproc_signer_t *)s)->key;
	return k->get_type(k);
}

static size_t ks_get_keysize(key_signer_t *s)
{
	private_key_t *k = ((inproc_signer_t *)s)->key;
	return k->get_keysize(k);
}

static bool ks_is_ready(key_signer_t *s)
{
	(void)s;
	return true;
}

static bool ks_sign(key_signer_t *s, sig_scheme_t scheme, chunk_t data, chunk_t *sig)
{
	private_key_t *k = ((inproc_signer_t *)s)->key;
	return k->sign(k, scheme, data, sig);
}

static void ks_destroy(key_signer_t *s)
{
	inproc_signer_t *this = (inproc_signer_t *)s;
	this->key->destroy(this->key);
	free(this);
}

key_signer_t *signer_from_private_key(private_key_t *key)
{
	if (!key)
		return NULL;
	inproc_signer_t *this = xzalloc(sizeof(*this));
	this->public = (key_signer_t){
		.get_type = ks_get_type, .get_keysize = ks_get_keysize,
		.is_ready = ks_is_ready, .sign = ks_sign, .destroy = ks_destroy,
	};
	this->key = key;
	return &this->public;
}

/* -------------------------------------------------------------- objects */

bool cert_keyid(certificate_t *cert, uint8_t out[KEYSTORE_KEYID_SIZE])
{
	public_key_t *pub = cert ? cert->get_public_key(cert) : NULL;
	chunk_t spki = chunk_empty;
	bool ok = false;

	if (pub && pub->get_encoding(pub, &spki)) {
		hasher_t *h = crypto_create_hasher(HASH_SHA1);
		if (h) {
			ok = h->get_hash_size(h) == KEYSTORE_KEYID_SIZE &&
			     h->get_hash(h, &spki, 1, out);
			h->destroy(h);
		}
	}
	chunk_free(&spki);
	if (pub)
		pub->destroy(pub);
	return ok;
}

keystore_t *keystore_create_empty(void)
{
	keystore_t *ks = xzalloc(sizeof(*ks));
	atomic_init(&ks->refcount, 1);
	return ks;
}

void keystore_add_entry(keystore_t *ks, certificate_t *cert, key_signer_t *signer,
                        const char *source)
{
	ks->entries = xrealloc(ks->entries, (ks->n_entries + 1) * sizeof(*ks->entries));
	ks->entries[ks->n_entries++] = (keystore_entry_t){
		.cert = cert, .signer = signer, .source = xstrdup(source ? source : "?"),
	};
}

/* Made with the first anchor or CRL: without either nothing validates,
 * and a configuration without certificates needs no "cert:x509". */
static bool need_validator(keystore_t *ks, const char *source)
{
	if (!ks->validator)
		ks->validator = cred_create_validator();
	if (!ks->validator)
		log_error(DBG_CERT, "%s: no plugin provides \"cert:x509\" to "
		          "validate certificates with", source ? source : "?");
	return ks->validator != NULL;
}

bool keystore_add_anchor(keystore_t *ks, certificate_t *ca, const char *source)
{
	anchor_t a = { .cert = ca };
	if (!need_validator(ks, source)) {
		ca->destroy(ca);
		return false;
	}
	if (!cert_keyid(ca, a.keyid) ||
	    !ks->validator->add_anchor(ks->validator, ca)) {
		log_error(DBG_CERT, "%s: cannot use as a trust anchor", source);
		ca->destroy(ca);
		return false;
	}
	a.source = xstrdup(source ? source : "?");
	ks->anchors = xrealloc(ks->anchors, (ks->n_anchors + 1) * sizeof(*ks->anchors));
	ks->anchors[ks->n_anchors++] = a;
	return true;
}

void keystore_add_intermediate(keystore_t *ks, certificate_t *ca)
{
	/* The validator knows them as ours: anchors under the policy's
	 * trust_intermediate_cas. */
	if (ks->validator || cred_provider("cert:x509"))
		if (need_validator(ks, NULL) && ca->is_ca(ca))
			ks->validator->add_intermediate(ks->validator, ca);
	ks->inter = xrealloc(ks->inter, (ks->n_inter + 1) * sizeof(*ks->inter));
	ks->inter[ks->n_inter++] = ca;
}

bool keystore_add_crl(keystore_t *ks, crl_t *crl, const char *source)
{
	if (!need_validator(ks, source)) {
		crl->destroy(crl);
		return false;
	}
	if (!ks->validator->add_crl(ks->validator, crl)) {
		log_error(DBG_CERT, "%s: CRL not usable", source);
		crl->destroy(crl);
		return false;
	}
	ks->crls = xrealloc(ks->crls, (ks->n_crls + 1) * sizeof(*ks->crls));
	ks->crls[ks->n_crls++] = crl;
	return true;
}

keystore_t *keystore_ref(keystore_t *ks)
{
	if (ks)
		atomic_fetch_add(&ks->refcount, 1);
	return ks;
}

void keystore_unref(keystore_t *ks)
{
	if (!ks || atomic_fetch_sub(&ks->refcount, 1) != 1)
		return;
	for (size_t i = 0; i < ks->n_entries; i++) {
		keystore_entry_t *e = &ks->entries[i];
		e->cert->destroy(e->cert);
		if (e->signer)
			e->signer->destroy(e->signer);
		free((char *)e->source);
	}
	free(ks->entries);
	for (size_t i = 0; i < ks->n_anchors; i++) {
		ks->anchors[i].cert->destroy(ks->anchors[i].cert);
		free(ks->anchors[i].source);
	}
	free(ks->anchors);
	for (size_t i = 0; i < ks->n_inter; i++)
		ks->inter[i]->destroy(ks->inter[i]);
	free(ks->inter);
	for (size_t i = 0; i < ks->n_crls; i++)
		ks->crls[i]->destroy(ks->crls[i]);
	free(ks->crls);
	if (ks->validator)
		ks->validator->destroy(ks->validator);
	free(ks);
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static keystore_t *current;

keystore_t *keystore_current(void)
{
	pthread_mutex_lock(&current_lock);
	keystore_t *ks = keystore_ref(current);
	pthread_mutex_unlock(&current_lock);
	return ks;
}

void keystore_set_current(keystore_t *ks)
{
	keystore_ref(ks);
	pthread_mutex_lock(&current_lock);
	keystore_t *old = current;
	current = ks;
	pthread_mutex_unlock(&current_lock);
	keystore_unref(old);
}

/* -------------------------------------------------------------- loading */

typedef struct {
	const char *dir;
	uid_t owner;
	int errors;
} load_ctx_t;

static bool wanted_name(const char *name)
{
	static const char *const ext[] = { ".pem", ".der", ".crt", ".cer",
	                                   ".key", ".crl", NULL };
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	for (size_t i = 0; ext[i]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
			return true;
	}
	return false;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted file names of a subdirectory (so load order is stable);
 * 0 with *names NULL when it is missing or empty. */
static size_t list_dir(load_ctx_t *ctx, const char *sub, char ***names)
{
	char path[4096];
	*names = NULL;
	snprintf(path, sizeof(path), "%s/%s", ctx->dir, sub);
	DIR *d = opendir(path);
	if (!d) {
		if (errno != ENOENT) {
			log_error(DBG_CERT, "%s: %s", path, strerror(errno));
			ctx->errors++;
		}
		return 0;
	}
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!wanted_name(de->d_name))
			continue;
		*names = xrealloc(*names, (n + 1) * sizeof(**names));
		(*names)[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)   /* an empty directory leaves *names NULL */
		qsort(*names, n, sizeof(**names), cmp_names);
	return n;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Private material: owned by us, no permission bits for group/other. */
static bool private_ok(load_ctx_t *ctx, const char *path, bool is_dir)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && is_dir)
			return true;
		log_error(DBG_CERT, "%s: %s", path, strerror(errno));
		ctx->errors++;
		return false;
	}
	if (st.st_uid != ctx->owner && st.st_uid != 0) {
		log_error(DBG_CERT, "%s: owned by uid %ld, not by the daemon's user "
		          "(uid %ld) or root: refusing the keystore", path,
		          (long)st.st_uid, (long)ctx->owner);
		ctx->errors++;
		return false;
	}
	if (st.st_mode & 077) {
		log_error(DBG_CERT, "%s: readable or writable by others (mode %04o): "
		          "refusing the keystore; run 'chmod %s %s'", path,
		          (unsigned)(st.st_mode & 07777), is_dir ? "700" : "600", path);
		ctx->errors++;
		return false;
	}
	return true;
}

typedef void (*add_cert_fn)(load_ctx_t *ctx, keystore_t *ks,
                            certificate_t *cert, const char *path);

static void load_certs(load_ctx_t *ctx, keystore_t *ks, const char *sub,
                       add_cert_fn add)
{
	char **names;
	size_t n = list_dir(ctx, sub, &names);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s/%s", ctx->dir, sub, names[i]);
		certificate_t **certs;
		size_t k = cred_load_certificates_file(path, &certs);
		if (!k) {
			log_error(DBG_CERT, "%s: not a certificate", path);
			ctx->errors++;
			continue;
		}
		for (size_t j = 0; j < k; j++)
			add(ctx, ks, certs[j], path);
		free(certs);
	}
	free_names(names, n);
}

static void add_own(load_ctx_t *ctx, keystore_t *ks, certificate_t *cert,
                    const char *path)
{
	(void)ctx;
	keystore_add_entry(ks, cert, NULL, path);
}

static void add_anchor_cb(load_ctx_t *ctx, keystore_t *ks, certificate_t *cert,
                          const char *path)
{
	if (!keystore_add_anchor(ks, cert, path))
		ctx->errors++;
}

static void add_inter_cb(load_ctx_t *ctx, keystore_t *ks, certificate_t *cert,
                         const char *path)
{
	(void)ctx;
	(void)path;
	keystore_add_intermediate(ks, cert);
}

/* Give a private key to the certificate whose public key it matches. */
static void attach_key(load_ctx_t *ctx, keystore_t *ks, private_key_t *key,
                       const char *path)
{
	public_key_t *pub = key->get_public_key(key);
	bool used = false;
	for (size_t i = 0; pub && i < ks->n_entries && !used; i++) {
		keystore_entry_t *e = &ks->entries[i];
		if (e->signer)
			continue;
		public_key_t *cp = e->cert->get_public_key(e->cert);
		if (cp && cp->equals(cp, pub)) {
			e->signer = signer_from_private_key(key);
			used = true;
		}
		if (cp)
			cp->destroy(cp);
	}
	if (pub)
		pub->destroy(pub);
	if (!used) {
		/* Not an error: a key may wait for its certificate. */
		log_op(DBG_CERT, "%s: no certificate in certs/ matches this key "
		       "(ignored)", path);
		key->destroy(key);
	}
	(void)ctx;
}

static void load_keys(load_ctx_t *ctx, keystore_t *ks)
{
	char dpath[4096];
	snprintf(dpath, sizeof(dpath), "%s/private", ctx->dir);
	if (!private_ok(ctx, dpath, true))
		return;
	char **names;
	size_t n = list_dir(ctx, "private", &names);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/private/%s", ctx->dir, names[i]);
		if (!private_ok(ctx, path, false))
			continue;
		private_key_t *key = cred_load_private_key_file(path, KEY_ANY, NULL);
		if (!key) {
			log_error(DBG_CERT, "%s: not a private key we can load", path);
			ctx->errors++;
			continue;
		}
		attach_key(ctx, ks, key, path);
	}
	free_names(names, n);
}

static void load_crls(load_ctx_t *ctx, keystore_t *ks)
{
	char **names;
	size_t n = list_dir(ctx, "crls", &names);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/crls/%s", ctx->dir, names[i]);
		crl_t *crl = cred_load_crl_file(path);
		if (!crl) {
			log_error(DBG_CERT, "%s: not a CRL", path);
			ctx->errors++;
			continue;
		}
		if (!keystore_add_crl(ks, crl, path))
			ctx->errors++;
	}
	free_names(names, n);
}

keystore_t *keystore_load(const char *dir, uid_t owner, int *n_errors)
{
	load_ctx_t ctx = { .dir = dir, .owner = owner };
	struct stat st;

	if (n_errors)
		*n_errors = 0;
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)   /* no certificates: not worth a line */
			return keystore_create_empty();
		log_error(DBG_CERT, "%s: %s", dir, strerror(errno));
		if (n_errors)
			*n_errors = 1;
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error(DBG_CERT, "%s: the keystore is not a directory", dir);
		if (n_errors)
			*n_errors = 1;
		return NULL;
	}
	if (!private_ok(&ctx, dir, true)) {
		if (n_errors)
			*n_errors = ctx.errors;
		return NULL;
	}
	keystore_t *ks = keystore_create_empty();
	load_certs(&ctx, ks, "certs", add_own);
	load_certs(&ctx, ks, "cacerts", add_anchor_cb);
	load_certs(&ctx, ks, "intcerts", add_inter_cb);
	load_keys(&ctx, ks);
	load_crls(&ctx, ks);
	if (n_errors)
		*n_errors = ctx.errors;
	if (ctx.errors) {
		keystore_unref(ks);
		return NULL;
	}
	size_t with_key = 0;
	for (size_t i = 0; i < ks->n_entries; i++)
		with_key += ks->entries[i].signer != NULL;
	log_op(DBG_CERT, "keystore %s: %zu certificate%s (%zu with a key), %zu "
	       "trust anchor%s, %zu intermediate%s, %zu CRL%s", dir,
	       ks->n_entries, ks->n_entries == 1 ? "" : "s", with_key,
	       ks->n_anchors, ks->n_anchors == 1 ? "" : "s",
	       ks->n_inter, ks->n_inter == 1 ? "" : "s",
	       ks->n_crls, ks->n_crls == 1 ? "" : "s");
	return ks;
}

/* -------------------------------------------------------------- lookups */

size_t keystore_count(keystore_t *ks)
{
	return ks ? ks->n_entries : 0;
}

const keystore_entry_t *keystore_get(keystore_t *ks, size_t idx)
{
	return ks && idx < ks->n_entries ? &ks->entries[idx] : NULL;
}

size_t keystore_anchor_count(keystore_t *ks)
{
	return ks ? ks->n_anchors : 0;
}

certificate_t *keystore_anchor(keystore_t *ks, size_t idx)
{
	return ks && idx < ks->n_anchors ? ks->anchors[idx].cert : NULL;
}

const uint8_t *keystore_anchor_keyid(keystore_t *ks, size_t idx)
{
	return ks && idx < ks->n_anchors ? ks->anchors[idx].keyid : NULL;
}

size_t keystore_intermediates(keystore_t *ks, certificate_t *const **list)
{
	*list = ks ? ks->inter : NULL;
	return ks ? ks->n_inter : 0;
}

size_t keystore_crls(keystore_t *ks, crl_t *const **list)
{
	*list = ks ? ks->crls : NULL;
	return ks ? ks->n_crls : 0;
}

/* The issuer of cert among n candidates, or NULL. */
static certificate_t *find_issuer(certificate_t *cert, certificate_t *const *c,
                                  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c[i] != cert && cert->issued_by(cert, c[i]))
			return c[i];
	return NULL;
}

static anchor_t *find_anchor(keystore_t *ks, certificate_t *cert)
{
	for (size_t i = 0; i < ks->n_anchors; i++)
		if (cert->issued_by(cert, ks->anchors[i].cert))
			return &ks->anchors[i];
	return NULL;
}

size_t keystore_chain(keystore_t *ks, certificate_t *cert,
                      certificate_t ***chain)
{
	size_t n = 0;
	*chain = xzalloc(CHAIN_MAX * sizeof(**chain));
	certificate_t *at = cert;
	while (n < CHAIN_MAX && !find_anchor(ks, at)) {
		certificate_t *up = find_issuer(at, ks->inter, ks->n_inter);
		if (!up)
			break;
		for (size_t i = 0; i < n; i++)
			if ((*chain)[i] == up)
				return n;   /* a loop */
		(*chain)[n++] = up;
		at = up;
	}
	return n;
}

/* Whether cert's path through our intermediates ends at an anchor whose
 * key id is one of keyids (or cert is issued directly by such a key). */
static bool leads_to(keystore_t *ks, certificate_t *cert,
                     const uint8_t (*keyids)[KEYSTORE_KEYID_SIZE], size_t n)
{
	certificate_t *at = cert;
	for (int depth = 0; depth <= CHAIN_MAX; depth++) {
		anchor_t *a = find_anchor(ks, at);
		if (a) {
			for (size_t i = 0; i < n; i++)
				if (memcmp(a->keyid, keyids[i], KEYSTORE_KEYID_SIZE) == 0)
					return true;
			return false;
		}
		certificate_t *up = find_issuer(at, ks->inter, ks->n_inter);
		if (!up)
			return false;
		uint8_t id[KEYSTORE_KEYID_SIZE];
		if (cert_keyid(up, id))
			for (size_t i = 0; i < n; i++)
				if (memcmp(id, keyids[i], KEYSTORE_KEYID_SIZE) == 0)
					return true;
		at = up;
	}
	return false;
}

const keystore_entry_t *keystore_find_local(keystore_t *ks, uint8_t id_type,
                                            chunk_t id, keystore_match_t match,
                                            void *ctx,
                                            const uint8_t (*keyids)[KEYSTORE_KEYID_SIZE],
                                            size_t n)
{
	const keystore_entry_t *first = NULL;
	if (!ks)
		return NULL;
	for (size_t i = 0; i < ks->n_entries; i++) {
		const keystore_entry_t *e = &ks->entries[i];
		if (!e->signer)
			continue;
		if (match ? !match(ctx, e->cert)
		          : !certificate_matches_id(e->cert, id_type, id))
			continue;
		if (!n || leads_to(ks, e->cert, keyids, n))
			return e;
		if (!first)
			first = e;
	}
	return first;
}

cert_status_t keystore_verify(keystore_t *ks, certificate_t *leaf,
                              certificate_t *const *intermediates, size_t n,
                              const cert_policy_t *policy,
                              certificate_t **anchor)
{
	return keystore_verify_async(ks, leaf, intermediates, n, policy, anchor,
	                             NULL);
}

cert_status_t keystore_verify_async(keystore_t *ks, certificate_t *leaf,
                                    certificate_t *const *intermediates,
                                    size_t n, const cert_policy_t *policy,
                                    certificate_t **anchor,
                                    cert_wait_t *wait)
{
	if (anchor)
		*anchor = NULL;
	if (!ks || !ks->validator ||
	    (!ks->n_anchors && !(policy && (policy->trust_intermediate_cas ||
	                                    policy->ignore_trust_anchor))))
		return CERT_NO_ISSUER;
	size_t total = n + ks->n_inter;
	certificate_t **all = xzalloc((total + 1) * sizeof(*all));
	for (size_t i = 0; i < n; i++)
		all[i] = intermediates[i];
	for (size_t i = 0; i < ks->n_inter; i++)
		all[n + i] = ks->inter[i];
	cert_status_t st = wait && ks->validator->verify_async ?
		ks->validator->verify_async(ks->validator, leaf, all, total,
		                            policy, NULL, wait) :
		ks->validator->verify(ks->validator, leaf, all, total, policy,
		                      NULL);
	if (st == CERT_OK && anchor) {
		certificate_t *at = leaf;
		for (int depth = 0; depth <= CHAIN_MAX && at; depth++) {
			anchor_t *a = find_anchor(ks, at);
			if (a) {
				*anchor = a->cert;
				break;
			}
			at = find_issuer(at, all, total);
		}
	}
	free(all);
	return st;
}
