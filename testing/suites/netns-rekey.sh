#!/bin/sh
# netns-rekey: CHILD and IKE SA rekey with short lifetimes (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" rekey
