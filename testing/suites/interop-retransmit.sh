#!/bin/sh
# interop-retransmit: lost IKE_AUTH messages both ways, retransmits, the retry limit (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" retransmit
