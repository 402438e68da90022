#!/bin/sh
# test-out-of-tree.sh - install this build into a temporary DESTDIR, build
# testing/example-plugin against the installed headers and ikev2d.pc only,
# then load the result by name and check that its feature is active.
set -u
: "${top_srcdir:?run from make check}" "${top_builddir:?run from make check}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ikev2d-example.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/root"

# A nested make must not inherit the jobserver of the one running the tests.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -C "$top_builddir" \
		install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$dest failed"
	exit 1
fi

pc=$(find "$dest" -name ikev2d.pc -path '*/pkgconfig/*' | head -n1)
[ -n "$pc" ] || { echo "FAIL: ikev2d.pc not installed"; exit 1; }
for h in plugin.h bus.h chunk.h crypto.h settings.h transform.h runtime.h ikev2.h; do
	[ -n "$(find "$dest" -path "*/include/ikev2d/$h")" ] ||
		{ echo "FAIL: header ikev2d/$h not installed"; exit 1; }
done

# Only the installed tree: PKG_CONFIG_SYSROOT_DIR prefixes -I/-L with it.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_LIBDIR="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$dest"
cp "$top_srcdir/testing/example-plugin/example.c" "$top_srcdir/testing/example-plugin/Makefile" "$tmp/"
chmod u+w "$tmp/example.c" "$tmp/Makefile"
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -C "$tmp" >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	echo "FAIL: the example plugin does not build against the installed headers"
	exit 1
fi
grep -q -- "-I$dest" "$tmp/build.log" ||
	{ cat "$tmp/build.log"; echo "FAIL: the build did not use the installed headers"; exit 1; }
grep -q -- "-I.*core/include" "$tmp/build.log" &&
	{ cat "$tmp/build.log"; echo "FAIL: the build used the source tree's headers"; exit 1; }

# Load it by name, from its own directory only.
out=$(IKEV2D_PLUGIN_PATH="$tmp" "$top_builddir/testing/loader/plugin_probe" example 2>&1)
echo "$out"
echo "$out" | grep -q "^loaded: example: example:hello$" ||
	{ echo "FAIL: the example plugin was not loaded"; exit 1; }
echo "$out" | grep -q "example plugin: example:hello activated" ||
	{ echo "FAIL: the example feature was not activated"; exit 1; }

# And through the daemon's configuration check, when the daemon is built.
if [ -x "$top_builddir/core/daemon/in.ikev2d" ]; then
	cat >"$tmp/ikev2.config" <<CFG
plugins = { load = [ "example" ]; };
CFG
	out=$(IKEV2D_PLUGIN_PATH="$tmp" "$top_builddir/core/daemon/in.ikev2d" -c -f "$tmp/ikev2.config" 2>&1)
	echo "$out"
	echo "$out" | grep -q "loaded plugin example: example:hello" ||
		{ echo "FAIL: in.ikev2d -c did not load the example plugin"; exit 1; }
fi
echo "PASS: out-of-tree example plugin built against $dest and loaded by name"
exit 0
