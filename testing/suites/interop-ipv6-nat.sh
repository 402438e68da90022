#!/bin/sh
# interop-ipv6-nat: ikev2d behind an IPv6 masquerading router, NAT detection
# over IPv6 and the move to port 4500 (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" ipv6-nat
