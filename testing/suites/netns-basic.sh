#!/bin/sh
# netns-basic: IKE SA + CHILD SA both ways between two in.ikev2d (see netns/two-daemons.sh).
exec "$(dirname "$0")/../netns/two-daemons.sh" basic
