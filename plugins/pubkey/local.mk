# plugins/pubkey: build fragment, included from the top Makefile.am.
if ENABLE_PUBKEY
plugin_LTLIBRARIES += plugins/pubkey/pubkey.la
plugins_pubkey_pubkey_la_SOURCES = plugins/pubkey/pubkey_plugin.c
plugins_pubkey_pubkey_la_LDFLAGS = $(MODULE_FLAGS)
plugins_pubkey_pubkey_la_LIBADD = libikev2d.la
endif
