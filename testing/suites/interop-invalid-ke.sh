#!/bin/sh
# interop-invalid-ke: INVALID_KE_PAYLOAD and the retry with the group asked for, both roles (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" invalid-ke
