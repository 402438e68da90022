#!/bin/sh
# guest-pfkey: two in.ikev2d with the kernel-pfkey backend in a qemu guest
# whose kernel has PF_KEY (see testing/guest/checks/pfkey.sh for what it
# checks; one boot, ~6 minutes under TCG).
d=$(dirname "$0")/../guest
exec bash "$d/run.sh" -t 1200 "$d/checks/pfkey.sh"
