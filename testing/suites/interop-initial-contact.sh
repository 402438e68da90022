#!/bin/sh
# interop-initial-contact: charon killed and restarted; its INITIAL_CONTACT
# makes ikev2d drop the stale IKE and CHILD SA (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" initial-contact
