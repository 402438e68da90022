#!/bin/sh
# interop-id-types: RFC822, DN, KEY_ID and IPv6 identities against strongSwan,
# both roles (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" id-types
