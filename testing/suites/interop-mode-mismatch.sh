#!/bin/sh
# interop-mode-mismatch: transport asked and tunnel answered; an empty TSi
# gets TS_UNACCEPTABLE and keeps the IKE SA (see interop/child-options.sh).
exec "$(dirname "$0")/../interop/child-options.sh" mode-mismatch
