#!/bin/sh
# netns-asym-psk: asymmetric pre-shared keys (local_key/remote_key) between
# two in.ikev2d, and a wrong key on each side (see netns/two-daemons-ext.sh).
exec "$(dirname "$0")/../netns/two-daemons-ext.sh" asym-psk
