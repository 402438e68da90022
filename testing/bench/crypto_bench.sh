#!/bin/sh
# Run the crypto benchmark from a build directory: the nettle plugin through
# the plugin loader next to the same operations on Nettle/GMP directly.
#   cd build && ../testing/bench/crypto_bench.sh [seconds-per-round] [rounds] [filter]
# Figures are thread CPU time, best of the rounds; "ratio" is plugin/raw.
set -e
builddir=${top_builddir:-$(pwd)}
prog="$builddir/testing/bench/crypto_bench"
if [ ! -x "$prog" ]; then
	echo "crypto_bench: build it first (make testing/bench/crypto_bench in the build directory)" >&2
	exit 1
fi
IKEV2D_PLUGIN_PATH="$builddir/plugins/nettle/.libs"
export IKEV2D_PLUGIN_PATH
exec "$prog" "$@"
