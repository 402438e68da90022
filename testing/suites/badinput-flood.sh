#!/bin/sh
# badinput-flood: IKE_SA_INIT flood from spoofed sources, COOKIE, half-open expiry (see netns/badinput.sh).
exec "$(dirname "$0")/../netns/badinput.sh" flood
