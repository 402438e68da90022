/*
 * kernel_null.h - the null kernel backend: a kernel-ipsec implementation
 * that installs nothing and records everything, for tests and load runs.
 *
 * The plugin "kernel-null" (feature "kernel-ipsec") creates one instance and
 * registers it.  In-process tests compile kernel_null.c into themselves,
 * create their own instance, register it with kernel_ipsec_register and
 * inspect it with the functions below.
 *
 * It behaves like a kernel where the engine can tell: SPIs are unique and
 * >= 256, reserved SPIs expire unused, installing an SA twice or deleting an
 * unknown one fails, time lifetimes raise soft and hard EXPIRE events (a
 * hard expiry removes the SA first, as XFRM does), byte/packet lifetimes do
 * so when a test sets usage past them.  Keys are checked for the length the
 * algorithm needs and then forgotten: they are never stored or written.
 *
 * State file (settings "plugins.kernel-null.state_file"): rewritten
 * atomically (temporary file + rename) after every change.  Format, one
 * record per line, fields "key=value" separated by single spaces:
 *
 *   # kernel-null state: <n> sa, <n> policy, <n> spi
 *   sa dir=in|out spi=<8 hex> proto=esp src=<ip>[<port>] dst=<ip>[<port>]
 *      mode=tunnel|transport reqid=<n> encap=yes|no encr=<name> encr_keylen=<bits>
 *      integ=<name>|none esn=yes|no replay=<n> soft_secs=<n> hard_secs=<n>
 *      soft_bytes=<n> hard_bytes=<n> mark=<hex>/<hex>
 *   policy dir=in|out|fwd src=<ts> dst=<ts> action=protect|pass|drop reqid=<n>
 *      priority=<n> mode=tunnel|transport tmpl_src=<ip>|- tmpl_dst=<ip>|- mark=<hex>/<hex>
 *   spi spi=<8 hex> proto=esp src=<ip> dst=<ip> reqid=<n>      (reserved, not installed)
 *   other ...  (the fields of a policy line: someone else's policy)
 *
 * (each record is one line; it is wrapped here for reading).  <ts> is
 * kernel_ts_to_str(): "10.1.0.0-10.1.255.255[0/0-65535]" or
 * "10.1.0.1[17/500-500]".  Lines are sorted, so two files can be diffed.
 */
#ifndef IKEV2D_KERNEL_NULL_H
#define IKEV2D_KERNEL_NULL_H

#include <stdbool.h>
#include <stddef.h>

#include <ikev2d/kernel_ipsec.h>

typedef struct kernel_null kernel_null_t;

/* A new, empty instance; state_file NULL = none.  spi_timeout_ms: how long
 * a reserved SPI lives unused (0 = 30 s). */
kernel_null_t *kernel_null_create(const char *state_file,
                                  unsigned spi_timeout_ms);
/* Its kernel-ipsec interface (for kernel_ipsec_register); destroying that
 * destroys the instance. */
kernel_ipsec_t *kernel_null_ipsec(kernel_null_t *kn);
/* The instance the kernel-null plugin registered, or NULL. */
kernel_null_t *kernel_null_instance(void);
void kernel_null_set_instance(kernel_null_t *kn);

/* What was recorded for an installed SA (no keys: they are not kept). */
typedef struct {
	kernel_sa_t sa;          /* encr_key/integ_key are empty chunks */
	size_t encr_key_len;     /* bytes the engine passed */
	size_t integ_key_len;
	kernel_usage_t usage;
	uint64_t installed_ms;   /* time_monotonic_ms() at add_sa */
} kernel_null_sa_t;

size_t kernel_null_count_sas(kernel_null_t *kn);
size_t kernel_null_count_policies(kernel_null_t *kn);
size_t kernel_null_count_spis(kernel_null_t *kn);   /* reserved only */
/* Copy the record of an installed SA; false if none. */
bool kernel_null_get_sa(kernel_null_t *kn, const kernel_sa_id_t *id,
                        kernel_null_sa_t *out);
bool kernel_null_has_policy(kernel_null_t *kn, const kernel_policy_t *policy);

/* The state as the state file holds it (caller frees). */
char *kernel_null_dump(kernel_null_t *kn);

/* Pretend traffic: set an SA's usage (soft/hard byte and packet limits
 * then raise EXPIRE events as a kernel would). */
bool kernel_null_set_usage(kernel_null_t *kn, const kernel_sa_id_t *id,
                           const kernel_usage_t *usage);
/* Someone else's policy (an administrator's `ip xfrm policy add`), as a
 * test or the control FIFO adds it: match_policy sees only these; the
 * backend's add_policy with its name leaves it as it is (true), del_policy
 * and flush leave it; an ACQUIRE for it is marked foreign, with its
 * selectors, template mode and endpoints and (acquire_addr) the packet's.
 * Not counted by kernel_null_count_policies nor in the state file's
 * "policy" lines.  False (logged) for a bad policy or one of ours by that
 * name; del: false when there is no such policy of someone else's. */
bool kernel_null_add_other_policy(kernel_null_t *kn, const kernel_policy_t *p);
bool kernel_null_del_other_policy(kernel_null_t *kn, const kernel_policy_t *p);

/* Raise events as the kernel would: EXPIRE for an installed SA (hard also
 * removes it), ACQUIRE for the OUT policy with this reqid. */
bool kernel_null_expire(kernel_null_t *kn, const kernel_sa_id_t *id, bool hard);
bool kernel_null_acquire(kernel_null_t *kn, uint32_t reqid);
/* ACQUIRE for a packet from src to dst (addresses only): the outbound
 * policy whose selectors hold both (lowest priority value first) must
 * protect; its selectors narrowed to the two addresses are reported. */
bool kernel_null_acquire_addr(kernel_null_t *kn,
                              const struct sockaddr_storage *src,
                              const struct sockaddr_storage *dst);
/* NAT mapping change (KERNEL_EV_MAPPING) for an installed UDP-encapsulated
 * SA: the peer's ESP-in-UDP now comes from new_peer (address and port).
 * Only raises the event; the engine's update_sa records the change. */
bool kernel_null_mapping(kernel_null_t *kn, const kernel_sa_id_t *id,
                         const struct sockaddr_storage *new_peer);

/* Parse and run one control command (the control FIFO uses this):
 *   expire soft|hard <spi hex> <dst ip>
 *   acquire <reqid>
 *   acquire <src ip> <dst ip>                  (a packet's addresses)
 *   mapping <spi hex> <dst ip> <new peer ip> <new peer port>
 *   other add|del in|out|fwd <src cidr> <dst cidr> tunnel|transport <reqid>
 *         [<tmpl src ip> <tmpl dst ip>]       (someone else's policy, ESP)
 * Returns false (logged) on a bad command or unknown SA/policy. */
bool kernel_null_command(kernel_null_t *kn, const char *line);

#endif
