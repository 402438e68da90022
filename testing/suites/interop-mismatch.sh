#!/bin/sh
# interop-mismatch: no common proposal with strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" mismatch
