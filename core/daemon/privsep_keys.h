/*
 * privsep_keys.h - the keys process of privilege separation (HACKING.md,
 * "Privilege separation", "The keys process"): the only process that
 * loads the keystore's private keys and opens PKCS#11 token sessions, and
 * the engine's proxy for it.
 *
 * Parent: privsep_keys_start() forks and re-executes in.ikev2d as the keys
 * process before any other plugin loads; the engine gets its end of the
 * "keys" socketpair at its own exec (privsep_keys_engine_fd()); reloads go
 * to the keys process first (privsep_keys_reload()).
 * Keys process: main.c loads the credential plugins and the keystore as
 * root, then privsep_keys_serve(), drops to daemon.user (no capabilities,
 * seccomp without network sockets) and answers the engine (keys_msg.h).
 * Engine: privsep_keys_client() at start; keystores come from
 * privsep_keys_fetch() (certificates as DER, proxy signers for the keys).
 */
#ifndef IKEV2D_DAEMON_PRIVSEP_KEYS_H
#define IKEV2D_DAEMON_PRIVSEP_KEYS_H

#include <stdbool.h>
#include <sys/types.h>

#include <ikev2d/keystore.h>

#include "config/config.h"

/* "ctl,engine": the keys process's two descriptors. */
#define PRIVSEP_KEYS_ENV "IKEV2D_PRIVSEP_KEYS"
/* The engine's end of the keys socketpair. */
#define PRIVSEP_KEYS_CLIENT_ENV "IKEV2D_PRIVSEP_KEYS_CLIENT"
/* Test hook (testing/suites/privsep-forged.sh): when set, the engine binds
 * a datagram socket at this path and relays what arrives there unchanged
 * to the keys process, as a compromised engine would, and the answer
 * back. */
#define PRIVSEP_KEYS_TEST_ENV "IKEV2D_PRIVSEP_KEYS_TEST_SOCKET"

/* ---- parent */
bool privsep_keys_start(const config_t *cfg, char *const *argv);
/* The engine's end (-1 before start or after the engine's fork). */
int privsep_keys_engine_fd(void);
void privsep_keys_engine_forked(void);
/* The reload message the parent built, to the keys process too. */
void privsep_keys_reload(const void *body, size_t blen, const void *var,
                         size_t vlen);
/* SIGCHLD: true (logged) if the keys process is gone. */
bool privsep_keys_reap(void);
pid_t privsep_keys_pid(void);
/* In the engine's child before its exec: a private mount namespace in
 * which the keystore directory is an empty read-only tmpfs.  Logged, not
 * fatal, when the kernel or the service manager does not allow it. */
void privsep_keys_hide(const char *keystore);

/* ---- keys process */
typedef keystore_t *(*privsep_keys_loader_t)(const config_t *cfg);
/* Keep ks (the store of cfg, generation 1), watch both descriptors. */
bool privsep_keys_serve(const char *env, const config_t *cfg, keystore_t *ks,
                        privsep_keys_loader_t load);

/* Before the plugins unload: the keystores it kept. */
void privsep_keys_release(void);

/* ---- engine */
bool privsep_keys_client(const char *env);
/* The keys process's current keystore, public half and proxy signers;
 * NULL (logged) if it has none or does not answer. */
keystore_t *privsep_keys_fetch(void);

#endif
