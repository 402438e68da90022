/*
 * openssl_plugin.h - the `openssl` plugin: ECDH on the NIST curves (IKE
 * groups 19, 20, 21, 25, 26) with OpenSSL's libcrypto, whose P-256 code is
 * several times faster than Nettle's (see README.md).
 */
#ifndef OPENSSL_PLUGIN_H
#define OPENSSL_PLUGIN_H

#include <stdbool.h>

#include <ikev2d/crypto.h>

#define OPENSSL_PLUGIN_NAME "openssl"

/* A key exchange of group with a fresh private value, or NULL. */
ke_t *openssl_ecp_create(ke_id_t group);

/* Known-answer test of group (RFC 5903 / RFC 5114 values); false (and
 * one log line saying why) if it fails. */
bool openssl_ecp_selftest(ke_id_t group);

#endif
