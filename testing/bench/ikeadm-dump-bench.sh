#!/bin/bash
# ikeadm-dump-bench.sh - issue 12's benchmark: `ikeadm dump ikesa --json`
# on an in.ikev2d holding N IKE SAs (default 100,000) completes within a
# few seconds, and the daemon's handshake rate while it streams stays
# within 20% of the rate just before.
#
#   testing/bench/ikeadm-dump-bench.sh [N]
#
# The responder is in.ikev2d itself (kernel-null, the control plugin,
# seccomp on) in namespace bench-dr-PID; our load initiator
# (testing/bench/load/ikev2d-load, as run-load.sh uses it) in bench-di-PID
# over a veth pair first opens N IKE SAs (each with its CHILD SA), then a
# second initiator keeps opening more (N2, default 200,000; stopped once measured) while the
# script samples the daemon's established-as-responder counter
# (`ikeadm -j get stats`): the rate over RATE_SECS (default 6) before the
# dump, during it (counter read just before and just after), and over
# RATE_SECS after it.  The dump is parsed (python3 json) and must list at
# least N IKE SAs.
#
# Environment: BUILD=DIR (default $top_builddir or ./build), WINDOW (SAs
# in flight per initiator, default 500), THREADS (the daemon's workers,
# default 2), KE_REUSE=SECS (daemon.ke_reuse_secs on both sides, default
# 60: reaching 100,000 SAs takes a third less time; 0 for fresh keys),
# DUMP_MAX_SECS (default 5), N2, RATE_SECS, KEEP=1, OUT=FILE (append the
# figures), PROFILE=1 (perf profile of the daemon during the idle dump;
# with KEEP=1).
#
# Exit 0 when both criteria hold, 1 when one does not, 77 when it cannot
# run here.  Needs root.  Everything started is stopped by PID.
set -u
N=${1:-100000}
N2=${N2:-200000}
WINDOW=${WINDOW:-500}
THREADS=${THREADS:-2}
KE_REUSE=${KE_REUSE:-60}
DUMP_MAX_SECS=${DUMP_MAX_SECS:-5}
RATE_SECS=${RATE_SECS:-6}
case $N$N2$KE_REUSE$RATE_SECS in *[!0-9]*) echo "usage: $0 [N] (N2, KE_REUSE, RATE_SECS numbers)" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v python3 > /dev/null || skip "python3 missing"

build=${BUILD:-${top_builddir:-$srcdir/build}}
[ -f "$build/Makefile" ] || skip "no build tree at $build (BUILD=DIR)"
build=$(cd "$build" && pwd)
echo "== building in $build"
make -C "$build" -j2 testing/bench/load/ikev2d-load core/daemon/in.ikev2d tools/ikeadm/ikeadm \
	plugins/nettle/nettle.la plugins/psk/psk.la plugins/control/control.la \
	kernel-backends/null/kernel-null.la > "$build/ikeadm-bench.make.log" 2>&1 ||
	make -C "$build" -j2 > "$build/ikeadm-bench.make.log" 2>&1 ||
	{ tail -20 "$build/ikeadm-bench.make.log"; echo "build failed"; exit 1; }
LOAD=$build/testing/bench/load/ikev2d-load
DAEMON=$build/core/daemon/in.ikev2d
[ -x "$DAEMON" ] || DAEMON=$build/in.ikev2d
IKEADM=$build/tools/ikeadm/ikeadm
for b in "$LOAD" "$DAEMON" "$IKEADM"; do [ -x "$b" ] || skip "not built: $b"; done
export IKEV2D_PLUGIN_PATH=$build/plugins/nettle/.libs:$build/plugins/psk/.libs:$build/plugins/control/.libs:$build/kernel-backends/null/.libs

NS_I=bench-di-$$ NS_R=bench-dr-$$
I=10.94.0.1 R=10.94.0.2
WORK=$(mktemp -d /tmp/bench-ikeadm-XXXXXX)
chmod 700 "$WORK"
SOCK=$WORK/ctl.sock
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS_I" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
wait_for() {
	local t=$(( $1 * 10 )); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}

ip netns add "$NS_I" && ip netns add "$NS_R" || skip "cannot create network namespaces"
ip link add bench-di$$ netns "$NS_I" type veth peer name bench-dr$$ netns "$NS_R" ||
	{ echo "cannot create the veth pair"; exit 1; }
ip -n "$NS_I" addr add $I/24 dev bench-di$$; ip -n "$NS_I" link set bench-di$$ up; ip -n "$NS_I" link set lo up
ip -n "$NS_R" addr add $R/24 dev bench-dr$$; ip -n "$NS_R" link set bench-dr$$ up; ip -n "$NS_R" link set lo up

# config FILE ROLE LOCAL REMOTE LOCAL_TS REMOTE_TS PLUGINS EXTRA_PLUGINS
config() {
	cat > "$1" <<EOF
# written by testing/bench/ikeadm-dump-bench.sh
daemon = {
	debug_level = "op";
	preshared_file = "$WORK/ikev2.preshared";
	pid_file = "$WORK/$2.pid";
	min_threads = $THREADS;
	max_threads = $THREADS;
	half_open_max = 10000000;
	half_open_max_per_peer = 10000000;
	cookie_threshold = 10000000;
	half_open_timeout_secs = 600;
	retry_timer_init_ms = 5000;
	retry_limit = 3;
	response_wait_time = 120;
	ke_reuse_secs = $KE_REUSE;
};
plugins = {
	load = [ $7 ];
	$8
};
rules = (
	{
		label = "load";
		auth_method = "preshared";
		local_addr = "$3";
		remote_addr = "$4";
		local_id = { type = "fqdn"; value = "$2.bench.test"; };
		remote_id = { type = "fqdn"; value = "$([ "$2" = i ] && echo r || echo i).bench.test"; };
		ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
		ikesa_lifetime_secs = 86400;
		childsa = ( { local_ts = "$5"; remote_ts = "$6";
			esp_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; } );
			childsa_lifetime_secs = 86400; childsa_softlife_secs = 80000; } );
	}
);
EOF
	chmod 600 "$1"
}
printf 'keys = ( { label = "load"; key = "bench-load-secret"; } );\n' > "$WORK/ikev2.preshared"
chmod 600 "$WORK/ikev2.preshared"
config "$WORK/init.config" i $I $R 10.94.1.0/24 10.94.2.0/24 '"nettle", "psk", "kernel-null"' ''
config "$WORK/resp.config" r $R $I 10.94.2.0/24 10.94.1.0/24 '"nettle", "psk", "kernel-null", "control"' \
	"control = { socket = \"$SOCK\"; };"

"$DAEMON" -c -f "$WORK/resp.config" > "$WORK/check.log" 2>&1 || { cat "$WORK/check.log"; echo "in.ikev2d -c refused the configuration"; exit 1; }
ip netns exec "$NS_R" "$DAEMON" -d -f "$WORK/resp.config" > "$WORK/daemon.log" 2>&1 &
dpid=$!
PIDS+=("$dpid")
wait_for 30 grep -qs "net: listening on" "$WORK/daemon.log" && wait_for 10 test -S "$SOCK" ||
	{ tail -20 "$WORK/daemon.log"; echo "in.ikev2d did not start"; exit 1; }

adm() { "$IKEADM" -s "$SOCK" "$@"; }
# established: IKE SAs the daemon established as responder since start
established() {
	adm -j get stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"]["established_responder"])'
}
now() { date +%s.%N; }
rate() { python3 -c "import sys; a,b,t0,t1=map(float,sys.argv[1:]); print('%.0f' % ((b-a)/(t1-t0)))" "$@"; }

# ------------------------------------------------ fill: N IKE SAs
echo "== filling in.ikev2d with $N IKE SAs (window $WINDOW, ke_reuse_secs $KE_REUSE)"
t=$(now)
ip netns exec "$NS_I" "$LOAD" -f "$WORK/init.config" -i load -n "$N" -w "$WINDOW" -p "$dpid" \
	-T 1800 > "$WORK/fill.report" 2> "$WORK/fill.log" || { tail "$WORK/fill.log"; echo "the fill run failed"; exit 1; }
fill_secs=$(python3 -c "import sys,time; print('%.1f' % (time.time()-float(sys.argv[1])))" "$t")
have=$(adm -j get stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"]["current_responder"])')
echo "   $have IKE SAs up at the responder after ${fill_secs} s"
[ "$have" -ge "$N" ] || { echo "only $have of $N IKE SAs up"; exit 1; }
rss_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$dpid/status)
# the dump on an idle daemon, for comparison
if [ -n "${PROFILE:-}" ]; then
	perf record -q -e cpu-clock -F 4999 -g -p "$dpid" -o "$WORK/dump.perf.data" > "$WORK/perf.log" 2>&1 &
	perf_pid=$!; PIDS+=("$perf_pid"); sleep 1
fi
ti=$(now)
adm -j dump ikesa > "$WORK/idle.json" || { echo "dump ikesa (idle) failed"; exit 1; }
if [ -n "${PROFILE:-}" ]; then
	kill -INT "$perf_pid"; wait "$perf_pid"
	perf report -i "$WORK/dump.perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
		grep '%' | head -40 > "$WORK/dump.profile"
	echo "   profile of the idle dump (PROFILE=1): $WORK/dump.profile"
fi
idle_secs=$(python3 -c "import sys,time; print('%.2f' % (time.time()-float(sys.argv[1])))" "$ti")
echo "   dump ikesa --json with no handshakes going on: $idle_secs s"

# ------------------------------- handshakes in progress; the dump
echo "== handshakes continue (second initiator, up to $N2 more); dump ikesa --json meanwhile"
ip netns exec "$NS_I" "$LOAD" -f "$WORK/init.config" -i load -n "$N2" -w "$WINDOW" \
	-T 1800 > "$WORK/more.report" 2> "$WORK/more.log" &
more=$!
PIDS+=("$more")
sleep 3   # ramp-up
e0=$(established); t0=$(now)
sleep "$RATE_SECS"
e1=$(established); t1=$(now)
adm -j dump ikesa > "$WORK/dump.json"
dst=$?
e2=$(established); t2=$(now)
sleep "$RATE_SECS"
e3=$(established); t3=$(now)
kill -0 "$more" 2>/dev/null || { echo "the second initiator ended before the measurement did (raise N2)"; exit 1; }
kill -TERM "$more"

[ $dst = 0 ] || { echo "ikeadm dump ikesa --json: exit $dst"; exit 1; }
entries=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert all("spi_i" in e and "spi_r" in e for e in j); print(len(j))' "$WORK/dump.json") ||
	{ echo "the dump is not the expected JSON"; exit 1; }
bytes=$(stat -c %s "$WORK/dump.json")
dump_secs=$(python3 -c "import sys; print('%.2f' % (float(sys.argv[2])-float(sys.argv[1])))" "$t1" "$t2")
r_before=$(rate "$e0" "$e1" "$t0" "$t1")
r_during=$(rate "$e1" "$e2" "$t1" "$t2")
r_after=$(rate "$e2" "$e3" "$t2" "$t3")
ratio=$(python3 -c "import sys; b,d=map(float,sys.argv[1:]); print('%.2f' % (d/b if b else 0))" "$r_before" "$r_during")

table=$(cat <<EOF
ikeadm dump ikesa --json on in.ikev2d ($(git -C "$srcdir" rev-parse --short HEAD 2>/dev/null), $(date -u '+%F %T') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))
  IKE SAs at the responder before the dump   $have (filled in $fill_secs s; RSS $((rss_kb / 1024)) MiB)
  dump, idle daemon: seconds                 $idle_secs
  dump, handshakes going on: entries / bytes / seconds   $entries / $bytes / $dump_secs  (limit $DUMP_MAX_SECS s)
  handshakes/s before ($RATE_SECS s) / during / after   $r_before / $r_during / $r_after  (during/before $ratio, must be >= 0.80)
EOF
)
echo "$table"
[ -n "${OUT:-}" ] && echo "$table" >> "$OUT"
ok=0
[ "$entries" -ge "$N" ] || { echo "FAIL: the dump lists $entries IKE SAs, fewer than $N"; ok=1; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$dump_secs" "$DUMP_MAX_SECS" ||
	{ echo "FAIL: the dump took $dump_secs s (limit $DUMP_MAX_SECS s)"; ok=1; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.8 else 1)" "$ratio" ||
	{ echo "FAIL: the handshake rate during the dump is $ratio of the rate before"; ok=1; }
kill -0 "$dpid" 2>/dev/null || { echo "FAIL: in.ikev2d died"; ok=1; }
[ $ok = 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit $ok
