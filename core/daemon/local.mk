# core/daemon: build fragment, included from the top Makefile.am.
