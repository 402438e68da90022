# plugins/openssl: build fragment, included from the top Makefile.am.
# The `openssl` plugin: ECP key exchange on OpenSSL's libcrypto.
if ENABLE_OPENSSL
plugin_LTLIBRARIES += plugins/openssl/openssl.la
plugins_openssl_openssl_la_SOURCES = \
	plugins/openssl/openssl_plugin.c plugins/openssl/openssl_plugin.h \
	plugins/openssl/openssl_ecp.c \
	plugins/openssl/openssl_selftest.c
plugins_openssl_openssl_la_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS)
plugins_openssl_openssl_la_LDFLAGS = $(MODULE_FLAGS)
plugins_openssl_openssl_la_LIBADD = libikev2d.la $(LIBCRYPTO_LIBS)
endif
EXTRA_DIST += plugins/openssl/README.md
