#!/bin/sh
# netns-kernel-rebind: a NAT rebinding seen on IKE moves the CHILD SAs too (see netns/kernel-events.sh).
exec "$(dirname "$0")/../netns/kernel-events.sh" rebind
