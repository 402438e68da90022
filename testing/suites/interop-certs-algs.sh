#!/bin/sh
# interop-certs-algs: certificate authentication against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" algs
