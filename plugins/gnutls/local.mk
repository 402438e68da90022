# plugins/gnutls: X.509, keys, signatures and PKCS#11 on GnuTLS.
if ENABLE_GNUTLS
plugin_LTLIBRARIES += plugins/gnutls/gnutls.la
plugins_gnutls_gnutls_la_SOURCES = \
	plugins/gnutls/gnutls_cert.c \
	plugins/gnutls/gnutls_crl.c \
	plugins/gnutls/gnutls_fpcache.c \
	plugins/gnutls/gnutls_hasher.c \
	plugins/gnutls/gnutls_ocsp.c \
	plugins/gnutls/gnutls_pkcs11.c \
	plugins/gnutls/gnutls_plugin.c \
	plugins/gnutls/gnutls_privkey.c \
	plugins/gnutls/gnutls_pubkey.c \
	plugins/gnutls/gnutls_revoke.c \
	plugins/gnutls/gnutls_rng.c \
	plugins/gnutls/gnutls_selftest.c \
	plugins/gnutls/gnutls_selftest_keys.c \
	plugins/gnutls/gnutls_sig.c \
	plugins/gnutls/gnutls_token.c \
	plugins/gnutls/gnutls_validator.c
noinst_HEADERS += plugins/gnutls/gnutls_plugin.h plugins/gnutls/gnutls_selftest.h
plugins_gnutls_gnutls_la_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
plugins_gnutls_gnutls_la_LDFLAGS = $(MODULE_FLAGS)
plugins_gnutls_gnutls_la_LIBADD = libikev2d.la $(GNUTLS_LIBS) $(PTHREAD_LIBS)
endif
