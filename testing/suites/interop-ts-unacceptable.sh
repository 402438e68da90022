#!/bin/sh
# interop-ts-unacceptable: disjoint selectors: IKE SA up, no CHILD SA,
# TS_UNACCEPTABLE, both roles (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" ts-unacceptable
