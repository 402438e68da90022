#!/bin/sh
# interop-ids: PSK with IP identities against strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" ids
