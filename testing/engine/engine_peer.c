/*
 * engine_peer.c - the engine on real sockets, for network-namespace and
 * strongSwan interop tests before (and independently of) the daemon:
 *
 *     engine_peer -f ikev2.config [-i LABEL]... [-t SECONDS]
 *                 [-r SECONDS] [-R SECONDS]
 *
 * Loads the configuration and the plugins it lists, opens the IKE sockets,
 * starts the engine (rules with auto_start initiate), initiates each -i
 * rule, rekeys every CHILD SA after -r seconds and every IKE SA after -R
 * seconds (as a later ikeadm command will), runs until SIGTERM/SIGINT or -t
 * seconds, then deletes every SA
 * (waiting up to 2 s for the peer's answers) and prints the engine's
 * counters as "key=value" lines on stdout.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/runtime.h>

#include "config/config.h"
#include "config/debug_level.h"
#include "exchange/engine.h"
#include "lib/plugin_loader.h"

static void to_stderr(bus_listener_t *self, dbg_group_t g, dbg_level_t l,
                      const char *msg)
{
	(void)self; (void)g; (void)l;
	fprintf(stderr, "%s\n", msg);
}

static bus_listener_t listener = { .log = to_stderr };

/* Shut down while the event loop still runs, so the peer's answers to
 * our Deletes are read: a thread waits for the signal (or the timeout). */
static sigset_t stop_signals;
static engine_stats_t final;

static void stop_engine(void)
{
	engine_get_stats(engine_get(), &final);
	engine_shutdown(2000);
	runtime_stop();
}

static void *signal_thread(void *arg)
{
	int sig;
	(void)arg;
	sigwait(&stop_signals, &sig);
	stop_engine();
	return NULL;
}

static void rekey_child_job(void *arg)
{
	(void)arg;
	engine_rekey(engine_get(), NULL, false);
}

static void rekey_ike_job(void *arg)
{
	(void)arg;
	engine_rekey(engine_get(), NULL, true);
}

static void timeout_job(void *arg)
{
	(void)arg;
	pthread_kill(*(pthread_t *)arg, SIGTERM);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	const char *initiate[16];
	int n_init = 0, secs = 0, rekey_child = 0, rekey_ike = 0, opt;

	while ((opt = getopt(argc, argv, "f:i:t:r:R:")) != -1) {
		switch (opt) {
		case 'f': file = optarg; break;
		case 'i': if (n_init < 16) initiate[n_init++] = optarg; break;
		case 't': secs = atoi(optarg); break;
		case 'r': rekey_child = atoi(optarg); break;
		case 'R': rekey_ike = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s -f CONFIG [-i LABEL]... [-t SECONDS]\n",
			        argv[0]);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "usage: %s -f CONFIG [-i LABEL]... [-t SECONDS]\n", argv[0]);
		return 2;
	}
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);   /* all threads inherit */
	bus_add_listener(&listener);
	int errors = 0;
	config_t *cfg = config_load(file, &errors);
	if (!cfg)
		return 1;
	uint32_t vmask = 0, rmask = 0;
	if (cfg->daemon.debug_level &&
	    debug_level_parse(cfg->daemon.debug_level, &vmask, &rmask, NULL, 0))
		bus_set_levels(vmask, rmask);
	const char *path = getenv("IKEV2D_PLUGIN_PATH");
	if (path)
		plugin_loader_set_path(path);
	if (!plugin_loader_load((const char *const *)cfg->plugins, cfg->n_plugins,
	                        (const char *const *)cfg->critical, cfg->n_critical))
		return 1;
	config_set_current(cfg);
	if (!runtime_init(cfg->daemon.min_threads > 0 ? cfg->daemon.min_threads : 2,
	                  cfg->daemon.max_threads > 0 ? cfg->daemon.max_threads : 4))
		return 1;
	pthread_t sig_thread;
	pthread_create(&sig_thread, NULL, signal_thread, NULL);
	if (!engine_start(cfg))
		return 1;
	for (int i = 0; i < n_init; i++)
		engine_initiate(engine_get(), initiate[i]);
	if (rekey_child > 0)
		sched_after_ms((uint64_t)rekey_child * 1000, rekey_child_job, NULL);
	if (rekey_ike > 0)
		sched_after_ms((uint64_t)rekey_ike * 1000, rekey_ike_job, NULL);
	if (secs > 0)
		sched_after_ms((uint64_t)secs * 1000, timeout_job, &sig_thread);
	runtime_run();
	pthread_join(sig_thread, NULL);

	const engine_stats_t st = final;
	printf("ike_sas=%u\nestablished=%u\nike_established_total=%llu\n"
	       "child_established_total=%llu\nike_rekeyed_total=%llu\n"
	       "child_rekeyed_total=%llu\ncookies_sent=%llu\ndropped=%llu\n",
	       st.ike_sas, st.established,
	       (unsigned long long)st.ike_established_total,
	       (unsigned long long)st.child_established_total,
	       (unsigned long long)st.ike_rekeyed_total,
	       (unsigned long long)st.child_rekeyed_total,
	       (unsigned long long)st.cookies_sent, (unsigned long long)st.dropped);
	fflush(stdout);
	runtime_deinit();
	config_unref(cfg);
	plugin_loader_unload();
	return 0;
}
