#!/bin/sh
# interop-certs-token: certificate authentication against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" token
