#!/bin/sh
# interop-natt-keepalive: NAT keepalives from ikev2d behind an nftables masquerade, peer strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" natt-keepalive
