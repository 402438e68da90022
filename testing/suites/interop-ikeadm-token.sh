#!/bin/sh
# interop-ikeadm-token: ikeadm token login/logout with a SoftHSM2 token, charon as the peer.
exec "$(dirname "$0")/../interop/ikeadm-token.sh"
