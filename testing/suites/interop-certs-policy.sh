#!/bin/sh
# interop-certs-policy: certificate authentication against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" policy
