#!/bin/sh
# netns-dpd: DPD removes a killed peer's SAs (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" dpd
