#!/bin/sh
# userspace-hostile: bad ESP at kernel-userspace: counted per reason, dropped, tunnel still up (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" hostile
