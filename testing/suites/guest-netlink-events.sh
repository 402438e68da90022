#!/bin/sh
# guest-netlink-events: two in.ikev2d with kernel-netlink in a qemu guest
# whose kernel has ESP: ACQUIRE, an admin's policy's ACQUIRE, CHILD+IKE
# rekeys under ping -i 0.05 with nothing lost, soft+hard expiry, NAT-T with
# ESP-in-UDP, and testing/demo.sh on kernel-netlink (testing/guest/checks/
# netlink-events.sh; one boot, ~5 minutes under TCG).
d=$(dirname "$0")/../guest
exec bash "$d/run.sh" -t 1200 "$d/checks/netlink-events.sh"
