#!/bin/sh
# demo: the README demo (two daemons, shipped demo configuration; see ../demo.sh).
exec "$(dirname "$0")/../demo.sh"
