#!/bin/sh
# netns-child-options: transport mode, ESN and PFS installed and rekeyed
# between two in.ikev2d (see netns/two-daemons-ext.sh).
exec "$(dirname "$0")/../netns/two-daemons-ext.sh" child-options
