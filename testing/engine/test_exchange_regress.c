/*
 * test_exchange_regress.c - two engines in one process (pair.c) replaying
 * the defects found against strongSwan (issue 14 and the fragmentation
 * part of issue 10): INITIAL_CONTACT against an immediate rekey, ...
 *
 * Needs the nettle and psk plugins built in this tree (IKEV2D_PLUGIN_PATH);
 * exits 77 when they cannot be loaded.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exchange/engine_priv.h"
#include "exchange/tasks.h"
#include "net/addr.h"
#include "pair.h"

/* ------------------------------------------------------------ helpers */

/* What a test needs to know of one IKE SA of an engine. */
typedef struct {
	uint64_t spi, lineage, unique_id;
	ike_sa_state_t state;
	uint8_t id_type;
	uint8_t id[64];
	size_t id_len;
	struct sockaddr_storage remote;
	char label[32];
} sa_view_t;

typedef struct {
	engine_t *e;
	sa_view_t v[16];
	int n;
} sa_list_t;

static void view_one(uint64_t spi, void *ctx)
{
	sa_list_t *l = ctx;
	sa_entry_t *en = sa_table_checkout(l->e->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	if (l->n < 16) {
		sa_view_t *v = &l->v[l->n++];
		memset(v, 0, sizeof(*v));
		v->spi = spi;
		v->lineage = sa->lineage;
		v->unique_id = sa->entry.unique_id;
		v->state = sa->state;
		v->id_type = sa->peer_id_type;
		v->id_len = sa->peer_id.len < sizeof(v->id) ? sa->peer_id.len : sizeof(v->id);
		memcpy(v->id, sa->peer_id.ptr, v->id_len);
		v->remote = sa->remote;
		if (sa->rule)
			snprintf(v->label, sizeof(v->label), "%s", sa->rule->label);
	}
	engine_finish(l->e, sa);
}

static sa_list_t list_sas(engine_t *e)
{
	sa_list_t l = { .e = e };
	sa_table_foreach_spi(e->table, view_one, &l);
	return l;
}

/* ------------------------------------------------------------- tests */

/* Issue 14 item 2: the cleanup INITIAL_CONTACT queues must not remove the
 * IKE SA that a rekey made out of the one that carried the notify, even
 * when it runs after that rekey (a peer that rekeys at once, a busy
 * worker).  B holds two IKE SAs of A (same identity); both are rekeyed;
 * then B's cleanup runs for the second one as it would have been queued
 * at its IKE_AUTH: the successor of the first goes, the successor of the
 * second stays.  (The job compared SPIs before: both successors went.) */
START_TEST(initial_contact_spares_successors)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_b).established == 1, 3000);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_b).established == 2 && stats(eng_a).established == 2, 3000);
	ck_assert_uint_eq(stats(eng_b).established, 2);

	/* the carrier: B's newer SA, as IKE_AUTH left it */
	sa_list_t l = list_sas(eng_b);
	ck_assert_int_eq(l.n, 2);
	sa_view_t carrier = l.v[0].lineage > l.v[1].lineage ? l.v[0] : l.v[1];
	sa_view_t older = l.v[0].lineage > l.v[1].lineage ? l.v[1] : l.v[0];
	ck_assert_uint_gt(carrier.id_len, 0);
	ck_assert_int_eq(carrier.id_type, older.id_type);

	ck_assert_uint_eq(engine_rekey(eng_a, "r", true), 2);
	WAIT_FOR(stats(eng_b).ike_rekeyed_total == 2 && stats(eng_b).ike_sas == 2 &&
	         stats(eng_a).ike_sas == 2, 5000);
	ck_assert_uint_eq(stats(eng_b).ike_rekeyed_total, 2);
	l = list_sas(eng_b);
	ck_assert_int_eq(l.n, 2);
	for (int i = 0; i < 2; i++)
		ck_assert_uint_ne(l.v[i].spi, carrier.spi);   /* both replaced */

	/* a different identity (same hash would not matter: whole bytes) */
	uint8_t other[64];
	memcpy(other, carrier.id, carrier.id_len);
	other[carrier.id_len - 1] ^= 1;
	ck_assert_uint_eq(initial_contact_sweep(eng_b, carrier.lineage,
	                  carrier.id_type, chunk_create(other, carrier.id_len),
	                  carrier.label, &carrier.remote), 0);

	ck_assert_uint_eq(initial_contact_sweep(eng_b, carrier.lineage,
	                  carrier.id_type, chunk_create(carrier.id, carrier.id_len),
	                  carrier.label, &carrier.remote), 1);
	l = list_sas(eng_b);
	ck_assert_int_eq(l.n, 1);
	ck_assert_uint_eq(l.v[0].lineage, carrier.lineage);
	ck_assert_int_eq(l.v[0].state, IKE_ESTABLISHED);
	ck_assert_uint_ne(l.v[0].lineage, older.lineage);
	stop_pair(0);
}
END_TEST

/* Issue 14 item 6: traffic selectors were cut to 8 per CHILD SA without a
 * word.  40 single-host selectors on each side: both engines keep all 40
 * (and install 40 x 3 policies each); a configuration with more than a TS
 * payload holds (255) is refused with file:line. */
static char *hosts_list(const char *net, int n)
{
	size_t len = 16 + (size_t)n * 20;
	char *s = malloc(len), *p = s;
	p += sprintf(p, "(");
	for (int i = 1; i <= n; i++)
		p += sprintf(p, "%s\"%s.%d\"", i > 1 ? ", " : "", net, i % 256);
	sprintf(p, ")");
	return s;
}

static char last_error[512];
static void keep_error(const char *msg)
{
	if (strstr(msg, "traffic selectors"))
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

START_TEST(many_traffic_selectors)
{
	char *la = hosts_list("10.1.0", 40), *lb = hosts_list("10.2.0", 40);
	side_t a = side(la, lb);
	side_t b = side(lb, la);
	start_pair(&a, &b);
	size_t pol_before = kernel_null_count_policies(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 5000);
	ck_assert_uint_eq(stats(eng_a).child_established_total, 1);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 1);
	/* 40 x 40 pairs, in/out/fwd, on each side */
	WAIT_FOR(kernel_null_count_policies(kn) == pol_before + 2 * 40 * 40 * 3, 2000);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before + 2 * 40 * 40 * 3);
	stop_pair(0);
	free(la);
	free(lb);

	/* 256 selectors: refused by the configuration check, with a line */
	la = hosts_list("10.1.0", 256);
	a = side(la, "10.2.0.0/16");
	char path[128];
	snprintf(path, sizeof(path), "%s/big.config", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
	        "  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\";\n"
	        "  ikesa_xform = ( %s );\n"
	        "  childsa = ( { remote_ts = \"10.2.0.0/16\";\n"
	        "    local_ts = %s;\n"
	        "    esp_xform = ( %s ); } ); } );\n", DEFAULT_IKE, la, DEFAULT_ESP);
	fclose(f);
	free(la);
	last_error[0] = 0;
	pair_log_hook = keep_error;
	int errs = 0;
	config_t *cfg = config_load(path, &errs);
	pair_log_hook = NULL;
	ck_assert_ptr_null(cfg);
	ck_assert_int_ge(errs, 1);
	char want[160];
	snprintf(want, sizeof(want), "big.config:5");
	ck_assert_msg(strstr(last_error, want) && strstr(last_error, "255"),
	              "error was: %s", last_error);
}
END_TEST

/* Issue 14 item 7: an auto_start rule whose IKE_SA_INIT got no answer was
 * never tried again.  B is "down" (every packet to it lost) for 3 s, long
 * enough for several tries of A (each gives up after one retransmission);
 * then B is back: A's next try, after its back-off, brings the SA up. */
static bool drop_to_b(const packet_t *p, bool to_b)
{
	(void)p;
	return to_b;
}

#define RETRY_DAEMON "retry_timer_init_ms = 100; retry_limit = 1; " \
	"response_wait_time = 5; half_open_timeout_secs = 5; " \
	"start_retry_max_secs = 1;"

START_TEST(start_retried_until_peer_is_back)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.daemon_extra = RETRY_DAEMON;
	a.rule_extra = "auto_start = true;";
	start_pair(&a, &b);
	drop_fn = drop_to_b;
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).start_retries >= 2, 8000);
	ck_assert_uint_ge(stats(eng_a).start_retries, 2);
	ck_assert_uint_eq(stats(eng_b).ike_sas, 0);
	ck_assert_uint_eq(stats(eng_a).established, 0);
	drop_fn = NULL;   /* B is back */
	WAIT_FOR(stats(eng_a).established == 1 && stats(eng_b).established == 1, 8000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	/* no try is left over to start a second SA */
	uint64_t tries = stats(eng_a).start_retries;
	usleep(1500 * 1000);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
	ck_assert_uint_le(stats(eng_a).start_retries, tries + 1);
	stop_pair(0);
}
END_TEST

/* start_retry_limit bounds the tries: 2 tries again, then nothing; a
 * rule that neither auto_starts nor is on_demand is not retried at all;
 * the wait is jittered within [half, all] of a doubling bounded by
 * start_retry_max_secs. */
START_TEST(start_retry_limit_and_backoff)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	a.daemon_extra = RETRY_DAEMON;
	a.rule_extra = "auto_start = true; start_retry_limit = 2;";
	start_pair(&a, &b);
	drop_fn = drop_to_b;
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).start_retries == 2 && stats(eng_a).ike_sas == 0, 8000);
	ck_assert_uint_eq(stats(eng_a).start_retries, 2);
	usleep(2500 * 1000);   /* longer than the largest wait */
	ck_assert_uint_eq(stats(eng_a).start_retries, 2);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	stop_pair(0);

	a.rule_extra = "";
	start_pair(&a, &b);
	drop_fn = drop_to_b;
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).ike_sas == 0, 5000);
	usleep(1500 * 1000);
	ck_assert_uint_eq(stats(eng_a).start_retries, 0);
	ck_assert_uint_eq(stats(eng_a).ike_sas, 0);
	stop_pair(0);

	for (int i = 0; i < 200; i++) {
		uint64_t w2 = start_retry_backoff_ms(2, 120);
		ck_assert(w2 >= 500 && w2 <= 1000);
		uint64_t w5 = start_retry_backoff_ms(5, 120);
		ck_assert(w5 >= 4000 && w5 <= 8000);
		uint64_t w30 = start_retry_backoff_ms(30, 120);
		ck_assert(w30 >= 60000 && w30 <= 120000);
		uint64_t big = start_retry_backoff_ms(4000000000u, 7);
		ck_assert(big >= 3500 && big <= 7000);
	}
	/* and they differ (jitter) */
	uint64_t first = start_retry_backoff_ms(10, 3600);
	bool differs = false;
	for (int i = 0; i < 20 && !differs; i++)
		differs = start_retry_backoff_ms(10, 3600) != first;
	ck_assert(differs);
}
END_TEST

/* -c: start_retry_limit on a rule that never starts by itself is an
 * error with file:line; start_retry_max_secs out of range too. */
static void keep_retry_error(const char *msg)
{
	if (strstr(msg, "start_retry"))
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

START_TEST(start_retry_config_checked)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/retry.config", tmpdir);
	const char *bodies[] = {
		"daemon = { start_retry_max_secs = 0; };\n"
		"rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
		"  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\"; auto_start = true;\n",
		"rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
		"  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\";\n"
		"  start_retry_limit = 3;\n",
		"rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
		"  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\";\n"
		"  auto_start = true; start_retry_limit = -2;\n",
	};
	const char *want[] = { "retry.config:1", "retry.config:3", "retry.config:3" };
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fprintf(f, "%s  ikesa_xform = ( %s );\n"
		        "  childsa = ( { esp_xform = ( %s ); } ); } );\n",
		        bodies[i], DEFAULT_IKE, DEFAULT_ESP);
		fclose(f);
		last_error[0] = 0;
		pair_log_hook = keep_retry_error;
		int errs = 0;
		config_t *cfg = config_load(path, &errs);
		pair_log_hook = NULL;
		ck_assert_ptr_null(cfg);
		ck_assert_msg(strstr(last_error, want[i]) &&
		              strstr(last_error, "start_retry"),
		              "case %d: error was: %s", i, last_error);
	}
	/* valid: -1 (without end) */
	char psk[160];
	snprintf(psk, sizeof(psk), "%s/retry.preshared", tmpdir);
	FILE *f = fopen(psk, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "keys = ( { label = \"r\"; key = \"a-secret-of-a-test\"; } );\n");
	fclose(f);
	chmod(psk, 0600);
	f = fopen(path, "w");
	fprintf(f, "daemon = { preshared_file = \"retry.preshared\"; };\n"
	        "rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
	        "  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\";\n"
	        "  auto_start = true; start_retry_limit = -1;\n"
	        "  ikesa_xform = ( %s );\n"
	        "  childsa = ( { esp_xform = ( %s ); } ); } );\n", DEFAULT_IKE, DEFAULT_ESP);
	fclose(f);
	int errs = 0;
	config_t *cfg = config_load(path, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->rules[0].start_retry_limit, -1);
	ck_assert_int_eq(cfg->daemon.start_retry_max_secs, 120);
	config_unref(cfg);
}
END_TEST

/* The CI defect next to issue 14 item 1: after a simultaneous CHILD SA
 * rekey (§2.8.1) the surviving pair had no policies left - the loser's
 * Delete of the old SA (or of its redundant new one) took the policies
 * the survivor shares (same reqid, same selectors) with it, and the
 * tunnel's traffic went out in clear or nowhere.  Collide several times:
 * after each, one pair per side and every policy still installed. */
START_TEST(child_rekey_collision_keeps_policies)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	size_t pol_before = kernel_null_count_policies(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	/* one /16 pair, in/out/fwd, on each side */
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before + 6);
	for (int round = 1; round <= 6; round++) {
		uint64_t ra = stats(eng_a).child_rekeyed_total;
		uint64_t rb = stats(eng_b).child_rekeyed_total;
		pause_network();
		ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
		ck_assert_uint_eq(engine_rekey(eng_b, "r", false), 1);
		resume_network();
		WAIT_FOR(stats(eng_a).child_rekeyed_total > ra &&
		         stats(eng_b).child_rekeyed_total > rb &&
		         kernel_null_count_sas(kn) == sas_before + 4, 5000);
		/* the redundant SA's Delete may still be in flight */
		usleep(300 * 1000);
		WAIT_FOR(kernel_null_count_sas(kn) == sas_before + 4 &&
		         kernel_null_count_policies(kn) == pol_before + 6, 5000);
		ck_assert_msg(kernel_null_count_sas(kn) == sas_before + 4,
		              "round %d: %zu SAs, expected %zu", round,
		              kernel_null_count_sas(kn), sas_before + 4);
		ck_assert_msg(kernel_null_count_policies(kn) == pol_before + 6,
		              "round %d: %zu policies after the collision, expected %zu",
		              round, kernel_null_count_policies(kn), pol_before + 6);
		ck_assert_uint_eq(stats(eng_a).established, 1);
		ck_assert_uint_eq(stats(eng_b).established, 1);
	}
	stop_pair(0);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before);
}
END_TEST

/* Issue 14 item 1, the overlap the storm against charon turned up: one
 * side rekeys a CHILD SA while the other rekeys the IKE SA, the requests
 * crossing.  Taking the IKE rekey moved the CHILD SAs to the new IKE SA
 * while the CHILD rekey's answer still came on the old one: that side
 * found the SA it had rekeyed gone, kept its new CHILD SA on the old IKE
 * SA and lost it with it - the peer kept its copy: one CHILD SA more on
 * one side than the other.  Now the IKE rekey is refused with
 * TEMPORARY_FAILURE (RFC 7296 §2.25.2) and retried.  Both ways round, a
 * few times: afterwards one IKE SA and one CHILD pair each, paired
 * (the shared null kernel holds each side's in and out: 4 SAs). */
START_TEST(child_rekey_crossing_ike_rekey)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	size_t pol_before = kernel_null_count_policies(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	for (int round = 1; round <= 4; round++) {
		engine_t *child_side = round % 2 ? eng_a : eng_b;
		engine_t *ike_side = round % 2 ? eng_b : eng_a;
		uint64_t ike_before = stats(ike_side).ike_rekeyed_total;
		uint64_t child_before = stats(child_side).child_rekeyed_total;
		pause_network();
		ck_assert_uint_eq(engine_rekey(child_side, "r", false), 1);
		ck_assert_uint_eq(engine_rekey(ike_side, "r", true), 1);
		resume_network();
		/* the refused IKE rekey is retried (lifetime / 10 + 1 s at
		 * the latest); the CHILD rekey goes through */
		WAIT_FOR(stats(child_side).child_rekeyed_total > child_before &&
		         stats(eng_a).ike_sas == 1 && stats(eng_b).ike_sas == 1 &&
		         kernel_null_count_sas(kn) == sas_before + 4, 5000);
		usleep(300 * 1000);
		/* the policies too: on a loaded machine the retried rekey may
		 * still be between its SA and its policies; a lost policy
		 * stays lost and fails below after 5 s */
		WAIT_FOR(stats(eng_a).ike_sas == 1 && stats(eng_b).ike_sas == 1 &&
		         kernel_null_count_sas(kn) == sas_before + 4 &&
		         kernel_null_count_policies(kn) == pol_before + 6, 5000);
		ck_assert_msg(stats(child_side).child_rekeyed_total > child_before,
		              "round %d: the CHILD rekey did not complete", round);
		ck_assert_msg(kernel_null_count_sas(kn) == sas_before + 4,
		              "round %d: %zu SAs in the kernel, expected %zu (one "
		              "pair per side)", round, kernel_null_count_sas(kn),
		              sas_before + 4);
		ck_assert_msg(kernel_null_count_policies(kn) == pol_before + 6,
		              "round %d: %zu policies, expected %zu", round,
		              kernel_null_count_policies(kn), pol_before + 6);
		ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
		ck_assert_uint_eq(stats(eng_b).ike_sas, 1);
		ck_assert_uint_eq(stats(eng_a).established, 1);
		ck_assert_uint_eq(stats(eng_b).established, 1);
		(void)ike_before;
	}
	/* the survivors work: a CHILD rekey and an IKE rekey each */
	uint64_t rb = stats(eng_b).child_rekeyed_total;
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	WAIT_FOR(stats(eng_b).child_rekeyed_total > rb &&
	         kernel_null_count_sas(kn) == sas_before + 4, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	stop_pair(2000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before);
}
END_TEST

/* Issue 14 item 1, the CI failure of interop-rekey-storm: the peer's IKE
 * rekey crossed a CHILD exchange of ours and was refused with
 * TEMPORARY_FAILURE (as above); strongSwan tries again only after 5-15 s
 * and deletes the IKE SA at its hard lifetime meanwhile - a short
 * over_time lost the IKE SA on both sides.  The side that refused must
 * rekey the IKE SA itself once its exchange is answered.  Here the
 * refused side behaves like strongSwan with a long retry: the test keeps
 * stopping its retry timer, so only the refusing side can make the new
 * IKE SA (before the fix nothing did).  Both ways round. */
static void stop_rekey_timer(engine_t *e, uint64_t spi)
{
	sa_entry_t *en = sa_table_checkout(e->table, spi);
	if (!en)
		return;
	sa_timer_stop(e, (ike_sa_t *)en, TIMER_REKEY);
	engine_finish(e, (ike_sa_t *)en);
}

START_TEST(refused_ike_rekey_taken_over)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	size_t pol_before = kernel_null_count_policies(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	for (int round = 1; round <= 2; round++) {
		engine_t *child_side = round % 2 ? eng_a : eng_b;
		engine_t *ike_side = round % 2 ? eng_b : eng_a;
		sa_list_t l = list_sas(ike_side);
		ck_assert_int_eq(l.n, 1);
		uint64_t old_spi = l.v[0].spi;
		uint64_t ike_before = stats(ike_side).ike_rekeyed_total;
		uint64_t child_before = stats(child_side).child_rekeyed_total;
		pause_network();
		ck_assert_uint_eq(engine_rekey(child_side, "r", false), 1);
		ck_assert_uint_eq(engine_rekey(ike_side, "r", true), 1);
		resume_network();
		bool done = false;
		for (int i = 0; i < 600 && !done; i++) {
			stop_rekey_timer(ike_side, old_spi);
			done = stats(ike_side).ike_rekeyed_total > ike_before &&
			       stats(child_side).child_rekeyed_total > child_before &&
			       stats(eng_a).ike_sas == 1 && stats(eng_b).ike_sas == 1 &&
			       kernel_null_count_sas(kn) == sas_before + 4 &&
			       kernel_null_count_policies(kn) == pol_before + 6;
			if (!done)
				usleep(10 * 1000);
		}
		ck_assert_msg(stats(child_side).child_rekeyed_total > child_before,
		              "round %d: the CHILD rekey did not complete", round);
		ck_assert_msg(stats(ike_side).ike_rekeyed_total > ike_before,
		              "round %d: the refused IKE rekey was not made up for "
		              "by the side that refused it", round);
		ck_assert_uint_eq(stats(eng_a).ike_sas, 1);
		ck_assert_uint_eq(stats(eng_b).ike_sas, 1);
		ck_assert_uint_eq(stats(eng_a).established, 1);
		ck_assert_uint_eq(stats(eng_b).established, 1);
		l = list_sas(ike_side);
		ck_assert_int_eq(l.n, 1);
		ck_assert_uint_ne(l.v[0].spi, old_spi);
		ck_assert_msg(kernel_null_count_sas(kn) == sas_before + 4,
		              "round %d: %zu SAs, expected %zu", round,
		              kernel_null_count_sas(kn), sas_before + 4);
		ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before + 6);
	}
	stop_pair(2000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before);
	ck_assert_uint_eq(kernel_null_count_policies(kn), pol_before);
}
END_TEST

/* Issue 14 (review of the SA hand-over at a rekey): the responder of a
 * CHILD SA rekey installs its new outbound SA only when the old SA goes.
 * When the peer's Delete of the old SA never comes, the old SA reaches
 * its hard lifetime and the kernel removes it: the successor must send
 * from then on (it was left without an outbound SA: the EXPIRE of a
 * rekeyed SA was ignored).  A's Deletes are dropped; B answers A's rekey;
 * then B's old inbound SA hard-expires. */
static bool drop_informational_to_b(const packet_t *p, bool to_b)
{
	const uint8_t *d = p->data.ptr;
	size_t off = 0;
	if (!to_b)
		return false;
	if (p->data.len >= 4 && !d[0] && !d[1] && !d[2] && !d[3])
		off = 4;   /* non-ESP marker on 4500 */
	return p->data.len >= off + 28 && d[off + 18] == EXCH_INFORMATIONAL &&
	       !(d[off + 19] & 0x20);
}

typedef struct {
	uint32_t old_in, new_out, reqid;
	bool new_deferred;
} b_children_t;

static void b_children(uint64_t spi, void *ctx)
{
	b_children_t *r = ctx;
	sa_entry_t *en = sa_table_checkout(eng_b->table, spi);
	if (!en)
		return;
	ike_sa_t *sa = (ike_sa_t *)en;
	for (child_sa_t *c = sa->children; c; c = c->next) {
		if (c->state == CHILD_REKEYED) {
			r->old_in = c->spi_in;
			r->reqid = c->reqid;
		}
		else if (c->state == CHILD_INSTALLED) {
			r->new_out = c->spi_out;
			r->new_deferred = c->deferred_out.len > 0;
		}
	}
	engine_finish(eng_b, sa);
}

START_TEST(deferred_out_installed_on_hard_expire)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).child_established_total, 1);
	drop_fn = drop_informational_to_b;
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	WAIT_FOR(stats(eng_a).child_rekeyed_total == 1 &&
	         stats(eng_b).child_rekeyed_total == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).child_rekeyed_total, 1);
	b_children_t r = { 0 };
	sa_table_foreach_spi(eng_b->table, b_children, &r);
	ck_assert_uint_ne(r.old_in, 0);
	ck_assert_uint_ne(r.new_out, 0);
	ck_assert_msg(r.new_deferred, "B's new outbound SA is not waiting");
	/* The null kernel is shared: A's SAs have the ids of B's (A already
	 * removed its old outbound SA, the record of B's old inbound one), so
	 * B gets the kernel's hard EXPIRE directly, and B's state tells
	 * whether the successor's outbound SA was installed. */
	kernel_event_t ev = { .type = KERNEL_EV_EXPIRE };
	ev.expire.sa.spi = r.old_in;
	ev.expire.sa.protocol = KERNEL_PROTO_ESP;
	ck_assert(addr_from_str(ADDR_B, 0, &ev.expire.sa.dst));
	ev.expire.reqid = r.reqid;
	ev.expire.hard = true;
	engine_kernel_event(eng_b, &ev);
	WAIT_FOR(({ b_children_t w = { 0 };
	            sa_table_foreach_spi(eng_b->table, b_children, &w);
	            w.new_out == r.new_out && !w.new_deferred; }), 3000);
	b_children_t q = { 0 };
	sa_table_foreach_spi(eng_b->table, b_children, &q);
	ck_assert_uint_eq(q.new_out, r.new_out);
	ck_assert_msg(!q.new_deferred, "B's successor has no outbound SA after "
	              "its predecessor hard-expired");
	drop_fn = NULL;
	/* B deletes the old SA itself: one pair per side is left */
	WAIT_FOR(({ b_children_t w = { 0 };
	            sa_table_foreach_spi(eng_b->table, b_children, &w);
	            w.old_in == 0; }), 3000);
	r = (b_children_t){ 0 };
	sa_table_foreach_spi(eng_b->table, b_children, &r);
	ck_assert_uint_eq(r.old_in, 0);
	stop_pair(500);
}
END_TEST

/* Issue 14 item 1, seen in interop-rekey-storm (phase B): our rekey of a
 * CHILD SA crossed charon's, which finished first and sent its Delete of
 * the old SA; our request reached charon while that Delete was in flight
 * and charon answered TEMPORARY_FAILURE ("unable to rekey, we are
 * deleting the CHILD_SA").  By then the peer's Delete had removed the old
 * SA here: nothing failed (the peer's successor is the SA), but it was
 * logged as "CHILD SA rekey failed: TEMPORARY_FAILURE".  Our own
 * responder says CHILD_SA_NOT_FOUND there, so the answer is made up: A's
 * exchange state for a rekey of an SA that is gone, and the answer. */
static atomic_int rekey_failed_lines, crossed_lines;
static void count_crossed(const char *msg)
{
	if (strstr(msg, "CHILD SA rekey failed"))
		atomic_fetch_add(&rekey_failed_lines, 1);
	if (strstr(msg, "crossed the peer's") && strstr(msg, "TEMPORARY_FAILURE"))
		atomic_fetch_add(&crossed_lines, 1);
}

START_TEST(crossed_rekey_temporary_failure_not_failed)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t sas_before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	sa_list_t l = list_sas(eng_a);
	ck_assert_int_eq(l.n, 1);
	atomic_store(&rekey_failed_lines, 0);
	atomic_store(&crossed_lines, 0);
	pair_log_hook = count_crossed;
	sa_entry_t *en = sa_table_checkout(eng_a->table, l.v[0].spi);
	ck_assert_ptr_nonnull(en);
	ike_sa_t *sa = (ike_sa_t *)en;
	ck_assert_ptr_null(sa->exch);
	ck_assert_ptr_nonnull(sa->children);
	exch_t *x = xzalloc(sizeof(*x));
	x->type = TASK_CHILD_REKEY;
	x->old_spi = 0x0badf00d;   /* replaced and deleted by the peer */
	x->peer_rekeyed = true;
	x->cfg = sa->children->cfg;
	sa->exch = x;
	message_t *m = sa_new_response(sa, EXCH_CREATE_CHILD_SA, 0);
	message_add_notify(m, PROTO_NONE, chunk_empty, N_TEMPORARY_FAILURE,
	                   chunk_empty);
	create_child_process_response(eng_a, sa, m);
	message_destroy(m);
	ck_assert_ptr_null(sa->exch);
	bool retry = false;
	for (child_sa_t *c = sa->children; c; c = c->next)
		retry |= c->rekey_retry;
	engine_finish(eng_a, sa);
	pair_log_hook = NULL;
	ck_assert_msg(atomic_load(&rekey_failed_lines) == 0, "a rekey whose SA "
	              "the peer's crossing rekey replaced was logged as failed");
	ck_assert_int_eq(atomic_load(&crossed_lines), 1);
	ck_assert(!retry);
	/* the CHILD SA (the peer's successor, here the one pair) is intact */
	ck_assert_uint_eq(kernel_null_count_sas(kn), sas_before + 4);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	stop_pair(500);
}
END_TEST

/* Issue 14 item 1 (point 3 of the storm work): the inbound SA of a CHILD
 * SA replaced by a rekey stays a grace period after the Delete exchange,
 * on both sides: ESP the peer sent on it just before switching (or before
 * its Delete) may still be on the way.  A rekeys; A's old inbound SA (its
 * Delete answered) and B's (A's Delete received) must stay ~grace, then
 * go: 4 SAs of the new pair and 2 old inbound ones, then 4.  Before, both
 * went within milliseconds of the Delete.  Then a second rekey, and the
 * engines stop during the grace period: nothing is left behind. */
START_TEST(rekey_keeps_old_inbound_a_moment)
{
	const uint64_t grace = 2500;
	child_retire_set_grace_ms(grace);
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	start_pair(&a, &b);
	size_t before = kernel_null_count_sas(kn);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).child_established_total == 1 &&
	         stats(eng_b).child_established_total == 1, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before + 4);
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	/* the old pairs' outbound SAs go with the Delete exchange, their
	 * inbound SAs stay: 4 + 2 */
	WAIT_FOR(stats(eng_a).child_rekeyed_total == 1 &&
	         stats(eng_b).child_rekeyed_total == 1 &&
	         kernel_null_count_sas(kn) == before + 6, 3000);
	uint64_t t6 = time_monotonic_ms();
	ck_assert_uint_eq(stats(eng_b).child_rekeyed_total, 1);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before + 6);
	usleep(1000 * 1000);
	ck_assert_msg(kernel_null_count_sas(kn) == before + 6,
	              "%zu SAs 1 s after the rekey's Delete, expected %zu: the "
	              "old inbound SAs went before their grace period",
	              kernel_null_count_sas(kn), before + 6);
	ck_assert_uint_eq(child_retire_pending(eng_a), 1);
	ck_assert_uint_eq(child_retire_pending(eng_b), 1);
	WAIT_FOR(kernel_null_count_sas(kn) == before + 4, (int)grace + 3000);
	uint64_t waited = time_monotonic_ms() - t6;
	ck_assert_uint_eq(kernel_null_count_sas(kn), before + 4);
	ck_assert_uint_eq(child_retire_pending(eng_a), 0);
	ck_assert_uint_eq(child_retire_pending(eng_b), 0);
	ck_assert_msg(waited + 200 >= grace, "the old inbound SAs went %llu ms "
	              "after the Delete, the grace period is %llu ms",
	              (unsigned long long)waited, (unsigned long long)grace);
	/* a second rekey, and shutdown in its grace period */
	ck_assert_uint_eq(engine_rekey(eng_b, "r", false), 1);
	WAIT_FOR(stats(eng_a).child_rekeyed_total == 2 &&
	         stats(eng_b).child_rekeyed_total == 2 &&
	         kernel_null_count_sas(kn) == before + 6, 3000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before + 6);
	stop_pair(2000);
	ck_assert_uint_eq(kernel_null_count_sas(kn), before);
	child_retire_set_grace_ms(200);
}
END_TEST

/* Issue 14 item 3 and the RFC 7383 part of issue 10: fragmented exchanges
 * in both roles and later exchanges, resent as fragments, and a request
 * retransmission recognised by its content.  40 + 40 selectors and a
 * 576-octet MTU make IKE_AUTH (both ways) and CREATE_CHILD_SA fragment.
 * The first fragment of B's IKE_AUTH response is lost: A resends all its
 * fragments, B answers fragment 1 only (once, all its fragments), not each
 * fragment (it did, one whole response per fragment).  Then: a forged
 * 28-octet header with the right SPIs and ID makes B send nothing (it
 * resent everything); A's real fragment 2 nothing; A's real fragment 1 the
 * whole response again. */
#define MAX_CAP 64
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static packet_t *cap_to_b[MAX_CAP];     /* A's IKE_AUTH fragments */
static int n_cap_to_b;
static atomic_int resp_frags_to_a;      /* B's IKE_AUTH response fragments */
static atomic_int dropped_resp_frag;
static atomic_int only_first, split_ike_auth, split_ccs;

static bool frag_of(const packet_t *p, uint8_t exch, bool resp, uint16_t *num)
{
	const uint8_t *d = p->data.ptr;
	size_t off = 0;
	if (p->data.len >= 4 && !d[0] && !d[1] && !d[2] && !d[3])
		off = 4;   /* non-ESP marker on 4500 */
	if (p->data.len < off + 36 || d[off + 16] != 53 || d[off + 18] != exch ||
	    !!(d[off + 19] & 0x20) != resp)
		return false;
	*num = (uint16_t)(d[off + 32] << 8 | d[off + 33]);
	return true;
}

static bool frag_watch(const packet_t *p, bool to_b)
{
	uint16_t num;
	if (to_b && frag_of(p, EXCH_IKE_AUTH, false, &num)) {
		pthread_mutex_lock(&cap_lock);
		if (n_cap_to_b < MAX_CAP) {
			packet_t *c = packet_create();
			c->src = p->src;
			c->dst = p->dst;
			c->data = chunk_clone(p->data);
			cap_to_b[n_cap_to_b++] = c;
		}
		pthread_mutex_unlock(&cap_lock);
	}
	if (!to_b && frag_of(p, EXCH_IKE_AUTH, true, &num)) {
		atomic_fetch_add(&resp_frags_to_a, 1);
		if (num == 1 && atomic_fetch_add(&dropped_resp_frag, 1) == 0)
			return true;   /* lost once */
	}
	return false;
}

static void frag_log(const char *msg)
{
	if (strstr(msg, "only fragment 1 makes us resend"))
		atomic_fetch_add(&only_first, 1);
	if (strstr(msg, "IKE_AUTH message split into"))
		atomic_fetch_add(&split_ike_auth, 1);
	if (strstr(msg, "CREATE_CHILD_SA message split into"))
		atomic_fetch_add(&split_ccs, 1);
}

static packet_t *cap_find(uint16_t want)
{
	packet_t *found = NULL;
	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < n_cap_to_b && !found; i++) {
		uint16_t num;
		if (frag_of(cap_to_b[i], EXCH_IKE_AUTH, false, &num) && num == want) {
			found = packet_create();
			found->src = cap_to_b[i]->src;
			found->dst = cap_to_b[i]->dst;
			found->data = chunk_clone(cap_to_b[i]->data);
		}
	}
	pthread_mutex_unlock(&cap_lock);
	return found;
}

START_TEST(fragments_both_roles_and_retransmits)
{
	char *la = hosts_list("10.1.0", 40), *lb = hosts_list("10.2.0", 40);
	side_t a = side(la, lb), b = side(lb, la);
	char dx[512];
	snprintf(dx, sizeof(dx), "%s fragmentation_enable = true; "
	         "fragmentation_mtu = 576;", DEFAULT_DAEMON);
	a.daemon_extra = b.daemon_extra = dx;
	start_pair(&a, &b);
	bus_set_levels(DBG_ALL, 0);   /* the split / resend lines are verbose */
	pair_log_hook = frag_log;
	drop_fn = frag_watch;
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).established == 1 && stats(eng_b).established == 1, 8000);
	ck_assert_uint_eq(stats(eng_a).established, 1);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	usleep(300 * 1000);
	/* both roles split IKE_AUTH */
	ck_assert_int_ge(atomic_load(&split_ike_auth), 2);
	ck_assert_int_ge(atomic_load(&dropped_resp_frag), 2);   /* lost, then resent */
	int r = atomic_load(&resp_frags_to_a);
	/* the response went out twice, in full: R fragments each time */
	ck_assert_msg(r % 2 == 0 && r >= 4, "%d response fragments", r);
	int nresp = r / 2;
	ck_assert_int_ge(atomic_load(&only_first), 1);

	/* a forged header: right SPIs and message ID, no valid content */
	packet_t *f1 = cap_find(1), *f2 = cap_find(2);
	ck_assert_ptr_nonnull(f1);
	ck_assert_ptr_nonnull(f2);
	packet_t *forged = packet_create();
	forged->src = f1->src;
	forged->dst = f1->dst;
	size_t off = f1->data.len >= 4 && !f1->data.ptr[0] && !f1->data.ptr[1] ? 4 : 0;
	forged->data = chunk_alloc(off + 28);
	memcpy(forged->data.ptr, f1->data.ptr, off + 28);
	forged->data.ptr[off + 16] = 46;   /* SK, no payload */
	forged->data.ptr[off + 24] = forged->data.ptr[off + 25] = 0;
	forged->data.ptr[off + 26] = 0;
	forged->data.ptr[off + 27] = 28;
	int before = atomic_load(&resp_frags_to_a);
	engine_receive(eng_b, forged);
	engine_receive(eng_b, f2);
	usleep(300 * 1000);
	ck_assert_int_eq(atomic_load(&resp_frags_to_a), before);
	engine_receive(eng_b, f1);
	WAIT_FOR(atomic_load(&resp_frags_to_a) == before + nresp, 2000);
	usleep(200 * 1000);
	ck_assert_int_eq(atomic_load(&resp_frags_to_a), before + nresp);

	/* a later exchange: a CHILD rekey, request and response fragmented */
	uint64_t rk = stats(eng_b).child_rekeyed_total;
	ck_assert_uint_eq(engine_rekey(eng_a, "r", false), 1);
	WAIT_FOR(stats(eng_b).child_rekeyed_total > rk &&
	         stats(eng_a).child_rekeyed_total > rk, 8000);
	ck_assert_uint_gt(stats(eng_a).child_rekeyed_total, rk);
	ck_assert_int_ge(atomic_load(&split_ccs), 2);
	drop_fn = NULL;
	pair_log_hook = NULL;
	bus_set_levels(0, 0);
	stop_pair(0);
	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < n_cap_to_b; i++)
		packet_destroy(cap_to_b[i]);
	n_cap_to_b = 0;
	pthread_mutex_unlock(&cap_lock);
	free(la);
	free(lb);
}
END_TEST

/* Issue 10, RFC 7383: fragments were processed even when fragmentation
 * was never negotiated (fragmentation_enable false on B).  A fragmented
 * INFORMATIONAL request made with A's keys is dropped by B, unanswered. */
typedef struct {
	uint64_t spi;
} first_spi_t;

static void first_spi(uint64_t spi, void *ctx)
{
	first_spi_t *f = ctx;
	if (!f->spi)
		f->spi = spi;
}

START_TEST(fragments_need_negotiation)
{
	side_t a = side("10.1.0.0/16", "10.2.0.0/16");
	side_t b = side("10.2.0.0/16", "10.1.0.0/16");
	char dx[512];
	snprintf(dx, sizeof(dx), "%s fragmentation_enable = true;", DEFAULT_DAEMON);
	a.daemon_extra = dx;   /* B keeps the default: off */
	start_pair(&a, &b);
	ck_assert(engine_initiate(eng_a, "r"));
	WAIT_FOR(stats(eng_a).established == 1 && stats(eng_b).established == 1, 3000);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	usleep(200 * 1000);

	first_spi_t f = { 0 };
	sa_table_foreach_spi(eng_a->table, first_spi, &f);
	sa_entry_t *en = sa_table_checkout(eng_a->table, f.spi);
	ck_assert_ptr_nonnull(en);
	ike_sa_t *sa = (ike_sa_t *)en;
	ck_assert(!sa->peer_fragmentation);
	message_t *m = sa_new_request(sa, EXCH_INFORMATIONAL);
	uint8_t junk[200];
	memset(junk, 0x5a, sizeof(junk));
	message_add_notify(m, PROTO_NONE, chunk_empty, 40960, chunk_create(junk, sizeof(junk)));
	chunk_t *frags;
	size_t n;
	codec_error_t err;
	ck_assert_int_eq(message_generate_fragments(m, &sa->keys->out, 120, &frags,
	                                            &n, &err), CODEC_OK);
	ck_assert_uint_ge(n, 2);
	struct sockaddr_storage src = sa->local, dst = sa->remote;
	message_destroy(m);
	engine_finish(eng_a, sa);

	int before = atomic_load(&delivered_to_a);
	uint64_t dropped = stats(eng_b).dropped;
	for (size_t i = 0; i < n; i++) {
		packet_t *p = packet_create();
		p->src = src;
		p->dst = dst;
		p->data = chunk_clone(frags[i]);
		engine_receive(eng_b, p);
	}
	fragments_free(frags, n);
	usleep(400 * 1000);
	ck_assert_int_eq(atomic_load(&delivered_to_a), before);   /* no answer */
	ck_assert_uint_ge(stats(eng_b).dropped, dropped + n);
	ck_assert_uint_eq(stats(eng_b).established, 1);
	stop_pair(0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exchange-regress");
	TCase *tc = tcase_create("two engines");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, initial_contact_spares_successors);
	tcase_add_test(tc, many_traffic_selectors);
	tcase_add_test(tc, start_retried_until_peer_is_back);
	tcase_add_test(tc, start_retry_limit_and_backoff);
	tcase_add_test(tc, start_retry_config_checked);
	tcase_add_test(tc, child_rekey_collision_keeps_policies);
	tcase_add_test(tc, fragments_both_roles_and_retransmits);
	tcase_add_test(tc, fragments_need_negotiation);
	tcase_add_test(tc, child_rekey_crossing_ike_rekey);
	tcase_add_test(tc, refused_ike_rekey_taken_over);
	tcase_add_test(tc, deferred_out_installed_on_hard_expire);
	tcase_add_test(tc, rekey_keeps_old_inbound_a_moment);
	tcase_add_test(tc, crossed_rekey_temporary_failure_not_failed);
	suite_add_tcase(s, tc);
	return pair_main(s);
}
