#!/bin/bash
# guest-xfrm.sh - the kernel-netlink benchmark of issue 9, in the qemu guest
# (a kernel with ESP; testing/guest/run.sh), one boot, ours vs charon in the
# same guest and the same run:
#
#   testing/bench/guest-xfrm.sh [N]        (as root; default N = 10000)
#
#  1. CHILD SA install rate into XFRM: testing/bench/run-load.sh N with
#     KERNEL=netlink, RESPONDERS="ours charon-nl", BLOCKS=10: our initiator
#     opens N IKE SAs, each with one CHILD SA, against our responder
#     (kernel-netlink) and, in another pair of namespaces, against charon
#     (kernel-netlink), the two in turn by blocks of N/10 (ABBA...), so the
#     host's changing load falls on both alike; every CHILD SA is
#     installed into the namespaces' XFRM on both sides, and the table
#     shows how many ESP SAs the responder's XFRM holds at the end, the
#     guest's load average and the rate ratio.
#  1b. the same with KERNEL=pfkey (our sides through kernel-pfkey, PF_KEY
#     v2), ours and charon-nl again (Debian's charon has no PF_KEY
#     backend), ESP aes128-sha1 for all (PF_KEY has no HMAC-SHA2-256-128).
#  2. ESP round trip through a tunnel: two in.ikev2d with kernel-netlink
#     and, in another pair of namespaces, two charons with kernel-netlink,
#     same suite (aes128gcm16), both tunnels up at once; RTT_ROUNDS rounds
#     (default 10) of RTT_COUNT pings (default 200, -i 0.005) through each,
#     in turn (ABBA); prints each round, the medians, their spread and the
#     ratio, and fails if our median is more than 10 % above charon's (the
#     ESP work is the kernel's in both cases: the tunnel set-up must not
#     make it slower).  RTT_SETUP=1 also prints both initiators' policies,
#     states (no keys), rules and routes; RTT_CHILD="LINES" adds lines to
#     our childsa entries (e.g. RTT_CHILD="replay_window = 32;").
# Environment: GUEST_MEM (default 1536M); GUEST_TIMEOUT (seconds, default
# 7200); WINDOW (default 100 here: under TCG a responder sets up some 30
# SAs/s, so 500 in flight would wait ~17 s each and every request would be
# retransmitted), THREADS, BLOCKS (default 10; 1 = one run after the
# other), KERNEL_SPI (run-load.sh; default false: SPIs picked by us);
# INIT_KE_REUSE (run-load.sh; default 60 here: our initiator reuses its
# DH value for 60 s, a lighter load generator; the responders make fresh
# values); GUEST_SMP (vCPUs, default 2 here: initiator and responder each
# can have one, so the table's busy % says which side bounds the rate);
# PARTS="netlink pfkey rtt" (the default: all three) picks parts, e.g. two
# guests at once with PARTS="netlink" and "pfkey rtt".
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(hostname)" != guest ]; then
	: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
	: "${top_builddir:=$top_srcdir/build}"
	export top_srcdir top_builddir GUEST_BENCH_N=${1:-10000}
	# run.sh passes only GUEST_* and IKEV2D_* into the guest
	export GUEST_BENCH_WINDOW=${WINDOW:-100} GUEST_BENCH_THREADS=${THREADS:-2}
	export GUEST_BENCH_PARTS=${PARTS:-netlink pfkey rtt} GUEST_BENCH_KERNEL_SPI=${KERNEL_SPI:-false}
	export GUEST_BENCH_BLOCKS=${BLOCKS:-10} GUEST_BENCH_RTT_ROUNDS=${RTT_ROUNDS:-10}
	export GUEST_BENCH_RTT_COUNT=${RTT_COUNT:-200} GUEST_BENCH_RTT_SETUP=${RTT_SETUP:-}
	export GUEST_BENCH_RTT_CHILD=${RTT_CHILD:-} GUEST_BENCH_INIT_KE_REUSE=${INIT_KE_REUSE:-60}
	# two vCPUs: the initiator and the responder each can have one
	export GUEST_SMP=${GUEST_SMP:-2}
	export IKEV2D_PLUGIN_PATH=${IKEV2D_PLUGIN_PATH:-$(sh "$top_srcdir/testing/plugin-path.sh" "$top_builddir")}
	# The guest sees only its own load; the host's is what slows TCG.
	echo "host: load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%F %T UTC'), commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo ?)"
	bash "$top_srcdir/testing/guest/run.sh" -t "${GUEST_TIMEOUT:-7200}" -m "${GUEST_MEM:-1536M}" "$here/guest-xfrm.sh"
	rc=$?
	echo "host: load average $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u '+%F %T UTC')"
	exit $rc
fi

# ---------------------------------------------------------- in the guest
N=${GUEST_BENCH_N:-10000}
export WINDOW=${GUEST_BENCH_WINDOW:-100} THREADS=${GUEST_BENCH_THREADS:-2}
export KERNEL_SPI=${GUEST_BENCH_KERNEL_SPI:-false} BLOCKS=${GUEST_BENCH_BLOCKS:-10}
export INIT_KE_REUSE=${GUEST_BENCH_INIT_KE_REUSE:-60}
# the initiators' limit counts only their own turns
export TIMEOUT=7200
parts=" ${GUEST_BENCH_PARTS:-netlink pfkey rtt} "
rc1=0
if [ "${parts#* netlink }" != "$parts" ]; then
	echo "== 1. CHILD SA install rate into XFRM, N=$N (run-load.sh, KERNEL=netlink)"
	KERNEL=netlink RESPONDERS="ours charon-nl" BUILD=$top_builddir bash "$here/run-load.sh" "$N" ||
		rc1=$?
fi
if [ "${parts#* pfkey }" != "$parts" ]; then
	echo "== 1b. CHILD SA install rate through PF_KEY, N=$N (run-load.sh, KERNEL=pfkey)"
	KERNEL=pfkey RESPONDERS="ours charon-nl" BUILD=$top_builddir bash "$here/run-load.sh" "$N" ||
		rc1=$?
fi
if [ "${parts#* rtt }" = "$parts" ]; then
	[ "$rc1" = 0 ] || { echo "FAIL: run-load.sh exited $rc1"; exit 1; }
	echo "RESULT: PASS"
	exit 0
fi

echo "== 2. ESP round trip through the tunnel (kernel-netlink both times)"
. "$top_srcdir/testing/netns/lib.sh"
. "$top_srcdir/testing/guest/charon.sh"
START_WAIT=120
guest_charon_ok || exit 77
mkwork bench-rtt
# Two pairs of namespaces with the same addresses: ours in O1/O2, charon's
# in C1/C2, both tunnels up at once, so samples can alternate.
O1=net-brto1-$$ O2=net-brto2-$$ C1=net-brtc1-$$ C2=net-brtc2-$$
for p in "$O1 $O2" "$C1 $C2"; do
	set -- $p
	ns_add "$1"; ns_add "$2"
	link_ns "$1" va 10.94.0.1/24 "$2" vb 10.94.0.2/24
	ip -n "$1" link add lan type dummy; ip -n "$1" addr add 10.94.1.1/24 dev lan; ip -n "$1" link set lan up
	ip -n "$2" link add lan type dummy; ip -n "$2" addr add 10.94.2.1/24 dev lan; ip -n "$2" link set lan up
done
rtt() {   # NS TAG COUNT -> median RTT in ms of COUNT pings at 5 ms through NS's tunnel
	# (each reply's time also goes to $WORK/times.TAG)
	ip netns exec "$1" ping -n -c "$3" -i 0.005 -I 10.94.1.1 10.94.2.1 > "$WORK/ping.$2" 2>&1
	grep -q " 0% packet loss" "$WORK/ping.$2" || { tail -3 "$WORK/ping.$2" >&2; echo "lost"; return 1; }
	sed -n 's/.* time=\([0-9.]*\) ms$/\1/p' "$WORK/ping.$2" > "$WORK/times.$2"
	median < "$WORK/times.$2"
}
median() {   # numbers on stdin -> their median
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) exit 1
		printf "%.3f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
setup() {   # NS: what the packets meet (keys left out)
	echo "-- policies"; ip -n "$1" xfrm policy
	echo "-- states"; ip -n "$1" -s -d xfrm state | grep -v -e '^\s*\(aead\|enc\|auth\|auth-trunc\) '
	echo "-- rules"; ip -n "$1" rule
	echo "-- routes"; ip -n "$1" route show table all | grep -v -e '^local\|^broadcast\|ff00::\|fe80::'
}
write_config "$WORK/a" kernel=netlink local=10.94.0.1 remote=10.94.0.2 local_ts=10.94.1.0/24 \
	remote_ts=10.94.2.0/24 auto_start=true debug=op extra_child="${GUEST_BENCH_RTT_CHILD:-}"
write_config "$WORK/b" kernel=netlink local=10.94.0.2 remote=10.94.0.1 local_ts=10.94.2.0/24 \
	remote_ts=10.94.1.0/24 debug=op extra_child="${GUEST_BENCH_RTT_CHILD:-}"
start_daemon "$O2" "$WORK/b" && start_daemon "$O1" "$WORK/a" &&
	wait_for 60 grep -q "CHILD SA established" "$WORK/a/daemon.log" || { echo "our tunnel did not come up"; exit 1; }
guest_charon_start "$WORK/ca" "$C1" local=10.94.0.1 remote=10.94.0.2 local_ts=10.94.1.0/24 remote_ts=10.94.2.0/24 || exit 1
guest_charon_start "$WORK/cb" "$C2" local=10.94.0.2 remote=10.94.0.1 local_ts=10.94.2.0/24 remote_ts=10.94.1.0/24 || exit 1
guest_charon_initiate "$WORK/ca"
guest_charon_wait_child "$WORK/ca" 60 || { echo "charon's tunnel did not come up"; tail -20 "$WORK/ca/charon.log"; exit 1; }
# warm up both (ARP, route caches)
rtt "$O1" warm-o 20 > /dev/null; rtt "$C1" warm-c 20 > /dev/null
ROUNDS=${GUEST_BENCH_RTT_ROUNDS:-10} COUNT=${GUEST_BENCH_RTT_COUNT:-200}
echo "$ROUNDS rounds of $COUNT pings (-i 0.005) each, ours and charon in turn (ABBA), per round the median reply time; guest load $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/rtt.ours"; : > "$WORK/rtt.charon"; : > "$WORK/all.ours"; : > "$WORK/all.charon"
for k in $(seq 1 "$ROUNDS"); do
	if [ $((k % 2)) = 1 ]; then order="ours charon"; else order="charon ours"; fi
	for who in $order; do
		ns=$O1; [ "$who" = charon ] && ns=$C1
		v=$(rtt "$ns" "$who.$k" "$COUNT") || { echo "$who: pings lost in round $k"; exit 1; }
		echo "$v" >> "$WORK/rtt.$who"
		cat "$WORK/times.$who.$k" >> "$WORK/all.$who"
	done
	echo "round $k: ours $(tail -1 "$WORK/rtt.ours") ms, charon $(tail -1 "$WORK/rtt.charon") ms"
done
for who in O1 C1; do
	ns=${!who}
	ip -n "$ns" -s xfrm state | grep -q "proto esp" || { echo "no ESP SA in $ns"; exit 1; }
done
if [ -n "${GUEST_BENCH_RTT_SETUP:-}" ]; then
	echo "---- our initiator's namespace"; setup "$O1"
	echo "---- charon's initiator's namespace"; setup "$C1"
fi
stop_daemon "$WORK/a"; stop_daemon "$WORK/b"
guest_charon_stop "$WORK/ca"; guest_charon_stop "$WORK/cb"
spread() {   # FILE -> "min..max"
	sort -n "$1" | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%s..%s\n", a, b }'
}
mean() { awk '{ s += $1 } END { printf "%.3f\n", s / NR }' "$1"; }
om=$(median < "$WORK/all.ours") cm=$(median < "$WORK/all.charon")
echo
echo "ESP round trip, aes128gcm16 tunnel, kernel XFRM, $ROUNDS x $COUNT pings each, interleaved:"
echo "  ours   median ${om} ms of $(wc -l < "$WORK/all.ours") replies (mean $(mean "$WORK/all.ours")), rounds' medians $(spread "$WORK/rtt.ours")"
echo "  charon median ${cm} ms of $(wc -l < "$WORK/all.charon") replies (mean $(mean "$WORK/all.charon")), rounds' medians $(spread "$WORK/rtt.charon")"
echo "  guest load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$om" -v b="$cm" 'BEGIN { printf "ratio ours/charon (medians): %.2f\n", a / b; exit !(a <= b * 1.10) }' ||
	{ echo "FAIL: our tunnel's round trip is more than 10 % slower than charon's"; exit 1; }
[ "$rc1" = 0 ] || { echo "FAIL: run-load.sh exited $rc1"; exit 1; }
echo "RESULT: PASS"
exit 0
