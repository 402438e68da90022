/*
 * daemon_priv.c - least privilege for in.ikev2d (see daemon_priv.h).
 */
#define _GNU_SOURCE  /* setresuid, setresgid */
#include "daemon/daemon_priv.h"
#include "lib/secmem.h"

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------ dumps */

void daemon_no_dump(void)
{
	struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_error(DBG_OP, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		log_error(DBG_OP, "setrlimit(RLIMIT_CORE): %s", strerror(errno));
}

/* The keys process locks every private writable mapping it has: heap,
 * anonymous memory, stacks, the libraries' data.  Its private keys can
 * only be there (GnuTLS, GMP and a PKCS#11 module allocate them, not
 * secmem); the libraries' text and read-only data hold none and stay
 * unlocked, which keeps the process inside a small RLIMIT_MEMLOCK
 * (systemd's default is 8 MiB, and a container without CAP_SYS_RESOURCE
 * cannot raise it).  mlockall(MCL_CURRENT|MCL_FUTURE) would count the
 * whole address space against the limit, the text of every library a
 * PKCS#11 module pulls in included.  Instead the mappings are locked
 * again after everything that may create some (start, each reload, each
 * request): a page that ever held a key was written, so it is in a
 * writable mapping, and a new mapping is locked as soon as the request
 * or reload that made it is handled.  MLOCK_ONFAULT: pages are locked as they are
 * touched, not read in ahead.
 *
 * Two glibc defaults would make the writable mappings large: each thread
 * that allocates gets its own malloc arena (a 64 MiB reservation), and
 * each thread an 8 MiB stack (RLIMIT_STACK).  The keys process answers on
 * its loop thread; its other threads need little of either. */
#define KEYS_THREAD_STACK (512 * 1024)
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

static unsigned long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	unsigned long v = 0;
	size_t n = strlen(field);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtoul(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* One range, as a system call: the sanitizers' runtimes make mlock(3)
 * a no-op that returns 0.  mlock2 needs Linux 4.4. */
static int lock_range(uintptr_t b, uintptr_t e)
{
	if (syscall(SYS_mlock2, (void *)b, (size_t)(e - b), MLOCK_ONFAULT) == 0)
		return 0;
	if (errno == ENOSYS || errno == EINVAL)
		return (int)syscall(SYS_mlock, (void *)b, (size_t)(e - b));
	return -1;
}

unsigned long daemon_locked_kib(void)
{
	return status_kib("VmLck");
}

bool daemon_lock_private_memory(void)
{
	static bool tuned;
	static unsigned failures;
	char line[512];
	int err = 0;
	size_t failed = 0;

	if (!tuned) {
		pthread_attr_t attr;

		tuned = true;
		mallopt(M_ARENA_MAX, 1);
		/* Not under ThreadSanitizer: its pthread_create refuses the
		 * smaller default stack (EINVAL), and the keys process then
		 * cannot start its worker. */
#ifndef __SANITIZE_THREAD__
		if (pthread_attr_init(&attr) == 0) {
			if (pthread_attr_setstacksize(&attr, KEYS_THREAD_STACK) == 0)
				(void)pthread_setattr_default_np(&attr);
			pthread_attr_destroy(&attr);
		}
#else
		(void)attr;
#endif
	}
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f) {
		err = errno;
		failed = 1;
	}
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long b, e;
		char perms[8];
		size_t n = strlen(line);

		/* a line longer than the buffer (a long path): its rest */
		bool whole = n && line[n - 1] == '\n';
		if (sscanf(line, "%llx-%llx %7s", &b, &e, perms) == 3 &&
		    perms[1] == 'w' && perms[3] == 'p' && e > b &&
		    lock_range((uintptr_t)b, (uintptr_t)e) < 0) {
			err = errno;
			failed += (size_t)(e - b);
		}
		while (!whole && fgets(line, sizeof(line), f)) {
			n = strlen(line);
			whole = n && line[n - 1] == '\n';
		}
	}
	if (f)
		fclose(f);
	if (!failed)
		return true;
	/* once, then every 64th: the log must not fill with it */
	if (failures++ % 64 == 0) {
		char lim[32];

		secmem_limit_str(lim, sizeof(lim));
		log_error(DBG_KEY, "keys process: cannot lock %zu KiB of its memory "
		          "(%s; RLIMIT_MEMLOCK %s, %lu KiB locked): its private keys "
		          "may be swapped to disk; raise the limit (systemd: "
		          "LimitMEMLOCK=, a shell: ulimit -l)", failed / 1024,
		          strerror(err), lim, status_kib("VmLck"));
	}
	return false;
}

/* ------------------------------------------------------ capabilities */

/* What the start-up may still need before the switch. */
static const cap_value_t startup_caps[] = {
	CAP_NET_ADMIN,        /* the kernel backend (XFRM netlink, PF_KEY, TUN) */
	CAP_NET_BIND_SERVICE, /* UDP 500 and 4500 */
	CAP_NET_RAW,          /* kernel-userspace's raw ESP sockets (opened
	                         with the IKE sockets, before the switch) */
	CAP_SETUID,           /* the switch to daemon.user */
	CAP_SETGID,
	CAP_SETPCAP,          /* shrinking the bounding set after the switch */
	CAP_DAC_READ_SEARCH,  /* plugins reading the daemon user's 0600/0700
	                         files (keystore) while still root */
};
#define N_STARTUP (sizeof(startup_caps) / sizeof(startup_caps[0]))

/* The only capabilities a backend can keep past the switch. */
static const uint64_t keepable = KERNEL_CAP(CAP_NET_ADMIN);

/* A set (KERNEL_CAP bits) as "net_admin, ..." or "none". */
static void caps_str(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (cap_value_t c = 0; c <= CAP_LAST_CAP && c < 64; c++) {
		if (!(caps & KERNEL_CAP(c)))
			continue;
		char *name = cap_to_name(c);
		int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		                 name ? (strncmp(name, "cap_", 4) == 0 ? name + 4 : name) : "?");
		cap_free(name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

static uint64_t permitted_mask(void)
{
	cap_t caps = cap_get_proc();
	uint64_t m = 0;

	if (!caps)
		return 0;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP && c < 64; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			m |= KERNEL_CAP(c);
	}
	cap_free(caps);
	return m;
}

/* Permitted and effective := want (which must be within permitted);
 * inheritable cleared. */
static bool set_caps(uint64_t want)
{
	cap_t caps = cap_init();

	if (!caps) {
		log_error(DBG_OP, "cap_init: %s", strerror(errno));
		return false;
	}
	for (cap_value_t c = 0; c <= CAP_LAST_CAP && c < 64; c++) {
		if (want & KERNEL_CAP(c)) {
			cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET);
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
		}
	}
	bool ok = cap_set_proc(caps) == 0;
	if (!ok)
		log_error(DBG_OP, "cannot set the capabilities: %s", strerror(errno));
	cap_free(caps);
	return ok;
}

/* Drop everything but keep from the bounding set (needs CAP_SETPCAP in
 * the effective set). */
static bool limit_bounding(uint64_t keep)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (c < 64 && (keep & KERNEL_CAP(c)))
			continue;
		if (CAP_IS_SUPPORTED(c) && cap_get_bound(c) == 1 && cap_drop_bound(c) < 0) {
			log_error(DBG_OP, "cannot drop capability %d from the bounding set: %s",
			          (int)c, strerror(errno));
			return false;
		}
	}
	return true;
}

bool daemon_limit_capabilities(bool mount_ns)
{
	uint64_t have = permitted_mask(), want = 0;
	char buf[160];

	if (!have)
		return true;   /* not privileged: nothing to give up */
	for (size_t i = 0; i < N_STARTUP; i++)
		want |= KERNEL_CAP(startup_caps[i]);
	/* The privsep parent: the engine's child hides the keystore in a
	 * mount namespace (privsep_keys_hide) before it drops this. */
	if (mount_ns)
		want |= KERNEL_CAP(CAP_SYS_ADMIN);
	want &= have;
	if ((have & KERNEL_CAP(CAP_SETPCAP)) && !limit_bounding(want))
		return false;
	if (!set_caps(want))
		return false;
	caps_str(want, buf, sizeof(buf));
	log_verbose(DBG_OP, "capabilities before loading plugins: %s", buf);
	return true;
}

bool daemon_engine_bounding(void)
{
	uint64_t have = permitted_mask();
	uint64_t parent_only = KERNEL_CAP(CAP_NET_ADMIN) |
	                       KERNEL_CAP(CAP_NET_BIND_SERVICE) | KERNEL_CAP(CAP_NET_RAW) |
	                       KERNEL_CAP(CAP_SYS_ADMIN);

	if (!have)
		return true;
	if ((have & KERNEL_CAP(CAP_SETPCAP)) && !limit_bounding(have & ~parent_only))
		return false;
	return set_caps(have & ~parent_only);
}

bool daemon_drop_privileges(uid_t uid, gid_t gid, const char *user, uint64_t keep)
{
	char buf[160];
	bool switching = geteuid() == 0 && uid != 0;

	if (keep & ~keepable) {
		caps_str(keep & ~keepable, buf, sizeof(buf));
		log_error(DBG_OP, "the kernel backend asks for capabilities in.ikev2d does "
		          "not keep: %s", buf);
		return false;
	}
	uint64_t have = permitted_mask();
	if (keep & ~have) {
		caps_str(keep & ~have, buf, sizeof(buf));
		log_error(DBG_OP, "the kernel backend needs %s, which in.ikev2d does not "
		          "have (not started as root?)", buf);
		return false;
	}
	if (switching) {
		/* Keep the permitted set across setresuid; the effective one
		 * is cleared by it and raised again below. */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
			log_error(DBG_OP, "prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
			return false;
		}
		if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0) {
			log_error(DBG_OP, "cannot switch to group %u: %s", (unsigned)gid,
			          strerror(errno));
			return false;
		}
		if (setresuid(uid, uid, uid) < 0) {
			log_error(DBG_OP, "cannot switch to user %s (uid %u): %s", user,
			          (unsigned)uid, strerror(errno));
			return false;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		/* CAP_SETPCAP back in the effective set for the bounding set. */
		if (have && !set_caps(have))
			return false;
	}
	if ((have & KERNEL_CAP(CAP_SETPCAP)) && !limit_bounding(keep))
		return false;
	if (have && !set_caps(keep))
		return false;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		log_verbose(DBG_OP, "cannot clear the ambient capabilities: %s",
		            strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error(DBG_OP, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return false;
	}
	/* A change of credentials resets the dumpable flag. */
	daemon_no_dump();
	if (switching && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_error(DBG_OP, "still able to become root after switching to %s: "
		          "not starting", user);
		return false;
	}
	caps_str(have ? keep : 0, buf, sizeof(buf));
	log_op(DBG_OP, "running as %s (uid %u, gid %u), capabilities: %s",
	       switching ? user : geteuid() == 0 ? "root" : "the invoking user",
	       (unsigned)geteuid(), (unsigned)getegid(), buf);
	return true;
}

/* ---------------------------------------------------------- seccomp */

/* Everything the daemon and its plugins do once running: threads, the
 * event loop, sockets (UDP, netlink, the syslog and control sockets),
 * files (reload, log reopen, state files), time, memory.  Not here, so
 * fatal: exec, ptrace, mount, module loading, bpf, keyrings, credential
 * and namespace changes, fork (clone without CLONE_THREAD), ... */
static const char *const allowed[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "close",
	"openat", "open", "creat", "lseek", "fstat", "stat", "lstat", "newfstatat",
	"statx", "fstatfs", "statfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents64", "getcwd", "rename", "renameat",
	"renameat2", "unlink", "unlinkat", "mkdir", "mkdirat", "fchmod", "fchmodat",
	"ftruncate", "fsync", "fdatasync", "fcntl", "flock", "dup", "dup2", "dup3",
	"pipe", "pipe2", "ioctl", "umask",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"eventfd2", "signalfd4", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "poll", "ppoll", "select", "pselect6",
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "shutdown",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "mlock",
	"mlock2", "munlock", "mincore",
	"futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
	"sched_yield", "sched_getaffinity", "exit", "exit_group", "gettid",
	"getpid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"getresuid", "getresgid", "tgkill", "tkill", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "sigaltstack",
	"restart_syscall", "nanosleep", "clock_nanosleep", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "getrandom", "uname", "sysinfo",
	"getrlimit", "prlimit64", "getrusage", "getpriority", "capget", "prctl",
	"membarrier", "wait4",
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZER_BUILD 1
#endif

static bool install_seccomp(bool parent, bool keys);

bool daemon_seccomp(bool parent)
{
	return install_seccomp(parent, false);
}

bool daemon_seccomp_keys(void)
{
	return install_seccomp(false, true);
}

/* keys: the keys process makes no network socket (AF_UNIX only: syslog)
 * and never listens. */
static bool install_seccomp(bool parent, bool keys)
{
#ifdef SANITIZER_BUILD
	/* LeakSanitizer stops the world with ptrace at exit, ThreadSanitizer
	 * has its own background thread: their runtimes are not ours to list. */
	log_op(DBG_OP, "built with sanitizers: no seccomp filter");
	return true;
#endif
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = 0;

	if (!ctx) {
		log_error(DBG_OP, "seccomp_init failed");
		return false;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++) {
		if (keys && (strcmp(allowed[i], "socket") == 0 ||
		             strcmp(allowed[i], "bind") == 0 ||
		             strcmp(allowed[i], "listen") == 0 ||
		             strcmp(allowed[i], "accept") == 0 ||
		             strcmp(allowed[i], "accept4") == 0))
			continue;
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (rc == 0 && keys)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		                      SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* The privsep parent signals its engine (SIGTERM at shutdown). */
	if (rc == 0 && parent)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 0);
	/* Threads only: clone with CLONE_THREAD; clone3 (whose flags a filter
	 * cannot read) fails with ENOSYS, and glibc falls back to clone. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		log_error(DBG_OP, "cannot install the seccomp filter: %s", strerror(-rc));
		return false;
	}
	log_verbose(DBG_OP, "seccomp allow-list installed (%zu system calls)",
	            sizeof(allowed) / sizeof(allowed[0]) + 1);
	return true;
}
