#!/bin/sh
# interop-pfs-invalid-ke: a CHILD SA rekey whose KE group ikev2d does not
# want gets INVALID_KE_PAYLOAD and is retried (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" pfs-invalid-ke
