#!/bin/sh
# interop-unprivileged: the daemon as an unprivileged user (daemon.user),
# no capabilities, seccomp, against strongSwan; reload (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" unprivileged
