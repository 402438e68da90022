# cfg: build fragment, included from the top Makefile.am.
# The shipped examples; testing/config/test_config checks that they load.
cfgexampledir = $(docdir)/examples
dist_cfgexample_DATA = cfg/ikev2.config cfg/ikev2.preshared
# The kernel-pfkey example (checked in the qemu guest, where PF_KEY exists:
# testing/guest/checks/pfkey.sh).
cfgpfkeydir = $(docdir)/examples/pfkey
dist_cfgpfkey_DATA = cfg/pfkey/ikev2.config cfg/pfkey/ikev2.preshared
# The certificate example (required_signer, mixed authentication) and the
# script that makes its keystore with ikev2cert; testing/config/
# check-broken.sh runs the script and checks the example with -c.
cfgcertsdir = $(docdir)/examples/certs
dist_cfgcerts_DATA = cfg/certs/ikev2.config cfg/certs/ikev2.preshared \
	cfg/certs/mkkeystore.sh
