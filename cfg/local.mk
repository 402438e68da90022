# cfg: build fragment, included from the top Makefile.am.
# The shipped examples; testing/config/test_config checks that they load.
cfgexampledir = $(docdir)/examples
dist_cfgexample_DATA = cfg/ikev2.config cfg/ikev2.preshared
