#!/bin/sh
# interop-ts-proto: protocol and port selectors narrowed against
# strongSwan, both roles (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" ts-proto
