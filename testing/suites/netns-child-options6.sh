#!/bin/sh
# netns-child-options6: transport mode, ESN and PFS installed and rekeyed
# between two in.ikev2d over IPv6 (see netns/two-daemons-ext.sh).
exec "$(dirname "$0")/../netns/two-daemons-ext.sh" child-options6
