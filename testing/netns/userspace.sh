#!/bin/bash
# userspace.sh SCENARIO - two in.ikev2d in two network namespaces with the
# kernel-userspace backend (ESP in user space over TUN): real traffic
# through the tunnel, on a kernel without ESP.
#
#   tunnel     tunnel mode, raw ESP (no NAT): ping both ways, a checksummed
#              TCP transfer both ways; then each ESP algorithm the nettle
#              plugin has (AES-GCM 128/256, AES-CCM, ChaCha20-Poly1305,
#              AES-CBC+SHA2, AES-CTR+SHA1, 3DES+SHA1, with ESN) carries a ping
#   transport  transport mode between the two hosts: ping, TCP
#   ipv6       tunnel mode, IPv6 inside and outside (raw ESP over IPv6):
#              ping and TCP both ways, with AES-GCM and AES-CBC+SHA-256
#   natt       A behind a masquerading router namespace: NAT found, ESP in
#              UDP on 4500 through the daemon's NAT-T socket: ping, TCP;
#              then transport mode through the same NAT: ping and TCP
#              both ways (the receivers fix the TCP checksums up)
#   rekey      CHILD SA soft lifetime 20 kB (byte lifetime: the backend's
#              counters raise the EXPIRE), IKE SA 60 s, while `ping -i 0.05`
#              runs 70 s: no reply lost across the rekeys
#   ondemand   on_demand rule, nothing started: the first ping starts the
#              negotiation (ACQUIRE), the held packet is sent, pings pass
#   hostile    raw ESP sent at B from A's namespace: truncated, an unknown
#              SPI, a failed ICV (a real packet with its sequence number
#              changed), a replay of a recent packet and of one left of the
#              window (captured from the wire); each is counted under its
#              reason, B keeps running and the tunnel still carries pings
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/traffic.sh"

scenario=${1:-tunnel}
need_root
need_daemon
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -f "$top_builddir/kernel-backends/userspace/.libs/kernel-userspace.so" ] ||
	skip "kernel-userspace not built"
case $scenario in
tunnel|transport|natt|rekey|ondemand|hostile|ipv6) ;;
*) echo "usage: $0 tunnel|transport|natt|rekey|ondemand|hostile|ipv6" >&2; exit 2 ;;
esac

mkwork "us-$scenario"
A=$WORK/a B=$WORK/b
NA=net-us-a$$ NB=net-us-b$$ NR=net-us-r$$
ns_add $NA
ns_add $NB
AIP=10.89.0.1 BIP=10.89.0.2
if [ "$scenario" = natt ]; then
	# A (10.89.9.2) -> router R masquerading to 10.89.0.1 -> B
	ns_add $NR
	link_ns $NA net-us-va 10.89.9.2/24 $NR net-us-ra 10.89.9.1/24
	link_ns $NR net-us-rb 10.89.0.1/24 $NB net-us-vb 10.89.0.2/24
	ip -n $NA route add default via 10.89.9.1
	ip netns exec $NR sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $NR nft -f - <<EOF || skip "nft masquerading not available"
table ip nat {
	chain post { type nat hook postrouting priority 100; oifname "net-us-rb" masquerade; }
}
EOF
	AIP=10.89.9.2
else
	link_ns $NA net-us-va 10.89.0.1/24 $NB net-us-vb 10.89.0.2/24
fi
# inner addresses of the two protected subnets
ip -n $NA addr add 10.89.1.1/32 dev lo
ip -n $NB addr add 10.89.2.1/32 dev lo
if [ "$scenario" = ipv6 ]; then
	ip -n $NA addr add fd00:89::1/64 dev net-us-va nodad
	ip -n $NB addr add fd00:89::2/64 dev net-us-vb nodad
	ip -n $NA addr add fd00:89:1::1/128 dev lo nodad
	ip -n $NB addr add fd00:89:2::1/128 dev lo nodad
fi

# configure A and B; extra args go to both
configure() {   # a_auto_start extra...
	local init=$1; shift
	local lts_a=10.89.1.0/24 rts_a=10.89.2.0/24 lts_b=10.89.2.0/24 rts_b=10.89.1.0/24
	if [ "$scenario" = transport ]; then
		lts_a=$AIP/32 rts_a=$BIP/32 lts_b=$BIP/32 rts_b=$AIP/32
	fi
	write_config "$A" kernel=userspace label=a_to_b local=$AIP remote=10.89.0.2 \
		local_id=fqdn:a.test remote_id=fqdn:b.test psk=userspace-secret \
		local_ts=$lts_a remote_ts=$rts_a auto_start=$init "$@"
	write_config "$B" kernel=userspace label=b_to_a local=10.89.0.2 \
		remote=$([ "$scenario" = natt ] && echo 0.0.0.0/0 || echo $AIP) \
		local_id=fqdn:b.test remote_id=fqdn:a.test psk=userspace-secret \
		local_ts=$lts_b remote_ts=$rts_b auto_start=false "$@"
}

start_both() {
	start_daemon $NB "$B" && start_daemon $NA "$A"
}

stop_both() {
	stop_daemon "$A"; stop_daemon "$B"
	wait_ports_free $NA; wait_ports_free $NB
}

child_up() { grep -q "CHILD SA established" "$1/daemon.log"; }

# counter NAME of DIR's esp.stats
stat() { sed -n "s/^$2 //p" "$1/esp.stats" 2>/dev/null; }

# After TCP transfers both ways: DIR's TUN handed TSO packets (each cut
# here into several segments), refused no virtio header, and the
# received segments were written coalesced (GRO-like).
offload_used() {   # DIR what
	local r s
	r=$(stat "$1" tun_tso_reads) s=$(stat "$1" tun_tso_segments)
	if [ "$r" -gt 0 ] 2>/dev/null && [ "$s" -gt "$r" ]; then
		log "$2: $1 read $r TSO packets from the TUN, cut into $s segments"
	else
		fail "$2: $1 read no TSO packets (tun_tso_reads '$r', tun_tso_segments '$s')"
	fi
	[ "$(stat "$1" drop_bad_vnet_header)" = 0 ] ||
		fail "$2: $1 refused $(stat "$1" drop_bad_vnet_header) virtio headers"
	[ "$(stat "$1" tun_merged)" -gt 0 ] 2>/dev/null &&
		log "$2: $1 wrote $(stat "$1" rx_packets) packets in $(stat "$1" tun_writes) TUN writes ($(stat "$1" tun_merged) coalesced)" ||
		fail "$2: $1 coalesced no TCP segments (tun_merged $(stat "$1" tun_merged))"
}

# inner addresses for traffic
if [ "$scenario" = transport ]; then
	SRC_A=$AIP DST_A=10.89.0.2 SRC_B=10.89.0.2 DST_B=$AIP
else
	SRC_A=10.89.1.1 DST_A=10.89.2.1 SRC_B=10.89.2.1 DST_B=10.89.1.1
fi

up_or_fail() {   # what
	if ! wait_for 20 child_up "$A" || ! wait_for 5 child_up "$B"; then
		tail -30 "$A/daemon.log"; tail -30 "$B/daemon.log"
		fail "$1: no CHILD SA within 20 s"
		return 1
	fi
}

case $scenario in
tunnel|transport)
	mode=tunnel
	[ "$scenario" = transport ] && mode=transport
	configure true mode=$mode
	start_both || finish
	up_or_fail "$mode" || finish
	ping_ok $NA $SRC_A $DST_A 3 "$mode A->B" &&
		log "$mode: ping A -> B through the tunnel"
	ping_ok $NB $SRC_B $DST_B 3 "$mode B->A" &&
		log "$mode: ping B -> A through the tunnel"
	tcp_ok $NA $SRC_A $NB $DST_A "$mode A->B"
	tcp_ok $NB $SRC_B $NA $DST_B "$mode B->A"
	sleep 1.2   # the statistics file is rewritten every second
	for d in "$A" "$B"; do
		[ "$(stat "$d" rx_packets)" -gt 100 ] 2>/dev/null ||
			fail "$mode: $d received $(stat "$d" rx_packets) ESP packets"
		for c in icv_failed replayed bad_padding unknown_spi outside_selectors; do
			[ "$(stat "$d" drop_$c)" = 0 ] || fail "$mode: $d counted drop_$c $(stat "$d" drop_$c)"
		done
		offload_used "$d" "$mode"
	done
	grep -q "UDP-encapsulated" "$A/daemon.log" && fail "$mode: ESP in UDP without NAT"
	if [ "$scenario" = tunnel ]; then
		for x in \
			'{ encr_alg = "aes-gcm"; encr_keylen = 256; esn = "yes"; }' \
			'{ encr_alg = "aes-ccm"; encr_keylen = 128; esn = "yes"; }' \
			'{ encr_alg = "chacha20-poly1305"; esn = "yes"; }' \
			'{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; esn = "yes"; }' \
			'{ encr_alg = "aes"; encr_keylen = 256; auth_alg = "sha512"; esn = "yes"; }' \
			'{ encr_alg = "aes-ctr"; encr_keylen = 128; auth_alg = "sha1"; esn = "yes"; }' \
			'{ encr_alg = "3des"; auth_alg = "sha1"; esn = "yes"; }'; do
			stop_both
			configure true "esp_xform=$x"
			start_both || finish
			up_or_fail "$x" || continue
			ping_ok $NA $SRC_A $DST_A 2 "$x" && log "ESP $x: ping passes"
		done
	fi
	;;
ipv6)
	for x in '{ encr_alg = "aes-gcm"; encr_keylen = 128; }' \
		'{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; esn = "yes"; }'; do
		write_config "$A" kernel=userspace label=a_to_b local=fd00:89::1 remote=fd00:89::2 \
			local_id=fqdn:a.test remote_id=fqdn:b.test psk=userspace-secret \
			local_ts=fd00:89:1::/64 remote_ts=fd00:89:2::/64 auto_start=true "esp_xform=$x"
		write_config "$B" kernel=userspace label=b_to_a local=fd00:89::2 remote=fd00:89::1 \
			local_id=fqdn:b.test remote_id=fqdn:a.test psk=userspace-secret \
			local_ts=fd00:89:2::/64 remote_ts=fd00:89:1::/64 auto_start=false "esp_xform=$x"
		start_both || finish
		up_or_fail "ipv6 $x" || finish
		ping_ok $NA fd00:89:1::1 fd00:89:2::1 3 "ipv6 A->B" &&
			log "ipv6 $x: ping A -> B, IPv6 in ESP over IPv6"
		ping_ok $NB fd00:89:2::1 fd00:89:1::1 3 "ipv6 B->A" && log "ipv6 $x: ping B -> A"
		tcp_ok $NA fd00:89:1::1 $NB fd00:89:2::1 "ipv6 $x A->B"
		tcp_ok $NB fd00:89:2::1 $NA fd00:89:1::1 "ipv6 $x B->A"
		sleep 1.2   # the statistics file is rewritten every second
		for d in "$A" "$B"; do
			[ "$(stat "$d" rx_packets)" -gt 100 ] 2>/dev/null ||
				fail "ipv6: $d received $(stat "$d" rx_packets) ESP packets"
			for c in icv_failed replayed outside_window bad_padding unknown_spi outside_selectors bad_inner_packet; do
				[ "$(stat "$d" drop_$c)" = 0 ] || fail "ipv6: $d counted drop_$c $(stat "$d" drop_$c)"
			done
			offload_used "$d" "ipv6 $x"
		done
		grep -q "UDP-encapsulated" "$A/daemon.log" && fail "ipv6: ESP in UDP without NAT"
		stop_both
	done
	;;
natt)
	configure true
	start_both || finish
	up_or_fail "natt" || finish
	grep -q "UDP-encapsulated" "$A/daemon.log" ||
		fail "natt: A's SAs are not UDP-encapsulated"
	ping_ok $NA $SRC_A $DST_A 3 "natt A->B" && log "natt: ping A -> B, ESP in UDP through the NAT"
	ping_ok $NB $SRC_B $DST_B 3 "natt B->A" && log "natt: ping B -> A"
	tcp_ok $NA $SRC_A $NB $DST_A "natt A->B"
	# Transport mode through the NAT (RFC 7296 §2.23.1, RFC 3948 §3.1.2):
	# A proposes its own (private) address, B sees A as the router's
	# 10.89.0.1 and takes that for the SA (remote_ts dynamic).  The TCP
	# checksums each side computed cover the addresses its own stack
	# saw, so each receiver must fix them up: B from A's original
	# address (learned from TSi), A by a full recomputation (its public
	# address is not known to it).
	stop_both
	write_config "$A" kernel=userspace label=a_to_b local=$AIP remote=10.89.0.2 \
		local_id=fqdn:a.test remote_id=fqdn:b.test psk=userspace-secret \
		auto_start=true mode=transport
	write_config "$B" kernel=userspace label=b_to_a local=10.89.0.2 remote=0.0.0.0/0 \
		local_id=fqdn:b.test remote_id=fqdn:a.test psk=userspace-secret \
		auto_start=false mode=transport
	: > "$A/esp.stats"; : > "$B/esp.stats"
	start_both || finish
	up_or_fail "natt transport" || finish
	grep -q "CHILD SA established.*transport" "$A/daemon.log" ||
		fail "natt transport: A's CHILD SA is not in transport mode"
	grep -q "UDP-encapsulated" "$A/daemon.log" ||
		fail "natt transport: A's SAs are not UDP-encapsulated"
	ping_ok $NA $AIP 10.89.0.2 3 "natt transport A->B" &&
		log "natt transport: ping A -> B, transport mode in UDP through the NAT"
	ping_ok $NB 10.89.0.2 10.89.0.1 3 "natt transport B->A" &&
		log "natt transport: ping B -> A (A's public address)"
	tcp_ok $NA $AIP $NB 10.89.0.2 "natt transport A->B"
	tcp_ok $NB 10.89.0.2 $NA 10.89.0.1 "natt transport B->A" $AIP
	sleep 1.2
	for d in "$A" "$B"; do
		[ "$(stat "$d" rx_packets)" -gt 100 ] 2>/dev/null ||
			fail "natt transport: $d received $(stat "$d" rx_packets) ESP packets"
		for c in icv_failed replayed bad_padding unknown_spi outside_selectors bad_inner_packet; do
			[ "$(stat "$d" drop_$c)" = 0 ] || fail "natt transport: $d counted drop_$c $(stat "$d" drop_$c)"
		done
		offload_used "$d" "natt transport"
	done
	;;
rekey)
	# byte lifetimes (the backend counts and raises the soft EXPIRE):
	# a CHILD rekey every ~250 pings; the IKE SA lives 60 s (the least)
	configure true ike_life=60 \
		'extra_child=childsa_softlife_kb = 20; childsa_lifetime_kb = 2000;'
	# Both sides reach the byte limit together (a ping's request and its
	# reply are the same size), so most CHILD rekeys collide (RFC 7296
	# 2.8.1): each side starts one and the nonces decide which pair stays.
	# Until issue 14's fix the loser's Delete removed the survivor's
	# policies and 82 % of the pings after the collision were lost.
	start_both || finish
	up_or_fail "rekey" || finish
	# Whether the two soft expiries really cross is timing (most runs see
	# 2-6 collisions in 1400 pings, one run in a few none): when a round
	# has none, a second round of 700 pings is run; no collision in both
	# fails.  Every round must lose nothing (but the one tolerated below).
	round=1; count=1400; col=0; unk0=0
	while :; do
	ip netns exec $NA ping -q -i 0.05 -c $count -W 2 -I $SRC_A $DST_A > "$WORK/ping.out" 2>&1
	cat "$WORK/ping.out" | tail -3
	# One reply may be lost to a known race, not to the collision: the
	# initiator of a rekey deletes the old SA at once, and the Delete can
	# overtake its last packet sent on that SA; the receiver then drops it
	# as an unknown SPI (a grace period for the old inbound SA is not
	# done yet).  Anything else lost, or lost another way, fails.
	rcvd=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/ping.out")
	lost=$(( count - ${rcvd:-0} ))
	sleep 1.5   # the stats files are rewritten every second
	ua=$(stat "$A" drop_unknown_spi); ub=$(stat "$B" drop_unknown_spi)
	unk=$(( ${ua:-0} + ${ub:-0} - unk0 )); unk0=$(( ${ua:-0} + ${ub:-0} ))
	if [ "$lost" -eq 1 ] && [ "$unk" -ge 1 ]; then
		log "rekey: 1 reply of $count lost to the old-SA Delete race (drop_unknown_spi $unk), tolerated"
	elif [ "$lost" -ne 0 ]; then
		fail "rekey: replies lost: $(grep loss "$WORK/ping.out") (drop_unknown_spi $unk)"
	fi
	col=$(cat "$A/daemon.log" "$B/daemon.log" | grep -c "simultaneous rekey")
	[ "$col" -ge 1 ] && break
	[ $round -ge 2 ] && break
	log "rekey: round $round: $count pings and no simultaneous CHILD rekey (timing): one more round"
	round=$((round + 1)); count=700
	done
	n=$(cat "$A/daemon.log" "$B/daemon.log" | grep -c "CHILD SA rekeyed")
	[ "$n" -ge 2 ] || fail "rekey: $n CHILD SA rekeys during the ping, expected several"
	[ "$col" -ge 1 ] || fail "rekey: no simultaneous CHILD rekey in $round rounds (both sides reach the byte lifetime: expected collisions)"
	log "rekey: $n CHILD SA rekeys (byte lifetime), $col collision log lines, IKE SA rekeyed, $round round(s) of pings at 50 ms, $lost lost in the last"
	grep -qiE "IKE SA.*rekeyed" "$A/daemon.log" "$B/daemon.log" ||
		fail "rekey: no IKE SA rekey during the ping"
	;;
hostile)
	configure true
	start_both || finish
	up_or_fail "hostile" || finish
	# capture what A sends B (a raw socket gets a copy of every ESP packet)
	# (the pings start once the socket is open: on a loaded machine
	# python can take longer than a fixed pause to get there)
	ip netns exec $NB timeout 30 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50); s.settimeout(15)
open(sys.argv[3], "w").close()
pk = []
while len(pk) < 100:
    d, a = s.recvfrom(65535)
    if a[0] == "10.89.0.1": pk.append(d[(d[0] & 15) * 4:])
open(sys.argv[1], "wb").write(pk[0]); open(sys.argv[2], "wb").write(pk[-1])
' "$WORK/first.esp" "$WORK/last.esp" "$WORK/capture.ready" & cap=$!
	for _ in $(seq 100); do [ -e "$WORK/capture.ready" ] && break; sleep 0.1; done
	# 100 packets A -> B (50 requests, and B's replies go the other way)
	ip netns exec $NA ping -q -c 100 -i 0.02 -I $SRC_A $DST_A > /dev/null 2>&1
	wait $cap || { fail "hostile: capture of A's ESP failed"; finish; }
	ip netns exec $NA python3 -c '
import socket, struct, sys
first = open(sys.argv[1], "rb").read(); last = open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
def send(d): s.sendto(d, ("10.89.0.2", 0))
send(last[:5])                                     # truncated
send(struct.pack("!II", 0x12345678, 7) + last[8:]) # unknown SPI
bad = bytearray(last); bad[4:8] = struct.pack("!I", struct.unpack("!I", last[4:8])[0] + 1000)
send(bytes(bad))                                   # ICV fails (seq is authenticated)
send(last)                                         # replayed
send(first)                                        # left of the 64-packet window
' "$WORK/first.esp" "$WORK/last.esp" || fail "hostile: sending failed"
	sleep 1.5
	for c in truncated unknown_spi icv_failed replayed outside_window; do
		v=$(stat "$B" drop_$c)
		[ "${v:-0}" -ge 1 ] && log "hostile: B counted drop_$c $v" ||
			fail "hostile: B did not count drop_$c"
	done
	daemon_alive "$B" || fail "hostile: B died"
	grep -q "dropped (icv_failed)" "$B/daemon.log" || fail "hostile: no log line for the failed ICV"
	ping_ok $NA $SRC_A $DST_A 3 "hostile: after the bad input" &&
		log "hostile: the tunnel still carries pings"
	;;
ondemand)
	configure false 'extra_rule=on_demand = true;'
	start_both || finish
	sleep 1
	child_up "$A" && fail "ondemand: a CHILD SA before any traffic"
	ip netns exec $NA ping -c 1 -W 10 -I $SRC_A $DST_A > "$WORK/ping.out" 2>&1 ||
		{ cat "$WORK/ping.out"; fail "ondemand: the first ping (held while negotiating) got no reply"; }
	child_up "$A" || fail "ondemand: no CHILD SA after the first ping"
	ping_ok $NA $SRC_A $DST_A 3 "ondemand" && log "ondemand: first ping started the tunnel, pings pass"
	sleep 1.2
	[ "$(stat "$A" acquires)" -ge 1 ] || fail "ondemand: no ACQUIRE counted"
	[ "$(stat "$A" queued)" -ge 1 ] || fail "ondemand: no packet held"
	;;
esac
finish
