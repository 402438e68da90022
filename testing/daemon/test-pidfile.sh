#!/bin/sh
# Pid file: a second instance on the same pid file is refused, a stale pid
# file is taken over, and a detached daemon writes its own pid, logs to the
# debug logfile and removes the file when it stops.
. "${top_srcdir:?}/testing/daemon/common.sh"
need_plugins nettle kernel-null

write_config "$tmp/ikev2.config"
"$DAEMON" -d -f "$tmp/ikev2.config" -p "$tmp/pid" >"$tmp/first.log" 2>&1 &
first=$!
pids="$pids $first"
wait_log "$tmp/first.log" "in.ikev2d .* started" 20 || fail "first daemon did not start"

# Same pid file: refused, naming the running pid
"$DAEMON" -d -f "$tmp/ikev2.config" -p "$tmp/pid" >"$tmp/second.log" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "second instance: exit $rc, expected 1"
grep -q "another in.ikev2d (pid $first) is running" "$tmp/second.log" ||
	fail "second instance: refusal does not name pid $first"
[ "$(cat "$tmp/pid")" = "$first" ] || fail "second instance overwrote the pid file"
kill -TERM "$first"
wait_exit "$first" 15 || fail "first daemon did not stop"

# A stale pid file (no process holds it) is taken over
echo 999999 >"$tmp/pid"
"$DAEMON" -d -f "$tmp/ikev2.config" -p "$tmp/pid" >"$tmp/stale.log" 2>&1 &
third=$!
pids="$pids $third"
wait_log "$tmp/stale.log" "in.ikev2d .* started" 20 || fail "daemon refused a stale pid file"
[ "$(cat "$tmp/pid")" = "$third" ] || fail "stale pid file not rewritten"
kill -TERM "$third"
wait_exit "$third" 15 || fail "third daemon did not stop"

# Detached: the starting process exits 0 once the daemon runs
write_config "$tmp/ikev2.config"
echo "daemon_logfile_marker = 0;" >/dev/null
sed -i "s|^daemon = {|daemon = {\n\tdebug_logfile = \"$tmp/logdir/in.ikev2d.log\";|" "$tmp/ikev2.config"
"$DAEMON" -f "$tmp/ikev2.config" -p "$tmp/dpid" >"$tmp/detach.log" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "detached start: exit $rc"
[ -s "$tmp/dpid" ] || fail "detached daemon wrote no pid file"
dpid=$(cat "$tmp/dpid")
pids="$pids $dpid"
kill -0 "$dpid" 2>/dev/null || fail "detached daemon (pid $dpid) is not running"
# Its own session, not ours
[ "$(ps -o sid= -p "$dpid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] ||
	fail "detached daemon shares our session"
wait_log "$tmp/logdir/in.ikev2d.log" "in.ikev2d .* started" 10 ||
	fail "detached daemon did not log to debug_logfile"
kill -TERM "$dpid"
i=0
while kill -0 "$dpid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$dpid" 2>/dev/null && fail "detached daemon did not stop"
[ -e "$tmp/dpid" ] && fail "detached daemon left its pid file"
wait_log "$tmp/logdir/in.ikev2d.log" "in.ikev2d stopped" 5 || fail "no stop line in the logfile"

# A daemon that cannot start reports failure to the starting process
printf 'daemon = { debug_level = "op"; };\nplugins = { load = [ "tp_base" ]; critical = [ "nettle" ]; };\n' \
	>"$tmp/bad.config"
"$DAEMON" -f "$tmp/bad.config" -p "$tmp/bpid" >"$tmp/bad.log" 2>&1; rc=$?
[ $rc -ne 0 ] || fail "detached start without its critical plugin exited 0"
echo "PASS"
