# man: build fragment, included from the top Makefile.am.

dist_man_MANS += man/ikev2.config.5 man/ikev2.preshared.5
dist_man_MANS += man/in.ikev2d.8 man/ikev2cert.8 man/ikeadm.8
