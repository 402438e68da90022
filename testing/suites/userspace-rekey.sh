#!/bin/sh
# userspace-rekey: kernel-userspace (ESP over TUN) between two in.ikev2d, scenario "rekey" (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" rekey
