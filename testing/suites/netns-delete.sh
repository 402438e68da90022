#!/bin/sh
# netns-delete: Delete on SIGTERM seen by the peer (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" delete
