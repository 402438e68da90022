#!/bin/sh
# interop-ikeadm: ikeadm and the control socket against in.ikev2d with a charon peer.
exec "$(dirname "$0")/../interop/ikeadm.sh"
