/*
 * main.c - in.ikev2d: options, start-up, signals, reload and shutdown.
 *
 *   in.ikev2d [-d] [-c] [-f file] [-p pidfile]
 *
 * Start-up order: parse options, no core dumps, load and check the
 * configuration, (detach), take the pid file, keep only the capabilities
 * the start can need, set up the event loop (no thread yet), load the
 * plugins, check the core's needs, bind 500/4500, switch to daemon.user
 * keeping only the kernel backend's capabilities, seccomp, start the
 * threads and the engine, then run the event loop until SIGTERM/SIGINT.
 * Privileges change while the process has one thread: capabilities are
 * per thread, and every thread started later inherits the reduced set.
 * Signals arrive through a signalfd watched by the loop, so reload and
 * shutdown run in the loop thread and not in a signal handler.
 */
#include "daemon/daemon_log.h"
#include "daemon/daemon_proc.h"
#include "daemon/daemon_priv.h"
#include "daemon/privsep.h"
#include "daemon/privsep_keys.h"
#include "kernel/privsep_msg.h"
#include "config/config.h"
#include "config/config_edits.h"
#include "config/debug_level.h"
#include "exchange/engine.h"
#include "exchange/engine_ctl.h"
#include "kernel/kernel_check.h"
#include "lib/plugin_loader.h"
#include "lib/secmem.h"
#include "net/ctl_socket.h"
#include "net/net.h"

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/chunk.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/keystore.h>
#include <ikev2d/runtime.h>
#include <ikev2d/settings.h>

#include <errno.h>
#include <linux/capability.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"   /* autoconf: PACKAGE_VERSION */

#ifndef IKEV2D_CONFDIR
#define IKEV2D_CONFDIR "/etc/inet/ike"
#endif
#ifndef IKEV2D_RUNSTATEDIR
#define IKEV2D_RUNSTATEDIR "/var/run"
#endif

/* The engine lists what it implements ("ike rekey-child dpd ...") in
 * engine.h; until it does, nothing is claimed. */
#ifndef ENGINE_CAPABILITIES
#define ENGINE_CAPABILITIES ""
#endif

/* How long shutdown waits for peers to answer our Delete requests. */
#define SHUTDOWN_WAIT_MS 2000

/* What the core cannot run an IKE SA without, whatever the plugins. */
static const char *const core_needs[] = {
	"rng",
	"prf:*",
	"ke:*",
	"kernel-ipsec",
};

typedef struct {
	bool foreground;   /* -d */
	bool check_only;   /* -c */
	const char *file;  /* -f */
	const char *pidfile;  /* -p */
} options_t;

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: in.ikev2d [-d] [-c] [-f file] [-p pidfile]\n"
	        "  -d          debug: stay in the foreground and log everything to stderr\n"
	        "  -c          check the configuration (and load its plugins), then exit\n"
	        "  -f file     configuration file (default %s/ikev2.config)\n"
	        "  -p pidfile  pid file (default: daemon.pid_file, else %s/in.ikev2d.pid)\n"
	        "  -V          print the version\n",
	        IKEV2D_CONFDIR, IKEV2D_RUNSTATEDIR);
}

/* -d: "large amounts of debugging output" (in.ikev2d(8)): debug level
 * "all" unless the file sets daemon.debug_level itself. */
static bool debug_mode;

/* 0 = go on, else the exit status + 1 (so 1 means exit 0). */
static int parse_options(int argc, char **argv, options_t *o)
{
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":dcf:p:hV")) != -1) {
		switch (c) {
		case 'd': o->foreground = true; debug_mode = true; break;
		case 'c': o->check_only = true; break;
		case 'f': o->file = optarg; break;
		case 'p': o->pidfile = optarg; break;
		case 'h': usage(stdout); return 1;
		case 'V':
			/* The second line is for test harnesses: which protocol
			 * features this build's engine implements. */
			printf("in.ikev2d %s\ncapabilities: %s\n", PACKAGE_VERSION,
			       ENGINE_CAPABILITIES);
			return 1;
		case ':':
			fprintf(stderr, "in.ikev2d: option -%c needs an argument\n", optopt);
			usage(stderr);
			return 3;
		default:
			fprintf(stderr, "in.ikev2d: unknown option -%c\n", optopt);
			usage(stderr);
			return 3;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "in.ikev2d: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 3;
	}
	return 0;
}

/* Set the bus levels from daemon.debug_level. */
static bool apply_debug_level(const config_t *cfg)
{
	const char *spec = cfg->daemon.debug_level ? cfg->daemon.debug_level : "op";
	if (debug_mode && !cfg->daemon.debug_level_explicit)
		spec = "all";
	uint32_t verbose = 0, raw = 0;
	char err[256];

	if (!debug_level_parse(spec, &verbose, &raw, err, sizeof(err))) {
		log_error(DBG_CONFIG, "%s: daemon.debug_level: %s", cfg->path, err);
		return false;
	}
	bus_set_levels(verbose, raw);
	return true;
}

static bool load_plugins(const config_t *cfg)
{
	if (cfg->plugin_path && !getenv("IKEV2D_PLUGIN_PATH"))
		plugin_loader_set_path(cfg->plugin_path);
	bool ok = plugin_loader_load((const char *const *)cfg->plugins, cfg->n_plugins,
	                             (const char *const *)cfg->critical, cfg->n_critical);
	plugin_loader_log_loaded();
	return ok;
}

/* Which plugins each process of the privsep split loads. */
typedef enum { LOAD_PARENT, LOAD_ENGINE, LOAD_KEYS } load_role_t;

/* The parent: the kernel backend and the crypto plugins a backend doing
 * ESP itself uses; nothing that authenticates peers or serves a socket.
 * The engine: everything else, with kernel-privsep in place of the
 * backend the parent runs (backend). */
static const char *role_name(const char *name, load_role_t role, const char *backend)
{
	bool kernel = strncmp(name, "kernel-", 7) == 0;
	/* The keys process: the credential providers only. */
	if (role == LOAD_KEYS)
		return strcmp(name, "nettle") == 0 || strcmp(name, "gnutls") == 0 ?
		       name : NULL;
	if (role == LOAD_PARENT)
		return kernel || strcmp(name, "nettle") == 0 ||
		       strcmp(name, "gnutls") == 0 ? name : NULL;
	if (backend && strcmp(name, backend) == 0)
		return "kernel-privsep";
	return kernel ? NULL : name;
}

static bool load_role_plugins(const config_t *cfg, load_role_t role, const char *backend)
{
	const char **names = xzalloc(sizeof(char *) * ((size_t)cfg->n_plugins + 1));
	const char **crit = xzalloc(sizeof(char *) * ((size_t)cfg->n_critical + 1));
	int n = 0, nc = 0;

	for (int i = 0; i < cfg->n_plugins; i++) {
		const char *nm = role_name(cfg->plugins[i], role, backend);
		if (nm)
			names[n++] = nm;
	}
	for (int i = 0; i < cfg->n_critical; i++) {
		const char *nm = role_name(cfg->critical[i], role, backend);
		if (nm)
			crit[nc++] = nm;
	}
	if (cfg->plugin_path && !getenv("IKEV2D_PLUGIN_PATH"))
		plugin_loader_set_path(cfg->plugin_path);
	bool ok = plugin_loader_load(names, n, crit, nc);
	plugin_loader_log_loaded();
	free(names);
	free(crit);
	return ok;
}

/* Under privsep, the parent opens the control plugin's socket (when the
 * configuration loads "control"), as root with daemon.user as its owner
 * and the control group as its group, mode 0660: the plugin in the engine
 * takes it over (core/net/ctl_socket.h).  *fd stays -1 without the plugin;
 * false (logged) when it cannot be opened. */
static bool open_control_socket(const config_t *cfg, int *fd, char **path)
{
	static const char default_ctl[] = IKEV2D_RUNSTATEDIR "/in.ikev2d.ctl";
	bool wanted = false;

	for (int i = 0; i < cfg->n_plugins && !wanted; i++)
		wanted = strcmp(cfg->plugins[i], "control") == 0;
	*fd = -1;
	*path = NULL;
	if (!wanted)
		return true;
	const char *p = settings_get_str("plugins.control.socket", default_ctl);
	const char *group = settings_get_str("plugins.control.group", NULL);
	gid_t gid;
	/* the plugin in the engine says what is wrong with these */
	if (!p[0] || p[0] != '/' || !ctl_socket_group(group, &gid))
		return true;
	*fd = ctl_socket_open(p, cfg->daemon.run_uid ? cfg->daemon.run_uid : (uid_t)-1,
	                      gid);
	if (*fd < 0) {
		log_error(DBG_OP, "privsep parent: cannot open the control socket %s", p);
		return false;
	}
	*path = xstrdup(p);
	return true;
}

/* -c: everything the daemon would check at start, then a verdict. */
/* The keystore the configuration names, NULL (logged) if it is refused. */
static keystore_t *load_keystore(const config_t *cfg)
{
	int n_errors = 0;
	keystore_t *ks = keystore_load(cfg->daemon.keystore, cfg->daemon.run_uid,
	                               &n_errors);
	if (!ks)
		log_error(DBG_CERT, "keystore %s refused (%d problem%s)",
		          cfg->daemon.keystore, n_errors, n_errors == 1 ? "" : "s");
	/* daemon.pkcs11_token joins the set; without a (right) PIN it stays
	 * locked until `ikeadm token login` (cred_token_login). */
	if (ks && cfg->daemon.pkcs11_uri &&
	    !keystore_add_token(ks, cfg->daemon.pkcs11_uri,
	                        cfg->daemon.pkcs11_pin)) {
		keystore_unref(ks);
		ks = NULL;
	}
	return ks;
}

static int check_config(const char *path)
{
	int n_errors = 0;
	config_t *cfg = config_load(path, &n_errors);

	if (cfg) {
		kernel_ipsec_set_check_only(true);
		if (!load_plugins(cfg))
			n_errors++;
		n_errors += config_check_plugin_settings(cfg);
		n_errors += kernel_check_config(cfg);
		keystore_t *ks = load_keystore(cfg);
		if (!ks)
			n_errors++;
		else
			n_errors += engine_check_auth(cfg, ks);
		keystore_unref(ks);
		plugin_loader_unload();
	}
	/* Plugins and the loader log their problems as errors too. */
	unsigned logged = daemon_log_errors();
	if (!cfg || n_errors > 0 || logged > 0) {
		int n = n_errors > (int)logged ? n_errors : (int)logged;
		fprintf(stderr, "in.ikev2d: %s: %d problem%s found\n", path,
		        n ? n : 1, n == 1 ? "" : "s");
		if (cfg)
			config_unref(cfg);
		return EXIT_FAILURE;
	}
	printf("in.ikev2d: %s: configuration OK (%d rule%s, %d plugin%s)\n", path,
	       cfg->n_rules, cfg->n_rules == 1 ? "" : "s",
	       cfg->n_plugins, cfg->n_plugins == 1 ? "" : "s");
	config_unref(cfg);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ running */

static const char *config_path;
static const options_t *opts;
static char **saved_argv;
/* daemon.privsep: this process is the parent (privsep_parent) or the
 * engine (engine_mode, started by the parent with PSM_ENV set). */
static bool privsep_parent;
static bool engine_mode;
/* The keys process (started by the parent with PRIVSEP_KEYS_ENV set),
 * and in the engine whether its keystore comes from it. */
static bool keys_mode;
static bool keys_client;
static psm_env_t engine_env;
static pid_t engine_parent;
static atomic_bool shutting_down;
static atomic_bool engine_up;

static bool ctl_set_logfile(const char *path);

/* Load path (with the keys of preshared instead of the file it names,
 * when given, and ikeadm's changes edits) and put it in force; on failure
 * the running configuration stays and err (if given) says why.  SIGHUP,
 * `ikeadm read` and `ikeadm add|del` use it. */
static bool apply_config(const char *path, const char *preshared,
                         const config_edits_t *edits, char *err, size_t errlen)
{
	int n_errors = 0;
	char dummy[8];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	sd_notify(0, "RELOADING=1");
	char first[400];
	config_capture_first_error(first, sizeof(first));
	config_t *cfg = config_load_edited(path, preshared, edits, &n_errors);
	config_capture_first_error(NULL, 0);
	if (!cfg) {
		log_error(DBG_OP, "reload of %s failed (%d error%s): keeping the running "
		          "configuration", path, n_errors, n_errors == 1 ? "" : "s");
		snprintf(err, errlen, "%s%s%d error%s (see the daemon's log): the "
		         "running configuration stays", first, first[0] ? "; " : "",
		         n_errors ? n_errors : 1, n_errors == 1 ? "" : "s");
		sd_notify(0, "READY=1\nSTATUS=reload failed: running configuration kept");
		return false;
	}
	config_t *old = config_current();
	if (!apply_debug_level(cfg) || kernel_check_config(cfg) > 0) {
		log_error(DBG_OP, "reload of %s failed: keeping the running configuration",
		          path);
		snprintf(err, errlen, "%s: bad daemon.debug_level, or rules the "
		         "kernel backend cannot install (see the daemon's log): the "
		         "running configuration stays", path);
		sd_notify(0, "READY=1\nSTATUS=reload failed: running configuration kept");
		config_unref(cfg);
		config_unref(old);
		return false;
	}
	if (old) {
		bool same = old->n_plugins == cfg->n_plugins;
		for (int i = 0; same && i < cfg->n_plugins; i++)
			same = strcmp(old->plugins[i], cfg->plugins[i]) == 0;
		if (!same)
			log_op(DBG_PLUGIN, "plugins.load changed: restart in.ikev2d to apply it");
		config_unref(old);
	}
	/* Keys, certificates and CRLs are reread too; a broken keystore keeps
	 * the old set (and the new configuration).  The engine under privsep
	 * (ikeadm read) asks the keys process for its current set: the
	 * directory is not in its view. */
	keystore_t *ks = keys_client ? privsep_keys_fetch() : load_keystore(cfg);
	if (ks) {
		keystore_set_current(ks);
		keystore_unref(ks);
	} else {
		log_error(DBG_CERT, "keeping the running keystore");
	}
	if (!opts->foreground)
		ctl_set_logfile(cfg->daemon.debug_logfile);
	config_set_current(cfg);
	engine_reload(cfg);
	log_op(DBG_OP, "configuration reloaded from %s (%d rule%s)", path,
	       cfg->n_rules, cfg->n_rules == 1 ? "" : "s");
	sd_notifyf(0, "READY=1\nSTATUS=running, %d rule%s", cfg->n_rules,
	           cfg->n_rules == 1 ? "" : "s");
	config_unref(cfg);
	return true;
}

/* Reloads come from the signal handler (loop thread) and from control
 * commands (workers): one at a time.  Under the lock: what is in force
 * came from active_path (NULL: config_path) with the keys of active_psk
 * (NULL: the file it names) and ikeadm's changes since (ctl_edits). */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static char *active_path, *active_psk;
static config_edits_t *ctl_edits;

/* A file was read afresh: ikeadm's changes are gone with the old set. */
static void set_active(const char *path, const char *preshared)
{
	if (config_edits_count(ctl_edits))
		log_op(DBG_OP, "%d change%s made with ikeadm add/del (not in any "
		       "file) dropped by the reload", config_edits_count(ctl_edits),
		       config_edits_count(ctl_edits) == 1 ? "" : "s");
	config_edits_free(ctl_edits);
	ctl_edits = NULL;
	free(active_path);
	free(active_psk);
	active_path = path ? xstrdup(path) : NULL;
	active_psk = preshared ? xstrdup(preshared) : NULL;
}

static void reload(void)
{
	log_op(DBG_OP, "SIGHUP: re-reading %s", config_path);
	pthread_mutex_lock(&reload_lock);
	if (apply_config(config_path, NULL, NULL, NULL, 0))
		set_active(NULL, NULL);
	pthread_mutex_unlock(&reload_lock);
}

/* ------------------------------------------- services for ikeadm */

static char *logfile_in_use;
static pthread_mutex_t logfile_lock = PTHREAD_MUTEX_INITIALIZER;

static bool ctl_set_logfile(const char *path)
{
	pthread_mutex_lock(&logfile_lock);
	bool ok = daemon_log_file(path);
	if (ok) {
		free(logfile_in_use);
		logfile_in_use = path ? xstrdup(path) : NULL;
	}
	pthread_mutex_unlock(&logfile_lock);
	return ok;
}

static const char *ctl_logfile(void)
{
	/* the string lives until the next set (the control plugin copies it) */
	return logfile_in_use;
}

static bool ctl_reload(const char *path, const char *preshared, char *err,
                       size_t errlen)
{
	if (atomic_load(&shutting_down)) {
		snprintf(err, errlen, "the daemon is shutting down");
		return false;
	}
	/* Under privsep the parent reads the files, as on SIGHUP, and puts
	 * the set in force in its checks, the keys process and here (its
	 * PSM_RELOAD is applied on the loop thread before the answer comes:
	 * reload_lock is not held meanwhile). */
	if (engine_mode) {
		bool ok = privsep_engine_read(path, preshared, err, errlen);
		if (ok) {
			pthread_mutex_lock(&reload_lock);
			set_active(path, preshared);
			pthread_mutex_unlock(&reload_lock);
		}
		return ok;
	}
	pthread_mutex_lock(&reload_lock);
	bool ok = apply_config(path ? path : config_path, preshared, NULL, err, errlen);
	if (ok)
		set_active(path, preshared);
	pthread_mutex_unlock(&reload_lock);
	return ok;
}

static bool ctl_edit(const config_edits_t *delta, char *err, size_t errlen)
{
	if (atomic_load(&shutting_down)) {
		snprintf(err, errlen, "the daemon is shutting down");
		return false;
	}
	pthread_mutex_lock(&reload_lock);
	config_edits_t *all = config_edits_join(ctl_edits, delta);
	bool ok = apply_config(active_path ? active_path : config_path, active_psk,
	                       all, err, errlen);
	if (ok) {
		config_edits_free(ctl_edits);
		ctl_edits = all;
	} else {
		config_edits_free(all);
	}
	pthread_mutex_unlock(&reload_lock);
	return ok;
}

static char *ctl_config_text(bool mask, char *err, size_t errlen)
{
	pthread_mutex_lock(&reload_lock);
	char *text = config_edited_text(active_path ? active_path : config_path,
	                                ctl_edits, mask, err, errlen);
	pthread_mutex_unlock(&reload_lock);
	return text;
}

static const char *ctl_config_path(void)
{
	return config_path;
}

static const engine_ctl_daemon_t ctl_daemon = {
	.set_logfile = ctl_set_logfile,
	.logfile = ctl_logfile,
	.reload = ctl_reload,
	.config_path = ctl_config_path,
	.edit = ctl_edit,
	.config_text = ctl_config_text,
};


/* SIGTERM/SIGINT: delete every IKE SA (waiting briefly for the peers'
 * answers), then end the event loop. */
static void shutdown_job(void *arg);
static void shutdown_job(void *arg)
{
	if (atomic_exchange(&engine_up, false))
		engine_shutdown(SHUTDOWN_WAIT_MS);
	runtime_stop();
}

/* The privsep parent's reload: reread and check path (NULL: the
 * configuration file) with the keys of preshared (NULL: the file it
 * names), then hand the texts to the keys process and the engine; a
 * broken file changes nothing in any process.  SIGHUP, and `ikeadm read`
 * through the engine (err: why not, for ikeadm). */
static bool parent_reload_from(const char *path, const char *preshared,
                               char *err, size_t errlen)
{
	int n_errors = 0;
	char first[400];

	if (!path)
		path = config_path;
	sd_notify(0, "RELOADING=1");
	config_capture_first_error(first, sizeof(first));
	config_t *cfg = config_load_with(path, preshared, &n_errors);
	config_capture_first_error(NULL, 0);
	if (!cfg || !apply_debug_level(cfg) || kernel_check_config(cfg) > 0) {
		log_error(DBG_OP, "reload of %s failed: keeping the running configuration "
		          "(the engine was not told)", path);
		if (err)
			snprintf(err, errlen, "%s%s%d error%s (see the daemon's log): the "
			         "running configuration stays", first, first[0] ? "; " : "",
			         n_errors ? n_errors : 1, n_errors == 1 ? "" : "s");
		sd_notify(0, "READY=1\nSTATUS=reload failed: running configuration kept");
		if (cfg)
			config_unref(cfg);
		return false;
	}
	if (!opts->foreground)
		daemon_log_file(cfg->daemon.debug_logfile);
	config_set_current(cfg);
	privsep_parent_reload(cfg);
	log_op(DBG_OP, "configuration reloaded from %s (%d rule%s): sent to the engine",
	       path, cfg->n_rules, cfg->n_rules == 1 ? "" : "s");
	sd_notifyf(0, "READY=1\nSTATUS=running, %d rule%s", cfg->n_rules,
	           cfg->n_rules == 1 ? "" : "s");
	config_unref(cfg);
	return true;
}

static void parent_reload(void)
{
	log_op(DBG_OP, "SIGHUP: re-reading %s", config_path);
	parent_reload_from(NULL, NULL, NULL, 0);
}

static void on_parent_signal(int signo)
{
	switch (signo) {
	case SIGHUP:
		if (atomic_load(&shutting_down))
			log_op(DBG_OP, "SIGHUP ignored: shutting down");
		else
			parent_reload();
		break;
	case SIGTERM:
	case SIGINT:
		if (atomic_exchange(&shutting_down, true))
			break;
		log_op(DBG_OP, "%s: stopping the engine, then flushing the kernel state",
		       strsignal(signo));
		sd_notify(0, "STOPPING=1");
		privsep_parent_shutdown();
		break;
	case SIGCHLD:
		privsep_parent_reap();
		break;
	}
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (keys_mode) {
			if (si.ssi_signo == SIGHUP)
				log_op(DBG_OP, "SIGHUP ignored: the keys process reloads "
				       "when the parent (pid %ld) gets it", (long)getppid());
			else
				runtime_stop();
			continue;
		}
		if (privsep_parent) {
			on_parent_signal((int)si.ssi_signo);
			continue;
		}
		switch (si.ssi_signo) {
		case SIGHUP:
			if (engine_mode) {
				log_op(DBG_OP, "SIGHUP ignored: the engine reloads when the "
				       "parent (pid %ld) gets it", (long)getppid());
				break;
			}
			/* Once the shutdown job runs, the engine may be gone:
			 * signals are handled here, in order, so checking the
			 * flag is enough. */
			if (atomic_load(&shutting_down))
				log_op(DBG_OP, "SIGHUP ignored: shutting down");
			else
				reload();
			break;
		case SIGTERM:
		case SIGINT:
			if (atomic_exchange(&shutting_down, true)) {
				log_op(DBG_OP, "%s: already shutting down",
				       strsignal((int)si.ssi_signo));
				break;
			}
			log_op(DBG_OP, "%s: shutting down", strsignal((int)si.ssi_signo));
			sd_notify(0, "STOPPING=1");
			/* The Deletes' answers arrive through this loop, so the
			 * engine winds down on a worker while the loop runs. */
			job_queue(shutdown_job, NULL);
			break;
		}
	}
}

/* Block the signals we handle before any thread starts (threads inherit
 * the mask), and return a signalfd for them. */
static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (privsep_parent)
		sigaddset(&set, SIGCHLD);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		log_error(DBG_OP, "signalfd: %s", strerror(errno));
	return fd;
}

/* The engine has served since: the daemon is up (privsep parent). */
static void parent_ready(void)
{
	config_t *cfg = config_current();
	int n = cfg ? cfg->n_rules : 0;

	log_op(DBG_OP, "in.ikev2d %s started (privsep: parent pid %ld, engine pid %ld, "
	       "%d rule%s, config %s)", PACKAGE_VERSION, (long)getpid(),
	       (long)privsep_engine_pid(), n, n == 1 ? "" : "s", config_path);
	daemon_detach_done(true);
	sd_notifyf(0, "READY=1\nMAINPID=%lu\nSTATUS=running, %d rule%s",
	           (unsigned long)getpid(), n, n == 1 ? "" : "s");
	if (cfg)
		config_unref(cfg);
}

/* The engine's reload: cfg is what the parent read and sent. */
static void engine_apply_reload(config_t *cfg)
{
	if (atomic_load(&shutting_down))
		return;
	if (!apply_debug_level(cfg)) {
		log_error(DBG_OP, "reload: keeping the running configuration");
		return;
	}
	keystore_t *ks = keys_client ? privsep_keys_fetch() : load_keystore(cfg);
	if (ks) {
		keystore_set_current(ks);
		keystore_unref(ks);
	} else {
		log_error(DBG_CERT, "keeping the running keystore");
	}
	if (!opts->foreground)
		ctl_set_logfile(cfg->daemon.debug_logfile);
	config_set_current(cfg);
	engine_reload(cfg);
	log_op(DBG_OP, "engine: configuration reloaded from the parent (%d rule%s)",
	       cfg->n_rules, cfg->n_rules == 1 ? "" : "s");
}


/* The parent is gone: nobody can install SAs for us any more. */
static void parent_gone(void)
{
	log_error(DBG_OP, "engine: the privileged parent is gone: shutting down");
	if (!atomic_exchange(&shutting_down, true))
		job_queue(shutdown_job, NULL);
}

/* The keys process, from the loaded loop on: the credential plugins and
 * the keystore (tokens included) as root, all its memory locked, then daemon.user with no
 * capabilities, seccomp without network sockets, and its loop until the
 * parent or the engine is gone. */
/* The engine's and the keys process's debug_logfile, once they run as
 * daemon.user (who owns it); their earlier lines went to the journal. */
static void open_child_logfile(const config_t *cfg)
{
	if (!opts->foreground && cfg->daemon.debug_logfile)
		ctl_set_logfile(cfg->daemon.debug_logfile);
}

static int run_keys(config_t *cfg)
{
	/* Before GnuTLS, GMP or a PKCS#11 module allocates anything, and
	 * again once the keys are in (privsep_keys.c: after each request). */
	daemon_lock_private_memory();
	if (!load_role_plugins(cfg, LOAD_KEYS, NULL)) {
		log_error(DBG_OP, "keys process: a critical plugin is missing: not starting");
		return EXIT_FAILURE;
	}
	daemon_lock_private_memory();
	keystore_t *ks = load_keystore(cfg);
	if (daemon_lock_private_memory())
		log_verbose(DBG_KEY, "keys process: its writable memory is locked in "
		            "RAM (%lu KiB)", daemon_locked_kib());
	if (!ks) {
		log_error(DBG_OP, "keys process: the keystore was refused: not starting");
		return EXIT_FAILURE;
	}
	bool ok = privsep_keys_serve(getenv(PRIVSEP_KEYS_ENV), cfg, ks, load_keystore);
	keystore_unref(ks);
	if (!ok || !daemon_drop_privileges(cfg->daemon.run_uid, cfg->daemon.run_gid,
	                                   cfg->daemon.run_user, 0))
		return EXIT_FAILURE;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != engine_parent) {
		log_error(DBG_OP, "keys process: the parent is gone: not starting");
		return EXIT_FAILURE;
	}
	open_child_logfile(cfg);
	if (cfg->daemon.seccomp && !daemon_seccomp_keys())
		return EXIT_FAILURE;
	if (!runtime_start_threads(1, 1))
		return EXIT_FAILURE;
	log_op(DBG_OP, "keys process: running (pid %ld, user %s, no capabilities, "
	       "no network)", (long)getpid(), cfg->daemon.run_user ? cfg->daemon.run_user : "?");
	runtime_run();
	return EXIT_SUCCESS;
}

static int run(const options_t *o, config_t *cfg)
{
	int status = EXIT_FAILURE;
	bool runtime_up = false;
	int sigfd = -1;
	int ctl_fd = -1;           /* privsep parent: the control socket */
	char *ctl_path = NULL;

	opts = o;
	/* Detached: always a pid file.  In the foreground only when asked for
	 * (-p, or a daemon.pid_file other than the default), so test and
	 * debugging runs do not contend for the system-wide one. */
	static const char default_pidfile[] = IKEV2D_RUNSTATEDIR "/in.ikev2d.pid";
	const char *pidfile = o->pidfile ? o->pidfile :
	                      cfg->daemon.pid_file ? cfg->daemon.pid_file : default_pidfile;
	if (o->foreground && !o->pidfile && strcmp(pidfile, default_pidfile) == 0)
		pidfile = NULL;
	/* The engine: the parent holds the pid file and did the detaching. */
	if (engine_mode || keys_mode)
		pidfile = NULL;
	/* Before detaching, so "already running" reaches the terminal. */
	if (pidfile && !pidfile_acquire(pidfile))
		return EXIT_FAILURE;

	/* Started by systemd (Type=notify): not detached, and stderr (the
	 * journal) instead of syslog, which would log every line twice. */
	bool systemd = getenv("NOTIFY_SOCKET") != NULL;
	if ((engine_mode || keys_mode) && !o->foreground) {
		if (!getenv("IKEV2D_PRIVSEP_JOURNAL")) {
			daemon_log_stderr(false, false);
			daemon_log_syslog(true);
		}
		/* debug_logfile is opened after the switch to daemon.user
		 * (open_child_logfile): the parent made it that user's 0600
		 * file, and this process is root without CAP_DAC_OVERRIDE
		 * until then, so an open now fails with EACCES. */
	} else if (!o->foreground) {
		if (!systemd) {
			if (!daemon_detach())
				goto out;
			daemon_log_stderr(false, false);
			daemon_log_syslog(true);
		}
		if (cfg->daemon.debug_logfile) {
			ctl_set_logfile(cfg->daemon.debug_logfile);
			/* Opened as root; reopened on SIGHUP as the daemon's user. */
			if (geteuid() == 0 && cfg->daemon.run_uid != 0 &&
			    chown(cfg->daemon.debug_logfile, cfg->daemon.run_uid,
			          cfg->daemon.run_gid) < 0 && errno != ENOENT)
				log_error(DBG_OP, "cannot give %s to %s: %s",
				          cfg->daemon.debug_logfile, cfg->daemon.run_user,
				          strerror(errno));
		}
	}
	if (pidfile && !pidfile_write())
		goto out;

	sigfd = setup_signals();
	if (sigfd < 0)
		goto out;
	/* Key memory: RLIMIT_MEMLOCK's soft limit up to the hard one. */
	secmem_init();
	/* The control socket under privsep: the parent's, while it still
	 * has CAP_CHOWN (it gives the socket to daemon.user); the engine
	 * takes it over. */
	if (privsep_parent && !open_control_socket(cfg, &ctl_fd, &ctl_path))
		goto out;
	/* Before any plugin code runs. */
	if (!daemon_limit_capabilities(privsep_parent))
		goto out;
	if (!runtime_init_loop())
		goto out;
	runtime_up = true;
	if (!loop_watch_fd(sigfd, EPOLLIN, on_signal, NULL))
		goto out;

	if (keys_mode) {
		status = run_keys(cfg);
		goto out;
	}
	if (privsep_parent) {
		/* Before any other plugin: the keys process is a fresh
		 * image that inherits nothing but its two socketpairs. */
		if (!privsep_keys_start(cfg, saved_argv))
			goto out;
		/* The kernel backend only; the engine loads the rest. */
		static const char *const parent_needs[] = { "kernel-ipsec" };
		if (!load_role_plugins(cfg, LOAD_PARENT, NULL) ||
		    !plugin_loader_require(parent_needs, 1)) {
			log_error(DBG_OP, "privsep parent: no kernel backend: not starting");
			goto out;
		}
		if (kernel_check_config(cfg) > 0 && !cfg->daemon.ignore_errors) {
			log_error(DBG_OP, "the kernel backend cannot install what some "
			          "rules allow (see above): not starting");
			goto out;
		}
		if (!net_bind(cfg->daemon.ike_port, cfg->daemon.natt_port)) {
			log_error(DBG_OP, "cannot open the IKE sockets");
			goto out;
		}
		if (!privsep_parent_start(cfg, saved_argv, ctl_fd, ctl_path))
			goto out;
		ctl_fd = -1;   /* the engine's */
		privsep_parent_on_ready(parent_ready);
		privsep_parent_on_read(parent_reload_from);
		goto drop;
	}
	engine_ctl_set_daemon(&ctl_daemon);
	if (!(engine_mode ? load_role_plugins(cfg, LOAD_ENGINE, getenv(PRIVSEP_BACKEND_ENV))
	                  : load_plugins(cfg))) {
		log_error(DBG_OP, "a critical plugin is missing: not starting");
		goto out;
	}
	if (!plugin_loader_require(core_needs, sizeof(core_needs) / sizeof(core_needs[0]))) {
		log_error(DBG_OP, "the loaded plugins lack what the core needs: not starting");
		goto out;
	}
	if (engine_mode)
		config_plugin_settings_skip(getenv(PRIVSEP_BACKEND_ENV));
	if (config_check_plugin_settings(cfg) > 0 && !cfg->daemon.ignore_errors) {
		log_error(DBG_OP, "errors in plugin settings: not starting");
		goto out;
	}
	if (kernel_check_config(cfg) > 0 && !cfg->daemon.ignore_errors) {
		log_error(DBG_OP, "the kernel backend cannot install what some "
		          "rules allow (see above): not starting");
		goto out;
	}
	{
		const char *kenv = engine_mode ? getenv(PRIVSEP_KEYS_CLIENT_ENV) : NULL;
		if (kenv && !privsep_keys_client(kenv))
			goto out;
		keys_client = kenv != NULL;
		/* ikeadm read: the keystore's files are the keys process's
		 * (and the parent checks them on SIGHUP). */
		config_set_keystore_elsewhere(keys_client);
		keystore_t *ks = keys_client ? privsep_keys_fetch() : load_keystore(cfg);
		if (!ks) {
			log_error(DBG_OP, "the keystore was refused: not starting");
			goto out;
		}
		keystore_set_current(ks);
		keystore_unref(ks);
	}
	/* What needs privilege is open now (the backend's kernel sockets);
	 * the IKE ports are the last. */
	if (engine_mode) {
		if (!net_adopt(engine_env.socks, engine_env.encap) ||
		    !privsep_engine_watch_control(engine_env.ctl, engine_apply_reload,
		                                  parent_gone))
			goto out;
	} else if (!net_bind(cfg->daemon.ike_port, cfg->daemon.natt_port)) {
		log_error(DBG_OP, "engine: cannot open the IKE sockets");
		goto out;
	}
drop:;
	uint64_t keep;
	if (engine_mode) {
		keep = 0;
	} else if (!kernel_ipsec_capabilities(&keep)) {
		keep = KERNEL_CAP(CAP_NET_ADMIN);
		log_op(DBG_OP, "kernel backend '%s' does not declare its capabilities: "
		       "keeping net_admin", kernel_ipsec_name() ? kernel_ipsec_name() : "?");
	}
	if (!daemon_drop_privileges(cfg->daemon.run_uid, cfg->daemon.run_gid,
	                            cfg->daemon.run_user, keep))
		goto out;
	/* The engine dies with its parent, however the parent ends (SIGKILL
	 * included): it cannot reach the kernel without it.  Set after the
	 * switch, which clears it; a parent already gone is seen here. */
	if (engine_mode && (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	                    getppid() != engine_parent)) {
		log_error(DBG_OP, "engine: the privileged parent is gone: not starting");
		goto out;
	}
	if (engine_mode)
		open_child_logfile(cfg);
	if (cfg->daemon.seccomp) {
		if (!daemon_seccomp(privsep_parent))
			goto out;
	} else {
		log_op(DBG_OP, "daemon.seccomp = false: no system call filter");
	}
	if (!runtime_start_threads(cfg->daemon.min_threads, cfg->daemon.max_threads))
		goto out;
	if (privsep_parent) {
		/* Requests, events, signals: until the engine is gone. */
		runtime_run();
		status = privsep_parent_status();
		goto out;
	}
	if (!net_start())
		goto out;
	if (!engine_start(cfg)) {
		log_error(DBG_OP, "the IKE engine did not start");
		goto out;
	}
	atomic_store(&engine_up, true);
	if (engine_mode) {
		privsep_engine_ready(engine_env.ctl);
		log_op(DBG_OP, "engine: serving (pid %ld, user %s, no capabilities)",
		       (long)getpid(), cfg->daemon.run_user ? cfg->daemon.run_user : "?");
		runtime_run();
		status = EXIT_SUCCESS;
		goto out;
	}

	log_op(DBG_OP, "in.ikev2d %s started (pid %ld, %d rule%s, config %s)",
	       PACKAGE_VERSION, (long)getpid(), cfg->n_rules, cfg->n_rules == 1 ? "" : "s",
	       config_path);
	daemon_detach_done(true);
	sd_notifyf(0, "READY=1\nMAINPID=%lu\nSTATUS=running, %d rule%s",
	           (unsigned long)getpid(), cfg->n_rules, cfg->n_rules == 1 ? "" : "s");
	runtime_run();
	status = EXIT_SUCCESS;

out:
	if (ctl_fd >= 0) {
		/* opened, never handed over */
		close(ctl_fd);
		unlink(ctl_path);
	}
	free(ctl_path);
	daemon_detach_done(status == EXIT_SUCCESS);
	if (privsep_parent && privsep_engine_pid() > 0 && status != EXIT_SUCCESS) {
		kill(privsep_engine_pid(), SIGKILL);
		waitpid(privsep_engine_pid(), NULL, 0);
	}
	if (privsep_parent && privsep_keys_pid() > 0 && status != EXIT_SUCCESS &&
	    !privsep_keys_reap()) {
		kill(privsep_keys_pid(), SIGKILL);
		waitpid(privsep_keys_pid(), NULL, 0);
	}
	if (keys_mode)
		privsep_keys_release();
	if (atomic_exchange(&engine_up, false))
		engine_shutdown(SHUTDOWN_WAIT_MS);
	if (sigfd >= 0 && runtime_up)
		loop_unwatch_fd(sigfd);
	/* Its objects belong to plugins: release them before unloading. */
	keystore_set_current(NULL);
	plugin_loader_unload();
	if (runtime_up)
		runtime_deinit();
	if (sigfd >= 0)
		close(sigfd);
	config_set_current(NULL);
	config_edits_free(ctl_edits);
	free(active_path);
	free(active_psk);
	pidfile_release();
	log_op(DBG_OP, "in.ikev2d stopped");
	return status;
}

int main(int argc, char **argv)
{
	options_t o = { 0 };
	int r = parse_options(argc, argv, &o);

	if (r)
		return r - 1;
	daemon_no_dump();
	saved_argv = argv;
	config_path = o.file ? o.file : IKEV2D_CONFDIR "/ikev2.config";
	if (!o.check_only && getenv(PRIVSEP_KEYS_ENV)) {
		keys_mode = true;
		engine_parent = getppid();
	} else if (!o.check_only && getenv(PSM_ENV)) {
		if (!psm_env_parse(getenv(PSM_ENV), &engine_env)) {
			fprintf(stderr, "in.ikev2d: %s is set but malformed\n", PSM_ENV);
			return EXIT_FAILURE;
		}
		engine_mode = true;
		engine_parent = getppid();
	}

	/* Until detached, everything goes to stderr. */
	daemon_log_stderr(true, o.check_only);
	if (o.check_only)
		return check_config(config_path);

	/* The engine's keystore is the keys process's, and the directory it
	 * sees is the empty tmpfs privsep_keys_hide mounted: not checked. */
	if (engine_mode && getenv(PRIVSEP_KEYS_CLIENT_ENV))
		config_set_keystore_elsewhere(true);
	/* Re-executed through /proc/self/exe, whose name the kernel gave
	 * these processes as comm ("exe"): ps -C, pgrep and pidof find
	 * in.ikev2d by this name. */
	if (engine_mode || keys_mode)
		prctl(PR_SET_NAME, "in.ikev2d", 0, 0, 0);
	int n_errors = 0;
	config_t *cfg = config_load(config_path, &n_errors);
	if (!cfg) {
		log_error(DBG_OP, "%s: %d error%s in the configuration: not starting",
		          config_path, n_errors, n_errors == 1 ? "" : "s");
		return EXIT_FAILURE;
	}
	if (!apply_debug_level(cfg)) {
		config_unref(cfg);
		return EXIT_FAILURE;
	}
	/* daemon.privsep needs root to mean anything: the parent keeps the
	 * kernel backend's capabilities, the engine has none. */
	privsep_parent = !engine_mode && !keys_mode && cfg->daemon.privsep;
	config_set_current(cfg);
	int status = run(&o, cfg);
	config_unref(cfg);
	return status;
}
