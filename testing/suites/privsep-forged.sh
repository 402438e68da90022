#!/bin/sh
# privsep-forged: daemon.privsep = true against strongSwan; a compromised
# engine's forged requests to the privileged parent and to the keys process
# are refused and logged while the tunnel keeps working; reloads; the engine's death (see
# interop/interop.sh, privsep-forged).
exec "$(dirname "$0")/../interop/interop.sh" privsep-forged
