#!/bin/sh
# interop-rekey-child: CHILD SA rekey from each side with strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" rekey-child
