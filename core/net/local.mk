# core/net: build fragment, included from the top Makefile.am.
noinst_HEADERS += core/net/packet.h
