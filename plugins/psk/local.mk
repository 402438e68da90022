# plugins/psk: build fragment, included from the top Makefile.am.
