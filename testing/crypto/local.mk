# testing/crypto: the crypto registry, prf+ and key derivation, and the
# nettle plugin (loaded as built, through the plugin loader) against the
# known-answer vectors in testing/vectors.
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/crypto/test_registry
TESTS += testing/crypto/test_registry
testing_crypto_test_registry_SOURCES = testing/crypto/test_registry.c
testing_crypto_test_registry_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_registry_LDADD = $(TEST_LIBS)

if ENABLE_NETTLE
CRYPTO_TEST_COMMON = testing/crypto/vector_file.c testing/crypto/vector_file.h \
	testing/crypto/nettle_load.h

check_PROGRAMS += testing/crypto/test_kdf
TESTS += testing/crypto/test_kdf
testing_crypto_test_kdf_SOURCES = testing/crypto/test_kdf.c $(CRYPTO_TEST_COMMON)
testing_crypto_test_kdf_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_kdf_LDADD = $(TEST_LIBS)

check_PROGRAMS += testing/crypto/test_nettle
TESTS += testing/crypto/test_nettle
testing_crypto_test_nettle_SOURCES = testing/crypto/test_nettle.c $(CRYPTO_TEST_COMMON)
testing_crypto_test_nettle_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_nettle_LDADD = $(TEST_LIBS)

check_PROGRAMS += testing/crypto/test_wycheproof
TESTS += testing/crypto/test_wycheproof
testing_crypto_test_wycheproof_SOURCES = testing/crypto/test_wycheproof.c $(CRYPTO_TEST_COMMON)
testing_crypto_test_wycheproof_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_wycheproof_LDADD = $(TEST_LIBS)
endif
endif

EXTRA_DIST += testing/vectors
