# core/config: build fragment, included from the top Makefile.am.
noinst_HEADERS += \
	core/config/config.h \
	core/config/debug_level.h \
	core/config/suggest.h
libikev2d_la_SOURCES += \
	core/config/debug_level.c \
	core/config/suggest.c
