#!/bin/bash
# demo.sh - two in.ikev2d daemons in two network namespaces negotiate an IKE
# SA and a CHILD SA with the shipped demo configuration (cfg/demo/), then
# show what each one installed (the null kernel backend's state).
#
#   testing/demo.sh  (as root)      build first if there is no build yet
#
# Uses namespaces ikv-demo-a/ikv-demo-b with 10.123.0.1/10.123.0.2 on a veth
# pair; everything is removed at exit.  Builds into ./build (autogen,
# configure, make -j2) when in.ikev2d is not built yet.  Exit 0 when both
# sides installed the same CHILD SA, 1 otherwise, 77 when it cannot run here.
. "$(dirname "$0")/netns/lib.sh"

need_root
if [ ! -x "$DAEMON" ]; then
	log "no in.ikev2d at $DAEMON: building into $top_srcdir/build"
	( cd "$top_srcdir" && ./autogen.sh && mkdir -p build && cd build &&
	  ../configure && make -j2 ) > /tmp/ikv-demo-build.log 2>&1 ||
		{ tail -30 /tmp/ikv-demo-build.log; echo "build failed (log: /tmp/ikv-demo-build.log)"; exit 1; }
	top_builddir=$top_srcdir/build
	DAEMON=$top_builddir/core/daemon/in.ikev2d
	IKEV2D_PLUGIN_PATH=$top_builddir/plugins/nettle/.libs:$top_builddir/plugins/psk/.libs:$top_builddir/kernel-backends/null/.libs
fi
need_daemon
require_cap ike

mkwork demo
cp "$top_srcdir"/cfg/demo/* "$WORK/"
chmod 600 "$WORK"/*.preshared
ns_add ikv-demo-a
ns_add ikv-demo-b
link_ns ikv-demo-a ikv-demo-va 10.123.0.1/24 ikv-demo-b ikv-demo-vb 10.123.0.2/24

start() {   # side
	( cd "$WORK" && exec ip netns exec "ikv-demo-$1" env IKEV2D_PLUGIN_PATH="$IKEV2D_PLUGIN_PATH" \
		"$DAEMON" -d -f "$WORK/gw-$1.config" -p "$WORK/gw-$1.pid" ) > "$WORK/gw-$1.log" 2>&1 &
	PIDS+=("$!")
}

echo "== checking the demo configuration"
for s in a b; do
	"$DAEMON" -c -f "$WORK/gw-$s.config" || { fail "gw-$s.config does not check"; finish; }
done
echo "== starting gateway B (10.123.0.2, responder) and gateway A (10.123.0.1, initiator)"
start b
sleep 0.5
start a

paired() {
	[ "$(grep -c '^sa ' "$WORK/gw-a.state" 2>/dev/null)" = 2 ] &&
	[ "$(grep -c '^sa ' "$WORK/gw-b.state" 2>/dev/null)" = 2 ] &&
	[ "$(grep '^sa dir=out' "$WORK/gw-a.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')" = \
	  "$(grep '^sa dir=in' "$WORK/gw-b.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')" ]
}
wait_for 20 paired || fail "no matching CHILD SA on both gateways within 20 s"

for s in a b; do
	echo
	echo "== gateway ${s^^}: what in.ikev2d said"
	sed 's/^/   /' "$WORK/gw-$s.log"
	echo "== gateway ${s^^}: what it installed (kernel-null state, $WORK/gw-$s.state)"
	sed 's/^/   /' "$WORK/gw-$s.state" 2>/dev/null
done
echo
if [ "$FAILED" = 0 ]; then
	echo "Gateway A's outbound SPI $(grep '^sa dir=out' "$WORK/gw-a.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/') is gateway B's inbound SPI, and back: one tunnel, 10.123.1.0/24 <=> 10.123.2.0/24."
fi
finish
