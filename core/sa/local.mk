# core/sa: build fragment, included from the top Makefile.am.
libikev2d_la_SOURCES += \
	core/sa/sa_table.c \
	core/sa/ike_sa.c
noinst_HEADERS += \
	core/sa/sa_table.h \
	core/sa/ike_sa.h
