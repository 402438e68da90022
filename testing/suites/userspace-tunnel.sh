#!/bin/sh
# userspace-tunnel: kernel-userspace (ESP over TUN) between two in.ikev2d, scenario "tunnel" (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" tunnel
