#!/bin/sh
# interop-certs-validation: certificate authentication against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" validation
