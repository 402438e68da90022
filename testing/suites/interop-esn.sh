#!/bin/sh
# interop-esn: ESN negotiated with strongSwan, both roles (see
# interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" esn
