#!/bin/sh
# kernel-netlink-host: the netlink backend against this host's kernel (policies, ALLOCSPI, leftovers, a refused ESP SA fails the CHILD SA cleanly).
exec "$(dirname "$0")/../netns/kernel-netlink-host.sh"
