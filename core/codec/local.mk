# core/codec: build fragment, included from the top Makefile.am.
