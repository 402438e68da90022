#!/bin/sh
# kev-expire: kernel expire events between two in.ikev2d (see netns/kernel-events.sh).
exec "$(dirname "$0")/../netns/kernel-events.sh" expire
