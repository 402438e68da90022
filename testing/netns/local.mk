# testing/netns, testing/interop, testing/suites (network harnesses, run as
# root by testing/run-tests.sh through the thin testing/suites wrappers),
# testing/demo.sh and its configuration: shipped in the tarball, not built.
dist_noinst_SCRIPTS += \
	testing/netns/lib.sh \
	testing/netns/two-daemons.sh \
	testing/netns/two-daemons-ext.sh \
	testing/netns/kernel-events.sh \
	testing/netns/badinput.sh \
	testing/netns/userspace.sh \
	testing/netns/traffic.sh \
	testing/interop/userspace.sh \
	testing/interop/forge_esp.py \
	testing/netns/ikev2_probe.py \
	testing/interop/charon.sh \
	testing/interop/interop.sh \
	testing/interop/certs.sh \
	testing/interop/mkpki.sh \
	testing/interop/kernel-events.sh \
	testing/interop/checks.sh \
	testing/interop/ipv6-ids.sh \
	testing/interop/child-options.sh \
	testing/demo.sh \
	testing/suites/badinput-flood.sh \
	testing/suites/interop-certs-algs.sh \
	testing/suites/interop-certs-policy.sh \
	testing/suites/userspace-tunnel.sh \
	testing/suites/userspace-hostile.sh \
	testing/suites/interop-userspace.sh \
	testing/suites/userspace-transport.sh \
	testing/suites/userspace-natt.sh \
	testing/suites/userspace-rekey.sh \
	testing/suites/userspace-ondemand.sh \
	testing/suites/badinput-garbage.sh \
	testing/suites/badinput-notifies.sh \
	testing/suites/badinput-replay.sh \
	testing/suites/demo.sh \
	testing/suites/interop-cookie-init.sh \
	testing/suites/interop-cookie.sh \
	testing/suites/interop-delete.sh \
	testing/suites/interop-dpd.sh \
	testing/suites/interop-esn.sh \
	testing/suites/interop-id-mismatch.sh \
	testing/suites/interop-id-types.sh \
	testing/suites/interop-ids.sh \
	testing/suites/interop-initial-contact.sh \
	testing/suites/interop-invalid-ke.sh \
	testing/suites/interop-ipv6-nat.sh \
	testing/suites/interop-ipv6-range.sh \
	testing/suites/interop-ipv6-rekey.sh \
	testing/suites/interop-ipv6.sh \
	testing/suites/interop-kernel-acquire.sh \
	testing/suites/interop-kernel-expire.sh \
	testing/suites/interop-mismatch.sh \
	testing/suites/interop-mode-mismatch.sh \
	testing/suites/interop-natt-keepalive.sh \
	testing/suites/interop-natt.sh \
	testing/suites/interop-pfs-invalid-ke.sh \
	testing/suites/interop-pfs.sh \
	testing/suites/interop-proposals-init.sh \
	testing/suites/interop-proposals-resp.sh \
	testing/suites/interop-rekey-child.sh \
	testing/suites/interop-rekey-ike.sh \
	testing/suites/interop-retransmit.sh \
	testing/suites/interop-rule-by-id.sh \
	testing/suites/interop-transport.sh \
	testing/suites/interop-ts-mixed-family.sh \
	testing/suites/interop-ts-multi.sh \
	testing/suites/interop-ts-narrow.sh \
	testing/suites/interop-ts-proto.sh \
	testing/suites/interop-ts-unacceptable.sh \
	testing/suites/interop-two-children.sh \
	testing/suites/interop-wrong-psk.sh \
	testing/suites/netns-asym-psk.sh \
	testing/suites/netns-basic.sh \
	testing/suites/netns-child-options.sh \
	testing/suites/netns-child-options6.sh \
	testing/suites/netns-collision.sh \
	testing/suites/netns-delete.sh \
	testing/suites/netns-dpd.sh \
	testing/suites/netns-ipv6.sh \
	testing/suites/netns-kernel-acquire.sh \
	testing/suites/netns-kernel-expire.sh \
	testing/suites/netns-kernel-mapping.sh \
	testing/suites/netns-kernel-rebind.sh \
	testing/suites/netns-rekey.sh \
	testing/suites/netns-reload.sh
EXTRA_DIST += testing/netns/README.md
EXTRA_DIST += cfg/demo/gw-a.config cfg/demo/gw-b.config \
	cfg/demo/gw-a-userspace.config cfg/demo/gw-b-userspace.config \
	cfg/demo/gw-a-netlink.config cfg/demo/gw-b-netlink.config \
	cfg/demo/gw-a.preshared cfg/demo/gw-b.preshared
