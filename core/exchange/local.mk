# core/exchange: build fragment, included from the top Makefile.am.
libikev2d_la_SOURCES += \
	core/exchange/engine.c
noinst_HEADERS += \
	core/exchange/engine.h \
	core/exchange/engine_priv.h
