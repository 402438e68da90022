#!/bin/sh
# interop-transport: USE_TRANSPORT_MODE negotiated with strongSwan, both
# roles, and agreement after libipsec cannot install it (see
# interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" transport
