# testing/gnutls: the credential registry and the gnutls plugin (keys,
# signatures, Wycheproof, X.509 chains and CRLs, PKCS#11 via SoftHSM2).
if ENABLE_GNUTLS
check_PROGRAMS += testing/gnutls/test_gnutls_keys
TESTS += testing/gnutls/test_gnutls_keys
endif
noinst_HEADERS += testing/gnutls/gt_test.h
EXTRA_DIST += testing/gnutls/mkcreds.sh

GT_TEST_COMMON = testing/gnutls/gt_test.c

testing_gnutls_test_gnutls_keys_SOURCES = testing/gnutls/test_gnutls_keys.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_keys_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_keys_LDADD = $(TEST_LIBS)
