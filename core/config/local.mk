# core/config: build fragment, included from the top Makefile.am.
noinst_HEADERS += core/config/config.h
