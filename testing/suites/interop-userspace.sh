#!/bin/sh
# interop-userspace: kernel-userspace against strongSwan charon with kernel-libipsec (see interop/userspace.sh).
exec "$(dirname "$0")/../interop/userspace.sh"
