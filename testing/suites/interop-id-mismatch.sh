#!/bin/sh
# interop-id-mismatch: an unexpected peer identity fails cleanly with
# AUTHENTICATION_FAILED, both roles (see interop/ipv6-ids.sh).
exec "$(dirname "$0")/../interop/ipv6-ids.sh" id-mismatch
