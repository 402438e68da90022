# testing/guest/pair.sh - the harness of the guest checks that run two
# in.ikev2d in two namespaces (checks/pfkey.sh, checks/netlink-events.sh;
# bash, sourced after lib.sh):
#
#   PAIR_BACKEND=kernel-netlink    # or kernel-pfkey: the plugin they load
#   PAIR_INNER_ROUTES=yes          # netsetup routes the inner networks
#   DAEMON=... W=... A=$W/a B=$W/b # the binary, the daemons' directories
#   . "$here/pair.sh"
#
# netsetup, conf, start/stop, pair_up and the checks' helpers, and
# admin_policy_check: a policy an administrator installed, the same check
# on both backends.

# ------------------------------------------------------------ network
# pa (192.0.2.1, inner 10.1.0.1) <-> pb (192.0.2.2, inner 10.2.0.1)
netsetup() {
	for n in pa pb pn; do ip netns del $n 2>/dev/null; done
	ip netns add pa; ip netns add pb
	ip -n pa link set lo up; ip -n pb link set lo up
	ip link add va netns pa type veth peer name vb netns pb
	ip -n pa addr add 192.0.2.1/24 dev va; ip -n pa link set va up
	ip -n pb addr add 192.0.2.2/24 dev vb; ip -n pb link set vb up
	ip -n pa link add ia type dummy; ip -n pa addr add 10.1.0.1/24 dev ia; ip -n pa link set ia up
	ip -n pb link add ib type dummy; ip -n pb addr add 10.2.0.1/24 dev ib; ip -n pb link set ib up
	# without them the daemons' routes (table 220) carry the tunnels
	if [ "${PAIR_INNER_ROUTES:-}" = yes ]; then
		ip -n pa route add 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
		ip -n pb route add 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1
	fi
}

# conf DIR LOCAL REMOTE KEY=VALUE...: keys auto (true/false), lts, rts,
# esp (libconfig text of esp_xform entries), mode, child (more childsa
# lines), rule (more rule lines), id_local, id_remote
conf() {
	local dir=$1 l=$2 r=$3; shift 3
	local auto=false lts= rts= mode=tunnel child= rule= idl=$l idr=$r children= privsep=
	local esp='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha1"; }'
	local kv
	for kv in "$@"; do
		case ${kv%%=*} in
		auto) auto=${kv#*=} ;; lts) lts=${kv#*=} ;; rts) rts=${kv#*=} ;;
		esp) esp=${kv#*=} ;; mode) mode=${kv#*=} ;; child) child=${kv#*=} ;;
		rule) rule=${kv#*=} ;; children) children=${kv#*=} ;;
		privsep) privsep=${kv#*=} ;;
		esac
	done
	cat > "$dir/ikev2.config" <<EOF
daemon = {
	debug_level = "all";
	pid_file = "$dir/pid";
	preshared_file = "$dir/ikev2.preshared";
	min_threads = 2; max_threads = 4;
$([ -z "$privsep" ] || echo "	privsep = $privsep;")
};
plugins = {
	load = [ "nettle", "psk", "$PAIR_BACKEND" ];
	critical = [ "nettle", "psk", "$PAIR_BACKEND" ];
$([ "$PAIR_BACKEND" != kernel-pfkey ] || echo "	kernel-pfkey = { state_file = \"$dir/pfkey.journal\"; };")
};
rules = ( {
	label = "r";
	auth_method = "preshared";
	local_addr = "$l"; remote_addr = "$r";
	local_id = { type = "ip"; value = "$idl"; };
	remote_id = { type = "ip"; value = "$idr"; };
	auto_start = $auto;
	ikesa_xform = ( { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; } );
	$rule
	childsa = ( $( if [ -n "$children" ]; then echo "$children"; else cat <<CHILD
	{
		$( [ -n "$lts" ] && echo "local_ts = \"$lts\";" )
		$( [ -n "$rts" ] && echo "remote_ts = \"$rts\";" )
		esp_xform = ( $esp );
		mode = "$mode";
		$child
	}
CHILD
	fi ) );
} );
EOF
	echo "keys = ( { label = \"r\"; key = \"${PAIR_BACKEND#kernel-}-test-secret\"; } );" > "$dir/ikev2.preshared"
	chmod 600 "$dir/ikev2.config" "$dir/ikev2.preshared"
}

wait_for() {   # SECS CMD...
	local end=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.2
	done
}

start() {   # NS DIR
	: > "$2/log"
	ip netns exec "$1" "$DAEMON" -d -f "$2/ikev2.config" > "$2/log" 2>&1 &
	echo $! > "$2/daemon.pid"
	wait_for 60 grep -q "net: listening on" "$2/log" || { tail -30 "$2/log"; return 1; }
}

stop() {   # DIR [SIGNAL]
	local pid
	pid=$(cat "$1/daemon.pid" 2>/dev/null) || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1/daemon.pid"
}

up() { grep -c "CHILD SA $2" "$1/log" 2>/dev/null | grep -qv '^0$'; }
child_up() { wait_for "${2:-60}" grep -q "CHILD SA established" "$1/log"; }

# every SA of the namespace has counted packets (an SA whose keys or SPI
# were swapped would count none: its peer cannot decrypt what it sends);
# the kernel's own larval ACQUIRE state (SPI 0), which it leaves to expire
# when the SA for an administrator's policy comes from us, is not one
all_sas_used() {   # NS
	local n bad=0 spis
	spis=$(ip -n "$1" xfrm state | awk '$1 == "proto" && $2 == "esp" && $4 != "0x00000000" { print $4 }')
	[ -n "$spis" ] || { echo "no SA in $1"; return 1; }
	for s in $spis; do
		n=$(xfrm_packets "$1" "$s")
		echo "$1 SA $s: $n packets"
		[ "$n" -gt 0 ] || bad=1
	done
	return $bad
}

empty_kernel() {   # NS
	local s p
	s=$(ip -n "$1" xfrm state | grep -c '^src')
	p=$(ip -n "$1" xfrm policy | grep -c '^src')
	echo "$1: $s SAs, $p policies"
	ip -n "$1" xfrm state; ip -n "$1" xfrm policy
	[ "$s" = 0 ] && [ "$p" = 0 ]
}

pair_up() {   # extra conf args for both (lts/rts as A sees them)...
	local kv bargs=()
	stop "$A"; stop "$B"
	for kv in "$@"; do
		case $kv in
		lts=*) bargs+=("rts=${kv#lts=}") ;;
		rts=*) bargs+=("lts=${kv#rts=}") ;;
		*) bargs+=("$kv") ;;
		esac
	done
	conf "$A" 192.0.2.1 192.0.2.2 auto=true "$@"
	conf "$B" 192.0.2.2 192.0.2.1 "${bargs[@]}"
	start pb "$B" && start pa "$A" && child_up "$A" && child_up "$B"
}

netsetup

# ------------------------------------- someone else's policy's ACQUIRE
# admin_policy_check REQID_A REQID_B ESTABLISHED OUR_POLICIES: with
# privsep (the default) and a responder with require_kernel_policy, one
# pair of daemons for both.  B accepts a CHILD SA only when its kernel's
# SPD has a policy (not B's) holding the narrowed selectors, and gives it
# that policy's reqid.  A auto-starts its rule (10.1.0.0/24 ===
# 10.2.0.0/24): no such policy on B, so its CHILD SA is refused
# (TS_UNACCEPTABLE, logged by both) while the IKE SA comes up.  Then an
# admin's policy on A for 10.1.7.0/24 -> 10.2.7.0/24 (template reqid
# REQID_A, outside our priority band: not ours), a subnet A's rule does
# not name, and an admin's on B for the way back (REQID_B): the first
# ping's ACQUIRE makes a CHILD SA in that IKE SA with the policy's
# selectors (A's log line matches ESTABLISHED); A's privsep parent allows
# its policies, outside the rule's selectors, because the kernel holds
# the admin's (and logs so), and refuses nothing; A's SAs carry REQID_A,
# B's REQID_B (and at least OUR_POLICIES of each side's policies, 0: not
# looked at); later pings go through the admins' policies and our SAs;
# the admins' policies are neither replaced nor removed (SIGTERM removes
# ours, not theirs).
admin_policy_check() {
	local ra=$1 rb=$2 established=$3 ours=$4 n
	stop "$A"; stop "$B"
	ip -n pa addr add 10.1.7.1/24 dev ia; ip -n pb addr add 10.2.7.1/24 dev ib
	# the admins route their policies' traffic (the daemons route only
	# for policies of their own)
	ip -n pa route add 10.2.7.0/24 via 192.0.2.2 src 10.1.7.1
	ip -n pb route add 10.1.7.0/24 via 192.0.2.1 src 10.2.7.1
	conf "$A" 192.0.2.1 192.0.2.2 auto=true lts=10.1.0.0/24 rts=10.2.0.0/24
	conf "$B" 192.0.2.2 192.0.2.1 lts=10.2.0.0/16 rts=10.1.0.0/16 child='require_kernel_policy = true;'
	start pb "$B" && start pa "$A" || return 1
	grep -q "started (privsep: parent pid" "$A/log" || { echo "A does not run privsep"; return 1; }
	wait_for 60 grep -q "CHILD SA failed: TS_UNACCEPTABLE" "$A/log" || { tail -20 "$A/log" "$B/log"; return 1; }
	grep -h "require_kernel_policy" "$B/log" | head -2
	grep -q "has require_kernel_policy: TS_UNACCEPTABLE" "$B/log" || return 1
	grep -q "CHILD SA established" "$A/log" "$B/log" && { echo "a CHILD SA no kernel policy holds"; return 1; }
	ip -n pa xfrm policy add src 10.1.7.0/24 dst 10.2.7.0/24 dir out priority 5000 \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel reqid "$ra" || return 1
	ip -n pb xfrm policy add src 10.2.7.0/24 dst 10.1.7.0/24 dir out priority 5000 \
		tmpl src 192.0.2.2 dst 192.0.2.1 proto esp mode tunnel reqid "$rb" || return 1
	ip netns exec pa ping -c 1 -W 1 -I 10.1.7.1 10.2.7.1   # its ACQUIRE starts it
	child_up "$A" 60 || { tail -30 "$A/log"; return 1; }
	grep -E "ACQUIRE|CHILD SA established|not ours|privsep parent: (add_policy|REFUSED)" "$A/log" | head -8
	grep -E "held by|no policy but|CREATE_CHILD_SA|CHILD SA established" "$B/log" | head -6
	grep -q "ACQUIRE for someone else's policy 10.1.7.0-10.1.7.255.*: new CHILD SA in this IKE SA" "$A/log" || return 1
	grep -q "CHILD SA established: $established" "$A/log" ||
		{ echo "not the policy's selectors"; return 1; }
	grep -q "privsep parent: add_policy 10.*is outside rule r's selectors: allowed" "$A/log" ||
		{ echo "A's privsep parent did not check the admin's policy"; return 1; }
	grep -q "privsep parent: REFUSED" "$A/log" "$B/log" && { echo "a privsep parent refused"; return 1; }
	[ "$(ip -n pa xfrm state | grep -c "reqid $ra mode tunnel")" = 2 ] ||
		{ ip -n pa xfrm state; echo "A's SAs do not carry the template's reqid"; return 1; }
	[ "$(ip -n pb xfrm state | grep -c "reqid $rb mode tunnel")" = 2 ] ||
		{ ip -n pb xfrm state; echo "B's SAs do not carry its kernel policy's reqid"; return 1; }
	# our policies (the kernel drops what a tunnel SA decrypted when no
	# inbound policy matches) carry the reqids; the admins' out policies
	# are still theirs (priority 5000), not replaced
	ip -n pa xfrm policy | grep -q "dir out priority 5000 " || { echo "A: admin policy replaced"; return 1; }
	ip -n pb xfrm policy | grep -q "dir out priority 5000 " || { echo "B: admin policy replaced"; return 1; }
	[ "$(ip -n pa xfrm policy | grep -c "proto esp reqid $ra mode tunnel")" -ge "$ours" ] || return 1
	[ "$(ip -n pb xfrm policy | grep -c "proto esp reqid $rb mode tunnel")" -ge "$ours" ] || return 1
	wait_for 20 ip netns exec pa ping -c 1 -W 2 -I 10.1.7.1 10.2.7.1 || return 1
	ip netns exec pa ping -c 3 -i 0.3 -W 2 -I 10.1.7.1 10.2.7.1 || return 1
	all_sas_used pa && all_sas_used pb || return 1
	stop "$A"; stop "$B"
	for n in pa pb; do
		ip -n $n xfrm policy | grep -q "dir out priority 5000 " || { echo "$n: admin policy removed"; return 1; }
		[ "$(ip -n $n xfrm policy | grep -c '^[[:space:]]*dir ')" = 1 ] || { ip -n $n xfrm policy; echo "$n: policies of ours left"; return 1; }
		[ "$(ip -n $n xfrm state | grep -v 'spi 0x00000000' | grep -c 'proto esp')" = 0 ] || { ip -n $n xfrm state; echo "$n: SAs left"; return 1; }
	done
	ip -n pa xfrm policy del src 10.1.7.0/24 dst 10.2.7.0/24 dir out
	ip -n pb xfrm policy del src 10.2.7.0/24 dst 10.1.7.0/24 dir out
	ip -n pa route del 10.2.7.0/24
	ip -n pb route del 10.1.7.0/24
}
