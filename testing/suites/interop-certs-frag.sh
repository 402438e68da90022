#!/bin/sh
# interop-certs-frag: RFC 7383 fragmentation with an RSA-4096 chain against strongSwan (see interop/certs.sh).
exec "$(dirname "$0")/../interop/certs.sh" frag
