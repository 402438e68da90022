#!/bin/bash
# pfkey.sh (guest) - two in.ikev2d with the kernel-pfkey backend in two
# namespaces of a kernel that has PF_KEY: what in.ikev2d -c refuses, tunnel
# and transport mode carrying pings (the ESP counters of every SA rise on
# both sides, so keys and SPIs are not swapped), each cipher suite PF_KEY
# can install, SIGTERM leaving nothing behind, a crashed daemon's leftovers
# removed at the next start without touching a policy someone else made,
# ACQUIRE-triggered initiation, an ACQUIRE for someone else's policy (its
# selectors and reqid) and a responder with require_kernel_policy, CHILD
# and IKE SA rekeys under `ping -i
# 0.05` with no reply lost, soft and hard expiry from the kernel, and NAT-T
# through a masquerading namespace.
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
guest_only

DAEMON=$top_builddir/core/daemon/in.ikev2d
W=$(mktemp -d /tmp/pfkey.XXXXXX)
A=$W/a B=$W/b
mkdir -p "$A" "$B"

PAIR_BACKEND=kernel-pfkey PAIR_INNER_ROUTES=no
. "$here/pair.sh"

netsetup

# ------------------------------------------------- in.ikev2d -c refusals
refuse() {
	set -e
	conf "$W" 192.0.2.1 192.0.2.2 \
		esp='{ encr_alg = "aes-gcm"; encr_keylen = 128; }, { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; }, { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha1"; }' \
		child='replay_window = 64;'
	if "$DAEMON" -c -f "$W/ikev2.config" > "$W/c.log" 2>&1; then
		cat "$W/c.log"; echo "accepted"; return 1
	fi
	cat "$W/c.log"
	grep -q "ikev2.config:[0-9]*: rule 'r' childsa 1: esp_xform aes-gcm-16 is an AEAD" "$W/c.log"
	grep -q "ikev2.config:[0-9]*: rule 'r' childsa 1: esp_xform auth_alg hmac-sha256-128 cannot be installed" "$W/c.log"
	grep -q "ikev2.config:[0-9]*: rule 'r' childsa 1: replay_window 64" "$W/c.log"
	conf "$W" 192.0.2.1 192.0.2.2 esp='{ encr_alg = "aes"; encr_keylen = 256; auth_alg = "sha512"; esn = "yes"; }'
	! "$DAEMON" -c -f "$W/ikev2.config" > "$W/c.log" 2>&1
	cat "$W/c.log"
	grep -q "esn = yes: PF_KEY v2 has no extended sequence numbers" "$W/c.log"
	# a port range PF_KEY cannot express: refused at -c, not at install
	conf "$W" 192.0.2.1 192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24
	sed -i 's|remote_ts = "10.2.0.0/24";|remote_ts = ( { addr = "10.2.0.0/24"; protocol = "tcp"; port = "1000-2000"; } );|' "$W/ikev2.config"
	grep -n remote_ts "$W/ikev2.config"
	! "$DAEMON" -c -f "$W/ikev2.config" > "$W/c.log" 2>&1
	cat "$W/c.log"
	grep -q "ikev2.config:[0-9]*: rule 'r' childsa 1: remote_ts .*: port range 1000-2000: PF_KEY selectors take one port or any" "$W/c.log"
	# one port is fine
	sed -i 's|port = "1000-2000"|port = "1000"|' "$W/ikev2.config"
	"$DAEMON" -c -f "$W/ikev2.config"
	conf "$W" 192.0.2.1 192.0.2.2 esp='{ encr_alg = "aes-ctr"; encr_keylen = 128; auth_alg = "sha384"; }, { encr_alg = "3des"; auth_alg = "sha1"; }'
	"$DAEMON" -c -f "$W/ikev2.config"
}
example() {
	cp "$top_srcdir"/cfg/pfkey/ikev2.config "$top_srcdir"/cfg/pfkey/ikev2.preshared "$W/"
	chmod 600 "$W/ikev2.preshared"
	"$DAEMON" -c -f "$W/ikev2.config"
}
check "cfg/pfkey example passes in.ikev2d -c" example
check "in.ikev2d -c refuses AEAD, sha256-128, ESN, replay_window 64, a port range with file:line; accepts aes-ctr/3des, one port" refuse

# ---------------------------------------------- tunnel mode, cipher suites
# One rule with a CHILD SA per suite, each between its own pair of inner
# networks 10.1.N.0/24 === 10.2.N.0/24: one daemon start for all suites.
SUITES=(
	'{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha1"; }|cbc(aes)|hmac(sha1)'
	'{ encr_alg = "aes"; encr_keylen = 256; auth_alg = "sha512"; }|cbc(aes)|hmac(sha512)'
	'{ encr_alg = "aes"; encr_keylen = 192; auth_alg = "aes-xcbc"; }|cbc(aes)|xcbc(aes)'
	'{ encr_alg = "3des"; auth_alg = "sha384"; }|cbc(des3_ede)|hmac(sha384)'
	'{ encr_alg = "aes-ctr"; encr_keylen = 128; auth_alg = "sha1"; }|rfc3686(ctr(aes))|hmac(sha1)'
	'{ encr_alg = "aes-ctr"; encr_keylen = 256; auth_alg = "sha512"; }|rfc3686(ctr(aes))|hmac(sha512)'
)
children() {   # SIDE (a or b)
	local i l r sep=
	for i in "${!SUITES[@]}"; do
		if [ "$1" = a ]; then l=10.1.$((i + 10)).0/24 r=10.2.$((i + 10)).0/24
		else l=10.2.$((i + 10)).0/24 r=10.1.$((i + 10)).0/24; fi
		printf '%s{ local_ts = "%s"; remote_ts = "%s"; esp_xform = ( %s ); mode = "tunnel"; }\n' \
			"$sep" "$l" "$r" "${SUITES[$i]%%|*}"
		sep=,
	done
}
suites() {
	local i n bad=0 spec enc auth
	for i in "${!SUITES[@]}"; do
		n=$((i + 10))
		ip -n pa addr add 10.1.$n.1/24 dev ia; ip -n pb addr add 10.2.$n.1/24 dev ib
		ip -n pa route add 10.2.$n.0/24 via 192.0.2.2 src 10.1.$n.1
		ip -n pb route add 10.1.$n.0/24 via 192.0.2.1 src 10.2.$n.1
	done
	stop "$A"; stop "$B"
	conf "$A" 192.0.2.1 192.0.2.2 auto=true "children=$(children a)"
	conf "$B" 192.0.2.2 192.0.2.1 "children=$(children b)"
	start pb "$B" && start pa "$A" || return 1
	wait_for 120 sh -c "[ \$(grep -c 'CHILD SA established' '$A/log') -ge ${#SUITES[@]} ]" ||
		{ grep "CHILD SA" "$A/log"; tail -n 30 "$B/log"; return 1; }
	for i in "${!SUITES[@]}"; do
		n=$((i + 10)) spec=${SUITES[$i]}
		enc=$(echo "$spec" | cut -d'|' -f2) auth=$(echo "$spec" | cut -d'|' -f3)
		echo "== suite ${spec%%|*}"
		if ! ip netns exec pa ping -c 2 -i 0.3 -W 3 -I 10.1.$n.1 10.2.$n.1 > /dev/null; then
			echo "no ping through 10.1.$n.0/24 === 10.2.$n.0/24"; bad=1; continue
		fi
		# the SAs of this suite: the kernel shows the algorithms asked
		ip -n pb xfrm state | grep -F -q "enc $enc" || { echo "no $enc SA"; bad=1; }
		ip -n pb xfrm state | grep -F -q "auth-trunc $auth" || { echo "no $auth SA"; bad=1; }
	done
	all_sas_used pa && all_sas_used pb || bad=1
	return $bad
}
check "tunnel mode, ${#SUITES[@]} cipher suites (aes-cbc 128/192/256, aes-ctr 128/256, 3des; sha1, sha384, sha512, aes-xcbc) in one IKE SA" suites
[ -n "${GUEST_PFKEY_QUICK:-}" ] && checks_done   # development: first checks only

sigterm_clean() {
	stop "$A"; stop "$B"
	grep "kernel-pfkey: removed" "$A/log" "$B/log"
	test ! -e "$A/pfkey.journal" && test ! -e "$B/pfkey.journal"
	empty_kernel pa && empty_kernel pb
}
check "SIGTERM removes every SA and policy" sigterm_clean

# ---------------------------------------------------------- transport mode
transport() {
	pair_up mode=transport || { tail -n 40 "$A/log"; tail -n 40 "$B/log"; return 1; }
	ip -n pa xfrm state | grep -q "mode transport"
	ip netns exec pa ping -c 3 -i 0.3 -W 3 192.0.2.2 || return 1
	all_sas_used pa && all_sas_used pb
}
check "transport mode host-to-host" transport

# ------------------------------------------- crash: leftovers cleaned up
crash() {
	set -e
	ip -n pa xfrm policy add src 10.9.0.0/24 dst 10.8.0.0/24 dir out \
		tmpl src 192.0.2.1 dst 192.0.2.9 proto esp mode tunnel
	stop "$A" KILL
	ip -n pa xfrm state | grep -c '^src'
	test "$(ip -n pa xfrm state | grep -c '^src')" -gt 0   # left behind
	conf "$A" 192.0.2.1 192.0.2.2 mode=transport
	start pa "$A"   # opening the IKE sockets cleans up
	wait_for 30 grep -q "removed SA .* left by an earlier run" "$A/log"
	grep "earlier run" "$A/log"
	ip -n pa xfrm state; ip -n pa xfrm policy
	test "$(ip -n pa xfrm state | grep -c '^src')" = 0
	# (the IKE sockets' own bypass policies show as "socket in/out")
	test "$(ip -n pa xfrm policy | grep -c '^	dir ')" = 1
	ip -n pa xfrm policy | grep -q "10.9.0.0/24"   # someone else's: kept
	stop "$A"
	ip -n pa xfrm policy | grep -q "10.9.0.0/24"   # not flushed either
	ip -n pa xfrm policy del src 10.9.0.0/24 dst 10.8.0.0/24 dir out
}
check "a SIGKILLed daemon's SAs/policies go at the next start, others' stay" crash

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
# (pair.sh admin_policy_check) under privsep; A's template reqid 4000, B's 4500
external() {
	admin_policy_check 4000 4500 '10.1.7.0-10.1.7.255 === 10.2.7.0-10.2.7.255' 0
}
check "require_kernel_policy (X_SPDDUMP) refuses what no kernel policy holds (TS_UNACCEPTABLE); an admin's policy for a subnet the rule does not name: its SADB_ACQUIRE negotiates its selectors and reqid in the IKE SA, the responder takes its SPD policy's reqid, later pings pass, SIGTERM leaves both admins' policies; under privsep, A's parent allows the CHILD SA's policies outside its rule because the kernel holds the admin's" external

# ----------------------------------------- rekeys under ping -i 0.05
rekey() {
	pair_up lts=10.1.0.0/24 rts=10.2.0.0/24 \
		child='childsa_lifetime_secs = 60; childsa_softlife_secs = 30;' \
		rule='ikesa_lifetime_secs = 60;' || return 1
	# No hand-made route between the inner networks: the daemons' routes
	# in table 220 carry the tunnel, with the source from the local
	# selector (so the ping needs no -I), through the rekeys.
	ip -n pa rule; ip -n pa route show table 220; ip -n pb route show table 220
	ip -n pa route show table 220 | grep -q "^10.2.0.0/24 .*src 10.1.0.1" || return 1
	ip -n pb route show table 220 | grep -q "^10.1.0.0/24 .*src 10.2.0.1" || return 1
	ip -n pa rule | grep -q "^220:.*lookup 220" || return 1
	# a count, not a deadline: ping waits for the last reply
	ip netns exec pa ping -q -i 0.05 -c 1300 -W 3 10.2.0.1 > "$W/ping.log" 2>&1
	cat "$W/ping.log"
	grep -E "CHILD SA rekeyed|IKE SA rekeyed|soft EXPIRE" "$A/log" "$B/log" | head -20
	grep -q "soft EXPIRE" "$A/log" "$B/log" || { echo "no soft expiry from the kernel"; return 1; }
	grep -q "CHILD SA rekeyed" "$A/log" "$B/log" || { echo "no CHILD SA rekey"; return 1; }
	grep -q "IKE SA #[0-9]* rekeyed into this one" "$A/log" "$B/log" || { echo "no IKE SA rekey"; return 1; }
	# the successor kept the route (one reference per policy, not per SA)
	ip -n pa route show table 220 | grep -q "^10.2.0.0/24 " || { echo "route lost in the rekeys"; return 1; }
	local sent got
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$W/ping.log")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$W/ping.log")
	echo "sent $sent received $got"
	# where a packet died, should one have (XfrmInNoStates: an SA the
	# sender used before the receiver had it, or after it deleted it)
	for n in pa pb; do echo "$n:"; ip netns exec $n awk '$2 != 0' /proc/net/xfrm_stat; done
	grep -E "outbound SA .* installed, the peer|deleting CHILD SA" "$A/log" "$B/log" | head
	# None may be lost: the rekey responder's new outbound SA waits for
	# the initiator's Delete, and the initiator keeps the old inbound SA
	# until the answer to it (the engine's handover; without it 1-3 of
	# 1300 went, XfrmAcquireError counting them)
	[ -n "$sent" ] && [ -n "$got" ] && [ "$sent" -gt 100 ] && [ "$sent" = "$got" ] || return 1
	# the routes and the rule go with the tunnels
	stop "$A"; stop "$B"
	[ -z "$(ip -n pa route show table 220)" ] && [ -z "$(ip -n pb route show table 220)" ] ||
		{ ip -n pa route show table 220; echo "routes left behind"; return 1; }
	! ip -n pa rule | grep -q "lookup 220" || { echo "rule left behind"; return 1; }
}
check "CHILD and IKE SA rekey during ping -i 0.05: no reply lost; table 220 routes carry it (no hand-made route) and go with it" rekey

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

[ "$GUEST_FAILED" = 0 ] || for f in "$A/log" "$B/log"; do echo "== $f"; tail -60 "$f"; done
for n in pa pb pn; do ip netns del $n 2>/dev/null; done
rm -rf "$W"
checks_done
