#!/bin/sh
# quickstart.sh - the README's first command: on a fresh clone, install the
# missing Debian packages, build ikev2d into ./build, check the shipped
# example configuration (cfg/ikev2.config) with `in.ikev2d -c`, then run the
# two-gateway demo (testing/demo.sh): two daemons in two network namespaces
# negotiate an IKE SA and a CHILD SA with cfg/demo/ and show what they
# installed.
#
#   quickstart.sh               install, build, check, demo
#   quickstart.sh --foreground  instead of the demo, run the daemon on
#                               cfg/ikev2.config in the foreground until ^C
#
# Namespaces and ports 500/4500 need root: run it as root (no sudo needed).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sh .ci/install-deps
if [ ! -x configure ]; then
	./autogen.sh
fi
mkdir -p build
cd build
if [ ! -f Makefile ]; then
	../configure
fi
make -j2

# Run from the build tree: plugins are found there, not in $libdir.
b=$PWD
export IKEV2D_PLUGIN_PATH="$(sh "$top/testing/plugin-path.sh" "$b")"

# A private copy: the preshared file must be readable by its owner only,
# which a git checkout does not preserve.
work=$(mktemp -d "${TMPDIR:-/tmp}/ikev2d-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$top/cfg/ikev2.config" "$top/cfg/ikev2.preshared" "$work/"
chmod 600 "$work/ikev2.config" "$work/ikev2.preshared"

echo "== in.ikev2d -c -f cfg/ikev2.config"
./core/daemon/in.ikev2d -c -f "$work/ikev2.config"
if [ "${1:-}" != --foreground ]; then
	echo "== two gateways in two network namespaces (testing/demo.sh)"
	top_srcdir=$top top_builddir=$b bash "$top/testing/demo.sh"
	exit $?
fi
echo "== in.ikev2d -d -f cfg/ikev2.config  (^C stops it)"
# ^C is for the daemon (it shuts down cleanly); this shell waits, then cleans up.
trap '' INT
./core/daemon/in.ikev2d -d -f "$work/ikev2.config" || status=$?
exit "${status:-0}"
