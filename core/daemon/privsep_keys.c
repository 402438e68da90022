/*
 * privsep_keys.c - the keys process (privsep_keys.h): its start by the
 * parent, its service loop and checks, and the engine's proxy signers.
 *
 * The keys process runs every request on its loop thread, one at a time:
 * its keystores need no lock.  The engine's side serializes its requests
 * with a mutex (one in flight, KEYS_TIMEOUT_MS each), as kernel-privsep
 * does for the parent.
 */
#define _GNU_SOURCE 1   /* unshare, CLONE_NEWNS */
#include "daemon/privsep_keys.h"
#include "daemon/daemon_priv.h"
#include "cred/keys_msg.h"
#include "config/dn.h"
#include "kernel/privsep_msg.h"

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEYS_TIMEOUT_MS 10000

static bool keep_across_exec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) == 0;
}

/* One datagram into buf (cap + 1 bytes): 1 with *len and *truncated, 0 at
 * EOF, -1 when nothing is there now. */
static int recv_one(int fd, uint8_t *buf, size_t cap, size_t *len, bool *truncated)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*truncated = (size_t)n > cap;
		*len = *truncated ? cap : (size_t)n;
		return 1;
	}
}

/* ================================================================ parent */

static struct {
	pid_t pid;
	int ctl;        /* parent <-> keys: reloads */
	int eng_end;    /* the engine's end, until the engine's fork */
	bool gone;
} KP = { .pid = -1, .ctl = -1, .eng_end = -1 };

pid_t privsep_keys_pid(void)
{
	return KP.pid;
}

int privsep_keys_engine_fd(void)
{
	return KP.eng_end;
}

void privsep_keys_engine_forked(void)
{
	if (KP.eng_end >= 0)
		close(KP.eng_end);
	KP.eng_end = -1;
}

bool privsep_keys_start(const config_t *cfg, char *const *argv)
{
	int ep[2], cp[2];
	int big = 1 << 20;

	(void)cfg;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ep) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cp) < 0) {
		close(ep[0]);
		close(ep[1]);
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		setsockopt(ep[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
		setsockopt(cp[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	}
	char env[64];
	snprintf(env, sizeof(env), "%d,%d", cp[1], ep[1]);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		/* As the engine: a fresh image with these two descriptors,
		 * and no network capability even in the bounding set. */
		bool ok = keep_across_exec(cp[1]) && keep_across_exec(ep[1]);
		setenv(PRIVSEP_KEYS_ENV, env, 1);
		if (getenv("NOTIFY_SOCKET"))
			setenv("IKEV2D_PRIVSEP_JOURNAL", "1", 1);
		unsetenv("NOTIFY_SOCKET");
		if (ok && daemon_engine_bounding())
			execv("/proc/self/exe", argv);
		fprintf(stderr, "in.ikev2d: cannot start the keys process: %s\n",
		        strerror(errno));
		_exit(127);
	}
	KP.pid = pid;
	close(cp[1]);
	close(ep[1]);
	KP.ctl = cp[0];
	KP.eng_end = ep[0];
	log_op(DBG_OP, "privsep: keys process started (pid %ld): it alone loads "
	       "the keystore's private keys", (long)pid);
	return true;
fail:
	log_error(DBG_OP, "privsep: cannot start the keys process: %s", strerror(errno));
	return false;
}

void privsep_keys_reload(const void *body, size_t blen, const void *var, size_t vlen)
{
	if (KP.ctl >= 0 && !psm_send(KP.ctl, PSM_RELOAD, 0, body, blen, var, vlen))
		log_error(DBG_OP, "privsep parent: cannot send the reload to the keys "
		          "process: %s", strerror(errno));
}

bool privsep_keys_reap(void)
{
	int st;

	if (KP.pid <= 0 || KP.gone)
		return KP.gone;
	if (waitpid(KP.pid, &st, WNOHANG) != KP.pid)
		return false;
	KP.gone = true;
	if (WIFEXITED(st))
		log_error(DBG_OP, "privsep parent: the keys process (pid %ld) exited "
		          "with status %d", (long)KP.pid, WEXITSTATUS(st));
	else
		log_error(DBG_OP, "privsep parent: the keys process (pid %ld) died of "
		          "signal %d (%s)", (long)KP.pid, WTERMSIG(st),
		          strsignal(WTERMSIG(st)));
	return true;
}

void privsep_keys_hide(const char *dir)
{
	struct stat st;

	if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;   /* nothing to hide (a keystore made later is not) */
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "in.ikev2d: privsep: cannot hide the keystore %s from "
		        "the engine (unshare: %s): it stays readable by the engine "
		        "if daemon.user owns it\n", dir, strerror(errno));
		return;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ikev2d-keys", dir, "tmpfs",
	          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0500") < 0)
		fprintf(stderr, "in.ikev2d: privsep: cannot hide the keystore %s from "
		        "the engine (mount: %s)\n", dir, strerror(errno));
}

/* ========================================================== keys process */

typedef struct {
	uint32_t gen;
	keystore_t *ks;
	config_t *cfg;
} kgen_t;

static struct {
	int ctl, eng;
	uint8_t *buf, *cbuf;
	kgen_t cur, prev;
	privsep_keys_loader_t load;
	const psm_msg_t *m;      /* the reload being read */
} K = { .ctl = -1, .eng = -1 };

/* config_reader_t over the texts of a reload (as the engine's). */
static char *reload_reader(const char *path, size_t *len)
{
	return psm_reload_text(K.m, path, len);
}

static void gen_free(kgen_t *g)
{
	keystore_unref(g->ks);
	if (g->cfg)
		config_unref(g->cfg);
	memset(g, 0, sizeof(*g));
}

static void apply_reload(psm_msg_t *m)
{
	char *path = xzalloc(m->u.reload.path_len + 1);
	int n_errors = 0;

	memcpy(path, m->var, m->u.reload.path_len);
	K.m = m;
	config_set_reader(reload_reader);
	config_t *cfg = config_load(path, &n_errors);
	config_set_reader(NULL);
	K.m = NULL;
	free(path);
	if (!cfg) {
		log_error(DBG_OP, "keys process: the configuration the parent sent does "
		          "not load (%d error%s): keeping the running keystore",
		          n_errors, n_errors == 1 ? "" : "s");
		return;
	}
	keystore_t *ks = K.load(cfg);
	if (!ks) {
		log_error(DBG_CERT, "keys process: keeping the running keystore");
		config_unref(cfg);
		return;
	}
	gen_free(&K.prev);
	K.prev = K.cur;
	K.cur = (kgen_t){ .gen = K.prev.gen + 1, .ks = ks, .cfg = cfg };
	log_op(DBG_CERT, "keys process: keystore generation %u loaded (%zu "
	       "certificate%s)", K.cur.gen, keystore_count(ks),
	       keystore_count(ks) == 1 ? "" : "s");
	/* the new keys' memory (daemon_priv.h) */
	daemon_lock_private_memory();
}

/* Everything the parent sent so far: reloads before the engine's request
 * that follows them. */
static void drain_ctl(void)
{
	size_t len;
	bool truncated;
	int got;

	while ((got = recv_one(K.ctl, K.cbuf, PSM_MSG_MAX, &len, &truncated)) > 0) {
		psm_msg_t m;
		char why[128] = "";
		if (!psm_decode(K.cbuf, len, truncated, &m, why, sizeof(why)) ||
		    m.hdr.type != PSM_RELOAD)
			log_error(DBG_OP, "keys process: bad message from the parent: %s",
			          why[0] ? why : "not a reload");
		else
			apply_reload(&m);
		memwipe(K.cbuf, len);
	}
	if (got == 0 && K.ctl >= 0) {
		log_op(DBG_OP, "keys process: the parent is gone: stopping");
		loop_unwatch_fd(K.ctl);
		K.ctl = -1;
		runtime_stop();
	}
}

static void on_ctl(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	drain_ctl();
}

static void answer(uint16_t type, uint32_t seq, bool ok, chunk_t sig)
{
	ksm_result_t r = { .ok = ok ? 1 : 0, .sig_len = ok ? (uint32_t)sig.len : 0 };
	if (!ksm_send(K.eng, type, seq, &r, sizeof(r), ok ? sig.ptr : NULL,
	              ok ? sig.len : 0, NULL, 0))
		log_error(DBG_CERT, "keys process: cannot answer the engine: %s",
		          strerror(errno));
}

static bool refuse(uint16_t type, uint32_t seq, const char *what, const char *why)
{
	log_error(DBG_CERT, "keys process: REFUSED %s from the engine: %s", what, why);
	answer(type, seq, false, chunk_empty);
	return false;
}

static bool cert_has_local_id(certificate_t *cert, const id_cfg_t *id)
{
	if (id->type == ID_DER_ASN1_DN) {
		char text[1024];
		return dn_to_text(id->data, text, sizeof(text)) &&
		       dn_match(text, cert->get_subject_der(cert));
	}
	return certificate_matches_id(cert, id->type, id->data);
}

/* A rule of cfg whose local_id the certificate carries and whose method
 * signs with this key in this scheme. */
static const rule_t *rule_for(const config_t *cfg, certificate_t *cert,
                              key_type_t type, sig_scheme_t scheme)
{
	for (int i = 0; cfg && i < cfg->n_rules; i++) {
		const rule_t *r = &cfg->rules[i];
		if (r->auth_method == AUTH_PSK || !r->local_id.type || !r->local_id.data.len)
			continue;
		if (cert_has_local_id(cert, &r->local_id) &&
		    ksm_scheme_ok(r->auth_method, type, scheme))
			return r;
	}
	return NULL;
}

static void do_sign(const ksm_msg_t *m)
{
	const ksm_sign_t *s = &m->u.sign;
	kgen_t *g = s->gen == K.cur.gen ? &K.cur :
	            s->gen == K.prev.gen && K.prev.ks ? &K.prev : NULL;
	char why[256];

	if (!g) {
		snprintf(why, sizeof(why), "keystore generation %u is not loaded "
		         "(now %u)", s->gen, K.cur.gen);
		refuse(KSM_SIG, m->hdr.seq, "sign", why);
		return;
	}
	const keystore_entry_t *e = keystore_get(g->ks, s->index);
	if (!e || !e->signer) {
		snprintf(why, sizeof(why), "no key %u in keystore generation %u",
		         s->index, s->gen);
		refuse(KSM_SIG, m->hdr.seq, "sign", why);
		return;
	}
	key_type_t type = e->signer->get_type(e->signer);
	const rule_t *r = rule_for(g->cfg, e->cert, type, s->scheme);
	if (!r) {
		snprintf(why, sizeof(why), "no rule signs with the %s key of %s in "
		         "scheme %s", key_type_name(type) ? key_type_name(type) : "?",
		         e->source, sig_scheme_name(s->scheme) ? sig_scheme_name(s->scheme) : "?");
		refuse(KSM_SIG, m->hdr.seq, "sign", why);
		return;
	}
	if (!ksm_octets_ok(m->var, m->var_len, why, sizeof(why))) {
		refuse(KSM_SIG, m->hdr.seq, "sign", why);
		return;
	}
	chunk_t data = { (uint8_t *)m->var, m->var_len }, sig = chunk_empty;
	bool ok = e->signer->sign(e->signer, s->scheme, data, &sig);
	if (ok && sig.len > KSM_SIG_MAX) {
		log_error(DBG_CERT, "keys process: a %zu-octet signature is too long "
		          "to hand over", sig.len);
		ok = false;
	}
	log_verbose(DBG_CERT, "keys process: %s for rule '%s' with %s (%s): %s",
	            "sign", r->label ? r->label : "?", e->source,
	            sig_scheme_name(s->scheme) ? sig_scheme_name(s->scheme) : "?",
	            ok ? "done" : "failed");
	answer(KSM_SIG, m->hdr.seq, ok, sig);
	chunk_free(&sig);
}

static bool send_item(uint32_t seq, uint32_t kind, uint32_t index,
                      const keystore_entry_t *e, const char *source, chunk_t der)
{
	ksm_item_t it = { .gen = K.cur.gen, .kind = kind, .index = index };
	size_t sl = strlen(source);
	if (sl > KSM_SOURCE_MAX)
		sl = KSM_SOURCE_MAX;
	if (e && e->signer) {
		it.has_key = 1;
		it.key_type = e->signer->get_type(e->signer);
		it.keysize = (uint32_t)e->signer->get_keysize(e->signer);
	}
	it.source_len = (uint32_t)sl;
	it.der_len = (uint32_t)der.len;
	if (!der.len || der.len > KSM_DER_MAX) {
		log_error(DBG_CERT, "keys process: %s: %zu DER octets: not handed over",
		          source, der.len);
		return false;
	}
	return ksm_send(K.eng, KSM_ITEM, seq, &it, sizeof(it), source, sl,
	                der.ptr, der.len);
}

static void do_store(uint32_t seq)
{
	keystore_t *ks = K.cur.ks;
	uint32_t count = 0;
	bool ok = ks != NULL;
	char src[64];

	for (size_t i = 0; ok && i < keystore_count(ks); i++) {
		const keystore_entry_t *e = keystore_get(ks, i);
		ok = send_item(seq, KSM_OWN, (uint32_t)i, e, e->source,
		               e->cert->get_encoding(e->cert));
		count++;
	}
	for (size_t i = 0; ok && i < keystore_anchor_count(ks); i++) {
		certificate_t *c = keystore_anchor(ks, i);
		snprintf(src, sizeof(src), "cacerts (anchor %zu)", i);
		ok = send_item(seq, KSM_ANCHOR, (uint32_t)i, NULL, src, c->get_encoding(c));
		count++;
	}
	certificate_t *const *inter;
	size_t ni = ok ? keystore_intermediates(ks, &inter) : 0;
	for (size_t i = 0; ok && i < ni; i++) {
		snprintf(src, sizeof(src), "intcerts (%zu)", i);
		ok = send_item(seq, KSM_INTER, (uint32_t)i, NULL, src,
		               inter[i]->get_encoding(inter[i]));
		count++;
	}
	crl_t *const *crls;
	size_t nc = ok ? keystore_crls(ks, &crls) : 0;
	for (size_t i = 0; ok && i < nc; i++) {
		snprintf(src, sizeof(src), "crls (%zu)", i);
		ok = send_item(seq, KSM_CRL, (uint32_t)i, NULL, src,
		               crls[i]->get_encoding(crls[i]));
		count++;
	}
	ksm_end_t end = { .gen = K.cur.gen, .count = count, .ok = ok ? 1 : 0 };
	if (!ksm_send(K.eng, KSM_END, seq, &end, sizeof(end), NULL, 0, NULL, 0))
		log_error(DBG_CERT, "keys process: cannot answer the engine: %s",
		          strerror(errno));
	log_verbose(DBG_CERT, "keys process: keystore generation %u handed to the "
	            "engine (%u item%s)", K.cur.gen, count, count == 1 ? "" : "s");
}

static void do_token(const ksm_msg_t *m)
{
	const ksm_token_t *t = &m->u.token;
	char uri[KSM_URI_MAX + 1], pin[KSM_PIN_MAX + 1];
	bool ok;

	memcpy(uri, m->var, t->uri_len);
	uri[t->uri_len] = 0;
	if (m->hdr.type == KSM_LOGIN) {
		memcpy(pin, m->var + t->uri_len, t->pin_len);
		pin[t->pin_len] = 0;
		ok = cred_token_login(t->uri_len ? uri : NULL, pin);
		memwipe(pin, sizeof(pin));
	} else {
		ok = cred_token_logout(t->uri_len ? uri : NULL);
	}
	answer(KSM_RESULT, m->hdr.seq, ok, chunk_empty);
}

static void on_engine(int fd, uint32_t events, void *arg)
{
	size_t len;
	bool truncated;
	int got;

	(void)events;
	(void)arg;
	while ((got = recv_one(fd, K.buf, KSM_MSG_MAX, &len, &truncated)) > 0) {
		uint32_t seq = 0;
		if (len >= sizeof(ksm_hdr_t))
			memcpy(&seq, K.buf + offsetof(ksm_hdr_t, seq), sizeof(seq));
		ksm_msg_t m;
		char why[256];
		if (!ksm_decode(K.buf, len, truncated, &m, why, sizeof(why))) {
			char what[64];
			snprintf(what, sizeof(what), "a malformed request (%s%zu bytes)",
			         truncated ? "over " : "", len);
			refuse(KSM_RESULT, seq, what, why);
		} else {
			switch (m.hdr.type) {
			case KSM_STORE:
				drain_ctl();
				do_store(m.hdr.seq);
				break;
			case KSM_SIGN:
				do_sign(&m);
				break;
			case KSM_READY: {
				kgen_t *g = m.u.key.gen == K.cur.gen ? &K.cur :
				            m.u.key.gen == K.prev.gen ? &K.prev : NULL;
				const keystore_entry_t *e = g ? keystore_get(g->ks, m.u.key.index) : NULL;
				answer(KSM_RESULT, m.hdr.seq,
				       e && e->signer && e->signer->is_ready(e->signer), chunk_empty);
				break;
			}
			case KSM_LOGIN:
			case KSM_LOGOUT:
				do_token(&m);
				break;
			default:
				snprintf(why, sizeof(why), "%s is not a request",
				         ksm_type_name(m.hdr.type));
				refuse(KSM_RESULT, m.hdr.seq, ksm_type_name(m.hdr.type), why);
				break;
			}
		}
		memwipe(K.buf, len);
		/* whatever the request mapped (a token's session, a larger
		 * heap): locked too (daemon_priv.h) */
		daemon_lock_private_memory();
	}
	if (got == 0) {
		log_op(DBG_OP, "keys process: the engine is gone: stopping");
		loop_unwatch_fd(fd);
		runtime_stop();
	}
}

static bool parse_two(const char *env, int *a, int *b)
{
	char *end;
	long x = strtol(env, &end, 10);
	if (end == env || *end != ',' || x < 0 || x > 65535)
		return false;
	const char *p = end + 1;
	long y = strtol(p, &end, 10);
	if (end == p || *end || y < 0 || y > 65535)
		return false;
	*a = (int)x;
	*b = (int)y;
	return true;
}

bool privsep_keys_serve(const char *env, const config_t *cfg, keystore_t *ks,
                        privsep_keys_loader_t load)
{
	if (!parse_two(env, &K.ctl, &K.eng)) {
		log_error(DBG_OP, "keys process: %s is malformed", PRIVSEP_KEYS_ENV);
		return false;
	}
	fcntl(K.ctl, F_SETFD, FD_CLOEXEC);
	fcntl(K.eng, F_SETFD, FD_CLOEXEC);
	K.buf = xzalloc(KSM_MSG_MAX + 1);
	K.cbuf = xzalloc(PSM_MSG_MAX + 1);
	K.load = load;
	K.cur = (kgen_t){ .gen = 1, .ks = keystore_ref(ks), .cfg = config_ref((config_t *)cfg) };
	if (!loop_watch_fd(K.ctl, EPOLLIN, on_ctl, NULL) ||
	    !loop_watch_fd(K.eng, EPOLLIN, on_engine, NULL))
		return false;
	log_op(DBG_OP, "keys process: serving the engine (keystore %s, %zu "
	       "certificate%s)", cfg->daemon.keystore ? cfg->daemon.keystore : "?",
	       keystore_count(ks), keystore_count(ks) == 1 ? "" : "s");
	return true;
}

void privsep_keys_release(void)
{
	gen_free(&K.prev);
	gen_free(&K.cur);
}

/* ================================================================ engine */

static struct {
	int fd;
	pthread_mutex_t lock;
	uint32_t seq;
	uint8_t *buf;
	int test_fd;
	uint8_t *tbuf;
} C = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .test_fd = -1 };

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One request and its replies (the caller holds C.lock): on() sees each
 * reply of this request and returns true on the last.  False on timeout
 * or a broken channel (logged). */
typedef bool (*on_reply_t)(void *ctx, const ksm_msg_t *m, const uint8_t *raw,
                           size_t len);

static bool wait_replies(uint32_t seq, on_reply_t on, void *ctx)
{
	long deadline = now_ms() + KEYS_TIMEOUT_MS;
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0) {
			log_error(DBG_CERT, "engine: the keys process did not answer "
			          "within %d ms", KEYS_TIMEOUT_MS);
			return false;
		}
		struct pollfd p = { .fd = C.fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		size_t len;
		bool truncated;
		int got = recv_one(C.fd, C.buf, KSM_MSG_MAX, &len, &truncated);
		if (got == 0) {
			log_error(DBG_CERT, "engine: the keys process is gone");
			return false;
		}
		if (got < 0)
			continue;
		ksm_msg_t m;
		char why[256];
		if (!ksm_decode(C.buf, len, truncated, &m, why, sizeof(why))) {
			log_error(DBG_CERT, "engine: bad answer from the keys process: %s", why);
			continue;
		}
		if (m.hdr.seq != seq)
			continue;   /* a late answer to a request that timed out */
		if (on(ctx, &m, C.buf, len))
			return true;
	}
}

static bool request(uint16_t type, const void *body, size_t blen,
                    const void *v1, size_t l1, const void *v2, size_t l2,
                    on_reply_t on, void *ctx)
{
	if (C.fd < 0)
		return false;
	pthread_mutex_lock(&C.lock);
	uint32_t seq = ++C.seq;
	bool ok = ksm_send(C.fd, type, seq, body, blen, v1, l1, v2, l2);
	if (!ok)
		log_error(DBG_CERT, "engine: cannot reach the keys process: %s",
		          strerror(errno));
	else
		ok = wait_replies(seq, on, ctx);
	pthread_mutex_unlock(&C.lock);
	return ok;
}

/* ---- proxy signers */

typedef struct {
	key_signer_t public;
	uint32_t gen, index;
	key_type_t type;
	size_t keysize;
	char *source;
} proxy_signer_t;

static key_type_t px_get_type(key_signer_t *s)
{
	return ((proxy_signer_t *)s)->type;
}

static size_t px_get_keysize(key_signer_t *s)
{
	return ((proxy_signer_t *)s)->keysize;
}

typedef struct {
	bool ok;
	chunk_t *sig;
} result_ctx_t;

static bool on_result(void *ctx, const ksm_msg_t *m, const uint8_t *raw, size_t len)
{
	result_ctx_t *r = ctx;
	(void)raw;
	(void)len;
	if (m->hdr.type != KSM_SIG && m->hdr.type != KSM_RESULT)
		return false;
	r->ok = m->u.result.ok == 1;
	if (r->sig && r->ok) {
		if (m->hdr.type != KSM_SIG || !m->var_len) {
			r->ok = false;
		} else {
			*r->sig = chunk_alloc(m->var_len);
			memcpy(r->sig->ptr, m->var, m->var_len);
		}
	}
	return true;
}

static bool px_is_ready(key_signer_t *s)
{
	proxy_signer_t *p = (proxy_signer_t *)s;
	ksm_key_t k = { .gen = p->gen, .index = p->index };
	result_ctx_t r = { 0 };
	return request(KSM_READY, &k, sizeof(k), NULL, 0, NULL, 0, on_result, &r) && r.ok;
}

static bool px_sign(key_signer_t *s, sig_scheme_t scheme, chunk_t data, chunk_t *sig)
{
	proxy_signer_t *p = (proxy_signer_t *)s;
	ksm_sign_t b = { .gen = p->gen, .index = p->index, .scheme = (uint32_t)scheme,
	                 .data_len = (uint32_t)data.len };
	result_ctx_t r = { .sig = sig };

	*sig = chunk_empty;
	if (data.len > KSM_SIGN_MAX) {
		log_error(DBG_CERT, "engine: %zu octets to sign: more than the keys "
		          "process takes", data.len);
		return false;
	}
	bool ok = request(KSM_SIGN, &b, sizeof(b), data.ptr, data.len, NULL, 0,
	                  on_result, &r) && r.ok;
	if (!ok)
		log_error(DBG_CERT, "engine: the keys process did not sign with %s (%s): "
		          "see its log", p->source, sig_scheme_name(scheme) ?
		          sig_scheme_name(scheme) : "?");
	return ok;
}

static void px_destroy(key_signer_t *s)
{
	proxy_signer_t *p = (proxy_signer_t *)s;
	free(p->source);
	free(p);
}

static key_signer_t *proxy_signer(uint32_t gen, uint32_t index, key_type_t type,
                                  size_t keysize, const char *source)
{
	proxy_signer_t *p = xzalloc(sizeof(*p));
	p->public = (key_signer_t){
		.get_type = px_get_type, .get_keysize = px_get_keysize,
		.is_ready = px_is_ready, .sign = px_sign, .destroy = px_destroy,
	};
	p->gen = gen;
	p->index = index;
	p->type = type;
	p->keysize = keysize;
	p->source = xstrdup(source);
	return &p->public;
}

/* ---- the store */

typedef struct {
	keystore_t *ks;
	int errors;
	uint32_t items;
	bool ok;
} fetch_ctx_t;

static bool on_item(void *ctx, const ksm_msg_t *m, const uint8_t *raw, size_t len)
{
	fetch_ctx_t *f = ctx;
	(void)raw;
	(void)len;
	if (m->hdr.type == KSM_END) {
		f->ok = m->u.end.ok == 1 && m->u.end.count == f->items;
		return true;
	}
	if (m->hdr.type != KSM_ITEM)
		return true;   /* a refusal */
	const ksm_item_t *it = &m->u.item;
	char *source = xzalloc(it->source_len + 1);
	memcpy(source, m->var, it->source_len);
	chunk_t der = { (uint8_t *)m->var + it->source_len, it->der_len };
	f->items++;
	if (it->kind == KSM_CRL) {
		crl_t *crl = cred_load_crl(der);
		if (!crl || !keystore_add_crl(f->ks, crl, source))
			f->errors++;
	} else {
		certificate_t *cert = cred_load_certificate(der);
		if (!cert) {
			log_error(DBG_CERT, "engine: %s from the keys process does not load",
			          source);
			f->errors++;
		} else if (it->kind == KSM_OWN) {
			keystore_add_entry(f->ks, cert, it->has_key ?
			                   proxy_signer(it->gen, it->index, (key_type_t)it->key_type,
			                                it->keysize, source) : NULL, source);
		} else if (it->kind == KSM_ANCHOR) {
			if (!keystore_add_anchor(f->ks, cert, source))
				f->errors++;
		} else {
			keystore_add_intermediate(f->ks, cert);
		}
	}
	free(source);
	return false;
}

keystore_t *privsep_keys_fetch(void)
{
	fetch_ctx_t f = { .ks = keystore_create_empty() };

	if (!request(KSM_STORE, NULL, 0, NULL, 0, NULL, 0, on_item, &f) || !f.ok ||
	    f.errors) {
		log_error(DBG_CERT, "engine: no keystore from the keys process%s",
		          f.errors ? " (items that do not load)" : "");
		keystore_unref(f.ks);
		return NULL;
	}
	size_t with_key = 0;
	for (size_t i = 0; i < keystore_count(f.ks); i++)
		with_key += keystore_get(f.ks, i)->signer != NULL;
	log_op(DBG_CERT, "engine: keystore from the keys process: %zu certificate%s "
	       "(%zu with a key there), %zu trust anchor%s", keystore_count(f.ks),
	       keystore_count(f.ks) == 1 ? "" : "s", with_key,
	       keystore_anchor_count(f.ks), keystore_anchor_count(f.ks) == 1 ? "" : "s");
	return f.ks;
}

/* ---- tokens */

static bool proxy_token(uint16_t type, const char *uri, const char *pin)
{
	size_t ul = uri ? strlen(uri) : 0, pl = pin ? strlen(pin) : 0;
	ksm_token_t t = { .uri_len = (uint32_t)ul, .pin_len = (uint32_t)pl };
	result_ctx_t r = { 0 };

	if (ul > KSM_URI_MAX || pl > KSM_PIN_MAX)
		return false;
	return request(type, &t, sizeof(t), uri, ul, pin, pl, on_result, &r) && r.ok;
}

static bool proxy_login(const char *uri, const char *pin)
{
	return proxy_token(KSM_LOGIN, uri, pin);
}

static bool proxy_logout(const char *uri)
{
	return proxy_token(KSM_LOGOUT, uri, NULL);
}

/* ---- test hook: relay forged requests */

typedef struct {
	struct sockaddr_un from;
	socklen_t fromlen;
} relay_ctx_t;

static bool on_relay(void *ctx, const ksm_msg_t *m, const uint8_t *raw, size_t len)
{
	relay_ctx_t *r = ctx;
	sendto(C.test_fd, raw, len, 0, (struct sockaddr *)&r->from, r->fromlen);
	return m->hdr.type != KSM_ITEM;
}

static void on_test(int fd, uint32_t events, void *arg)
{
	(void)events;
	(void)arg;
	for (;;) {
		relay_ctx_t r = { .fromlen = sizeof(r.from) };
		ssize_t n = recvfrom(fd, C.tbuf, KSM_MSG_MAX + 4096, MSG_DONTWAIT,
		                     (struct sockaddr *)&r.from, &r.fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		uint32_t seq = 0;
		if ((size_t)n >= sizeof(ksm_hdr_t))
			memcpy(&seq, C.tbuf + offsetof(ksm_hdr_t, seq), sizeof(seq));
		pthread_mutex_lock(&C.lock);
		struct msghdr mh = { 0 };
		struct iovec iov = { C.tbuf, (size_t)n };
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (sendmsg(C.fd, &mh, MSG_NOSIGNAL) == n)
			wait_replies(seq, on_relay, &r);
		else
			log_error(DBG_CERT, "engine: test relay: %s", strerror(errno));
		pthread_mutex_unlock(&C.lock);
	}
}

static void open_test_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_error(DBG_CERT, "engine: test socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	int big = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	chmod(path, 0600);
	C.test_fd = fd;
	C.tbuf = xzalloc(KSM_MSG_MAX + 4096);
	if (!loop_watch_fd(fd, EPOLLIN, on_test, NULL))
		log_error(DBG_CERT, "engine: test socket %s not watched", path);
	else
		log_op(DBG_CERT, "engine: TEST relay of forged keys requests at %s", path);
}

bool privsep_keys_client(const char *env)
{
	char *end;
	long fd = strtol(env, &end, 10);
	if (end == env || *end || fd < 0 || fd > 65535) {
		log_error(DBG_OP, "engine: %s is malformed", PRIVSEP_KEYS_CLIENT_ENV);
		return false;
	}
	C.fd = (int)fd;
	fcntl(C.fd, F_SETFD, FD_CLOEXEC);
	C.buf = xzalloc(KSM_MSG_MAX + 1);
	cred_token_set_proxy(proxy_login, proxy_logout);
	const char *test = getenv(PRIVSEP_KEYS_TEST_ENV);
	if (test && *test)
		open_test_socket(test);
	return true;
}
