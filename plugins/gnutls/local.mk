# plugins/gnutls: build fragment, included from the top Makefile.am.
