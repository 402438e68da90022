#!/bin/sh
# interop-ipv6-range: a rule for an IPv6 prefix (remote_addr and remote_id)
# answers charon inside it, and nobody outside it (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" ipv6-range
