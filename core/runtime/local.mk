# core/runtime: build fragment, included from the top Makefile.am.
libikev2d_la_SOURCES += \
	core/runtime/loop.c \
	core/runtime/workers.c \
	core/runtime/scheduler.c \
	core/runtime/fetch.c
noinst_HEADERS += core/runtime/runtime_priv.h
