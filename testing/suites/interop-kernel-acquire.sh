#!/bin/sh
# interop-kernel-acquire: kernel events with strongSwan as the peer (see interop/kernel-events.sh).
exec "$(dirname "$0")/../interop/kernel-events.sh" acquire
