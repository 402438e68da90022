/*
 * pair.c - the two-engine harness of the in-process engine tests: two
 * engines in one process, wired through net_set_sender (packets delivered
 * as jobs, optionally dropped or held) and one null kernel backend.
 */
#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ikev2d/runtime.h>

#include "exchange/engine_priv.h"
#include "lib/plugin_loader.h"
#include "net/addr.h"

_Atomic pair_log_hook_t pair_log_hook;

engine_t *_Atomic eng_a, *_Atomic eng_b;
/* Worker threads using eng_a/eng_b (a delivery, a kernel event): a
 * retired engine (pointer cleared by stop_pair) is freed only when none is
 * left, as engine_shutdown frees the daemon's engine only after taking
 * its lock.  A counter, not a lock: those threads may hold SA locks. */
static atomic_int engines_in_use;

static void retire(engine_t *_Atomic *slot)
{
	*slot = NULL;
	while (atomic_load(&engines_in_use))
		usleep(1000);
}
kernel_null_t *kn;
char tmpdir[64];

_Atomic drop_fn_t drop_fn;
atomic_int delivered_to_a, delivered_to_b, dropped_pkts;

typedef struct {
	engine_t *to;
	packet_t *p;
} delivery_t;

static void deliver(void *arg)
{
	delivery_t *d = arg;
	engine_t *to = d->to;
	/* queued before stop_pair retired its engine: nobody to receive */
	atomic_fetch_add(&engines_in_use, 1);
	if (to && (to == eng_a || to == eng_b))
		engine_receive(to, d->p);
	else
		packet_destroy(d->p);
	atomic_fetch_sub(&engines_in_use, 1);
	free(d);
}

/* While paused, packets wait here (to make exchanges cross in flight). */
pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static bool paused;
chunk_t last_stray;     /* last packet to an address not A or B */
int n_stray;
static delivery_t *held[64];
static int n_held;

void pause_network(void)
{
	pthread_mutex_lock(&held_lock);
	paused = true;
	pthread_mutex_unlock(&held_lock);
}

void resume_network(void)
{
	pthread_mutex_lock(&held_lock);
	paused = false;
	for (int i = 0; i < n_held; i++)
		job_queue(deliver, held[i]);
	n_held = 0;
	pthread_mutex_unlock(&held_lock);
}

static bool test_sender(packet_t *p, void *ctx)
{
	(void)ctx;
	char dst[ADDR_STRLEN];
	addr_ip_to_str(&p->dst, dst, sizeof(dst));
	bool to_b = strcmp(dst, ADDR_B) == 0 || strcmp(dst, ADDR6_B) == 0;
	bool to_a = strcmp(dst, ADDR_A) == 0 || strcmp(dst, ADDR6_A) == 0;
	if (!to_a && !to_b) {
		/* to a made-up peer of a test: keep the last one to look at */
		pthread_mutex_lock(&held_lock);
		chunk_free(&last_stray);
		last_stray = chunk_clone(p->data);
		n_stray++;
		pthread_mutex_unlock(&held_lock);
	}
	drop_fn_t drop = drop_fn;
	if ((!to_a && !to_b) || (drop && drop(p, to_b))) {
		atomic_fetch_add(&dropped_pkts, 1);
		packet_destroy(p);
		return true;
	}
	atomic_fetch_add(to_b ? &delivered_to_b : &delivered_to_a, 1);
	delivery_t *d = malloc(sizeof(*d));
	d->to = to_b ? eng_b : eng_a;
	d->p = p;
	pthread_mutex_lock(&held_lock);
	if (paused && n_held < 64) {
		held[n_held++] = d;
		d = NULL;
	}
	pthread_mutex_unlock(&held_lock);
	if (d)
		job_queue(deliver, d);
	return true;
}

/* ------------------------------------------------------------- kernel
 * Both engines share one null kernel, where A's outbound SA and B's
 * inbound SA have the same name (B's address, B's SPI).  This wrapper
 * marks outbound SAs so both fit; a delete tries the unmarked name first,
 * which may remove the twin, but both go eventually, so counts hold. */
static const kernel_mark_t OUT_MARK = { 1, 0xffffffff };

static bool w_get_spi(kernel_ipsec_t *self, const struct sockaddr_storage *src,
                      const struct sockaddr_storage *dst, uint8_t protocol,
                      uint32_t reqid, uint32_t *spi)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	(void)self;
	return k->get_spi(k, src, dst, protocol, reqid, spi);
}

static bool w_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	kernel_sa_t copy = *sa;
	(void)self;
	if (sa->dir == KERNEL_DIR_OUT)
		copy.id.mark = OUT_MARK;
	return k->add_sa(k, &copy);
}

static bool w_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	kernel_sa_id_t marked = *id;
	(void)self;
	marked.mark = OUT_MARK;
	return k->del_sa(k, id) || k->del_sa(k, &marked);
}

static bool w_add_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	(void)self;
	return k->add_policy(k, p);
}

static bool w_del_policy(kernel_ipsec_t *self, const kernel_policy_t *p)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	(void)self;
	return k->del_policy(k, p);
}

static bool w_match_policy(kernel_ipsec_t *self, const kernel_policy_t *p,
                           uint32_t *reqid)
{
	kernel_ipsec_t *k = kernel_null_ipsec(kn);
	(void)self;
	return k->match_policy(k, p, reqid);
}

static void w_destroy(kernel_ipsec_t *self)
{
	(void)self;
}

static kernel_ipsec_t wrapper = {
	.get_spi = w_get_spi, .add_sa = w_add_sa, .del_sa = w_del_sa,
	.add_policy = w_add_policy, .del_policy = w_del_policy,
	.match_policy = w_match_policy, .destroy = w_destroy,
};

/* ------------------------------------------------------------ configs */


const char *DEFAULT_DAEMON =
	"retry_timer_init_ms = 200; retry_limit = 3; response_wait_time = 5;"
	" half_open_timeout_secs = 5;";
const char *DEFAULT_IKE =
	"{ encr_alg = \"aes\"; encr_keylen = 128; auth_alg = \"sha256\"; dh_group = 19; }";
const char *DEFAULT_ESP =
	"{ encr_alg = \"aes-gcm\"; encr_keylen = 128; }";

/* A selector setting is one quoted string, or a list written out. */
#define Q(ts) ((ts)[0] == '(' || (ts)[0] == '[' ? "" : "\"")

config_t *make_config(const char *name, const char *local, const char *remote,
                             const side_t *s)
{
	char path[128], pskpath[128];
	snprintf(path, sizeof(path), "%s/%s.config", tmpdir, name);
	snprintf(pskpath, sizeof(pskpath), "%s/%s.preshared", tmpdir, name);
	FILE *f = fopen(pskpath, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "keys = ( { label = \"r\"; key = \"%s\"; } );\n",
	        s->key ? s->key : "secret-key-of-test");
	fclose(f);
	chmod(pskpath, 0600);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	        "daemon = { preshared_file = \"%s.preshared\";\n  %s };\n"
	        "rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
	        "  local_addr = \"%s\"; remote_addr = \"%s\";\n"
	        "  %s%s%s %s%s%s\n"
	        "  ikesa_xform = ( %s );\n"
	        "  %s\n"
	        "  childsa = ( { local_ts = %s%s%s; remote_ts = %s%s%s;\n"
	        "    esp_xform = ( %s ); %s } ); } );\n",
	        name, s->daemon_extra ? s->daemon_extra : DEFAULT_DAEMON, local, remote,
	        s->local_id ? "local_id = " : "", s->local_id ? s->local_id : "",
	        s->local_id ? ";" : "",
	        s->remote_id ? "remote_id = " : "", s->remote_id ? s->remote_id : "",
	        s->remote_id ? ";" : "",
	        s->ike ? s->ike : DEFAULT_IKE, s->rule_extra ? s->rule_extra : "",
	        Q(s->local_ts), s->local_ts, Q(s->local_ts),
	        Q(s->remote_ts), s->remote_ts, Q(s->remote_ts),
	        s->esp ? s->esp : DEFAULT_ESP,
	        s->child_extra ? s->child_extra : "");
	fclose(f);
	int errs = 0;
	config_t *cfg = config_load(path, &errs);
	ck_assert_msg(cfg != NULL, "config %s did not load (%d errors)", path, errs);
	if (s->child_softlife) {
		cfg->rules[0].child[0].softlife_secs = s->child_softlife;
		cfg->rules[0].child[0].lifetime_secs = 60;
	}
	if (s->ike_lifetime)
		cfg->rules[0].ikesa_lifetime_secs = s->ike_lifetime;
	if (s->half_open_timeout)
		cfg->daemon.half_open_timeout_secs = s->half_open_timeout;
	return cfg;
}

void start_pair(const side_t *a, const side_t *b)
{
	config_t *ca = make_config("a", ADDR_A, ADDR_B, a);
	config_t *cb = make_config("b", ADDR_B, ADDR_A, b);
	eng_a = engine_create(ca);
	eng_b = engine_create(cb);
	config_unref(ca);
	config_unref(cb);
}

void stop_pair(unsigned wait_ms)
{
	engine_t *a = eng_a, *b = eng_b;
	/* A's Deletes are answered by B; then A is retired, so what is still
	 * queued for it (B's Deletes) finds no engine, and freed */
	engine_stop(a, wait_ms);
	retire(&eng_a);
	engine_destroy(a, 0);
	engine_stop(b, wait_ms);
	retire(&eng_b);
	engine_destroy(b, 0);
	usleep(50 * 1000);
	drop_fn = NULL;
}

side_t side(const char *lts, const char *rts)
{
	return (side_t){ .local_ts = lts, .remote_ts = rts };
}


engine_stats_t stats(engine_t *e)
{
	engine_stats_t s;
	engine_get_stats(e, &s);
	return s;
}

/* ------------------------------------------------------------ harness */

static void kernel_events(const kernel_event_t *ev, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&engines_in_use, 1);
	engine_t *a = eng_a, *b = eng_b;
	if (a)
		engine_kernel_event(a, ev);
	if (b)
		engine_kernel_event(b, ev);
	atomic_fetch_sub(&engines_in_use, 1);
}

static void quiet_log(bus_listener_t *self, dbg_group_t g, dbg_level_t l,
                      const char *msg)
{
	(void)self; (void)g;
	pair_log_hook_t hook = atomic_load(&pair_log_hook);
	if (hook)
		hook(msg);
	if (getenv("ENGINE_TEST_VERBOSE") || l <= LVL_OP)
		fprintf(stderr, "%s\n", msg);
}

static bus_listener_t listener = { .log = quiet_log };

int pair_min_threads = 2, pair_max_threads = 4;

int pair_main(Suite *s)
{
	const char *path = getenv("IKEV2D_PLUGIN_PATH");
	if (!path) {
		fprintf(stderr, "IKEV2D_PLUGIN_PATH not set: skipping\n");
		return 77;
	}
	if (getenv("ENGINE_TEST_VERBOSE"))
		bus_set_levels(DBG_ALL, 0);
	/* A replaced CHILD SA's inbound SA stays CHILD_INBOUND_GRACE_MS
	 * (2 s) after its Delete: the tests that count the kernel's SAs
	 * after a rekey would wait that long each, so here it is short;
	 * test_exchange_regress's rekey_keeps_old_inbound_a_moment tests
	 * it at its real length. */
	child_retire_set_grace_ms(200);
	bus_add_listener(&listener);
	plugin_loader_set_path(path);
	const char *names[] = { "nettle", "psk" };
	if (!plugin_loader_load(names, 2, NULL, 0) ||
	    !plugin_feature_loaded("auth:psk") || !plugin_feature_loaded("ke:ecp256")) {
		fprintf(stderr, "nettle/psk plugins not loadable: skipping\n");
		return 77;
	}
	kn = kernel_null_create(NULL, 30000);
	kernel_null_set_instance(kn);
	kernel_ipsec_register("test-null", &wrapper);
	runtime_init(pair_min_threads, pair_max_threads);
	net_set_sender(test_sender, NULL);
	kernel_ipsec_set_listener(kernel_events, NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/eng-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}

	SRunner *sr = srunner_create(s);
	/* One process: the plugins, runtime and kernel stay loaded. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	net_set_sender(NULL, NULL);
	runtime_deinit();
	kernel_ipsec_unregister(&wrapper);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	plugin_loader_unload();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
