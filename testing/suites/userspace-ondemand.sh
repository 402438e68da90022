#!/bin/sh
# userspace-ondemand: kernel-userspace (ESP over TUN) between two in.ikev2d, scenario "ondemand" (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" ondemand
