#!/bin/sh
# interop-start-retry: an unanswered auto_start start is tried again, through 30 % loss and a peer that comes up late, against strongSwan (see interop/start-retry.sh).
exec "$(dirname "$0")/../interop/start-retry.sh"
