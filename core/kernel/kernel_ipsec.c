/*
 * kernel_ipsec.c - the kernel-ipsec registry: the one backend a plugin
 * registered, the engine's event listener, and the wrappers the engine calls.
 *
 * Calls into the backend hold a read lock so that kernel_ipsec_unregister
 * (write lock) cannot pull the backend away under a running call; the lock
 * is uncontended in steady state (registration happens at start and stop).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>

static pthread_rwlock_t backend_lock = PTHREAD_RWLOCK_INITIALIZER;
static kernel_ipsec_t *backend;
static char backend_name[32];

/* What the backend said it needs (kernel_ipsec_declare_capabilities). */
static uint64_t backend_caps;
static bool backend_caps_declared;

static pthread_rwlock_t listener_lock = PTHREAD_RWLOCK_INITIALIZER;
static kernel_event_cb_t listener_cb;
static void *listener_ctx;

static atomic_bool check_only;

bool kernel_ipsec_check_only(void)
{
	return atomic_load(&check_only);
}

void kernel_ipsec_set_check_only(bool on)
{
	atomic_store(&check_only, on);
}

bool kernel_ipsec_register(const char *name, kernel_ipsec_t *impl)
{
	bool ok = false;

	if (!impl)
		return false;
	pthread_rwlock_wrlock(&backend_lock);
	if (backend) {
		log_error(DBG_KERNEL, "kernel-ipsec: '%s' already provides the kernel "
		          "interface, '%s' refused", backend_name, name ? name : "?");
	} else {
		backend = impl;
		snprintf(backend_name, sizeof(backend_name), "%s", name ? name : "?");
		ok = true;
	}
	pthread_rwlock_unlock(&backend_lock);
	if (ok)
		log_verbose(DBG_KERNEL, "kernel-ipsec: backend '%s' registered", name);
	return ok;
}

void kernel_ipsec_unregister(kernel_ipsec_t *impl)
{
	pthread_rwlock_wrlock(&backend_lock);
	if (backend == impl) {
		backend = NULL;
		backend_name[0] = '\0';
		backend_caps = 0;
		backend_caps_declared = false;
	}
	pthread_rwlock_unlock(&backend_lock);
}

void kernel_ipsec_declare_capabilities(uint64_t caps)
{
	pthread_rwlock_wrlock(&backend_lock);
	if (backend) {
		backend_caps = caps;
		backend_caps_declared = true;
	}
	pthread_rwlock_unlock(&backend_lock);
	if (!backend)
		log_error(DBG_KERNEL, "kernel-ipsec: capabilities declared before the "
		          "backend registered: ignored");
}

bool kernel_ipsec_capabilities(uint64_t *caps)
{
	pthread_rwlock_rdlock(&backend_lock);
	bool declared = backend && backend_caps_declared;
	*caps = declared ? backend_caps : 0;
	pthread_rwlock_unlock(&backend_lock);
	return declared;
}

const char *kernel_ipsec_name(void)
{
	const char *name;

	pthread_rwlock_rdlock(&backend_lock);
	/* backend_name is static storage; it only changes on (un)register. */
	name = backend ? backend_name : NULL;
	pthread_rwlock_unlock(&backend_lock);
	return name;
}

void kernel_ipsec_set_listener(kernel_event_cb_t cb, void *ctx)
{
	pthread_rwlock_wrlock(&listener_lock);
	listener_cb = cb;
	listener_ctx = ctx;
	pthread_rwlock_unlock(&listener_lock);
}

static const char *event_name(kernel_event_type_t t)
{
	switch (t) {
	case KERNEL_EV_ACQUIRE: return "ACQUIRE";
	case KERNEL_EV_EXPIRE:  return "EXPIRE";
	case KERNEL_EV_MAPPING: return "MAPPING";
	}
	return "unknown";
}

void kernel_ipsec_raise(const kernel_event_t *ev)
{
	pthread_rwlock_rdlock(&listener_lock);
	if (listener_cb)
		listener_cb(ev, listener_ctx);
	else
		log_verbose(DBG_KERNEL, "kernel-ipsec: %s event dropped: nobody "
		            "listens", event_name(ev->type));
	pthread_rwlock_unlock(&listener_lock);
}

/* Run 'call' against the backend under the read lock, or fail loudly. */
#define WITH_BACKEND(what, call)                                           \
	do {                                                                \
		bool ok_ = false;                                           \
		pthread_rwlock_rdlock(&backend_lock);                       \
		if (!backend)                                               \
			log_error(DBG_KERNEL, "kernel-ipsec: cannot %s: no " \
			          "kernel backend loaded", what);           \
		else                                                        \
			ok_ = (call);                                       \
		pthread_rwlock_unlock(&backend_lock);                       \
		return ok_;                                                 \
	} while (0)

bool kernel_get_spi(const struct sockaddr_storage *src,
                    const struct sockaddr_storage *dst, uint8_t protocol,
                    uint32_t reqid, uint32_t *spi)
{
	WITH_BACKEND("allocate an SPI",
	             backend->get_spi(backend, src, dst, protocol, reqid, spi));
}

bool kernel_add_sa(const kernel_sa_t *sa)
{
	WITH_BACKEND("add an SA", backend->add_sa(backend, sa));
}

bool kernel_update_sa(const kernel_sa_id_t *id,
                      const struct sockaddr_storage *new_src,
                      const struct sockaddr_storage *new_dst, bool encap)
{
	WITH_BACKEND("update an SA",
	             backend->update_sa(backend, id, new_src, new_dst, encap));
}

bool kernel_query_sa(const kernel_sa_id_t *id, kernel_usage_t *usage)
{
	WITH_BACKEND("query an SA", backend->query_sa(backend, id, usage));
}

bool kernel_del_sa(const kernel_sa_id_t *id)
{
	WITH_BACKEND("delete an SA", backend->del_sa(backend, id));
}

bool kernel_add_policy(const kernel_policy_t *policy)
{
	WITH_BACKEND("add a policy", backend->add_policy(backend, policy));
}

bool kernel_query_policy(const kernel_policy_t *policy, kernel_usage_t *usage)
{
	WITH_BACKEND("query a policy",
	             backend->query_policy(backend, policy, usage));
}

bool kernel_del_policy(const kernel_policy_t *policy)
{
	WITH_BACKEND("delete a policy", backend->del_policy(backend, policy));
}

bool kernel_match_policy(const kernel_policy_t *want, uint32_t *reqid)
{
	WITH_BACKEND("look a policy up",
	             backend->match_policy && backend->match_policy(backend, want, reqid));
}

bool kernel_bypass_socket(int fd, int family)
{
	bool ok = true;

	pthread_rwlock_rdlock(&backend_lock);
	if (backend && backend->bypass_socket)
		ok = backend->bypass_socket(backend, fd, family);
	pthread_rwlock_unlock(&backend_lock);
	return ok;
}

void kernel_flush(void)
{
	pthread_rwlock_rdlock(&backend_lock);
	if (backend && backend->flush)
		backend->flush(backend);
	pthread_rwlock_unlock(&backend_lock);
}

bool kernel_can_install(const kernel_sa_t *sa, char *why, size_t why_len)
{
	bool ok = true;

	if (why && why_len)
		why[0] = '\0';
	pthread_rwlock_rdlock(&backend_lock);
	if (backend && backend->can_install)
		ok = backend->can_install(backend, sa, why, why_len);
	pthread_rwlock_unlock(&backend_lock);
	return ok;
}

/* ------------------------------------------------------------ helpers */

const char *kernel_dir_name(kernel_dir_t dir)
{
	switch (dir) {
	case KERNEL_DIR_IN:  return "in";
	case KERNEL_DIR_OUT: return "out";
	case KERNEL_DIR_FWD: return "fwd";
	}
	return "?";
}

const char *kernel_mode_name(kernel_mode_t mode)
{
	switch (mode) {
	case KERNEL_MODE_TRANSPORT: return "transport";
	case KERNEL_MODE_TUNNEL:    return "tunnel";
	}
	return "?";
}

const char *kernel_action_name(kernel_policy_action_t a)
{
	switch (a) {
	case KERNEL_POLICY_PROTECT: return "protect";
	case KERNEL_POLICY_PASS:    return "pass";
	case KERNEL_POLICY_DROP:    return "drop";
	}
	return "?";
}

char *kernel_ts_to_str(const kernel_ts_t *ts, char *buf, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];

	if (ts->family != AF_INET && ts->family != AF_INET6) {
		snprintf(buf, len, "any");
		return buf;
	}
	if (!inet_ntop(ts->family, ts->from, from, sizeof(from)) ||
	    !inet_ntop(ts->family, ts->to, to, sizeof(to))) {
		snprintf(buf, len, "invalid");
		return buf;
	}
	if (strcmp(from, to) == 0)
		snprintf(buf, len, "%s[%u/%u-%u]", from, ts->proto,
		         ts->port_from, ts->port_to);
	else
		snprintf(buf, len, "%s-%s[%u/%u-%u]", from, to, ts->proto,
		         ts->port_from, ts->port_to);
	return buf;
}

void kernel_ts_from_addr(kernel_ts_t *ts, const struct sockaddr_storage *addr)
{
	memset(ts, 0, sizeof(*ts));
	ts->port_to = 65535;
	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)addr;
		ts->family = AF_INET;
		memcpy(ts->from, &s->sin_addr, 4);
		memcpy(ts->to, &s->sin_addr, 4);
	} else if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)addr;
		ts->family = AF_INET6;
		memcpy(ts->from, &s->sin6_addr, 16);
		memcpy(ts->to, &s->sin6_addr, 16);
	}
}

/* ------------------------------------------------------ SA algorithms */

bool kernel_sa_set_algs(kernel_sa_t *sa, uint16_t encr_alg,
                        uint16_t keylen_attr, uint16_t integ_alg)
{
	uint16_t bits = keylen_attr, icv = 0;
	uint8_t salt = 0;
	bool aes = true, aead = false;

	switch (encr_alg) {
	case ENCR_NULL:
		bits = 0; aes = false; break;
	case ENCR_3DES:
		if (keylen_attr && keylen_attr != 192)
			return false;
		bits = 192; aes = false; break;
	case ENCR_CHACHA20_POLY1305:
		if (keylen_attr && keylen_attr != 256)
			return false;
		bits = 256; salt = 4; icv = 128; aes = false; aead = true; break;
	case ENCR_AES_CBC:
		break;
	case ENCR_AES_CTR:
		salt = 4; break;
	case ENCR_AES_CCM_8:  salt = 3; icv = 64;  aead = true; break;
	case ENCR_AES_CCM_12: salt = 3; icv = 96;  aead = true; break;
	case ENCR_AES_CCM_16: salt = 3; icv = 128; aead = true; break;
	case ENCR_AES_GCM_8:  salt = 4; icv = 64;  aead = true; break;
	case ENCR_AES_GCM_12: salt = 4; icv = 96;  aead = true; break;
	case ENCR_AES_GCM_16: salt = 4; icv = 128; aead = true; break;
	case ENCR_NULL_AUTH_AES_GMAC: salt = 4; icv = 128; aead = true; break;
	default:
		return false;
	}
	if (aes && bits != 128 && bits != 192 && bits != 256)
		return false;
	if (aead) {
		if (integ_alg != INTEG_NONE)
			return false;
	} else {
		switch (integ_alg) {
		case INTEG_HMAC_MD5_96: case INTEG_HMAC_SHA1_96:
		case INTEG_AES_XCBC_96: case INTEG_AES_CMAC_96:
			icv = 96; break;
		case INTEG_HMAC_SHA1_160:     icv = 160; break;
		case INTEG_HMAC_SHA2_256_128: icv = 128; break;
		case INTEG_HMAC_SHA2_384_192: icv = 192; break;
		case INTEG_HMAC_SHA2_512_256: icv = 256; break;
		default:
			return false;
		}
	}
	sa->encr_alg = encr_alg;
	sa->encr_keylen_bits = bits;
	sa->encr_salt_len = salt;
	sa->integ_alg = integ_alg;
	sa->icv_bits = icv;
	return true;
}

size_t kernel_sa_encr_key_len(const kernel_sa_t *sa)
{
	return sa->encr_keylen_bits / 8 + sa->encr_salt_len;
}

bool kernel_tmpl_addr_ok(const struct sockaddr_storage *want, int family,
                         const void *addr)
{
	static const uint8_t zero[16];
	const uint8_t *w;
	size_t al;

	if (want->ss_family == AF_INET) {
		w = (const uint8_t *)&((const struct sockaddr_in *)want)->sin_addr;
		al = 4;
	} else if (want->ss_family == AF_INET6) {
		w = (const uint8_t *)&((const struct sockaddr_in6 *)want)->sin6_addr;
		al = 16;
	} else {
		return true;
	}
	if (family == 0 || memcmp(addr, zero, al) == 0)
		return true;
	return family == want->ss_family && memcmp(addr, w, al) == 0;
}
