#!/bin/sh
# userspace-ipv6: kernel-userspace between two in.ikev2d, IPv6 inside and outside the tunnel (see netns/userspace.sh).
exec "$(dirname "$0")/../netns/userspace.sh" ipv6
