#!/bin/sh
# interop-pfs: CHILD SA with a PFS group against strongSwan, rekeyed by
# each side with KE, both roles (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" pfs
