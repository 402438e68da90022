/*
 * config.h - the parsed, validated configuration (ikev2.config plus
 * ikev2.preshared) as the rest of the core sees it.
 *
 * A config_t is immutable once loaded and reference counted: the engine takes
 * a reference on the config current when an SA starts, and SIGHUP swaps in a
 * new one atomically (config_current()/config_set_current()), so established
 * SAs keep the rule they were made with.
 *
 * Owner: the configuration component (core/config).  Fields marked
 * "engine" are what the protocol engine relies on; change them together.
 */
#ifndef IKEV2D_CONFIG_H
#define IKEV2D_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>
#include <stdint.h>
#include <netinet/in.h>

#include <ikev2d/chunk.h>
#include <ikev2d/cred.h>
#include <ikev2d/ikev2.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/transform.h>

/* An address set: a prefix or a range, kept as an inclusive range. */
typedef struct {
	int family;           /* AF_INET or AF_INET6 */
	uint8_t lo[16], hi[16];  /* network byte order; IPv4 uses 4 bytes */
} addr_range_t;

/* A traffic selector as configured.  A child with no selectors on a side
 * uses the IKE SA's own address on that side (host-to-host). */
typedef struct {
	addr_range_t addr;
	uint8_t proto;        /* 0 = any */
	uint16_t port_lo, port_hi;  /* 0..65535 = any */
} ts_cfg_t;

/*
 * An identity.  data is the ID payload body: 4/16 address bytes
 * (ID_IPV4_ADDR/ID_IPV6_ADDR), the text (ID_FQDN, ID_RFC822_ADDR), the
 * bytes of a "0x..." hex value or the text (ID_KEY_ID), the DER Name
 * (ID_DER_ASN1_DN, encoded by config/dn.c; text keeps the string as
 * written).  Compare a peer's DN with dn_match(id->text, der) from
 * config/dn.h: it matches attribute by attribute, ignoring string types
 * and case, and handles '*' patterns.
 *
 * A local_id with type 0 was not configured: use the local IP address.
 * A remote ID may be a pattern: text with '*' wildcards (wildcard true,
 * data empty), or for IP types a prefix or range (addr, lo != hi).
 */
typedef struct {
	id_type_t type;
	char *text;           /* as written, for logs; may contain '*' wildcards */
	chunk_t data;         /* ID payload encoding (see above) */
	bool any;             /* "" or no remote_id: matches every peer ID */
	bool wildcard;        /* text contains '*' (FQDN, RFC822, DN); data
	                         is then empty */
	addr_range_t addr;    /* IP types: the address, prefix or range */
} id_cfg_t;

/* One transform with its key length (bits, 0 = none/default). */
typedef struct {
	uint16_t id;
	uint16_t keylen;
} xform_t;

#define CFG_MAX_XFORMS 16

/* One proposal: the cross product of its transform lists is acceptable. */
typedef struct {
	xform_t encr[CFG_MAX_XFORMS]; int n_encr;
	uint16_t integ[CFG_MAX_XFORMS]; int n_integ;
	uint16_t prf[CFG_MAX_XFORMS]; int n_prf;
	uint16_t ke[CFG_MAX_XFORMS]; int n_ke;
	uint16_t esn[2]; int n_esn;   /* ESP only */
} proposal_cfg_t;

typedef enum {
	MODE_TUNNEL,
	MODE_TRANSPORT,
} ipsec_mode_t;

/* Where a setting was written, for checks made after loading (the kernel
 * backend's, at -c and start-up).  file points into the parsed tree, which
 * lives as long as the config_t; NULL = the main file.  line 0 = not
 * written anywhere: the built-in default. */
typedef struct {
	const char *file;
	int line;
} cfg_src_t;

enum { CFG_XFRM_MARK_IN, CFG_XFRM_MARK_OUT, CFG_XFRM_IF_ID_IN, CFG_XFRM_IF_ID_OUT };

typedef struct {
	ts_cfg_t *local_ts; int n_local_ts;
	ts_cfg_t *remote_ts; int n_remote_ts;
	proposal_cfg_t *esp; int n_esp;
	ipsec_mode_t mode;
	uint16_t pfs_group;           /* 0 = no PFS */
	uint32_t lifetime_secs;       /* hard */
	uint32_t softlife_secs;       /* rekey time */
	uint64_t lifetime_kb, softlife_kb;  /* 0 = unlimited */
	uint32_t replay_window;       /* packets; 0 = replay check off */
	/* mark_in / mark_out ("value/mask"; mask 0 = none) and if_id_in /
	 * if_id_out (0 = none): the inbound SA and the in/fwd policies get
	 * the _in ones, the outbound SA and the out policy the _out ones. */
	kernel_mark_t mark_in, mark_out;
	uint32_t if_id_in, if_id_out;
	/* require_kernel_policy: as responder, accept the CHILD SA only when
	 * the kernel's SPD has a policy (not the daemon's own) that holds
	 * each pair of the narrowed selectors; its SAs then get that
	 * policy's reqid (else TS_UNACCEPTABLE). */
	bool require_kernel_policy;
	/* the childsa group, and the esp_xform / replay_window in force
	 * (at whatever level they were written) */
	cfg_src_t src, esp_src, replay_src;
	/* where mark_in, mark_out, if_id_in, if_id_out in force were
	 * written (CFG_XFRM_* index) */
	cfg_src_t xfrm_src[4];
} child_cfg_t;

typedef struct {
	char *label;                                  /* engine */
	addr_range_t *local_addr; int n_local_addr;   /* engine; 0 = any */
	addr_range_t *remote_addr; int n_remote_addr; /* engine; 0 = any */
	id_cfg_t local_id;                            /* engine */
	id_cfg_t *remote_id; int n_remote_id;         /* engine; 0 = any */
	/* engine: AUTH_PSK, AUTH_RSA_SIG, AUTH_DSS_SIG, AUTH_ECDSA_256/384/521,
	 * AUTH_DIGITAL_SIG.  "ecdsa_sig" gives AUTH_ECDSA_256: the signer
	 * picks 9/10/11 from its key's curve. */
	auth_method_t auth_method;
	/* engine: what the peer must authenticate with (remote_auth_method,
	 * else auth_method); differs from auth_method for mixed rules. */
	auth_method_t remote_auth_method;
	bool prefer_pss;   /* engine: our method is rsa_pss_sig (RFC 7427 PSS) */
	int line;          /* where the rule starts in its file, for -c messages */
	/* engine: DN pattern (as remote_id DN) that a CA in the peer's
	 * certificate path must match (required_signer), or NULL. */
	char *required_signer;
	proposal_cfg_t *ike; int n_ike;               /* engine: IKE proposals */
	uint32_t ikesa_lifetime_secs;                 /* engine: rekey after */
	uint32_t dpd_interval_secs;                   /* engine: 0 = off */
	bool auto_start;                              /* engine: initiate at start */
	bool on_demand;                               /* engine: trap policies;
	                                                 initiate on ACQUIRE */
	/* engine: how many times an auto_start / on_demand start whose
	 * request went unanswered is tried again; -1 = without end (the
	 * default of auto_start rules), 5 by default for on_demand rules,
	 * 0 = never (and for rules that start neither way). */
	int start_retry_limit;
	child_cfg_t *child; int n_child;              /* engine; always >= 1 */
	/* From ikev2.preshared (empty when none): secrets, wiped on free. */
	chunk_t local_key;                            /* engine: our AUTH */
	chunk_t remote_key;                           /* engine: peer AUTH */
} rule_t;

typedef struct {
	/* daemon = { ... } */
	char *debug_level;
	bool debug_level_explicit;     /* given in the file (-d then keeps it) */
	char *debug_logfile;
	bool ignore_errors;
	int min_threads, max_threads;
	int response_wait_time;        /* seconds */
	bool fragmentation_enable;
	int fragmentation_mtu;         /* 576..9216, default 1350 */
	char *preshared_file;
	char *keystore;                /* directory (<ikev2d/keystore.h>);
	                                  default "keystore" next to the
	                                  config file */
	char *pkcs11_uri;
	char *pkcs11_pin;              /* secret */
	char *pid_file;
	uint16_t ike_port, natt_port;  /* 500, 4500 */
	/* Retransmission of our requests: first after retry_timer_init_ms,
	 * doubling up to retry_timer_max_secs, at most retry_limit times; the
	 * exchange fails when no reply came response_wait_time seconds after
	 * the first send, whichever comes first. */
	int retry_limit;               /* 0..20, default 5 */
	int retry_timer_init_ms;       /* 100..60000, default 500 */
	int retry_timer_max_secs;      /* 1..300, default 30 */
	/* Half-open IKE SAs (IKE_SA_INIT answered, IKE_AUTH not done). */
	int half_open_max;             /* total; beyond it new ones dropped */
	int half_open_max_per_peer;    /* per source address */
	int half_open_timeout_secs;    /* a half-open SA is freed after this */
	int cookie_threshold;          /* demand a COOKIE above this many
	                                  half-open SAs; 0 = always */
	int nat_keepalive_secs;        /* 0 = off */
	/* Longest wait between two tries of an auto_start / on_demand rule
	 * whose IKE_SA_INIT or IKE_AUTH went unanswered (the wait doubles
	 * from 1 s, jittered, up to this). */
	int start_retry_max_secs;      /* 1..3600, default 120 */
	/* Reuse of our IKE_SA_INIT Diffie-Hellman private value (RFC 7296
	 * §2.12): for at most ke_reuse_secs seconds (0 = a fresh value per
	 * IKE SA) and ke_reuse_max_uses IKE SAs. */
	int ke_reuse_secs;             /* 0..KE_REUSE_SECS_MAX, default 0 */
	int ke_reuse_max_uses;         /* 1..10000000, default 10000 */
	/* The user in.ikev2d runs as once its privileged resources are open
	 * (daemon.user, default "ikeuser"), resolved when the file is loaded:
	 * run_uid/run_gid are that user's when started as root and it exists,
	 * 0 when it is "root" or (not given explicitly) does not exist, and
	 * the invoking user's when not started as root.  The daemon's files
	 * must belong to run_uid or root (file_perm.h). */
	char *user;
	bool user_explicit;
	uid_t run_uid;
	gid_t run_gid;
	char *run_user;                /* name for messages and chown hints */
	bool seccomp;                  /* daemon.seccomp, default true */
	/* daemon.privsep: a root parent for the kernel backend and an
	 * unprivileged engine process (HACKING.md, "Privilege separation") */
	bool privsep;
} daemon_cfg_t;

/* RFC 7296 §2.12 allows reuse "for a short time": at most 5 minutes. */
#define KE_REUSE_SECS_MAX 300

typedef struct config config_t;
struct config {
	int refcount;                        /* atomic: config_ref/unref */
	char *path;                          /* the file loaded */
	daemon_cfg_t daemon;
	char **plugins; int n_plugins;       /* plugins.load, in order */
	char **critical; int n_critical;     /* plugins.critical */
	char *plugin_path;                   /* plugins.path, or NULL */
	rule_t *rules; int n_rules;
	/* validation = { ... } or validation_policy_file (cfg_validation.c):
	 * what a peer's certificate chain must satisfy. */
	cert_policy_t validation;
	/* Where the revocation settings are (validation group or policy
	 * file), for -c's errors; 0 if not given. */
	char *validation_file; int validation_line;
	/* The parsed libconfig tree, kept for settings_get_*() (opaque here
	 * so that users of this header need not include libconfig.h, whose
	 * own config_t clashes with ours). */
	void *tree;
	void *by_label;                      /* config_find_rule's index */
};

/* Where config_load (and the preshared file it names) get their text.
 * Default: the files.  The engine under privsep (HACKING.md) installs a
 * reader returning the texts the parent read and sent on SIGHUP: then no
 * file is opened and the owner/mode checks (done by the parent) are
 * skipped.  The reader returns a malloc'd NUL-terminated copy (wiped and
 * freed by the caller) or NULL when it has no text for path. */
typedef char *(*config_reader_t)(const char *path, size_t *len);
void config_set_reader(config_reader_t fn);
/* The privsep engine: the keystore is the keys process's and hidden from
 * this process, so config_load does not check its files here (the parent
 * does, at start and on SIGHUP). */
void config_set_keystore_elsewhere(bool elsewhere);
bool config_reader_active(void);
char *config_reader_get(const char *path, size_t *len);

/* Load and validate a configuration file (and the preshared file it names).
 * Every problem is logged (file:line: message) through the bus.  With
 * ignore_errors in the file, invalid rules are dropped and the rest is
 * returned; otherwise any error returns NULL.  *n_errors (if given) counts
 * the problems found. */
config_t *config_load(const char *path, int *n_errors);
/* The same, with the keys from the preshared file at this path instead
 * of the one the configuration names (ikeadm read preshared FILE). */
config_t *config_load_with(const char *path, const char *preshared,
                           int *n_errors);
/* The same with ikeadm's changes (config_edits.h; NULL: none) applied to
 * the configuration file's rules and the preshared file's keys. */
struct config_edits;
config_t *config_load_edited(const char *path, const char *preshared,
                             const struct config_edits *edits, int *n_errors);

/* Until called again with NULL, the first configuration error this thread
 * reports (as logged, "file:line: message") is also written to buf, for
 * ikeadm's answer. */
void config_capture_first_error(char *buf, size_t len);

config_t *config_ref(config_t *cfg);
void config_unref(config_t *cfg);

/* The configuration in force (a new reference, or NULL), and swapping it:
 * config_set_current takes a reference of its own (the caller keeps
 * theirs) and drops the one it held on the previous configuration, which
 * lives on until its last user unrefs it.  Both are thread-safe. */
config_t *config_current(void);
void config_set_current(config_t *cfg);

/* The rule with this label, or NULL; O(1). */
const rule_t *config_find_rule(const config_t *cfg, const char *label);

/* Check plugins.<name> groups against what loaded plugins declared with
 * plugin_settings_register() (unknown keys, types, ranges).  config_load
 * already checks the plugins registered at that time; the daemon calls
 * this again after loading plugins.  Returns the number of errors (each
 * logged with file:line). */
int config_check_plugin_settings(const config_t *cfg);
/* A plugin whose group config_check_plugin_settings leaves alone: the
 * privsep engine's, for the kernel backend its parent runs (and checked
 * at load). */
void config_plugin_settings_skip(const char *plugin);

#endif
