#!/bin/sh
# interop-natt: NAT-T through nftables masquerade to strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" natt
