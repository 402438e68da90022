#!/bin/sh
# interop-certs-dss: DSS (method 3) between two in.ikev2d (charon has no DSA; see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" dss
