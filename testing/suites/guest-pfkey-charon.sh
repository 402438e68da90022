#!/bin/sh
# guest-pfkey-charon: in.ikev2d with kernel-pfkey against Debian's charon
# with kernel-netlink, each in its own namespace of a qemu guest (real
# kernel SAs on both sides): both roles, pings both ways, rekeys by each
# side under ping -i 0.05 with no reply lost (testing/guest/checks/
# netlink-charon.sh run with "pfkey"; one boot, ~4 minutes under TCG).
d=$(dirname "$0")/../guest
exec bash "$d/run.sh" -t 900 "$d/checks/netlink-charon.sh" pfkey
