# testing/guest: the qemu guest harness (a Debian kernel with ESP/PF_KEY
# booting the host's root read-only) and the checks that run inside it;
# shipped in the tarball, run by testing/suites/guest-*.sh.
dist_noinst_SCRIPTS += \
	testing/guest/run.sh \
	testing/guest/kernel.sh \
	testing/guest/init.sh \
	testing/guest/stage2.sh \
	testing/guest/lib.sh \
	testing/guest/pair.sh \
	testing/guest/charon.sh \
	testing/guest/checks/xfrm-smoke.sh \
	testing/suites/guest-xfrm-smoke.sh \
	testing/guest/checks/pfkey.sh \
	testing/suites/guest-pfkey.sh
EXTRA_DIST += testing/guest/README.md
dist_noinst_SCRIPTS += \
	testing/guest/checks/netlink.sh \
	testing/suites/guest-netlink.sh \
	testing/guest/checks/netlink-charon.sh \
	testing/suites/guest-netlink-charon.sh \
	testing/suites/guest-pfkey-charon.sh \
	testing/guest/checks/netlink-events.sh \
	testing/suites/guest-netlink-events.sh \
	testing/netns/kernel-netlink-host.sh \
	testing/suites/kernel-netlink-host.sh
