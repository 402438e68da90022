#!/bin/sh
# in.ikev2d -d: runs in the foreground logging to stderr; SIGHUP with a
# broken file keeps the running configuration, with a good one applies it;
# SIGTERM shuts down cleanly with exit 0 and removes the pid file.
. "${top_srcdir:?}/testing/daemon/common.sh"
need_plugins nettle kernel-null

write_config "$tmp/ikev2.config"
"$DAEMON" -d -f "$tmp/ikev2.config" -p "$tmp/pid" >"$tmp/daemon.log" 2>&1 &
pid=$!
pids="$pids $pid"
wait_log "$tmp/daemon.log" "in.ikev2d .* started" 20 || fail "daemon did not start"
[ "$(cat "$tmp/pid")" = "$pid" ] || fail "pid file holds '$(cat "$tmp/pid")', not $pid"
grep -q "loaded plugin nettle" "$tmp/daemon.log" || fail "nettle not reported loaded"

# Privileges: as root, the kernel-null backend declares it needs no
# capability, so none stays in any set, the bounding set included; no new
# privileges, the seccomp filter on (mode 2), not dumpable.
if [ "$(id -u)" = 0 ]; then
	for set in CapEff CapPrm CapBnd CapInh CapAmb; do
		v=$(sed -n "s/^$set:[[:space:]]*//p" /proc/$pid/status)
		[ "$((0x$v))" -eq 0 ] || fail "$set is $v, expected 0000000000000000"
	done
fi
grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$pid/status || fail "NoNewPrivs is not 1"
if ! grep -q "built with sanitizers: no seccomp filter" "$tmp/daemon.log"; then
	grep -q "^Seccomp:[[:space:]]*2" /proc/$pid/status || fail "no seccomp filter (Seccomp is not 2)"
fi

# A broken file: rejected, old configuration stays
cp "$tmp/ikev2.config" "$tmp/good.config"
printf 'daemon = { debug_level = ; \n' >"$tmp/ikev2.config"
kill -HUP "$pid"
wait_log "$tmp/daemon.log" "keeping the running configuration" 10 ||
	fail "broken reload not reported"
kill -0 "$pid" 2>/dev/null || fail "daemon died on a broken reload"
grep -q "ikev2.config:1" "$tmp/daemon.log" || fail "the reload error does not give file:line"
grep -q "configuration reloaded" "$tmp/daemon.log" && fail "broken file was applied"

# A good file with a new debug level: applied (verbose lines appear)
write_config "$tmp/ikev2.config" "verbose"
kill -HUP "$pid"
wait_log "$tmp/daemon.log" "configuration reloaded" 10 || fail "good reload not applied"
# Before this reload the level was "op": not one verbose line.
sed '/configuration reloaded/q' "$tmp/daemon.log" | grep -q " verbose \[" &&
	fail "verbose lines logged at debug_level op"

kill -TERM "$pid"
wait_exit "$pid" 15 || fail "daemon did not stop on SIGTERM"
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
grep -q "in.ikev2d stopped" "$tmp/daemon.log" || fail "no stop message"
# The reloaded debug_level ("verbose") is in force: unloading the plugins
# at shutdown logs at the verbose level.
grep -q " verbose \[plugin\] feature .* unloaded" "$tmp/daemon.log" ||
	fail "debug_level verbose from the reloaded file not applied"
[ -e "$tmp/pid" ] && fail "pid file left behind"

# SIGINT as well
write_config "$tmp/ikev2.config"
"$DAEMON" -d -f "$tmp/ikev2.config" >"$tmp/int.log" 2>&1 &
pid=$!
pids="$pids $pid"
wait_log "$tmp/int.log" "in.ikev2d .* started" 20 || fail "daemon did not start (SIGINT run)"
kill -INT "$pid"
wait_exit "$pid" 15 || fail "daemon did not stop on SIGINT"
[ "$status" -eq 0 ] || fail "exit status $status after SIGINT"
echo "PASS"
