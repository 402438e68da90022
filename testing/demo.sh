#!/bin/bash
# demo.sh - two in.ikev2d daemons in two network namespaces negotiate an IKE
# SA and a CHILD SA with the shipped demo configuration (cfg/demo/), then
# show what each one installed and, with a real backend, ping through the
# tunnel.
#
#   testing/demo.sh  (as root)      build first if there is no build yet
#
# The kernel backend is chosen by what this machine has, and said:
#   kernel-netlink    the kernel has ESP (XFRM): the kernel protects traffic
#                     (cfg/demo/gw-*-netlink.config)
#   kernel-userspace  no ESP in the kernel, but /dev/net/tun: in.ikev2d does
#                     ESP itself over a TUN device (cfg/demo/gw-*-userspace.config)
#   kernel-null       neither (or DEMO_BACKEND=null): the SAs are only
#                     recorded, nothing is protected (cfg/demo/gw-*.config)
# DEMO_BACKEND=netlink|userspace|null forces one.
#
# Uses namespaces ikv-demo-a/ikv-demo-b with 10.123.0.1/10.123.0.2 on a veth
# pair, the protected subnets 10.123.1.0/24 (A) and 10.123.2.0/24 (B);
# everything is removed at exit.  Builds into ./build (autogen, configure,
# make -j2) when in.ikev2d is not built yet.  Exit 0 when both sides have
# the same CHILD SA (and, with a real backend, a ping from 10.123.1.1 to
# 10.123.2.1 got through), 1 otherwise, 77 when it cannot run here.
. "$(dirname "$0")/netns/lib.sh"

need_root
if [ ! -x "$DAEMON" ]; then
	log "no in.ikev2d at $DAEMON: building into $top_srcdir/build"
	( cd "$top_srcdir" && ./autogen.sh && mkdir -p build && cd build &&
	  ../configure && make -j2 ) > /tmp/ikv-demo-build.log 2>&1 ||
		{ tail -30 /tmp/ikv-demo-build.log; echo "build failed (log: /tmp/ikv-demo-build.log)"; exit 1; }
	top_builddir=$top_srcdir/build
	DAEMON=$top_builddir/core/daemon/in.ikev2d
	IKEV2D_PLUGIN_PATH=$(sh "$top_srcdir/testing/plugin-path.sh" "$top_builddir")
fi
need_daemon
require_cap ike

built() { [ -f "$top_builddir/kernel-backends/$1/.libs/kernel-$1.so" ]; }

# Does the kernel do ESP?  Try to add one ESP SA in a throw-away namespace.
kernel_has_esp() {
	local ns=ikv-demo-probe$$ ok=1
	ip netns add $ns 2>/dev/null || return 1
	ip -n $ns xfrm state add src 10.123.9.1 dst 10.123.9.2 proto esp spi 0x1000 \
		mode tunnel enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
		auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 128 \
		2>/dev/null && ok=0
	ip netns del $ns 2>/dev/null
	return $ok
}

choose_backend() {
	case ${DEMO_BACKEND:-} in
	netlink|userspace|null) echo "$DEMO_BACKEND (DEMO_BACKEND)"; return ;;
	"") ;;
	*) echo "DEMO_BACKEND must be netlink, userspace or null" >&2; exit 2 ;;
	esac
	if kernel_has_esp; then
		if built netlink && [ -f "$top_srcdir/cfg/demo/gw-a-netlink.config" ]; then
			echo "netlink (the kernel has ESP)"; return
		fi
		if built userspace && [ -c /dev/net/tun ]; then
			echo "userspace (the kernel has ESP, but kernel-netlink is not built)"; return
		fi
	elif built userspace && [ -c /dev/net/tun ]; then
		echo "userspace (the kernel has no ESP; in.ikev2d does ESP over a TUN device)"; return
	fi
	echo "null (neither kernel ESP nor a TUN device with kernel-userspace: nothing is protected)"
}

choice=$(choose_backend)
backend=${choice%% *}
echo "== kernel backend: kernel-$choice"
suffix=
[ "$backend" = null ] || suffix=-$backend

mkwork demo
cp "$top_srcdir"/cfg/demo/* "$WORK/"
chmod 600 "$WORK"/*.preshared
ns_add ikv-demo-a
ns_add ikv-demo-b
link_ns ikv-demo-a ikv-demo-va 10.123.0.1/24 ikv-demo-b ikv-demo-vb 10.123.0.2/24
# each gateway's address inside its protected subnet, to ping from and to
ip -n ikv-demo-a addr add 10.123.1.1/32 dev lo
ip -n ikv-demo-b addr add 10.123.2.1/32 dev lo

start() {   # side
	( cd "$WORK" && exec ip netns exec "ikv-demo-$1" env IKEV2D_PLUGIN_PATH="$IKEV2D_PLUGIN_PATH" \
		"$DAEMON" -d -f "$WORK/gw-$1$suffix.config" -p "$WORK/gw-$1.pid" ) > "$WORK/gw-$1.log" 2>&1 &
	PIDS+=("$!")
}

echo "== checking the demo configuration"
for s in a b; do
	"$DAEMON" -c -f "$WORK/gw-$s$suffix.config" || { fail "gw-$s$suffix.config does not check"; finish; }
done
echo "== starting gateway B (10.123.0.2, responder) and gateway A (10.123.0.1, initiator)"
start b
sleep 0.5
start a

null_paired() {
	[ "$(grep -c '^sa ' "$WORK/gw-a.state" 2>/dev/null)" = 2 ] &&
	[ "$(grep -c '^sa ' "$WORK/gw-b.state" 2>/dev/null)" = 2 ] &&
	[ "$(grep '^sa dir=out' "$WORK/gw-a.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')" = \
	  "$(grep '^sa dir=in' "$WORK/gw-b.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')" ]
}
child_up() { grep -q "CHILD SA established" "$WORK/gw-$1.log"; }

# DEMO_WAIT: seconds for the CHILD SA (20; the qemu guest's check gives
# more, where under TCG a daemon's start alone takes 5-10 s)
wait_s=${DEMO_WAIT:-20}
if [ "$backend" = null ]; then
	wait_for "$wait_s" null_paired || fail "no matching CHILD SA on both gateways within $wait_s s"
else
	{ wait_for "$wait_s" child_up a && wait_for 5 child_up b; } ||
		fail "no CHILD SA on both gateways within $wait_s s"
fi

for s in a b; do
	echo
	echo "== gateway ${s^^}: what in.ikev2d said"
	sed 's/^/   /' "$WORK/gw-$s.log"
	if [ "$backend" = null ]; then
		echo "== gateway ${s^^}: what it installed (kernel-null state, $WORK/gw-$s.state)"
		sed 's/^/   /' "$WORK/gw-$s.state" 2>/dev/null
	fi
done
echo
if [ "$FAILED" = 0 ] && [ "$backend" = null ]; then
	echo "Gateway A's outbound SPI $(grep '^sa dir=out' "$WORK/gw-a.state" | sed 's/.* spi=\([0-9a-f]*\) .*/\1/') is gateway B's inbound SPI, and back: one tunnel, 10.123.1.0/24 <=> 10.123.2.0/24."
	echo "(kernel-null protects nothing: no traffic was sent.)"
elif [ "$FAILED" = 0 ]; then
	echo "== ping from 10.123.1.1 (behind A) to 10.123.2.1 (behind B) through the tunnel (kernel-$backend)"
	ip netns exec ikv-demo-a ping -c 3 -W 2 -I 10.123.1.1 10.123.2.1 > "$WORK/ping.out" 2>&1
	rc=$?
	sed 's/^/   /' "$WORK/ping.out"
	[ "$rc" = 0 ] || fail "ping through the tunnel failed"
	if [ "$backend" = netlink ]; then
		echo "== gateway A's kernel SAs (ip -s xfrm state)"
		ip -n ikv-demo-a -s xfrm state | sed 's/^/   /'
	fi
	[ "$FAILED" = 0 ] && echo "One tunnel, 10.123.1.0/24 <=> 10.123.2.0/24: the pings went through ESP (kernel-$backend)."
fi
finish
