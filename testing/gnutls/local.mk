# testing/gnutls: the credential registry and the gnutls plugin (keys,
# signatures, Wycheproof, X.509 chains and CRLs, PKCS#11 via SoftHSM2).
check_PROGRAMS += testing/gnutls/test_cred_core
TESTS += testing/gnutls/test_cred_core
testing_gnutls_test_cred_core_SOURCES = testing/gnutls/test_cred_core.c
testing_gnutls_test_cred_core_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_cred_core_LDADD = $(TEST_LIBS)

if ENABLE_GNUTLS
check_PROGRAMS += testing/gnutls/test_gnutls_keys testing/gnutls/test_gnutls_wycheproof \
	testing/gnutls/test_gnutls_x509 testing/gnutls/test_gnutls_pkcs11 \
	testing/gnutls/test_crypto_order testing/gnutls/test_gnutls_selftest \
	testing/gnutls/test_gnutls_token testing/gnutls/test_keystore
TESTS += testing/gnutls/test_gnutls_keys testing/gnutls/test_gnutls_wycheproof \
	testing/gnutls/test_gnutls_x509 testing/gnutls/test_gnutls_pkcs11 \
	testing/gnutls/test_crypto_order testing/gnutls/test_gnutls_selftest \
	testing/gnutls/test_gnutls_token testing/gnutls/test_keystore
endif
noinst_HEADERS += testing/gnutls/gt_test.h
EXTRA_DIST += testing/gnutls/mkcreds.sh \
	testing/vectors/wycheproof/LICENSE testing/vectors/wycheproof/README \
	testing/vectors/wycheproof/json2txt.py \
	testing/vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.txt \
	testing/vectors/wycheproof/ecdsa_secp384r1_sha384_p1363_test.txt \
	testing/vectors/wycheproof/ecdsa_secp521r1_sha512_p1363_test.txt \
	testing/vectors/wycheproof/ecdsa_secp256r1_sha256_test.txt \
	testing/vectors/wycheproof/ecdsa_secp384r1_sha384_test.txt \
	testing/vectors/wycheproof/ecdsa_secp521r1_sha512_test.txt \
	testing/vectors/wycheproof/ed25519_test.txt \
	testing/vectors/wycheproof/ed448_test.txt \
	testing/vectors/wycheproof/rsa_signature_2048_sha256_test.txt \
	testing/vectors/wycheproof/rsa_signature_2048_sha384_test.txt \
	testing/vectors/wycheproof/rsa_signature_2048_sha512_test.txt \
	testing/vectors/wycheproof/rsa_signature_3072_sha256_test.txt \
	testing/vectors/wycheproof/rsa_pss_2048_sha256_mgf1_32_test.txt \
	testing/vectors/wycheproof/rsa_pss_2048_sha384_mgf1_48_test.txt \
	testing/vectors/wycheproof/rsa_pss_3072_sha256_mgf1_32_test.txt

GT_TEST_COMMON = testing/gnutls/gt_test.c

testing_gnutls_test_gnutls_keys_SOURCES = testing/gnutls/test_gnutls_keys.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_keys_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_keys_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

testing_gnutls_test_gnutls_wycheproof_SOURCES = testing/gnutls/test_gnutls_wycheproof.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_wycheproof_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_wycheproof_LDADD = $(TEST_LIBS)

testing_gnutls_test_gnutls_x509_SOURCES = testing/gnutls/test_gnutls_x509.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_x509_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_x509_LDADD = $(TEST_LIBS)

testing_gnutls_test_gnutls_pkcs11_SOURCES = testing/gnutls/test_gnutls_pkcs11.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_pkcs11_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_pkcs11_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

testing_gnutls_test_crypto_order_SOURCES = testing/gnutls/test_crypto_order.c $(GT_TEST_COMMON)
testing_gnutls_test_crypto_order_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_crypto_order_LDADD = $(TEST_LIBS) -ldl

testing_gnutls_test_gnutls_selftest_SOURCES = testing/gnutls/test_gnutls_selftest.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_selftest_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_selftest_LDADD = $(TEST_LIBS)

testing_gnutls_test_gnutls_token_SOURCES = testing/gnutls/test_gnutls_token.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_token_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_token_LDADD = $(TEST_LIBS)

testing_gnutls_test_keystore_SOURCES = testing/gnutls/test_keystore.c $(GT_TEST_COMMON)
testing_gnutls_test_keystore_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_keystore_LDADD = $(TEST_LIBS)

# Revocation over HTTP: the gnutls validator with the curl fetcher.
if ENABLE_GNUTLS
if ENABLE_CURL
check_PROGRAMS += testing/gnutls/test_gnutls_revoke
TESTS += testing/gnutls/test_gnutls_revoke
endif
endif
EXTRA_DIST += testing/gnutls/mkocsp.sh
testing_gnutls_test_gnutls_revoke_SOURCES = testing/gnutls/test_gnutls_revoke.c $(GT_TEST_COMMON)
testing_gnutls_test_gnutls_revoke_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_gnutls_revoke_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

# The pubkey authenticator plugin (loaded with nettle and gnutls).
if ENABLE_GNUTLS
if ENABLE_PUBKEY
check_PROGRAMS += testing/gnutls/test_pubkey
TESTS += testing/gnutls/test_pubkey
endif
endif
testing_gnutls_test_pubkey_SOURCES = testing/gnutls/test_pubkey.c $(GT_TEST_COMMON)
testing_gnutls_test_pubkey_CFLAGS = $(TEST_CFLAGS)
testing_gnutls_test_pubkey_LDADD = $(TEST_LIBS)
