#!/bin/sh
# interop-two-children: a second CHILD SA in the same IKE SA by CREATE_CHILD_SA from ikev2d (see interop/interop.sh).
exec "$(dirname "$0")/../interop/interop.sh" two-children
