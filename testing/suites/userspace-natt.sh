#!/bin/sh
# userspace-natt: kernel-userspace (ESP over TUN) between two in.ikev2d, scenario "natt" (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" natt
