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

# ikeadm(8): the control socket's client.
if ENABLE_CONTROL
sbin_PROGRAMS += tools/ikeadm/ikeadm
tools_ikeadm_ikeadm_SOURCES = \
	tools/ikeadm/ikeadm.c \
	plugins/control/ctl_proto.c \
	plugins/control/ctl_proto.h
tools_ikeadm_ikeadm_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/control
tools_ikeadm_ikeadm_CFLAGS = $(AM_CFLAGS) $(PIE_CFLAGS) $(LIBEDIT_CFLAGS)
tools_ikeadm_ikeadm_LDFLAGS = $(AM_LDFLAGS) $(PIE_LDFLAGS)
tools_ikeadm_ikeadm_LDADD = $(LIBEDIT_LIBS)
endif
