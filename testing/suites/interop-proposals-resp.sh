#!/bin/sh
# interop-proposals-resp: strongSwan initiates to ikev2d, five IKE proposals (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" proposals-resp
