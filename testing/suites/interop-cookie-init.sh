#!/bin/sh
# interop-cookie-init: charon demands a COOKIE and ikev2d, the initiator, answers it (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" cookie-init
