#!/bin/sh
# guest-xfrm-smoke: the qemu guest harness works and its kernel does ESP
# (manual SAs carry a ping); see testing/guest/README.md.
d=$(dirname "$0")/../guest
exec bash "$d/run.sh" -t 300 "$d/checks/xfrm-smoke.sh"
