# man: build fragment, included from the top Makefile.am.

dist_man_MANS += man/ikev2.config.5 man/ikev2.preshared.5
