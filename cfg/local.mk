# cfg: build fragment, included from the top Makefile.am.
# The shipped examples; testing/config/test_config checks that they load.
cfgexampledir = $(docdir)/examples
dist_cfgexample_DATA = cfg/ikev2.config cfg/ikev2.preshared
# The kernel-pfkey example (checked in the qemu guest, where PF_KEY exists:
# testing/guest/checks/pfkey.sh).
cfgpfkeydir = $(docdir)/examples/pfkey
dist_cfgpfkey_DATA = cfg/pfkey/ikev2.config cfg/pfkey/ikev2.preshared
