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
testing_crypto_test_nettle_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += testing/crypto/test_ke_reuse
TESTS += testing/crypto/test_ke_reuse
testing_crypto_test_ke_reuse_SOURCES = testing/crypto/test_ke_reuse.c testing/crypto/nettle_load.h
testing_crypto_test_ke_reuse_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_ke_reuse_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += testing/crypto/test_wycheproof
TESTS += testing/crypto/test_wycheproof
testing_crypto_test_wycheproof_SOURCES = testing/crypto/test_wycheproof.c $(CRYPTO_TEST_COMMON)
testing_crypto_test_wycheproof_CFLAGS = $(TEST_CFLAGS)
testing_crypto_test_wycheproof_LDADD = $(TEST_LIBS)
endif
endif

# The vectors these tests read (the Wycheproof LICENSE is listed by
# testing/gnutls, which shares the folder).
EXTRA_DIST += \
	testing/vectors/README.md \
	testing/vectors/cipher/aes_ccm_rfc4309_layout.txt \
	testing/vectors/cipher/gcm_mcgrew_viega_rfc4106_layout.txt \
	testing/vectors/cipher/nist_3des_cbc.txt \
	testing/vectors/cipher/rfc3602_aes_cbc.txt \
	testing/vectors/cipher/rfc3686_aes_ctr.txt \
	testing/vectors/cipher/rfc7539_chacha20poly1305.txt \
	testing/vectors/dh/rfc5114_ecp_groups_25_26_19_20_21.txt \
	testing/vectors/dh/rfc5114_modp_groups_22_23_24.txt \
	testing/vectors/dh/rfc5903_ecp_groups_19_20_21.txt \
	testing/vectors/dh/rfc7748_curve25519.txt \
	testing/vectors/dh/rfc7748_curve448.txt \
	testing/vectors/dh/strongswan_generated_modp_groups_1_2_5_14_18.txt \
	testing/vectors/kdf/nist_cavs_ikev2_kdf_subset.txt \
	testing/vectors/kdf/strongswan_kdf_prf.txt \
	testing/vectors/kdf/strongswan_kdf_prf_plus.txt \
	testing/vectors/mac/rfc2202_hmac_sha1.txt \
	testing/vectors/mac/rfc3566_rfc4434_aes_xcbc.txt \
	testing/vectors/mac/rfc4231_hmac_sha2.txt \
	testing/vectors/mac/rfc4493_rfc4494_rfc4615_aes_cmac.txt \
	testing/vectors/mac/rfc4868_hmac_sha2_prf_and_integ.txt \
	testing/vectors/wycheproof/aes_cbc_pkcs5_test.txt \
	testing/vectors/wycheproof/aes_ccm_test.txt \
	testing/vectors/wycheproof/aes_cmac_test.txt \
	testing/vectors/wycheproof/aes_gcm_test.txt \
	testing/vectors/wycheproof/chacha20_poly1305_test.txt \
	testing/vectors/wycheproof/ecdh_secp256r1_ecpoint_test.txt \
	testing/vectors/wycheproof/ecdh_secp384r1_ecpoint_test.txt \
	testing/vectors/wycheproof/ecdh_secp521r1_ecpoint_test.txt \
	testing/vectors/wycheproof/hmac_sha1_test.txt \
	testing/vectors/wycheproof/hmac_sha256_test.txt \
	testing/vectors/wycheproof/hmac_sha384_test.txt \
	testing/vectors/wycheproof/hmac_sha512_test.txt \
	testing/vectors/wycheproof/x25519_test.txt \
	testing/vectors/wycheproof/x448_test.txt \
	testing/vectors/wycheproof/wycheproof2txt.py
