#!/bin/sh
# interop-delete: Delete from each side with strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" delete
