#!/bin/sh
# interop-rekey-prf: IKE SA rekeys that change the PRF, both sides rekeying, against strongSwan (see interop/rekey-prf.sh).
exec "$(dirname "$0")/../interop/rekey-prf.sh"
