# plugins/psk: build fragment, included from the top Makefile.am.
if ENABLE_PSK
plugin_LTLIBRARIES += plugins/psk/psk.la
plugins_psk_psk_la_SOURCES = plugins/psk/psk_plugin.c
plugins_psk_psk_la_LDFLAGS = $(MODULE_FLAGS)
plugins_psk_psk_la_LIBADD = libikev2d.la
endif
