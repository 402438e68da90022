/*
 * proposal.h - building our SA payload proposals from the configuration and
 * choosing one from a peer's (RFC 7296 §2.7, §3.3).
 *
 * A configured proposal (proposal_cfg_t) allows the cross product of its
 * transform lists.  The responder picks the first of its own configured
 * proposals (its preference order) that can be met by some peer proposal,
 * taking in each transform type the first of its own transforms the peer
 * also offers.  A transform must also be available (a crypto plugin
 * provides it) and must not carry unknown attributes.
 */
#ifndef IKEV2D_EXCHANGE_PROPOSAL_H
#define IKEV2D_EXCHANGE_PROPOSAL_H

#include <stdbool.h>

#include "codec/payload.h"
#include "config/config.h"
#include "sa/ike_sa.h"

/* Whether an algorithm can be used here (a provider is loaded). */
typedef bool (*xform_available_t)(transform_type_t type, uint16_t id);
/* The default: asks the crypto registry (crypto_provider). */
bool proposal_xform_available(transform_type_t type, uint16_t id);

/* An ESP proposal's KE transforms are its own list if it has one, else
 * the child's pfs_group (KE_NONE: no PFS). */
/* pfs_group value meaning "ignore KE transforms": the first CHILD SA,
 * negotiated in IKE_AUTH, has no key exchange of its own (RFC 7296 §1.2);
 * built proposals then carry none and selection disregards them. */
#define PROPOSAL_NO_KE 0xffff

/* Choose.  protocol: PROTO_IKE or PROTO_ESP.  For ESP, pfs_group applies
 * to proposals without KE transforms.  On success *out holds the chosen
 * algorithms and *chosen (may be NULL) the peer proposal that matched (its
 * number and SPI are what the response must carry). */
bool proposal_select(const proposal_cfg_t *ours, int n_ours, uint16_t pfs_group,
                     const proposal_t *theirs, int n_theirs, uint8_t protocol,
                     xform_available_t avail, algs_t *out,
                     const proposal_t **chosen);

/* Build proposals to send from configured ones: one proposal_t per
 * configured one, transforms written into xf (capacity n_xf); spi/spi_len
 * go in every proposal.  Returns the number of proposals (at most
 * max_props); 0 if nothing usable.  Algorithms that are not available are
 * left out. */
int proposal_build(const proposal_cfg_t *cfg, int n_cfg, uint16_t pfs_group,
                   uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
                   xform_available_t avail, proposal_t *props, int max_props,
                   transform_t *xf, int n_xf);

/* The single proposal of a response, from the chosen algorithms. */
void proposal_from_algs(const algs_t *a, uint8_t protocol, uint8_t number,
                        const uint8_t *spi, uint8_t spi_len, proposal_t *prop,
                        transform_t xf[6]);

/* Whether a response's proposal is acceptable to what we offered (the
 * responder may not invent transforms): fills *out. */
bool proposal_check_response(const proposal_cfg_t *ours, int n_ours,
                             uint16_t pfs_group, const proposal_t *resp,
                             uint8_t protocol, xform_available_t avail,
                             algs_t *out);

/* The first KE group of our first usable proposal (what an initiator
 * sends a KE payload for), KE_NONE if there is none. */
uint16_t proposal_first_ke(const proposal_cfg_t *cfg, int n_cfg,
                           uint16_t pfs_group, xform_available_t avail);
/* Whether a KE group is allowed by any of our proposals. */
bool proposal_allows_ke(const proposal_cfg_t *cfg, int n_cfg,
                        uint16_t pfs_group, uint16_t group);

/* "aes128-hmac-sha256-prfsha256-ecp256"-style text for logs. */
char *algs_to_str(const algs_t *a, uint8_t protocol, char *buf, size_t len);

#endif
