#!/bin/sh
# interop-proposals-init: ikev2d initiates to strongSwan, five IKE proposals (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" proposals-init
