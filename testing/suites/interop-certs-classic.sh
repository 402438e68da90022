#!/bin/sh
# interop-certs-classic: certificate authentication against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" classic
