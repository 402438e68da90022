#!/bin/sh
# interop-dpd: liveness checks both ways against charon, a killed peer removed (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" dpd
