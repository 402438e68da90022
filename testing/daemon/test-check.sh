#!/bin/sh
# in.ikev2d -c: a good file passes, a bad one fails with its problem named,
# a missing file and bad options are refused.
. "${top_srcdir:?}/testing/daemon/common.sh"

# Options
"$DAEMON" -x >"$tmp/opt.log" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc, expected 2"
grep -q "unknown option -x" "$tmp/opt.log" || fail "unknown option not named"
"$DAEMON" -f >"$tmp/opt.log" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "-f without argument: exit $rc, expected 2"
"$DAEMON" -c -f "$tmp/x" extra >"$tmp/opt.log" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "extra argument: exit $rc, expected 2"
"$DAEMON" -V | grep -q "^in.ikev2d " || fail "-V prints no version"
"$DAEMON" -h | grep -q "usage: in.ikev2d" || fail "-h prints no usage"

# A good file (plugins that exist in this build only)
cat >"$tmp/good.config" <<CFG
daemon = { debug_level = "op"; };
plugins = { load = [ "tp_base" ]; };
CFG
"$DAEMON" -c -f "$tmp/good.config" >"$tmp/good.log" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "good config: exit $rc"
grep -q "configuration OK" "$tmp/good.log" || fail "good config: no OK line"
grep -q "loaded plugin tp_base" "$tmp/good.log" || fail "good config: plugin not loaded"

# The shipped example (a copy: a fresh checkout has the preshared file
# group-readable, which the daemon rightly refuses), when its plugins are built
if [ -f "$top_srcdir/cfg/ikev2.config" ]; then
	mkdir "$tmp/shipped"
	cp "$top_srcdir/cfg/ikev2.config" "$tmp/shipped/"
	[ -f "$top_srcdir/cfg/ikev2.preshared" ] && cp "$top_srcdir/cfg/ikev2.preshared" "$tmp/shipped/"
	chmod 600 "$tmp/shipped/"*
	"$DAEMON" -c -f "$tmp/shipped/ikev2.config" >"$tmp/shipped.log" 2>&1; rc=$?
	if grep -q "plugin '.*' not found" "$tmp/shipped.log"; then
		echo "note: shipped config not fully checked: some of its plugins are not built"
		grep "not found" "$tmp/shipped.log"
	else
		[ $rc -eq 0 ] || fail "cfg/ikev2.config does not pass -c"
	fi
fi

# A syntax error: non-zero, with file:line
printf 'daemon = { debug_level = "op" \n' >"$tmp/syntax.config"
"$DAEMON" -c -f "$tmp/syntax.config" >"$tmp/syntax.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "syntax error: exit $rc, expected 1"
grep -q "syntax.config:[0-9]" "$tmp/syntax.log" || fail "syntax error: no file:line"

# A bad debug level
cat >"$tmp/level.config" <<CFG
daemon = { debug_level = "phase1+nonsense"; };
plugins = { load = [ "tp_base" ]; };
CFG
"$DAEMON" -c -f "$tmp/level.config" >"$tmp/level.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "bad debug_level: exit $rc, expected 1"
grep -q "nonsense" "$tmp/level.log" || fail "bad debug_level not named"

# A plugin that does not exist
cat >"$tmp/plugin.config" <<CFG
plugins = { load = [ "tp_base", "no-such-plugin" ]; };
CFG
"$DAEMON" -c -f "$tmp/plugin.config" >"$tmp/plugin.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "missing plugin: exit $rc, expected 1"
grep -q "plugin 'no-such-plugin' not found" "$tmp/plugin.log" || fail "missing plugin not named"

# A missing file
"$DAEMON" -c -f "$tmp/none.config" >"$tmp/none.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "missing file: exit $rc, expected 1"
grep -q "none.config" "$tmp/none.log" || fail "missing file not named"

echo "PASS"
