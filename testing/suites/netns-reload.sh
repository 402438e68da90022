#!/bin/sh
# netns-reload: SIGHUP keeps established SAs; a broken file is refused (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" reload
