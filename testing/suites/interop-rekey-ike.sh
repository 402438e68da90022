#!/bin/sh
# interop-rekey-ike: IKE SA rekey from each side with strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" rekey-ike
