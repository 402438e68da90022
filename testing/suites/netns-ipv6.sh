#!/bin/sh
# netns-ipv6: two in.ikev2d over an IPv6-only link, IPv6 selectors and
# identities, both roles (see netns/two-daemons-ext.sh).
exec "$(dirname "$0")/../netns/two-daemons-ext.sh" ipv6
