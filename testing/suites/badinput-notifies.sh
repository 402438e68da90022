#!/bin/sh
# badinput-notifies: hostile IKE_SA_INIT: the right error notifies (see netns/badinput.sh).
exec "$(dirname "$0")/../netns/badinput.sh" notifies
