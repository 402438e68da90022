#!/bin/sh
# interop-cookie: COOKIE demanded from strongSwan's initiator (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" cookie
