#!/bin/sh
# interop-ipv6-rekey: over IPv6 against strongSwan: CHILD SA rekeys by each
# side, IKE SA rekey, Delete on SIGTERM (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" ipv6-rekey
