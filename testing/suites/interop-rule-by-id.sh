#!/bin/sh
# interop-rule-by-id: rules for the same address told apart by the peer ID (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" rule-by-id
