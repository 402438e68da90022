#!/bin/sh
# guest-netlink: two in.ikev2d with kernel-netlink in a qemu guest's real
# IPsec kernel: tunnel and transport mode, every cipher suite, routes,
# nothing left after SIGTERM (testing/guest/checks/netlink.sh).
d=$(dirname "$0")/../guest
exec bash "$d/run.sh" -t 600 "$d/checks/netlink.sh"
