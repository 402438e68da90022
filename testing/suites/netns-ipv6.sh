#!/bin/sh
# netns-ipv6: two in.ikev2d over an IPv6-only link, IPv6 selectors and
# identities, both roles (see netns/ipv6-psk.sh).
exec "$(dirname "$0")/../netns/ipv6-psk.sh" ipv6
