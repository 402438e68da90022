#!/bin/sh
# interop-ts-mixed-family: IPv6 selectors in a CHILD SA of an IPv4 IKE SA
# against strongSwan, both roles (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" mixed-family
