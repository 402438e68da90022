/*
 * cred_registry.c - which plugin loads which credential, and the core's
 * entry points for loading keys, certificates and CRLs.
 *
 * One provider per slot, first registration wins (the plugin loader lets
 * the first plugin in load order provide a feature, and registration
 * enforces it).  The table is read far more often than written, hence a
 * read-write lock; a loader runs without the lock held, so a plugin must
 * not unregister while loads are in flight (the loader unloads features
 * only at shutdown or reload, after the engine has stopped using them).
 */
#include <ikev2d/cred.h>
#include <ikev2d/bus.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Credential files are small; anything larger is a mistake. */
#define CRED_FILE_MAX (1024 * 1024)

typedef struct {
	const char *plugin;   /* NULL: no provider */
	void *fn;
} slot_t;

static struct {
	pthread_rwlock_t lock;
	slot_t privkey[KEY_TYPE_MAX];
	slot_t pubkey[KEY_TYPE_MAX];
	slot_t pkcs11;
	slot_t token;
	slot_t cert;
	validator_ctor_t validator;
	slot_t crl;
} reg = { .lock = PTHREAD_RWLOCK_INITIALIZER };

static bool slot_set(slot_t *slot, const char *what, const char *plugin,
                     void *fn)
{
	bool ok;

	pthread_rwlock_wrlock(&reg.lock);
	ok = slot->plugin == NULL;
	if (ok) {
		slot->plugin = plugin;
		slot->fn = fn;
	}
	pthread_rwlock_unlock(&reg.lock);
	if (!ok)
		log_verbose(DBG_CERT, "%s already provided, %s refused", what,
		            plugin);
	return ok;
}

static void slot_clear(slot_t *slot)
{
	pthread_rwlock_wrlock(&reg.lock);
	slot->plugin = NULL;
	slot->fn = NULL;
	pthread_rwlock_unlock(&reg.lock);
}

static void *slot_get(slot_t *slot)
{
	void *fn;

	pthread_rwlock_rdlock(&reg.lock);
	fn = slot->fn;
	pthread_rwlock_unlock(&reg.lock);
	return fn;
}

static bool key_type_valid(key_type_t type)
{
	return type > KEY_ANY && type < KEY_TYPE_MAX;
}

/* Function pointers travel through void * in the table; these casts go
 * through a union to stay within ISO C. */
typedef union {
	void *p;
	privkey_loader_t privkey;
	pubkey_loader_t pubkey;
	pkcs11_loader_t pkcs11;
	token_opener_t token;
	cert_loader_t cert;
	crl_loader_t crl;
} fn_u;

#define FN_IN(field, f) ((fn_u){ .field = (f) }.p)

bool cred_register_privkey(key_type_t type, const char *plugin,
                           privkey_loader_t load)
{
	if (!key_type_valid(type) || !plugin || !load)
		return false;
	return slot_set(&reg.privkey[type], "private key loader", plugin,
	                FN_IN(privkey, load));
}

bool cred_register_pubkey(key_type_t type, const char *plugin,
                          pubkey_loader_t load)
{
	if (!key_type_valid(type) || !plugin || !load)
		return false;
	return slot_set(&reg.pubkey[type], "public key loader", plugin,
	                FN_IN(pubkey, load));
}

bool cred_register_pkcs11(const char *plugin, pkcs11_loader_t load)
{
	if (!plugin || !load)
		return false;
	return slot_set(&reg.pkcs11, "pkcs11", plugin, FN_IN(pkcs11, load));
}

bool cred_register_cert(const char *plugin, cert_loader_t load,
                        validator_ctor_t validator)
{
	if (!plugin || !load || !validator)
		return false;
	if (!slot_set(&reg.cert, "cert:x509", plugin, FN_IN(cert, load)))
		return false;
	pthread_rwlock_wrlock(&reg.lock);
	reg.validator = validator;
	pthread_rwlock_unlock(&reg.lock);
	return true;
}

bool cred_register_crl(const char *plugin, crl_loader_t load)
{
	if (!plugin || !load)
		return false;
	return slot_set(&reg.crl, "crl:x509", plugin, FN_IN(crl, load));
}

void cred_unregister_privkey(key_type_t type)
{
	if (key_type_valid(type))
		slot_clear(&reg.privkey[type]);
}

void cred_unregister_pubkey(key_type_t type)
{
	if (key_type_valid(type))
		slot_clear(&reg.pubkey[type]);
}

void cred_unregister_pkcs11(void)
{
	slot_clear(&reg.pkcs11);
}

bool cred_register_token(const char *plugin, token_opener_t open)
{
	if (!plugin || !open)
		return false;
	return slot_set(&reg.token, "pkcs11 tokens", plugin, FN_IN(token, open));
}

void cred_unregister_token(void)
{
	slot_clear(&reg.token);
}

cred_token_t *cred_open_token(const char *uri)
{
	void *fn = slot_get(&reg.token);

	if (!uri || strncmp(uri, "pkcs11:", 7) != 0) {
		log_error(DBG_CERT, "token '%s' is not a PKCS#11 URI",
		          uri ? uri : "");
		return NULL;
	}
	if (!fn) {
		log_error(DBG_CERT, "no plugin provides pkcs11 tokens");
		return NULL;
	}
	return ((fn_u){ .p = fn }).token(uri);
}

void cred_unregister_cert(void)
{
	pthread_rwlock_wrlock(&reg.lock);
	reg.cert.plugin = NULL;
	reg.cert.fn = NULL;
	reg.validator = NULL;
	pthread_rwlock_unlock(&reg.lock);
}

void cred_unregister_crl(void)
{
	slot_clear(&reg.crl);
}

/* The provider of a key feature ("rsa", "ecdsa", ...) in one table. */
static const char *key_provider(slot_t *table, const char *name)
{
	const char *plugin = NULL;

	pthread_rwlock_rdlock(&reg.lock);
	for (int t = KEY_ANY + 1; t < KEY_TYPE_MAX && !plugin; t++) {
		const char *f = key_type_feature((key_type_t)t);
		if (f && strcmp(f, name) == 0)
			plugin = table[t].plugin;
	}
	pthread_rwlock_unlock(&reg.lock);
	return plugin;
}

const char *cred_provider(const char *feature)
{
	const char *plugin = NULL;

	if (!feature)
		return NULL;
	if (strncmp(feature, "privkey:", 8) == 0)
		return key_provider(reg.privkey, feature + 8);
	if (strncmp(feature, "pubkey:", 7) == 0)
		return key_provider(reg.pubkey, feature + 7);
	pthread_rwlock_rdlock(&reg.lock);
	if (strcmp(feature, "cert:x509") == 0)
		plugin = reg.cert.plugin;
	else if (strcmp(feature, "crl:x509") == 0)
		plugin = reg.crl.plugin;
	else if (strcmp(feature, "pkcs11") == 0)
		plugin = reg.pkcs11.plugin;
	pthread_rwlock_unlock(&reg.lock);
	return plugin;
}

/* ------------------------------------------------------------- loading */

/* Private and public keys load alike; what differs is described here. */
typedef struct {
	slot_t *slots;          /* reg.privkey or reg.pubkey */
	const char *what;       /* "private key" */
	const char *feature;    /* "privkey" */
	bool private;
} key_kind_t;

static void *call_loader(const key_kind_t *kind, void *fn, key_type_t type,
                         chunk_t data, key_type_t *got)
{
	fn_u u = { .p = fn };

	if (kind->private) {
		private_key_t *key = u.privkey(type, data);
		if (key)
			*got = key->get_type(key);
		return key;
	}
	public_key_t *key = u.pubkey(type, data);
	if (key)
		*got = key->get_type(key);
	return key;
}

static void destroy_key(const key_kind_t *kind, void *key)
{
	if (kind->private)
		((private_key_t *)key)->destroy(key);
	else
		((public_key_t *)key)->destroy(key);
}

/*
 * With KEY_ANY, every distinct loader gets a try (a PEM/DER blob does not
 * say its type before parsing); a result whose type has no provider of its
 * own is refused, so dropping "privkey:dsa" really disables DSA keys.
 */
static void *load_key(const key_kind_t *kind, key_type_t type, chunk_t data)
{
	void *tried[KEY_TYPE_MAX];
	size_t ntried = 0;

	if ((unsigned)type >= KEY_TYPE_MAX) {
		log_error(DBG_CERT, "%s: invalid key type %d", kind->what, type);
		return NULL;
	}
	for (int t = KEY_ANY + 1; t < KEY_TYPE_MAX; t++) {
		if (type != KEY_ANY && t != (int)type)
			continue;
		void *fn = slot_get(&kind->slots[t]);
		bool seen = false;
		if (!fn)
			continue;
		for (size_t i = 0; i < ntried; i++)
			seen |= tried[i] == fn;
		if (seen)
			continue;
		tried[ntried++] = fn;

		key_type_t got = KEY_ANY;
		void *key = call_loader(kind, fn, type, data, &got);
		if (!key)
			continue;
		if ((type != KEY_ANY && got != type) ||
		    !key_type_valid(got) || !slot_get(&kind->slots[got])) {
			log_error(DBG_CERT, "%s: %s keys are not enabled (no "
			          "plugin provides %s:%s)", kind->what,
			          key_type_name(got) ? key_type_name(got) : "?",
			          kind->feature,
			          key_type_feature(got) ? key_type_feature(got) : "?");
			destroy_key(kind, key);
			return NULL;
		}
		return key;
	}
	if (ntried == 0)
		log_error(DBG_CERT, "%s: no plugin loads %s keys", kind->what,
		          key_type_name(type));
	else
		log_error(DBG_CERT, "%s: not a %s key in PEM or DER", kind->what,
		          type == KEY_ANY ? "supported" : key_type_name(type));
	return NULL;
}

private_key_t *cred_load_private_key(key_type_t type, chunk_t data)
{
	static const key_kind_t kind = {
		reg.privkey, "private key", "privkey", true
	};

	return load_key(&kind, type, data);
}

public_key_t *cred_load_public_key(key_type_t type, chunk_t data)
{
	static const key_kind_t kind = {
		reg.pubkey, "public key", "pubkey", false
	};

	return load_key(&kind, type, data);
}

certificate_t *cred_load_certificate(chunk_t data)
{
	void *fn = slot_get(&reg.cert);

	if (!fn) {
		log_error(DBG_CERT, "certificate: no plugin provides cert:x509");
		return NULL;
	}
	return ((fn_u){ .p = fn }).cert(data);
}

crl_t *cred_load_crl(chunk_t data)
{
	void *fn = slot_get(&reg.crl);

	if (!fn) {
		log_error(DBG_CERT, "CRL: no plugin provides crl:x509");
		return NULL;
	}
	return ((fn_u){ .p = fn }).crl(data);
}

cert_validator_t *cred_create_validator(void)
{
	validator_ctor_t ctor;

	pthread_rwlock_rdlock(&reg.lock);
	ctor = reg.validator;
	pthread_rwlock_unlock(&reg.lock);
	if (!ctor) {
		log_error(DBG_CERT, "no plugin provides cert:x509 validation");
		return NULL;
	}
	return ctor();
}

/* Read a whole credential file; the caller chunk_clear()s it (it may be a
 * private key).  Errors name the file and the reason. */
static bool read_cred_file(const char *what, const char *path, chunk_t *out)
{
	struct stat st;
	int fd;

	*out = chunk_empty;
	if (!path || !*path) {
		log_error(DBG_CERT, "%s: no file name given", what);
		return false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error(DBG_CERT, "%s: cannot open '%s': %s", what, path,
		          strerror(errno));
		return false;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error(DBG_CERT, "%s: '%s' is not a regular file", what, path);
		close(fd);
		return false;
	}
	if (st.st_size == 0 || st.st_size > CRED_FILE_MAX) {
		log_error(DBG_CERT, "%s: '%s' is %s (%lld bytes)", what, path,
		          st.st_size == 0 ? "empty" : "too large",
		          (long long)st.st_size);
		close(fd);
		return false;
	}
	*out = chunk_alloc((size_t)st.st_size);
	size_t got = 0;
	while (got < out->len) {
		ssize_t n = read(fd, out->ptr + got, out->len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error(DBG_CERT, "%s: reading '%s' failed: %s", what,
			          path, n < 0 ? strerror(errno) : "file shrank");
			close(fd);
			chunk_clear(out);
			return false;
		}
		got += (size_t)n;
	}
	close(fd);
	return true;
}

private_key_t *cred_load_private_key_file(const char *path, key_type_t type,
                                          const char *pin)
{
	private_key_t *key;
	chunk_t data;

	if (path && strncmp(path, "pkcs11:", 7) == 0) {
		void *fn = slot_get(&reg.pkcs11);
		char shown[256];
		if (!fn) {
			log_error(DBG_CERT, "private key %s: no plugin provides "
			          "pkcs11", cred_uri_for_log(path, shown,
			                                     sizeof(shown)));
			return NULL;
		}
		key = ((fn_u){ .p = fn }).pkcs11(path, pin);
		if (key && type != KEY_ANY && key->get_type(key) != type) {
			log_error(DBG_CERT, "private key %s: is %s, not %s",
			          cred_uri_for_log(path, shown, sizeof(shown)),
			          key_type_name(key->get_type(key)),
			          key_type_name(type));
			key->destroy(key);
			return NULL;
		}
		return key;
	}
	if (!read_cred_file("private key", path, &data))
		return NULL;
	key = cred_load_private_key(type, data);
	chunk_clear(&data);
	if (!key)
		log_error(DBG_CERT, "private key: cannot load '%s'", path);
	return key;
}

public_key_t *cred_load_public_key_file(const char *path, key_type_t type)
{
	public_key_t *key;
	chunk_t data;

	if (!read_cred_file("public key", path, &data))
		return NULL;
	key = cred_load_public_key(type, data);
	chunk_free(&data);
	if (!key)
		log_error(DBG_CERT, "public key: cannot load '%s'", path);
	return key;
}

certificate_t *cred_load_certificate_file(const char *path)
{
	certificate_t *cert;
	chunk_t data;

	if (!read_cred_file("certificate", path, &data))
		return NULL;
	cert = cred_load_certificate(data);
	chunk_free(&data);
	if (!cert)
		log_error(DBG_CERT, "certificate: cannot load '%s'", path);
	return cert;
}

crl_t *cred_load_crl_file(const char *path)
{
	crl_t *crl;
	chunk_t data;

	if (!read_cred_file("CRL", path, &data))
		return NULL;
	crl = cred_load_crl(data);
	chunk_free(&data);
	if (!crl)
		log_error(DBG_CERT, "CRL: cannot load '%s'", path);
	return crl;
}

/* Where the next PEM certificate block starts in data, or NULL. */
static const uint8_t *next_pem_cert(const uint8_t *p, const uint8_t *end)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	const size_t n = sizeof(begin) - 1;

	for (; p && end - p >= (ptrdiff_t)n; p++) {
		p = memchr(p, '-', (size_t)(end - p));
		if (!p || end - p < (ptrdiff_t)n)
			return NULL;
		if (memcmp(p, begin, n) == 0)
			return p;
	}
	return NULL;
}

size_t cred_load_certificates(chunk_t data, certificate_t ***certs)
{
	const uint8_t *end = data.ptr + data.len, *p, *next;
	certificate_t **list = NULL, *cert;
	size_t n = 0;

	*certs = NULL;
	if (!data.len)
		return 0;
	p = next_pem_cert(data.ptr, end);
	if (!p) {
		/* Not PEM: one DER certificate. */
		if (!(cert = cred_load_certificate(data)))
			return 0;
		list = xmalloc(sizeof(*list));
		list[0] = cert;
		*certs = list;
		return 1;
	}
	for (; p; p = next) {
		/* Each block goes to the loader alone, up to the next one. */
		next = next_pem_cert(p + 1, end);
		cert = cred_load_certificate(chunk_create(p, (size_t)((next ? next : end) - p)));
		if (!cert) {
			log_error(DBG_CERT, "certificate bundle: certificate %zu "
			          "does not load", n + 1);
			while (n > 0) {
				n--;
				list[n]->destroy(list[n]);
			}
			free(list);
			return 0;
		}
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n++] = cert;
	}
	*certs = list;
	return n;
}

size_t cred_load_certificates_file(const char *path, certificate_t ***certs)
{
	chunk_t data;
	size_t n;

	*certs = NULL;
	if (!read_cred_file("certificates", path, &data))
		return 0;
	n = cred_load_certificates(data, certs);
	chunk_free(&data);
	if (!n)
		log_error(DBG_CERT, "certificates: cannot load '%s'", path);
	return n;
}
