# core/lib: build fragment, included from the top Makefile.am.
libikev2d_la_SOURCES += \
	core/lib/chunk.c \
	core/lib/secmem.c \
	core/lib/bus.c \
	core/lib/transform.c \
	core/lib/plugin_loader.c
noinst_HEADERS += core/lib/plugin_loader.h core/lib/secmem.h
