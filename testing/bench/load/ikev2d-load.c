/*
 * ikev2d-load.c - load generator and load responder for the IKEv2 engine
 * (issue 5, "Performance"), in the manner of strongSwan's load-tester:
 *
 *   ikev2d-load -f CONFIG -r
 *       Responder: the engine on real sockets, answering whatever arrives,
 *       until SIGTERM/SIGINT.  Each SIGUSR1 prints one "resp ..." line of
 *       key=value counters on stdout (SAs, heap in use, CPU time), so a
 *       script can take a snapshot before and after a run.
 *
 *   ikev2d-load -f CONFIG -i LABEL -n N [-w WINDOW] [-p PEER_PID] [-T SECS]
 *               [-b BLOCKS]
 *       Initiator: opens N IKE SAs (each with its first CHILD SA) with the
 *       rule LABEL, at most WINDOW of them in flight at a time, and prints
 *       a report of key=value lines on stdout: SAs established and failed,
 *       the rate overall and per 10% slice of the run (and the CPU time per
 *       SA of both sides in each slice), our CPU time per SA
 *       (getrusage) and, when PEER_PID is given, the peer's CPU time per SA
 *       and resident-memory growth per SA (from /proc/PEER_PID, so this
 *       works for any responder, ours or strongSwan's charon, and is
 *       meaningful on a machine that is busy with other work).
 *       With -b BLOCKS the run is cut into BLOCKS equal blocks: before each
 *       block, once every SA of the previous one has completed, it prints
 *       "paused=K" (K blocks done) on stdout and waits for SIGUSR1.  A
 *       script can so alternate two initiators against two responders
 *       block by block, so that a machine whose load changes over a long
 *       run loads both alike; the times reported leave the pauses out.
 *
 * With -k discard, the kernel backend is one built in here that accepts
 * every SA and policy and keeps nothing (as a real kernel holds them outside
 * the daemon's memory): the configuration must then load no kernel-ipsec
 * plugin.  Used to tell the engine's own memory per SA from what the null
 * backend records.
 *
 * Both roles log what the bus delivers at the configured debug level to
 * stderr (the scripts send it to a file), as the daemon would.
 *
 * Completion of an SA is seen on the bus: BUS_EV_IKE_UP (established) or
 * BUS_EV_IKE_DOWN before that (failed).  The run keeps no SA around beyond
 * what the engine holds, so nothing in this program skews the figures.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/keystore.h>
#include <ikev2d/runtime.h>

#include "config/config.h"
#include "config/debug_level.h"
#include "exchange/engine.h"
#include "lib/plugin_loader.h"
#include "net/net.h"

#define SLICES 10

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: ikev2d-load -f CONFIG -r\n"
	        "       ikev2d-load -f CONFIG -i LABEL -n N [-w WINDOW] [-p PEER_PID] [-T SECS] [-b BLOCKS]\n"
	        "  -r        respond (SIGUSR1 prints counters, SIGTERM stops)\n"
	        "  -i LABEL  initiate IKE SAs with this rule\n"
	        "  -n N      how many IKE SAs to open (1..10000000)\n"
	        "  -w W      at most W in flight (default 100)\n"
	        "  -p PID    the responder's process, for its CPU time and memory\n"
	        "  -T SECS   give up after SECS seconds (default 600; pauses not counted)\n"
	        "  -b B      run in B blocks, pausing before each until SIGUSR1\n"
	        "  -k discard  use a kernel backend that keeps nothing\n");
}

/* ------------------------------------------------------------ logging */

/* One write(2) per line, formatted on the stack: fprintf on the shared
 * stderr stream held its lock across the system call, and the worker
 * threads logging "established" lines at once then queued on it (futex
 * waits and wake-ups, about two per IKE SA).  A line longer than the
 * buffer goes through stdio. */
static void log_to_stderr(bus_listener_t *self, dbg_group_t g, dbg_level_t l,
                          const char *msg)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "[%s] %s\n", dbg_group_name(g), msg);

	(void)self; (void)l;
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fprintf(stderr, "[%s] %s\n", dbg_group_name(g), msg);
		return;
	}
	for (const char *p = line; n > 0;) {
		ssize_t w = write(STDERR_FILENO, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}

/* ------------------------------------------------------ process times */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Our user+system CPU time in µs (all threads, including ended ones). */
static uint64_t self_cpu_us(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Another process's user+system CPU time in µs, from /proc/PID/stat
 * (fields 14 and 15, in clock ticks); false if it cannot be read.  The
 * command name (field 2) may hold spaces and parentheses: parse after the
 * last ')'. */
static bool proc_cpu_us(long pid, uint64_t *us)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	unsigned long long utime, stime;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &utime, &stime) != 2)
		return false;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	*us = (uint64_t)(utime + stime) * 1000000u / (uint64_t)hz;
	return true;
}

/* Resident set size of a process in KiB (VmRSS), or false. */
static bool proc_rss_kb(long pid, uint64_t *kb)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		if (sscanf(line, "VmRSS: %llu kB", &v) == 1) {
			*kb = v;
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Context switches of all threads of a process (voluntary: it waited;
 * involuntary: it was preempted), summed over /proc/PID/task/TID/status;
 * false if none could be read. */
static bool proc_ctxsw(long pid, uint64_t *vol, uint64_t *invol)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return false;
	*vol = *invol = 0;
	bool any = false;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char file[400], line[128];
		if ((size_t)snprintf(file, sizeof(file), "%s/%.256s/status", path,
		                     de->d_name) >= sizeof(file))
			continue;
		FILE *f = fopen(file, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1) {
				*vol += v;
				any = true;
			} else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1) {
				*invol += v;
			}
		}
		fclose(f);
	}
	closedir(d);
	return any;
}

/* ------------------------------------------------- discard backend */

static atomic_uint_fast32_t discard_next_spi = 0x1000;

static bool discard_get_spi(kernel_ipsec_t *self,
                            const struct sockaddr_storage *src,
                            const struct sockaddr_storage *dst,
                            uint8_t protocol, uint32_t reqid, uint32_t *spi)
{
	(void)self; (void)src; (void)dst; (void)protocol; (void)reqid;
	*spi = (uint32_t)atomic_fetch_add(&discard_next_spi, 1);
	return true;
}

static bool discard_add_sa(kernel_ipsec_t *self, const kernel_sa_t *sa)
{
	(void)self; (void)sa;
	return true;
}

static bool discard_update_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                              const struct sockaddr_storage *new_src,
                              const struct sockaddr_storage *new_dst, bool encap)
{
	(void)self; (void)id; (void)new_src; (void)new_dst; (void)encap;
	return true;
}

static bool discard_query_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id,
                             kernel_usage_t *usage)
{
	(void)self; (void)id;
	*usage = (kernel_usage_t){ 0 };
	return true;
}

static bool discard_del_sa(kernel_ipsec_t *self, const kernel_sa_id_t *id)
{
	(void)self; (void)id;
	return true;
}

static bool discard_policy(kernel_ipsec_t *self, const kernel_policy_t *policy)
{
	(void)self; (void)policy;
	return true;
}

static bool discard_query_policy(kernel_ipsec_t *self,
                                 const kernel_policy_t *policy,
                                 kernel_usage_t *usage)
{
	(void)self; (void)policy;
	*usage = (kernel_usage_t){ 0 };
	return true;
}

static void discard_destroy(kernel_ipsec_t *self)
{
	(void)self;
}

static kernel_ipsec_t discard_backend = {
	.get_spi = discard_get_spi,
	.add_sa = discard_add_sa,
	.update_sa = discard_update_sa,
	.query_sa = discard_query_sa,
	.del_sa = discard_del_sa,
	.add_policy = discard_policy,
	.query_policy = discard_query_policy,
	.del_policy = discard_policy,
	.destroy = discard_destroy,
};

static bool use_discard;

/* ------------------------------------------------------------ common */

static engine_t *engine;

static void receive_packet(packet_t *packet, void *ctx)
{
	(void)ctx;
	engine_receive(engine, packet);
}

/* Load the configuration and plugins, start the runtime, the sockets and
 * an engine of our own (no rule is auto-started: the caller decides). */
static config_t *start(const char *file)
{
	int errors = 0;
	config_t *cfg = config_load(file, &errors);
	if (!cfg) {
		fprintf(stderr, "ikev2d-load: %s: %d error(s)\n", file, errors);
		return NULL;
	}
	uint32_t vmask = 0, rmask = 0;
	if (cfg->daemon.debug_level &&
	    debug_level_parse(cfg->daemon.debug_level, &vmask, &rmask, NULL, 0))
		bus_set_levels(vmask, rmask);
	const char *path = getenv("IKEV2D_PLUGIN_PATH");
	if (path)
		plugin_loader_set_path(path);
	if (!plugin_loader_load((const char *const *)cfg->plugins, cfg->n_plugins,
	                        (const char *const *)cfg->critical, cfg->n_critical)) {
		fprintf(stderr, "ikev2d-load: a critical plugin did not load\n");
		config_unref(cfg);
		return NULL;
	}
	if (use_discard && !kernel_ipsec_register("bench-discard", &discard_backend)) {
		fprintf(stderr, "ikev2d-load: -k discard: another kernel backend is "
		        "loaded (drop it from plugins.load)\n");
		plugin_loader_unload();
		config_unref(cfg);
		return NULL;
	}
	/* Certificate rules (run-load.sh AUTH=rsa|p256): the keystore of
	 * daemon.keystore, as in.ikev2d loads it. */
	if (cfg->daemon.keystore && access(cfg->daemon.keystore, F_OK) == 0) {
		int ks_errors = 0;
		keystore_t *ks = keystore_load(cfg->daemon.keystore, geteuid(),
		                               &ks_errors);
		if (!ks) {
			fprintf(stderr, "ikev2d-load: keystore %s refused\n",
			        cfg->daemon.keystore);
			goto fail;
		}
		keystore_set_current(ks);
		keystore_unref(ks);
	}
	config_set_current(cfg);
	if (!runtime_init(cfg->daemon.min_threads > 0 ? cfg->daemon.min_threads : 2,
	                  cfg->daemon.max_threads > 0 ? cfg->daemon.max_threads : 4)) {
		fprintf(stderr, "ikev2d-load: runtime did not start\n");
		goto fail;
	}
	if (!net_open(cfg->daemon.ike_port, cfg->daemon.natt_port)) {
		fprintf(stderr, "ikev2d-load: cannot open the IKE sockets\n");
		runtime_deinit();
		goto fail;
	}
	engine = engine_create(cfg);
	net_set_receiver(receive_packet, NULL);
	return cfg;

fail:
	config_set_current(NULL);
	keystore_set_current(NULL);
	if (use_discard)
		kernel_ipsec_unregister(&discard_backend);
	plugin_loader_unload();
	config_unref(cfg);
	return NULL;
}

static void stop(config_t *cfg)
{
	net_set_receiver(NULL, NULL);
	/* No Deletes: the peer is torn down by the script as well, and
	 * 100,000 Delete exchanges would only prolong the run. */
	engine_destroy(engine, 0);
	engine = NULL;
	net_close();
	runtime_deinit();
	config_set_current(NULL);
	keystore_set_current(NULL);
	if (use_discard)
		kernel_ipsec_unregister(&discard_backend);
	plugin_loader_unload();
	config_unref(cfg);
}

static sigset_t signals;

static void block_signals(void)
{
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGUSR1);
	/* before any thread starts: they all inherit the mask */
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
}

/* ---------------------------------------------------------- responder */

static void print_responder_stats(void)
{
	engine_stats_t st;
	engine_get_stats(engine, &st);
	struct mallinfo2 mi = mallinfo2();
	printf("resp ike_sas=%u established=%u half_open=%u ike_established_total=%llu "
	       "child_established_total=%llu dropped=%llu cookies_sent=%llu "
	       "heap_bytes=%zu cpu_us=%llu\n",
	       st.ike_sas, st.established, st.half_open,
	       (unsigned long long)st.ike_established_total,
	       (unsigned long long)st.child_established_total,
	       (unsigned long long)st.dropped, (unsigned long long)st.cookies_sent,
	       mi.uordblks + mi.hblkhd, (unsigned long long)self_cpu_us());
	fflush(stdout);
}

static void *responder_signals(void *arg)
{
	(void)arg;
	for (;;) {
		int sig;
		if (sigwait(&signals, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			print_responder_stats();
			continue;
		}
		runtime_stop();
		return NULL;
	}
}

static int respond(const char *file)
{
	config_t *cfg = start(file);
	if (!cfg)
		return 1;
	pthread_t t;
	pthread_create(&t, NULL, responder_signals, NULL);
	fprintf(stderr, "ikev2d-load: responder ready (pid %ld)\n", (long)getpid());
	runtime_run();
	pthread_join(t, NULL);
	print_responder_stats();
	stop(cfg);
	return 0;
}

/* ---------------------------------------------------------- initiator */

static struct {
	const char *label;
	unsigned long n;
	sem_t slots;                  /* free places in the window */
	atomic_ulong established;
	atomic_ulong failed;
	atomic_ulong children;        /* CHILD SAs up */
	atomic_bool done;             /* stop counting (teardown) */
	_Atomic uint64_t slice_ns[SLICES + 1]; /* established reached k*n/10 */
	uint64_t start_ns;
	_Atomic uint64_t last_ns;     /* last completion */
	_Atomic uint64_t paused_ns;   /* time spent in -b pauses so far */
	sem_t resume;                 /* SIGUSR1 during a -b pause */
	pthread_mutex_t finish_lock;
	pthread_cond_t finished;
} run;

/* The run's clock: monotonic time less the -b pauses, so that the rates
 * and slices count only the time this initiator was let run. */
static uint64_t run_ns(void)
{
	return now_ns() - atomic_load(&run.paused_ns);
}

static void completed(void)
{
	run.last_ns = run_ns();
	sem_post(&run.slots);
	if (atomic_load(&run.established) + atomic_load(&run.failed) >= run.n) {
		pthread_mutex_lock(&run.finish_lock);
		pthread_cond_signal(&run.finished);
		pthread_mutex_unlock(&run.finish_lock);
	}
}

static void on_event(bus_listener_t *self, const bus_event_t *ev)
{
	(void)self;
	if (atomic_load(&run.done))
		return;
	switch (ev->type) {
	case BUS_EV_IKE_UP: {
		unsigned long k = atomic_fetch_add(&run.established, 1) + 1;
		/* k*SLICES/n steps at each 10% of the run */
		if (k * SLICES / run.n != (k - 1) * SLICES / run.n)
			run.slice_ns[k * SLICES / run.n] = run_ns();
		completed();
		break;
	}
	case BUS_EV_CHILD_UP:
		atomic_fetch_add(&run.children, 1);
		break;
	case BUS_EV_IKE_DOWN:
		/* nothing established is deleted during a run: a failure */
		atomic_fetch_add(&run.failed, 1);
		completed();
		break;
	default:
		break;
	}
}

/* set by the signal thread (SIGTERM/SIGINT): stop starting SAs and report */
static atomic_bool interrupted;

/* CPU time of both sides at each 10% of the run, read by a sampler thread
 * every 20 ms: CPU per SA per slice shows whether an SA costs more as the
 * table fills, whatever else the machine is busy with. */
static struct {
	long peer;
	atomic_bool stop;
	int k;                        /* next slice boundary to record */
	unsigned long est[SLICES + 1];
	uint64_t self_us[SLICES + 1], peer_us[SLICES + 1];
	bool peer_ok;
} samples;

static void sample(int k, unsigned long est)
{
	samples.est[k] = est;
	samples.self_us[k] = self_cpu_us();
	if (samples.peer > 0 && !proc_cpu_us(samples.peer, &samples.peer_us[k]))
		samples.peer_ok = false;
}

static void *sampler(void *arg)
{
	(void)arg;
	while (!atomic_load(&samples.stop) && samples.k <= SLICES) {
		unsigned long est = atomic_load(&run.established);
		while (samples.k <= SLICES &&
		       est >= (unsigned long)samples.k * run.n / SLICES) {
			sample(samples.k, est);
			samples.k++;
		}
		usleep(20000);
	}
	return NULL;
}

static void *initiator_signals(void *arg)
{
	(void)arg;
	int sig;
	while (sigwait(&signals, &sig) == 0 && sig == SIGUSR1)
		sem_post(&run.resume);
	atomic_store(&interrupted, true);
	sem_post(&run.resume);        /* out of a -b pause */
	pthread_mutex_lock(&run.finish_lock);
	pthread_cond_signal(&run.finished);
	pthread_mutex_unlock(&run.finish_lock);
	return NULL;
}

static void *event_loop(void *arg)
{
	(void)arg;
	runtime_run();
	return NULL;
}

/* -b: wait until the SAs started so far have completed, say so, and
 * sleep until SIGUSR1 (or SIGTERM).  The pause is left out of run_ns(). */
static void pause_block(unsigned long blocks_done, unsigned long started)
{
	while (!interrupted &&
	       atomic_load(&run.established) + atomic_load(&run.failed) < started)
		usleep(10000);
	uint64_t t0 = now_ns();
	printf("paused=%lu\n", blocks_done);
	fflush(stdout);
	while (!interrupted && sem_wait(&run.resume) != 0)
		;
	atomic_fetch_add(&run.paused_ns, now_ns() - t0);
}

static int initiate(const char *file, const char *label, unsigned long n,
                    unsigned window, long peer, unsigned timeout_s,
                    unsigned long blocks)
{
	config_t *cfg = start(file);
	if (!cfg)
		return 1;
	if (!config_find_rule(cfg, label)) {
		fprintf(stderr, "ikev2d-load: no rule '%s' in %s\n", label, file);
		stop(cfg);
		return 1;
	}
	run.label = label;
	run.n = n;
	sem_init(&run.slots, 0, window);
	sem_init(&run.resume, 0, 0);
	pthread_mutex_init(&run.finish_lock, NULL);
	pthread_cond_init(&run.finished, NULL);
	static bus_listener_t events = { .event = on_event };
	bus_add_listener(&events);

	pthread_t loop, sigs;
	pthread_create(&loop, NULL, event_loop, NULL);
	pthread_create(&sigs, NULL, initiator_signals, NULL);

	uint64_t peer_cpu0 = 0, peer_cpu1 = 0, peer_rss0 = 0, peer_rss1 = 0;
	uint64_t vol0 = 0, invol0 = 0, vol1 = 0, invol1 = 0;
	bool have_peer = peer > 0 && proc_cpu_us(peer, &peer_cpu0) &&
	                 proc_rss_kb(peer, &peer_rss0);
	bool have_ctxsw = have_peer && proc_ctxsw(peer, &vol0, &invol0);
	if (peer > 0 && !have_peer)
		fprintf(stderr, "ikev2d-load: cannot read /proc/%ld: no responder figures\n",
		        peer);
	uint64_t cpu0 = self_cpu_us();
	samples.peer = have_peer ? peer : 0;
	samples.peer_ok = have_peer;
	sample(0, 0);
	samples.k = 1;
	pthread_t sampler_thread;
	pthread_create(&sampler_thread, NULL, sampler, NULL);
	/* With -b, the first pause comes before any SA: the script sets up
	 * every responder before the first block starts. */
	uint64_t pause0 = now_ns();
	if (blocks > 1)
		pause_block(0, 0);
	run.start_ns = run.slice_ns[0] = run.last_ns = run_ns();
	uint64_t deadline = run.start_ns + (uint64_t)timeout_s * 1000000000u;
	unsigned long started = 0, refused = 0, block = 1;

	for (started = 0; started < n && !interrupted; started++) {
		if (blocks > 1 && started == block * n / blocks) {
			pause_block(block, started);
			block++;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (sem_timedwait(&run.slots, &until) != 0 && !interrupted &&
		       run_ns() < deadline)
			until.tv_sec += 1;
		if (interrupted || run_ns() >= deadline)
			break;
		if (!engine_initiate(engine, label)) {
			refused++;
			atomic_fetch_add(&run.failed, 1);
			sem_post(&run.slots);
		}
	}
	/* Wait for the SAs in flight. */
	pthread_mutex_lock(&run.finish_lock);
	while (!interrupted &&
	       atomic_load(&run.established) + atomic_load(&run.failed) < started) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&run.finished, &run.finish_lock, &until);
		if (run_ns() >= deadline)
			break;
	}
	pthread_mutex_unlock(&run.finish_lock);
	uint64_t end_ns = run_ns();
	/* The first CHILD SA comes up just after its IKE SA (same job): give
	 * the last ones a moment. */
	for (int i = 0; i < 100 && !interrupted &&
	     atomic_load(&run.children) < atomic_load(&run.established); i++)
		usleep(10000);
	uint64_t cpu1 = self_cpu_us();
	if (have_peer)
		have_peer = proc_cpu_us(peer, &peer_cpu1) && proc_rss_kb(peer, &peer_rss1);
	have_ctxsw = have_ctxsw && have_peer && proc_ctxsw(peer, &vol1, &invol1);
	atomic_store(&samples.stop, true);
	pthread_join(sampler_thread, NULL);
	/* boundaries reached after the sampler's last look */
	for (unsigned long e = atomic_load(&run.established);
	     samples.k <= SLICES && e >= (unsigned long)samples.k * n / SLICES;
	     samples.k++)
		sample(samples.k, e);
	atomic_store(&run.done, true);

	unsigned long est = atomic_load(&run.established);
	unsigned long failed = atomic_load(&run.failed);
	unsigned long lost = started - est - failed;
	/* The run ends with the last SA that completed (a timeout waits for
	 * nothing that will come). */
	uint64_t last = est + failed == started ? run.last_ns : end_ns;
	double secs = (double)(last - run.start_ns) / 1e9;

	printf("n=%lu\nwindow=%u\nstarted=%lu\nestablished=%lu\nfailed=%lu\n"
	       "refused=%lu\nunfinished=%lu\nchild_established=%llu\nseconds=%.3f\n",
	       n, window, started, est, failed, refused, lost,
	       (unsigned long long)atomic_load(&run.children), secs);
	printf("rate=%.0f\n", secs > 0 ? (double)est / secs : 0.0);
	if (blocks > 1)
		printf("blocks=%lu\npaused_seconds=%.3f\nwall_seconds=%.3f\n", blocks,
		       (double)atomic_load(&run.paused_ns) / 1e9,
		       (double)(now_ns() - pause0) / 1e9);
	printf("slice_rates=");
	for (int k = 1; k <= SLICES; k++) {
		uint64_t a = run.slice_ns[k - 1], b = run.slice_ns[k];
		double per = (double)(k * n / SLICES - (k - 1) * n / SLICES);
		if (b > a && per > 0)
			printf("%s%.0f", k > 1 ? "," : "", per / ((double)(b - a) / 1e9));
		else
			printf("%s-", k > 1 ? "," : "");
	}
	printf("\n");
	/* CPU µs per SA in each slice (the sampler's boundaries; "-" when a
	 * slice was not reached) */
	for (int side = 0; side < 2; side++) {
		if (side == 1 && !samples.peer_ok)
			break;
		printf("%s=", side ? "slice_resp_cpu_us" : "slice_init_cpu_us");
		for (int k = 1; k <= SLICES; k++) {
			const uint64_t *us = side ? samples.peer_us : samples.self_us;
			if (k < samples.k && samples.est[k] > samples.est[k - 1])
				printf("%s%.0f", k > 1 ? "," : "",
				       (double)(us[k] - us[k - 1]) /
				       (double)(samples.est[k] - samples.est[k - 1]));
			else
				printf("%s-", k > 1 ? "," : "");
		}
		printf("\n");
	}
	if (est) {
		printf("init_cpu_us_per_sa=%.1f\n", (double)(cpu1 - cpu0) / (double)est);
		if (have_peer) {
			printf("resp_cpu_us_per_sa=%.1f\n",
			       (double)(peer_cpu1 - peer_cpu0) / (double)est);
			if (have_ctxsw)
				printf("resp_ctxsw_per_sa=%.1f\nresp_preempted_per_sa=%.1f\n",
				       (double)(vol1 - vol0) / (double)est,
				       (double)(invol1 - invol0) / (double)est);
			printf("resp_rss_kb_before=%llu\nresp_rss_kb_after=%llu\n",
			       (unsigned long long)peer_rss0, (unsigned long long)peer_rss1);
			printf("resp_rss_bytes_per_sa=%.0f\n",
			       ((double)peer_rss1 - (double)peer_rss0) * 1024.0 / (double)est);
		}
	}
	fflush(stdout);

	runtime_stop();
	pthread_join(loop, NULL);
	pthread_kill(sigs, SIGTERM);
	pthread_join(sigs, NULL);
	bus_remove_listener(&events);
	stop(cfg);
	sem_destroy(&run.slots);
	sem_destroy(&run.resume);
	return est == n ? 0 : 3;
}

/* -------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	const char *file = NULL, *label = NULL;
	bool responder = false;
	unsigned long n = 0;
	unsigned long window = 100, timeout = 600, blocks = 1;
	long peer = 0;
	int opt;
	char *end;

	while ((opt = getopt(argc, argv, "f:ri:n:w:p:T:k:b:h")) != -1) {
		switch (opt) {
		case 'f': file = optarg; break;
		case 'r': responder = true; break;
		case 'i': label = optarg; break;
		case 'n':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 10000000) {
				fprintf(stderr, "ikev2d-load: -n wants 1..10000000\n");
				return 2;
			}
			break;
		case 'w':
			errno = 0;
			window = strtoul(optarg, &end, 10);
			if (errno || *end || window < 1 || window > 1000000) {
				fprintf(stderr, "ikev2d-load: -w wants 1..1000000\n");
				return 2;
			}
			break;
		case 'p':
			errno = 0;
			peer = strtol(optarg, &end, 10);
			if (errno || *end || peer < 1) {
				fprintf(stderr, "ikev2d-load: -p wants a process id\n");
				return 2;
			}
			break;
		case 'T':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (errno || *end || timeout < 1 || timeout > 86400) {
				fprintf(stderr, "ikev2d-load: -T wants 1..86400 seconds\n");
				return 2;
			}
			break;
		case 'b':
			errno = 0;
			blocks = strtoul(optarg, &end, 10);
			if (errno || *end || blocks < 1 || blocks > 1000) {
				fprintf(stderr, "ikev2d-load: -b wants 1..1000 blocks\n");
				return 2;
			}
			break;
		case 'k':
			if (strcmp(optarg, "discard") != 0) {
				fprintf(stderr, "ikev2d-load: -k knows only 'discard'\n");
				return 2;
			}
			use_discard = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !file || responder == (label != NULL) ||
	    (label && !n) || (label && blocks > n)) {
		usage(stderr);
		return 2;
	}
	block_signals();
	signal(SIGPIPE, SIG_IGN);
	static bus_listener_t logger = { .log = log_to_stderr };
	bus_add_listener(&logger);
	int rc = responder ? respond(file)
	                   : initiate(file, label, n, (unsigned)window, peer,
	                              (unsigned)timeout, blocks);
	bus_remove_listener(&logger);
	return rc;
}
