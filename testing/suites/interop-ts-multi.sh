#!/bin/sh
# interop-ts-multi: two traffic selectors per side narrowed to a subset
# against strongSwan, both roles (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" ts-multi
