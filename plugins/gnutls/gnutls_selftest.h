/*
 * gnutls_selftest.h - built-in keys for the registration self-tests.
 */
#ifndef IKEV2D_GNUTLS_SELFTEST_H
#define IKEV2D_GNUTLS_SELFTEST_H

#include <ikev2d/cred.h>

typedef struct {
	key_type_t type;
	const char *pem;
} selftest_key_t;

/* Terminated by an entry with pem == NULL. */
extern const selftest_key_t gt_selftest_keys[];

#endif
