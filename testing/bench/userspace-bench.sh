#!/bin/bash
# userspace-bench.sh - throughput, latency and CPU cost of ESP in user space
# (issue 11), ours against strongSwan charon's kernel-libipsec, same host,
# same run, figures side by side:
#
#   testing/bench/userspace-bench.sh          (as root, from the source or
#                                              build tree; ~4 minutes)
#
# Topology: A (10.94.9.2) -- router R -- B (10.94.0.2), three network
# namespaces over veth pairs; the protected subnets are 10.94.1.1 (on A)
# and 10.94.2.1 (on B).  Pairs (PAIRS, default all):
#   ours      in.ikev2d + kernel-userspace on both ends, raw ESP (proto 50)
#   ours-udp  the same, R masquerading A: NAT found, ESP in UDP on 4500
#             through the daemons' NAT-T sockets (RFC 3948)
#   charon    charon --kernel libipsec on both ends (libipsec always
#             encapsulates in UDP)
#   mixed     ours on A, charon (libipsec) on B, ESP in UDP
#   ours-nt, ours-udp-nt
#             ours and ours-udp with kernel-userspace's offload = false:
#             no TSO from the TUN, packets read one by one (what TSO buys)
# For each ESP transform (XFORMS, default "gcm cbc": AES-GCM-128 and
# AES-128-CBC + HMAC-SHA-256-128): ping RTT (200 pings, 10 ms apart) and
# TCP throughput A -> B with iperf3, one and two streams (SECS seconds,
# default 5), with the CPU time both ends' daemon processes used during the
# one-stream run (/proc/PID/stat, all threads): CPU cycles per byte
# (CPU seconds x the CPU clock from /proc/cpuinfo: an estimate, this
# machine has no cycle counter), in brackets the user-space part only (the
# rest is the kernel's TUN and socket work, which in this one-host setup
# includes forwarding through R and the peer's receive path, run in the
# sender's context), and MB carried per CPU second of both daemons.  The "none" row is the same path without a tunnel.
#
# Then the crypto floor: testing/bench/crypto_bench (the nettle plugin on
# one core, 1400-byte packets) for the same transforms.
#
# Then the IKE handshake rate with and without a saturated tunnel
# (IKE=0 skips it): testing/bench/load/ikev2d-load opens IKE_N (default
# 1000) IKE SAs, each with a CHILD SA, at most 200 in flight, from R
# (10.94.0.3) against B's in.ikev2d while the tunnel is idle, and again
# while two iperf3 streams saturate it, for pair ours and ours-udp (ESP in
# UDP arrives on the IKE socket: this shows whether it slows IKE).
#
# Environment: SECS, PAIRS, XFORMS, IKE, IKE_N, THREADS (kernel-userspace
# data-path threads, default 2), ROUNDS (default 1: the pairs are measured
# in turn ROUNDS times, so the machine's load falls on all of them alike;
# a row per round), KEEP=1 (keep the work directory).
# Needs iperf3 (.ci/install-deps installs it) and, for the charon pairs,
# strongSwan (those rows are left out with a note when it is missing).
# Not a test: exit 0 when every measurement ran, 1 if one failed, 77 when
# it cannot run here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	for d in "$PWD" "$top_srcdir/build"; do
		[ -f "$d/core/daemon/in.ikev2d" ] && { top_builddir=$d; break; }
	done
	: "${top_builddir:=$top_srcdir/build}"
fi
: "${IKEV2D_PLUGIN_PATH:=$(sh "$top_srcdir/testing/plugin-path.sh" "$top_builddir")}"
export top_srcdir top_builddir IKEV2D_PLUGIN_PATH
. "$top_srcdir/testing/netns/lib.sh"
. "$top_srcdir/testing/interop/charon.sh"

SECS=${SECS:-5}
PAIRS=${PAIRS:-ours ours-udp charon mixed}
XFORMS=${XFORMS:-gcm cbc}
IKE=${IKE:-1}
IKE_N=${IKE_N:-1000}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
OFFLOAD=true
LOAD=$top_builddir/testing/bench/load/ikev2d-load
CRYPTO=$top_builddir/testing/bench/crypto_bench

need_root
need_daemon
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -f "$top_builddir/kernel-backends/userspace/.libs/kernel-userspace.so" ] ||
	skip "kernel-userspace not built"
command -v iperf3 > /dev/null || skip "iperf3 not installed (apt-get install iperf3)"
have_charon=1
{ [ -x "$CHARON" ] && [ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]; } ||
	have_charon=0
HZ=$(getconf CLK_TCK)
MHZ=$(awk -F: '/^cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo)
: "${MHZ:=0}"

mkwork us-bench
NA=net-ub-a$$ NR=net-ub-r$$ NB=net-ub-b$$
ns_add $NA; ns_add $NR; ns_add $NB
link_ns $NA ub-a$$ 10.94.9.2/24 $NR ub-ra$$ 10.94.9.1/24
link_ns $NR ub-rb$$ 10.94.0.1/24 $NB ub-b$$ 10.94.0.2/24
ip -n $NR addr add 10.94.0.3/24 dev ub-rb$$
ip -n $NA route add default via 10.94.9.1
ip -n $NB route add 10.94.9.0/24 via 10.94.0.1
ip netns exec $NR sysctl -qw net.ipv4.ip_forward=1
ip -n $NA addr add 10.94.1.1/32 dev lo
ip -n $NB addr add 10.94.2.1/32 dev lo

nat() {   # on|off: R masquerades A (only A: the load initiator on R keeps its address)
	ip netns exec $NR nft delete table ip ubnat 2>/dev/null
	[ "$1" = on ] || return 0
	ip netns exec $NR nft -f - <<EOF
table ip ubnat {
	chain post { type nat hook postrouting priority 100; ip saddr 10.94.9.0/24 oifname "ub-rb$$" masquerade; }
}
EOF
}

# ------------------------------------------------------------ configs
esp_ours() {
	case $1 in
	gcm) echo '{ encr_alg = "aes-gcm"; encr_keylen = 128; }' ;;
	cbc) echo '{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; }' ;;
	esac
}
esp_charon() { case $1 in gcm) echo aes128gcm16 ;; cbc) echo aes128-sha256 ;; esac; }
xform_name() { case $1 in gcm) echo "AES-GCM-128" ;; cbc) echo "AES-CBC-128+SHA256" ;; esac; }

# our_config DIR LOCAL REMOTE LOCAL_TS REMOTE_TS AUTO_START XFORM: a
# tunnel rule, and on B a second rule for the IKE load initiator on R
our_config() {
	local dir=$1 me=$2 peer=$3 lts=$4 rts=$5 auto=$6 x=$7 lid rid
	mkdir -p "$dir"
	if [ "$me" = 10.94.0.2 ]; then lid=b.bench rid=a.bench; else lid=a.bench rid=b.bench; fi
	cat > "$dir/ikev2.config" <<EOF
# written by testing/bench/userspace-bench.sh
daemon = {
	debug_level = "op";
	ike_port = 500;
	natt_port = 4500;
	pid_file = "$dir/in.ikev2d.pid";
	preshared_file = "$dir/ikev2.preshared";
	min_threads = 2;
	max_threads = 2;
	half_open_max = 10000000;
	half_open_max_per_peer = 10000000;
	cookie_threshold = 10000000;
	half_open_timeout_secs = 600;
};
plugins = {
	load = [ "nettle", "psk", "kernel-userspace" ];
	critical = [ "nettle", "psk", "kernel-userspace" ];
	kernel-userspace = {
		stats_file = "$dir/esp.stats";
		threads = $THREADS;
		offload = $OFFLOAD;
	};
};
rules = (
	{
		label = "tun";
		auth_method = "preshared";
		local_addr = "$me";
		remote_addr = "$peer";
		local_id = { type = "fqdn"; value = "$lid"; };
		remote_id = { type = "fqdn"; value = "$rid"; };
		auto_start = $auto;
		ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
		childsa = ( {
			local_ts = "$lts";
			remote_ts = "$rts";
			esp_xform = ( $(esp_ours "$x") );
		} );
	},
	{
		label = "load";
		auth_method = "preshared";
		local_addr = "$me";
		remote_addr = "10.94.0.3";
		local_id = { type = "fqdn"; value = "r.bench.test"; };
		remote_id = { type = "fqdn"; value = "i.bench.test"; };
		ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
		childsa = ( {
			local_ts = "10.93.2.0/24";
			remote_ts = "10.93.1.0/24";
			esp_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; } );
		} );
	}
);
EOF
	cat > "$dir/ikev2.preshared" <<EOF
keys = ( { label = "tun"; key = "bench-tunnel-secret"; },
         { label = "load"; key = "bench-load-secret"; } );
EOF
	chmod 600 "$dir/ikev2.config" "$dir/ikev2.preshared"
}

load_config() {
	cat > "$WORK/load.config" <<EOF
daemon = {
	debug_level = "op";
	preshared_file = "$WORK/load.preshared";
	min_threads = 1;
	max_threads = 1;
	ike_port = 500;
	natt_port = 4500;
	retry_timer_init_ms = 5000;
	retry_limit = 3;
	response_wait_time = 120;
};
plugins = { load = [ "nettle", "psk", "kernel-null" ]; critical = [ "nettle", "psk", "kernel-null" ]; };
rules = ( {
	label = "load";
	auth_method = "preshared";
	local_addr = "10.94.0.3";
	remote_addr = "10.94.0.2";
	local_id = { type = "fqdn"; value = "i.bench.test"; };
	remote_id = { type = "fqdn"; value = "r.bench.test"; };
	ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
	ikesa_lifetime_secs = 86400;
	childsa = ( {
		local_ts = "10.93.1.0/24";
		remote_ts = "10.93.2.0/24";
		esp_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; } );
		childsa_lifetime_secs = 86400;
		childsa_softlife_secs = 80000;
	} );
} );
EOF
	echo 'keys = ( { label = "load"; key = "bench-load-secret"; } );' > "$WORK/load.preshared"
	chmod 600 "$WORK/load.config" "$WORK/load.preshared"
}

# ------------------------------------------------------------- helpers
# CPU ticks (user + system, all threads) of PID
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
uticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 }'; }

A_PID= B_PID= A_DIR= B_DIR=
start_pair() {   # PAIR XFORM [TAG]: set A_PID, B_PID; true when the tunnel is up
	local pair=$1 x=$2 a_peer=10.94.0.2 b_peer=10.94.9.2
	A_DIR=$WORK/$pair-$x${3:-}/a B_DIR=$WORK/$pair-$x${3:-}/b
	mkdir -p "$A_DIR" "$B_DIR"
	rm -f "$A_DIR/esp.stats" "$B_DIR/esp.stats"
	OFFLOAD=true
	case $pair in *-nt) OFFLOAD=false; pair=${pair%-nt} ;; esac
	nat off
	[ "$pair" = ours-udp ] && { nat on; b_peer=10.94.0.1; }
	case $pair in
	ours|ours-udp)
		our_config "$B_DIR" 10.94.0.2 $b_peer 10.94.2.0/24 10.94.1.0/24 false $x
		our_config "$A_DIR" 10.94.9.2 $a_peer 10.94.1.0/24 10.94.2.0/24 true $x
		start_daemon $NB "$B_DIR" || return 1
		B_PID=$(daemon_pid "$B_DIR")
		start_daemon $NA "$A_DIR" || return 1
		A_PID=$(daemon_pid "$A_DIR")
		wait_for 30 grep -q "CHILD SA established" "$A_DIR/daemon.log" || return 1
		;;
	charon|mixed)
		charon_start "$B_DIR" $NB local=10.94.0.2 remote=10.94.9.2 local_id=b.bench \
			remote_id=a.bench psk=bench-tunnel-secret local_ts=10.94.2.0/24 \
			remote_ts=10.94.1.0/24 kernel=libipsec esp="$(esp_charon $x)" loglevel=0 || return 1
		B_PID=$(cat "$B_DIR/charon.pid")
		if [ "$pair" = mixed ]; then
			our_config "$A_DIR" 10.94.9.2 $a_peer 10.94.1.0/24 10.94.2.0/24 true $x
			start_daemon $NA "$A_DIR" || return 1
			A_PID=$(daemon_pid "$A_DIR")
		else
			charon_start "$A_DIR" $NA local=10.94.9.2 remote=10.94.0.2 local_id=a.bench \
				remote_id=b.bench psk=bench-tunnel-secret local_ts=10.94.1.0/24 \
				remote_ts=10.94.2.0/24 kernel=libipsec esp="$(esp_charon $x)" loglevel=0 || return 1
			A_PID=$(cat "$A_DIR/charon.pid")
			charon_ctl "$A_DIR" --initiate --child net > "$A_DIR/initiate.log" 2>&1
		fi
		wait_for 30 charon_child_installed "$B_DIR" || return 1
		;;
	esac
	# the first packets may race the last install: wait for a reply
	wait_for 10 ip netns exec $NA ping -q -c 1 -W 1 -I 10.94.1.1 10.94.2.1 > /dev/null
}

stop_pair() {
	local d
	for d in "$A_DIR" "$B_DIR"; do
		if [ -f "$d/charon.pid" ]; then charon_stop "$d"
		elif [ -f "$d/daemon.pid" ]; then stop_daemon "$d"; rm -f "$d/daemon.pid"; fi
	done
	wait_ports_free $NA > /dev/null; wait_ports_free $NB > /dev/null
}

# ping_rtt SRC DST: "avg mdev" in ms
ping_rtt() {
	ip netns exec $NA ping -q -c 200 -i 0.01 -W 2 -I "$1" "$2" 2>&1 |
		sed -n 's|.* = [0-9.]*/\([0-9.]*\)/[0-9.]*/\([0-9.]*\) ms.*|\1 \2|p'
}

# iperf SRC DST STREAMS SECS OUT: A -> B; prints "Mbit/s bytes"
iperf() {
	local srv
	ip netns exec $NB iperf3 -s -1 -B "$2" -p 5399 > "$5.srv" 2>&1 &
	srv=$!; PIDS+=("$srv")
	wait_for 5 sh -c "ip netns exec $NB ss -Hltn 'sport = :5399' | grep -q ." ||
		{ kill "$srv" 2>/dev/null; forget_pid "$srv"; return 1; }
	ip netns exec $NA timeout $(( $4 + 20 )) iperf3 -c "$2" -B "$1" -p 5399 \
		-P "$3" -t "$4" -J > "$5" 2>&1
	wait "$srv"; forget_pid "$srv"
	python3 - "$5" <<'EOF'
import json, sys
try:
    e = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print("%.0f %d" % (e["bits_per_second"] / 1e6, e["bytes"]))
except Exception:
    pass
EOF
}

# ------------------------------------------------------------ the runs
RES=$WORK/results
: > "$RES"
# measure PAIR XFORM: one row of RES
measure() {
	local pair=$1 x=$2 src=10.94.1.1 dst=10.94.2.1 rtt one two a0 a1 b0 b1 ua0 ua1 ub0 ub1
	if [ "$pair" = none ]; then src=10.94.9.2 dst=10.94.0.2; fi
	rtt=$(ping_rtt $src $dst)
	[ -z "$A_PID" ] || { a0=$(ticks $A_PID); b0=$(ticks $B_PID); ua0=$(uticks $A_PID); ub0=$(uticks $B_PID); }
	one=$(iperf $src $dst 1 "$SECS" "$WORK/$pair-$x.1.json")
	[ -z "$A_PID" ] || { a1=$(ticks $A_PID); b1=$(ticks $B_PID); ua1=$(uticks $A_PID); ub1=$(uticks $B_PID); }
	two=$(iperf $src $dst 2 "$SECS" "$WORK/$pair-$x.2.json")
	if [ -z "$rtt" ] || [ -z "$one" ] || [ -z "$two" ]; then
		fail "$pair $x: a measurement failed (rtt '$rtt', 1 stream '$one', 2 streams '$two')"
		return 1
	fi
	# A's TUN: TSO packets read, segments cut from them (ours only)
	local tr=0 ts=0
	if [ -f "$A_DIR/esp.stats" ]; then
		sleep 1.1   # the statistics file is rewritten every second
		tr=$(sed -n 's/^tun_tso_reads //p' "$A_DIR/esp.stats")
		ts=$(sed -n 's/^tun_tso_segments //p' "$A_DIR/esp.stats")
	fi
	echo "$pair $x $rtt $one ${two%% *} ${a0:-0} ${a1:-0} ${b0:-0} ${b1:-0} $(( ${ua1:-0} - ${ua0:-0} )) $(( ${ub1:-0} - ${ub0:-0} )) ${tr:-0} ${ts:-0}" >> "$RES"
	log "$pair $(xform_name $x): rtt ${rtt% *} ms, ${one%% *} Mbit/s (1 stream), ${two%% *} Mbit/s (2), A read ${tr:-0} TSO packets (${ts:-0} segments)"
}

log "baseline: no tunnel, A -> B over R"
nat off
A_PID= B_PID=
measure none -

for round in $(seq "$ROUNDS"); do
for pair in $PAIRS; do
	case $pair in
	ours|ours-udp|ours-nt|ours-udp-nt) ;;
	charon|mixed) [ $have_charon = 1 ] || { log "$pair: strongSwan with kernel-libipsec not installed, left out"; continue; } ;;
	*) echo "PAIRS: ours ours-udp ours-nt ours-udp-nt charon mixed" >&2; exit 2 ;;
	esac
	for x in $XFORMS; do
		case $x in gcm|cbc) ;; *) echo "XFORMS: gcm cbc" >&2; exit 2 ;; esac
		log "$pair $(xform_name $x): starting (round $round)"
		if start_pair $pair $x "-$round"; then
			measure $pair $x
		else
			fail "$pair $x: no tunnel"
			tail -5 "$A_DIR"/*.log "$B_DIR"/*.log 2>/dev/null
		fi
		stop_pair
	done
done
done

# -------------------------------------------------------- crypto floor
CF=$WORK/crypto
: > "$CF"
if [ -x "$CRYPTO" ]; then
	for f in aes128-gcm-16 aes128-cbc hmac-sha256-128; do
		IKEV2D_PLUGIN_PATH=$top_builddir/plugins/nettle/.libs "$CRYPTO" 0.5 3 "$f" 2>/dev/null |
			grep -v '^operation' >> "$CF"
	done
else
	log "crypto_bench not built (make testing/bench/crypto_bench): no crypto floor"
fi
floor() {   # gcm|cbc: MB/s of one core doing the transform (encrypt side)
	case $1 in
	gcm) awk '/aes128-gcm-16 encrypt/ { print $3; exit }' "$CF" ;;
	cbc) awk '/aes128-cbc encrypt/ { c = $3 } /hmac-sha256-128/ { m = $4 }
		END { if (c && m) printf "%.1f", 1 / (1 / c + 1 / m) }' "$CF" ;;
	esac
}

# ---------------------------------------------------------- IKE rate
IK=$WORK/ike
: > "$IK"
ike_rate() {   # PAIR STATE(idle|saturated)
	local pair=$1 st=$2 out=$WORK/ike-$1-$2 cl=
	if ! start_pair "$pair" gcm "-ike-$st"; then
		fail "ike $pair: no tunnel"; stop_pair; return 1
	fi
	if [ "$st" = saturated ]; then
		ip netns exec $NB iperf3 -s -1 -B 10.94.2.1 -p 5398 > "$out.srv" 2>&1 &
		PIDS+=("$!")
		sleep 0.5
		ip netns exec $NA iperf3 -c 10.94.2.1 -B 10.94.1.1 -p 5398 -P 2 -t 600 \
			-J > "$out.iperf" 2>&1 &
		cl=$!; PIDS+=("$cl")
		sleep 2
	fi
	local b0 b1
	b0=$(sed -n 's/^rx_bytes //p' "$B_DIR/esp.stats" 2>/dev/null)
	ip netns exec $NR "$LOAD" -f "$WORK/load.config" -i load -n "$IKE_N" -w 200 \
		-p "$B_PID" -T 300 > "$out.report" 2> "$out.log"
	sleep 1.1   # the statistics file is rewritten every second
	b1=$(sed -n 's/^rx_bytes //p' "$B_DIR/esp.stats")
	if [ -n "$cl" ]; then
		kill -INT "$cl" 2>/dev/null; wait "$cl" 2>/dev/null; forget_pid "$cl"
	fi
	local est rate cpu secs
	est=$(sed -n 's/^established=//p' "$out.report")
	rate=$(sed -n 's/^rate=//p' "$out.report")
	cpu=$(sed -n 's/^resp_cpu_us_per_sa=//p' "$out.report")
	secs=$(awk -v n="${est:-0}" -v r="${rate:-0}" 'BEGIN { if (r > 0) printf "%.1f", n / r; else print 0 }')
	echo "$pair $st ${est:-0} ${rate:-0} ${cpu:-?} $(( (${b1:-0} - ${b0:-0}) / 1000000 )) $secs" >> "$IK"
	log "ike $pair $st: ${est:-0}/$IKE_N IKE SAs, ${rate:-0}/s, B's CPU ${cpu:-?} µs/SA"
	[ "${est:-0}" = "$IKE_N" ] || fail "ike $pair $st: $est of $IKE_N IKE SAs established"
	stop_pair
}
if [ "$IKE" = 1 ]; then
	if [ -x "$LOAD" ]; then
		load_config
		for pair in ours ours-udp; do
			case " $PAIRS " in *" $pair "*) ;; *) continue ;; esac
			ike_rate $pair idle
			ike_rate $pair saturated
		done
	else
		log "ikev2d-load not built: no IKE rate"
	fi
fi

# -------------------------------------------------------------- table
echo
echo "== userspace ESP benchmark, $(date -u '+%F %T UTC'), commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null), $(nproc) CPUs at ${MHZ} MHz, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "iperf3 A -> B ${SECS}s; ping 200 x 10 ms; kernel-userspace threads = $THREADS; cycles/B = daemon CPU s x clock / bytes (1 stream)"
echo
printf '| %-11s | %-19s | %9s | %9s | %11s | %11s | %13s | %13s | %12s | %9s |\n' pair ESP "1 stream" "2 streams" "RTT ms" "added ms" "A cyc/B (usr)" "B cyc/B (usr)" "MB/CPU-s" "TSO seg/r"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------- --------------------- ----------: ----------: -------------: -------------: --------------: --------------: --------------: ----------:
base=$(awk '$1 == "none" { print $3 }' "$RES")
while read -r pair x avg mdev mb bytes mb2 a0 a1 b0 b1 ua ub tr ts; do
	awk -v p="$pair" -v x="$( [ "$x" = - ] && echo - || xform_name "$x")" -v avg="$avg" -v mdev="$mdev" \
		-v mb="$mb" -v by="$bytes" -v mb2="$mb2" -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v ua="$ua" -v ub="$ub" \
		-v hz="$HZ" -v mhz="$MHZ" -v base="${base:-0}" -v tr="$tr" -v ts="$ts" 'BEGIN {
		if (p == "none") { ca = "-"; cb = "-"; per = "-"; add = "-" }
		else {
			ca = sprintf("%.1f (%.1f)", a / hz * mhz * 1e6 / by, ua / hz * mhz * 1e6 / by)
			cb = sprintf("%.1f (%.1f)", b / hz * mhz * 1e6 / by, ub / hz * mhz * 1e6 / by)
			per = (a + b) ? sprintf("%.0f", by / 1e6 / ((a + b) / hz)) : "-"
			add = sprintf("%.3f", avg - base)
		}
		tso = tr ? sprintf("%.1f", ts / tr) : "-"
		printf "| %-11s | %-19s | %4d Mb/s | %4d Mb/s | %5.3f ±%.3f | %11s | %13s | %13s | %12s | %9s |\n",
			p, x, mb, mb2, avg, mdev, add, ca, cb, per, tso }'
done < "$RES"
echo
if [ -s "$CF" ]; then
	echo "crypto floor (nettle plugin, one core, 1400-byte packets, best of 3):"
	sed 's/^/    /' "$CF"
	for x in $XFORMS; do
		f=$(floor $x)
		[ -n "$f" ] || continue
		# averages over the rounds, 1 stream, per pair of ours
		c=$(awk -v x=$x '$1 == "charon" && $2 == x { s += $5; n++ } END { if (n) print s / n }' "$RES")
		for p in ours ours-udp ours-nt ours-udp-nt; do
			o=$(awk -v p=$p -v x=$x '$1 == p && $2 == x { s += $5; n++ } END { if (n) print s / n }' "$RES")
			[ -n "$o" ] || continue
			awk -v n="$(xform_name $x)" -v p=$p -v f="$f" -v o="${o:-0}" -v c="${c:-0}" 'BEGIN {
				printf "    %-19s floor %7.1f MB/s; %-11s 1 stream %6.1f MB/s (floor / ours %.1fx)", n, f, p, o / 8, o ? f / (o / 8) : 0
				if (c) printf "; charon %6.1f MB/s (ours / charon %.2fx)", c / 8, o / c
				printf "\n" }'
		done
	done
	echo
fi
if [ -s "$IK" ]; then
	echo "IKE handshake rate at B (ikev2d-load from R, $IKE_N IKE SAs + CHILD SAs, window 200, ESP AES-GCM-128 tunnel):"
	printf '| %-9s | %-9s | %11s | %9s | %13s | %16s |\n' pair tunnel established "IKE SA/s" "B CPU µs/SA" "tunnel MB at B"
	printf '|%s|%s|%s|%s|%s|%s|\n' ----------- ----------- -------------: ----------: ---------------: ------------------:
	while read -r pair st est rate cpu mbytes secs; do
		printf '| %-9s | %-9s | %11s | %9s | %13s | %9s in %ss |\n' "$pair" "$st" "$est" "$rate" "$cpu" "$mbytes" "$secs"
	done < "$IK"
	echo
fi
[ "${KEEP:-0}" = 1 ] && log "work directory: $WORK"
finish
