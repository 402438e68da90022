#!/bin/sh
# badinput-garbage: garbage, truncated and oversized datagrams (see netns/badinput.sh).
exec "$(dirname "$0")/../netns/badinput.sh" garbage
