#!/bin/sh
# interop-rekey-storm: a rekey storm against strongSwan, each side rekeying (see interop/rekey-storm.sh).
exec "$(dirname "$0")/../interop/rekey-storm.sh"
