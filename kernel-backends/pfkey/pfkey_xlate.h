/*
 * pfkey_xlate.h - from the engine's terms (IKEv2 transform numbers,
 * address-range selectors) to PF_KEY's (SADB algorithm ids and key bits,
 * prefixes with one port or none), and what cannot be translated.
 *
 * What Linux's PF_KEY cannot express, and so kernel-pfkey refuses at
 * configuration-check time (pfk_can_install):
 *  - AEADs (AES-GCM, AES-CCM, AES-GMAC, ChaCha20-Poly1305): the kernel's
 *    SADB_ADD looks encryption ids up in its cipher table only, and its
 *    REGISTER answer lists none;
 *  - HMAC-SHA2-256-128: the kernel's table installs SADB_X_AALG_SHA2_256HMAC
 *    with a 96-bit ICV (pre-RFC 4868), so a peer using the 128 bits IKEv2
 *    negotiated would drop every packet;
 *  - HMAC-SHA1-160 and AES-CMAC-96: no PF_KEY id;
 *  - extended sequence numbers: no extension carries them;
 *  - a replay window above 32 packets: sadb_sa_replay is capped to the
 *    32-bit bitmap.
 * Anything the running kernel did not list in its REGISTER answer is
 * refused too (a module not available).
 */
#ifndef IKEV2D_PFKEY_XLATE_H
#define IKEV2D_PFKEY_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ikev2d/kernel_ipsec.h>

#include "pfkey_msg.h"

/* The most Linux keeps of sadb_sa_replay. */
#define PFK_REPLAY_MAX 32

/* The algorithms a REGISTER answer listed. */
typedef struct {
	pfk_alg_t auth[64];
	size_t n_auth;
	pfk_alg_t encr[64];
	size_t n_encr;
	bool known;          /* a REGISTER answer was read */
} pfk_algs_t;

/* Fill algs from a parsed REGISTER answer. */
bool pfk_algs_from_register(const pfk_msg_t *m, pfk_algs_t *algs);

/* The SADB encryption id and key bits (salt included for AES-CTR) for an
 * IKEv2 cipher with its negotiated key length; false (why set) when PF_KEY
 * cannot carry it. */
bool pfk_encr(uint16_t encr, uint16_t keylen_bits, uint8_t *id,
              uint16_t *key_bits, char *why, size_t len);
/* The SADB authentication id and key bits for an IKEv2 integrity
 * transform (INTEG_NONE gives SADB_AALG_NONE, 0 bits). */
bool pfk_integ(uint16_t integ, uint8_t *id, uint16_t *key_bits, char *why,
               size_t len);

/* Whether an SA like sa can be installed, given what the kernel listed
 * (algs may be NULL or not known: then only the translation is checked). */
bool pfk_can_install(const pfk_algs_t *algs, const kernel_sa_t *sa,
                     char *why, size_t len);

/* One prefix of a selector: address (port in it for PF_KEY), prefix
 * length. */
typedef struct {
	struct sockaddr_storage addr;
	uint8_t plen;
} pfk_prefix_t;

/* Prefixes one selector may need: a policy per pair is installed. */
#define PFK_TS_PREFIXES_MAX 32

/* The prefixes that cover ts's address range exactly, each with ts's port
 * (one port, or 0 = any).  Returns how many (<= max), or -1 with why set
 * when ts has a port range PF_KEY cannot express or needs more than max
 * prefixes. */
int pfk_ts_prefixes(const kernel_ts_t *ts, pfk_prefix_t *out, int max,
                    char *why, size_t len);
/* The upper-layer protocol for an address extension of a policy. */
uint8_t pfk_ts_proto(const kernel_ts_t *ts);

/* Priority for a policy whose selectors are these prefixes, when the
 * engine gave none: more specific selectors get lower (winning) values,
 * so a host-to-host policy beats a subnet one. */
uint32_t pfk_priority(uint8_t src_plen, uint8_t dst_plen, uint8_t proto,
                      bool ports);

/* kernel_dir_t to IPSEC_DIR_* and back (0 = none). */
uint8_t pfk_dir(kernel_dir_t dir);

#endif
