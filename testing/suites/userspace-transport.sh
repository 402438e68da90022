#!/bin/sh
# userspace-transport: kernel-userspace (ESP over TUN) between two in.ikev2d, scenario "transport" (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" transport
