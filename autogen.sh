#!/bin/sh
# Generate configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --install --force
# git keeps no file modes beyond +x, and the daemon refuses a pre-shared key
# file that group or others can read: make the shipped ones owner-only so
# `in.ikev2d -c -f cfg/ikev2.config` works in a fresh checkout.
for f in cfg/ikev2.preshared cfg/demo/*.preshared; do
	[ -f "$f" ] && chmod 600 "$f"
done
exit 0
