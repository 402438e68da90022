# plugins/nettle: build fragment, included from the top Makefile.am.
# The `nettle` crypto plugin (Nettle, hogweed and GMP).
if ENABLE_NETTLE
plugin_LTLIBRARIES += plugins/nettle/nettle.la
plugins_nettle_nettle_la_SOURCES = \
	plugins/nettle/nettle_plugin.c plugins/nettle/nettle_plugin.h \
	plugins/nettle/nettle_crypter.c \
	plugins/nettle/nettle_aead.c \
	plugins/nettle/nettle_mac.c plugins/nettle/nettle_mac.h \
	plugins/nettle/nettle_signer.c \
	plugins/nettle/nettle_prf.c \
	plugins/nettle/nettle_hasher.c \
	plugins/nettle/nettle_modp.c plugins/nettle/nettle_modp.h \
	plugins/nettle/nettle_modp_params.c \
	plugins/nettle/nettle_ecp.c \
	plugins/nettle/nettle_curve.c \
	plugins/nettle/nettle_rng.c \
	plugins/nettle/nettle_selftest.c plugins/nettle/nettle_selftest.h \
	plugins/nettle/nettle_selftest_data.c
plugins_nettle_nettle_la_CFLAGS = $(AM_CFLAGS) $(NETTLE_CFLAGS)
plugins_nettle_nettle_la_LDFLAGS = $(MODULE_FLAGS)
plugins_nettle_nettle_la_LIBADD = libikev2d.la $(NETTLE_LIBS) $(GMP_LIBS)
endif
