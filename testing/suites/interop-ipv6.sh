#!/bin/sh
# interop-ipv6: IKE over IPv6 with IPv6 selectors and identities against
# strongSwan, both roles (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" ipv6
