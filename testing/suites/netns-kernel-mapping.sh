#!/bin/sh
# kev-mapping: kernel mapping events between two in.ikev2d (see netns/kernel-events.sh).
exec "$(dirname "$0")/../netns/kernel-events.sh" mapping
