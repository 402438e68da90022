# testing/tools: the administration tools (ikev2cert).
if ENABLE_GNUTLS
TESTS += testing/tools/test-ikev2cert.sh
endif
dist_noinst_SCRIPTS += testing/tools/test-ikev2cert.sh
