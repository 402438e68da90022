#!/bin/bash
# demo-userspace.sh - the two-gateway demo with real traffic: two in.ikev2d
# in two network namespaces with cfg/demo/gw-*-userspace.config (the
# kernel-userspace backend: ESP done by the daemon over a TUN device, so it
# works on kernels without ESP) set up the tunnel 10.123.1.0/24 <=>
# 10.123.2.0/24 and a ping from 10.123.1.1 (gateway A) reaches 10.123.2.1
# (gateway B) through it; the ESP counters of both sides are shown.
#
#   sudo testing/demo-userspace.sh
#
# Namespaces ikv-demo-ua/ikv-demo-ub, removed at exit.  Exit 0 when the
# pings came back through the tunnel, 1 otherwise, 77 when it cannot run.
. "$(dirname "$0")/netns/lib.sh"

need_root
need_daemon
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
require_cap ike

mkwork demo-us
cp "$top_srcdir"/cfg/demo/* "$WORK/"
chmod 600 "$WORK"/*.preshared
ns_add ikv-demo-ua
ns_add ikv-demo-ub
link_ns ikv-demo-ua ikv-demo-va 10.123.0.1/24 ikv-demo-ub ikv-demo-vb 10.123.0.2/24
ip -n ikv-demo-ua addr add 10.123.1.1/32 dev lo
ip -n ikv-demo-ub addr add 10.123.2.1/32 dev lo

start() {   # side
	( cd "$WORK" && exec ip netns exec "ikv-demo-u$1" env IKEV2D_PLUGIN_PATH="$IKEV2D_PLUGIN_PATH" \
		"$DAEMON" -d -f "$WORK/gw-$1-userspace.config" -p "$WORK/gw-$1.pid" ) > "$WORK/gw-$1.log" 2>&1 &
	PIDS+=("$!")
}

echo "== checking the demo configuration"
for s in a b; do
	"$DAEMON" -c -f "$WORK/gw-$s-userspace.config" || { fail "gw-$s-userspace.config does not check"; finish; }
done
echo "== starting gateway B (10.123.0.2) and gateway A (10.123.0.1, initiator), kernel-userspace"
start b
sleep 0.5
start a
wait_for 20 grep -q "CHILD SA established" "$WORK/gw-a.log" ||
	fail "no CHILD SA within 20 s"
echo "== ping 10.123.1.1 (A's subnet) -> 10.123.2.1 (B's subnet) through the tunnel"
ip netns exec ikv-demo-ua ping -c 3 -I 10.123.1.1 10.123.2.1 || fail "no reply through the tunnel"
sleep 1.2
for s in a b; do
	echo
	echo "== gateway ${s^^}: what in.ikev2d said"
	sed 's/^/   /' "$WORK/gw-$s.log"
	echo "== gateway ${s^^}: ESP counters ($WORK/gw-$s.esp-stats)"
	grep -v ' 0$' "$WORK/gw-$s.esp-stats" | sed 's/^/   /'
done
finish
