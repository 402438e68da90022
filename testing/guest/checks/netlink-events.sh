#!/bin/bash
# netlink-events.sh (guest) - two in.ikev2d with kernel-netlink in two
# namespaces of a kernel with ESP: the kernel's events and the traffic they
# must not disturb.  ACQUIRE-triggered initiation (on_demand: the first ping
# starts the negotiation, a later one gets through); a policy someone else
# installed (`ip xfrm policy add ... tmpl proto esp`) starts a negotiation
# with its ACQUIRE, of its selectors and reqid, and its traffic then flows,
# and a responder with require_kernel_policy refuses (TS_UNACCEPTABLE) what
# no kernel policy holds and accepts what one does, with its reqid;
# CHILD and IKE SA rekeys under `ping -i 0.05` with no
# reply lost, through an XFRM interface (if_id_in/if_id_out); soft then
# hard byte expiry from the kernel; NAT-T through a
# masquerading namespace with ESP-in-UDP carrying the pings (the SAs'
# counters rise and the kernel shows espinudp); nothing left at the end;
# testing/demo.sh (the README's first command) picks kernel-netlink here
# and pings through the tunnel.
# (Built from checks/pfkey.sh's harness, with the netlink backend.)
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
guest_only

DAEMON=$top_builddir/core/daemon/in.ikev2d
W=$(mktemp -d /tmp/nlev.XXXXXX)
A=$W/a B=$W/b
mkdir -p "$A" "$B"

PAIR_BACKEND=kernel-netlink PAIR_INNER_ROUTES=yes
. "$here/pair.sh"

netsetup

# ------------------------------------------------------------- ACQUIRE
acquire() {
	stop "$A"; stop "$B"
	conf "$A" 192.0.2.1 192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24 rule='on_demand = true;'
	conf "$B" 192.0.2.2 192.0.2.1 lts=10.2.0.0/24 rts=10.1.0.0/24
	start pb "$B" && start pa "$A" || return 1
	wait_for 30 sh -c "ip -n pa xfrm policy | grep -q 10.2.0.0/24" || return 1
	grep -q "CHILD SA established" "$A/log" && { echo "up before any traffic"; return 1; }
	ip netns exec pa ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1   # starts it
	child_up "$A" 60 || { tail -30 "$A/log"; return 1; }
	grep -q "ACQUIRE" "$A/log"
	wait_for 20 ip netns exec pa ping -c 1 -W 2 -I 10.1.0.1 10.2.0.1
}
check "ACQUIRE: the first packet starts the negotiation, a later one gets through" acquire

# ------------------------------------- someone else's policy's ACQUIRE
# (pair.sh admin_policy_check) under privsep; A's template reqid 4343, B's 4545
external() {
	admin_policy_check 4343 4545 '10.1.7.1\[1[^ ]*\] 10.1.7.0-10.1.7.255 === 10.2.7.1\[1[^ ]*\] 10.2.7.0-10.2.7.255' 3
}
check "require_kernel_policy refuses what no kernel policy holds (TS_UNACCEPTABLE); an admin's policy for a subnet the rule does not name: its ACQUIRE negotiates its selectors and reqid in the IKE SA, the responder takes its SPD policy's reqid, later pings pass, SIGTERM leaves both admins' policies; under privsep, A's parent allows the CHILD SA's policies outside its rule because the kernel holds the admin's" external

# ----------------------------------------- rekeys under ping -i 0.05
# ... through an XFRM interface: ipsec0 (type xfrm, if_id 42) in each
# namespace carries the route to the other's inner network, and the rules'
# if_id_in/if_id_out = 42 put the SAs and policies on it (XFRMA_IF_ID); no
# route of ours bypasses it.  Without the if_id the interface's traffic
# would match no policy and be dropped.  (One negotiation for both: the
# guest runs under TCG.)
xfrmif_up() {
	ip -n pa link add ipsec0 type xfrm dev va if_id 42 || return 1
	ip -n pb link add ipsec0 type xfrm dev vb if_id 42 || return 1
	ip -n pa link set ipsec0 up; ip -n pb link set ipsec0 up
	ip -n pa route replace 10.2.0.0/24 dev ipsec0 src 10.1.0.1
	ip -n pb route replace 10.1.0.0/24 dev ipsec0 src 10.2.0.1
}
xfrmif_down() {
	ip -n pa link del ipsec0 2>/dev/null; ip -n pb link del ipsec0 2>/dev/null
	ip -n pa route replace 10.2.0.0/24 via 192.0.2.2 src 10.1.0.1
	ip -n pb route replace 10.1.0.0/24 via 192.0.2.1 src 10.2.0.1
}
rekey() {
	xfrmif_up || return 1
	pair_up lts=10.1.0.0/24 rts=10.2.0.0/24 \
		child='childsa_lifetime_secs = 60; childsa_softlife_secs = 30;' \
		rule='ikesa_lifetime_secs = 60; if_id_in = 42; if_id_out = 42;' || return 1
	ip -n pa xfrm state; ip -n pa xfrm policy | grep -v socket
	[ "$(ip -n pa xfrm state | grep -c 'if_id 0x2a')" = 2 ] || { echo "SAs without if_id 42"; return 1; }
	[ "$(ip -n pa xfrm policy | grep -c 'if_id 0x2a')" = 3 ] || { echo "policies without if_id 42"; return 1; }
	ip -n pa route show table 220 | grep -q 10.2.0.0 && { echo "a route of ours bypasses ipsec0"; return 1; }
	# a count, not a deadline: ping waits for the last reply
	ip netns exec pa ping -q -i 0.05 -c 1300 -W 3 -I 10.1.0.1 10.2.0.1 > "$W/ping.log" 2>&1
	cat "$W/ping.log"
	local tx
	tx=$(ip -n pa -s link show ipsec0 | awk '/TX:/ { getline; print $2 }')
	echo "ipsec0 in pa sent $tx packets"
	[ "${tx:-0}" -ge 1300 ] || { echo "the pings did not go through ipsec0"; return 1; }
	grep -E "CHILD SA rekeyed|IKE SA rekeyed|soft EXPIRE" "$A/log" "$B/log" | head -20
	grep -q "soft EXPIRE" "$A/log" "$B/log" || { echo "no soft expiry from the kernel"; return 1; }
	grep -q "CHILD SA rekeyed" "$A/log" "$B/log" || { echo "no CHILD SA rekey"; return 1; }
	grep -q "IKE SA #[0-9]* rekeyed into this one" "$A/log" "$B/log" || { echo "no IKE SA rekey"; return 1; }
	local sent got
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$W/ping.log")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$W/ping.log")
	echo "sent $sent received $got"
	[ -n "$sent" ] && [ -n "$got" ] && [ "$sent" -gt 100 ] && [ "$sent" = "$got" ] || return 1
	all_sas_used pa && all_sas_used pb
	return 0
}
check "CHILD and IKE SA rekey during ping -i 0.05 through an XFRM interface (if_id_in/if_id_out 42 on SAs and policies): no reply lost, every SA carried traffic" rekey
stop "$A"; stop "$B"
check "no if_id policy left after SIGTERM" sh -c "! ip -n pa xfrm policy | grep -q 'if_id 0x2a'"
xfrmif_down

# -------------------------------- hard expiry (rekeys blocked by a filter)
hard() {
	pair_up lts=10.1.0.0/24 rts=10.2.0.0/24 \
		child='childsa_lifetime_kb = 40; childsa_softlife_kb = 20;' || return 1
	ip netns exec pb nft -f - <<'EOF' || return 1
table inet block {
	chain in {
		type filter hook input priority 0;
		udp dport { 500, 4500 } drop;
	}
}
EOF
	ip netns exec pa ping -q -s 1000 -c 80 -i 0.05 -I 10.1.0.1 10.2.0.1 > /dev/null 2>&1
	wait_for 20 grep -q "hard EXPIRE" "$A/log" || { grep EXPIRE "$A/log"; return 1; }
	grep "EXPIRE" "$A/log" | head
	grep -q "soft EXPIRE" "$A/log"
	ip netns exec pb nft delete table inet block
}
check "soft then hard byte expiry from the kernel" hard
stop "$A"; stop "$B"

# ------------------------------------ in.ikev2d -c probes the algorithms
# With ESP here, a transform the kernel's crypto API lacks is an error
# naming the esp_xform's file:line; kernel module loading is turned off
# first so that one not loaded at boot (xcbc(aes)) is really absent.
probe() {
	local old rc want
	old=$(cat /proc/sys/kernel/modprobe)
	echo /bin/false > /proc/sys/kernel/modprobe
	ip netns add pp; ip -n pp link set lo up
	local missing=0
	ip -n pp xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel \
		enc 'cbc(aes)' 0x$(printf '%032x' 1) auth-trunc 'xcbc(aes)' 0x$(printf '%032x' 1) 96 \
		2>&1 | grep -q 'AUTH_TRUNC algorithm not found' && missing=1
	ip -n pp xfrm state flush; ip netns del pp
	echo "xcbc(aes) missing: $missing"
	conf "$A" 192.0.2.1 192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24 \
		esp='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = [ "sha256", "aes-xcbc" ]; }, { encr_alg = "aes-gcm"; encr_keylen = 256; }'
	"$DAEMON" -c -f "$A/ikev2.config" > "$A/check.log" 2>&1
	rc=$?
	echo "$old" > /proc/sys/kernel/modprobe
	cat "$A/check.log" | grep -v "loaded plugin"
	want="$A/ikev2.config:$(grep -n esp_xform "$A/ikev2.config" | cut -d: -f1): rule 'r' childsa 1: esp_xform auth_alg aes-xcbc-96: this kernel's crypto API lacks xcbc(aes) (kernel: Requested AUTH_TRUNC algorithm not found): load its module, or leave the transform out (kernel backend kernel-netlink)"
	grep -q "this kernel has no ESP" "$A/check.log" && return 1
	grep -q "lacks cbc(aes)\|lacks hmac(sha256)\|lacks rfc4106" "$A/check.log" && return 1
	if [ $missing = 1 ]; then
		grep -qF "$want" "$A/check.log" && [ $rc != 0 ] || return 1
	else
		echo "xcbc(aes) is built in: only the accepting side is checked"
		[ $rc = 0 ] || return 1
	fi
	[ "$(ip xfrm state | grep -c '^src')" = 0 ]
}
check "in.ikev2d -c: with ESP, an algorithm the kernel lacks (xcbc(aes), module loading off) is an error at the esp_xform's file:line; the rest passes; no SA left" probe

# ------------------------------------------------------------------ NAT-T
# pa (192.0.2.1) -- pn masquerades -- pb (198.51.100.2)
natt() {
	set -e
	ip netns del pa; ip netns del pb
	ip netns add pa; ip netns add pb; ip netns add pn
	for n in pa pb pn; do ip -n $n link set lo up; done
	ip link add va netns pa type veth peer name na netns pn
	ip link add vb netns pb type veth peer name nb netns pn
	ip -n pa addr add 192.0.2.1/24 dev va; ip -n pa link set va up
	ip -n pn addr add 192.0.2.254/24 dev na; ip -n pn link set na up
	ip -n pn addr add 198.51.100.254/24 dev nb; ip -n pn link set nb up
	ip -n pb addr add 198.51.100.2/24 dev vb; ip -n pb link set vb up
	ip -n pa route add default via 192.0.2.254
	ip netns exec pn sysctl -qw net.ipv4.ip_forward=1
	ip netns exec pn nft -f - <<'EOF'
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "nb" masquerade;
	}
}
EOF
	ip -n pa link add ia type dummy; ip -n pa addr add 10.1.0.1/24 dev ia; ip -n pa link set ia up
	ip -n pb link add ib type dummy; ip -n pb addr add 10.2.0.1/24 dev ib; ip -n pb link set ib up
	ip -n pa route add 10.2.0.0/24 via 192.0.2.254 src 10.1.0.1
	ip -n pb route add 10.1.0.0/24 via 198.51.100.254 src 10.2.0.1
	conf "$A" 192.0.2.1 198.51.100.2 auto=true lts=10.1.0.0/24 rts=10.2.0.0/24
	conf "$B" 198.51.100.2 0.0.0.0/0 lts=10.2.0.0/24 rts=10.1.0.0/24
	sed -i 's/value = "0.0.0.0\/0"/value = "192.0.2.1"/' "$B/ikev2.config"
	start pb "$B"; start pa "$A"
	child_up "$A"; child_up "$B"
	ip -n pb xfrm state
	ip -n pb xfrm state | grep -q "encap type espinudp"
	ip netns exec pa ping -c 3 -i 0.3 -W 3 -I 10.1.0.1 10.2.0.1
	all_sas_used pa; all_sas_used pb
}
check "NAT-T through a masquerading namespace: ESP-in-UDP carries a ping" natt
stop "$A"; stop "$B"
check "nothing left after the last SIGTERM" sh -c "ip -n pa xfrm state | grep -c ^src | grep -qx 0 && ip -n pb xfrm policy | grep -c ^src | grep -qx 0"

# ------------------------------------- the README's first command
# testing/demo.sh on a kernel with ESP: it picks kernel-netlink
# (cfg/demo/gw-*-netlink.config) and pings through the tunnel.
demo() {
	DEMO_WAIT=60 bash "$top_srcdir/testing/demo.sh" > "$W/demo.log" 2>&1
	local rc=$?
	grep -E "^== |One tunnel|RESULT|FAIL|warning: this kernel" "$W/demo.log"
	[ $rc = 0 ] || { tail -40 "$W/demo.log"; return 1; }
	grep -q "== kernel backend: kernel-netlink (the kernel has ESP)" "$W/demo.log" &&
	grep -q "the pings went through ESP (kernel-netlink)" "$W/demo.log" &&
	! grep -q "this kernel has no ESP" "$W/demo.log"
}
check "testing/demo.sh picks kernel-netlink, says nothing of missing ESP, pings through the tunnel" demo

[ "$GUEST_FAILED" = 0 ] || for f in "$A/log" "$B/log"; do echo "== $f"; tail -60 "$f"; done
for n in pa pb pn; do ip netns del $n 2>/dev/null; done
rm -rf "$W"
checks_done
