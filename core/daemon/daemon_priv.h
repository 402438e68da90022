/*
 * daemon_priv.h - least privilege for in.ikev2d: no core dumps, the
 * capability sets, the switch to the daemon's user, the seccomp filter.
 *
 * The order main.c follows (see HACKING.md, "Privilege separation"):
 *   daemon_no_dump()            first thing
 *   daemon_limit_capabilities() before any plugin loads
 *   ... load plugins, bind 500/4500 ...
 *   daemon_drop_privileges()    while the process still has one thread
 *   daemon_seccomp()            then the threads start
 */
#ifndef IKEV2D_DAEMON_PRIV_H
#define IKEV2D_DAEMON_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Not dumpable (no ptrace by other users, no /proc/PID/mem) and no core
 * files (RLIMIT_CORE 0, soft and hard). */
void daemon_no_dump(void);

/* The keys process: lock every private writable mapping it has (heap,
 * anonymous memory, stacks, libraries' data: where GnuTLS, GMP and a
 * PKCS#11 module keep its private keys) in RAM, as pages are touched.
 * Called again after whatever may add mappings (each keystore load and
 * request).  The first call (one thread only) also limits glibc to one
 * malloc arena and threads to small stacks.  On failure (RLIMIT_MEMLOCK)
 * an error line names the limit (once, then every 64th) and the process
 * goes on; the result says whether everything is locked. */
bool daemon_lock_private_memory(void);
/* VmLck: what the process has locked, in KiB. */
unsigned long daemon_locked_kib(void);

/* Keep only what the start-up can still need: CAP_NET_ADMIN (for the
 * kernel backend), CAP_NET_BIND_SERVICE (500/4500), CAP_SETUID/CAP_SETGID
 * (the switch to the daemon's user), CAP_SETPCAP (to shrink the
 * bounding set later) and CAP_DAC_READ_SEARCH (reading the daemon user's
 * private files, such as the keystore, as root), and with mount_ns (the
 * privsep parent) CAP_SYS_ADMIN until the engine's child has hidden the
 * keystore from the engine; every other capability leaves every set, the
 * bounding set included.  Not root (no capabilities): nothing to do.
 * False (logged) on failure. */
bool daemon_limit_capabilities(bool mount_ns);

/* Become uid/gid (when started as root and uid is not 0) with the
 * supplementary groups reduced to gid, keeping exactly the capabilities in
 * keep (KERNEL_CAP() bits; only CAP_NET_ADMIN allowed) in the permitted
 * and effective sets and the bounding set; no ambient or inheritable
 * capabilities; PR_SET_NO_NEW_PRIVS.  Must be called while the process has
 * one thread: capabilities are per thread.  user names uid in the logs.
 * False (logged) on failure: the daemon must not go on. */
bool daemon_drop_privileges(uid_t uid, gid_t gid, const char *user, uint64_t keep);

/* Install the seccomp allow-list (anything else kills the process, which
 * the log of the audit subsystem names).  False (logged) on failure. */
bool daemon_seccomp(bool parent);
/* The keys process's list: the same without network sockets (socket(2)
 * for AF_UNIX only), bind, listen or accept. */
bool daemon_seccomp_keys(void);

/* Privsep (HACKING.md): in the child, before it executes the engine, drop
 * what only the parent needs (CAP_NET_ADMIN, CAP_NET_BIND_SERVICE,
 * CAP_NET_RAW, CAP_SYS_ADMIN) from every set, the bounding set included, so the engine
 * never holds them, not even as root before its own switch.  parent: the
 * seccomp list of the privsep parent also allows kill(2). */
bool daemon_engine_bounding(void);

#endif
