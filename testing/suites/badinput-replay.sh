#!/bin/sh
# badinput-replay: a real initiator's IKE_SA_INIT and IKE_AUTH replayed byte for byte, before and after a rekey (see netns/badinput.sh).
exec "$(dirname "$0")/../netns/badinput.sh" replay
