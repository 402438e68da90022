#!/bin/sh
# interop-ts-narrow: traffic selector narrowing by strongSwan and by ikev2d
# (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" narrow
