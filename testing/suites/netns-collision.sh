#!/bin/sh
# netns-collision: simultaneous CHILD SA rekey (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" collision
