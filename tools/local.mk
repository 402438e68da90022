# tools: build fragment, included from the top Makefile.am.

# ikev2cert(8): the keystore and PKCS#11 token tool, on GnuTLS.
if ENABLE_GNUTLS
sbin_PROGRAMS += tools/ikev2cert/ikev2cert
tools_ikev2cert_ikev2cert_SOURCES = \
	tools/ikev2cert/main.c \
	tools/ikev2cert/keystore.c \
	tools/ikev2cert/keys.c \
	tools/ikev2cert/token.c \
	tools/ikev2cert/gen.c \
	tools/ikev2cert/store.c
noinst_HEADERS += tools/ikev2cert/ikev2cert.h
tools_ikev2cert_ikev2cert_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS) $(LIBCONFIG_CFLAGS)
tools_ikev2cert_ikev2cert_LDADD = $(GNUTLS_LIBS) $(LIBCONFIG_LIBS)
endif
