#!/bin/sh
# interop-wrong-psk: wrong PSK against strongSwan (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" wrong-psk
