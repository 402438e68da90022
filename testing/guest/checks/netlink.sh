#!/bin/bash
# netlink.sh (guest) - two in.ikev2d with kernel-netlink in two namespaces
# on the guest's real IPsec kernel: a site-to-site tunnel carries a ping
# (the ESP counters rise on both inbound SAs: keys and SPIs are not swapped
# between directions), the route to the remote selectors is in table 220
# with the local selector's address as source, every cipher suite the
# backend maps carries traffic, transport mode works, and SIGTERM leaves no
# SA, policy or route behind.
gdir=$(cd "$(dirname "$0")/.." && pwd)
. "$gdir/lib.sh"
guest_only
. "$top_srcdir/testing/netns/lib.sh"
need_daemon
# process starts are 20-50x slower under TCG
START_WAIT=120
mkwork guest-netlink
A=net-gna-$$ B=net-gnb-$$
ns_add "$A"; ns_add "$B"
link_ns "$A" va 10.77.0.1/24 "$B" vb 10.77.0.2/24
ip -n "$A" link add lan type dummy; ip -n "$A" addr add 10.1.0.1/24 dev lan; ip -n "$A" link set lan up
ip -n "$B" link add lan type dummy; ip -n "$B" addr add 10.2.0.1/24 dev lan; ip -n "$B" link set lan up

# packets counted on the SAs whose destination is DST in NS
in_packets() {   # NS DST
	local spi sum=0 n
	for spi in $(ip -n "$1" xfrm state list dst "$2" | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p'); do
		n=$(xfrm_packets "$1" "$spi"); sum=$((sum + n))
	done
	echo "$sum"
}

up_pair() {   # esp_xform mode [extra write_config args]
	local x=$1 mode=$2; shift 2
	# a failed check may have left its pair running
	[ -f "$WORK/a/daemon.pid" ] && daemon_alive "$WORK/a" && stop_daemon "$WORK/a"
	[ -f "$WORK/b/daemon.pid" ] && daemon_alive "$WORK/b" && stop_daemon "$WORK/b"
	wait_ports_free "$A"; wait_ports_free "$B"
	rm -rf "$WORK/a" "$WORK/b"
	local lts=10.1.0.0/24 rts=10.2.0.0/24
	[ "$mode" = transport ] && lts= rts=
	write_config "$WORK/a" kernel=netlink local=10.77.0.1 remote=10.77.0.2 mode="$mode" \
		${lts:+local_ts=$lts} ${rts:+remote_ts=$rts} esp_xform="$x" auto_start=true "$@" || return 1
	write_config "$WORK/b" kernel=netlink local=10.77.0.2 remote=10.77.0.1 mode="$mode" \
		${rts:+local_ts=$rts} ${lts:+remote_ts=$lts} esp_xform="$x" "$@" || return 1
	start_daemon "$B" "$WORK/b" || return 1
	start_daemon "$A" "$WORK/a" || return 1
	wait_for 60 grep -q "CHILD SA established" "$WORK/a/daemon.log" || {
		tail -30 "$WORK/a/daemon.log"; echo ---; tail -30 "$WORK/b/daemon.log"; return 1; }
	wait_for 20 grep -q "CHILD SA established" "$WORK/b/daemon.log"
}

down_pair() {
	stop_daemon "$WORK/a"; stop_daemon "$WORK/b"
	wait_ports_free "$A" && wait_ports_free "$B"
}

# nothing of ours left in NS: no SA, no policy but sockets', no route in 220
clean_ns() {   # NS
	local s p r
	# (grep -c exits 1 on a count of 0: not a failure under set -e)
	s=$(ip -n "$1" xfrm state | grep -c '^src' || true)
	p=$(ip -n "$1" xfrm policy | grep -c 'priority 100[0-9][0-9][0-9][0-9]' || true)
	r=$(ip -n "$1" route show table 220 2>/dev/null | grep -c . || true)
	echo "$1: $s SAs, $p of our policies, $r routes in table 220"
	[ "$s" = 0 ] && [ "$p" = 0 ] && [ "$r" = 0 ]
}

tunnel_ping() {
	set -e
	up_pair '{ encr_alg = "aes-gcm"; encr_keylen = 128; }' tunnel
	ip -n "$A" xfrm state; ip -n "$A" xfrm policy | grep -A3 'priority 100'
	ip -n "$A" route show table 220
	ip -n "$A" route show table 220 | grep -q '10.2.0.0/24 .*src 10.1.0.1'
	ip -n "$B" route show table 220 | grep -q '10.1.0.0/24 .*src 10.2.0.1'
	# no hand-made route: the daemon's table 220 route carries it
	ip netns exec "$A" ping -c 5 -i 0.2 -W 3 10.2.0.1
	a=$(in_packets "$A" 10.77.0.1); b=$(in_packets "$B" 10.77.0.2)
	echo "ESP packets in: A $a, B $b"
	[ "$a" -ge 5 ] && [ "$b" -ge 5 ]
}
check "tunnel mode (aes-gcm-16): ping through, ESP counters rise both ways, routes in table 220" tunnel_ping

sigterm_clean() {
	down_pair
	clean_ns "$A" && clean_ns "$B"
}
check "SIGTERM removes every SA, policy and route" sigterm_clean

transport_ping() {
	set -e
	up_pair '{ encr_alg = "aes-cbc"; encr_keylen = 256; auth_alg = "sha256"; }' transport
	ip -n "$A" xfrm state | grep -q 'mode transport'
	ip netns exec "$A" ping -c 3 -i 0.2 -W 3 10.77.0.2
	a=$(in_packets "$A" 10.77.0.1); b=$(in_packets "$B" 10.77.0.2)
	echo "ESP packets in: A $a, B $b"
	[ "$a" -ge 3 ] && [ "$b" -ge 3 ]
	down_pair
	clean_ns "$A" && clean_ns "$B"
}
check "transport mode (aes-cbc-256 + sha256): ping through, counters rise" transport_ping

suite() {   # esp_xform text
	set -e
	up_pair "$1" tunnel
	ip -n "$A" xfrm state | grep -E '^\s+(aead|enc|auth-trunc)' | sort -u
	ip netns exec "$A" ping -c 2 -i 0.2 -W 3 10.2.0.1
	a=$(in_packets "$A" 10.77.0.1); b=$(in_packets "$B" 10.77.0.2)
	echo "ESP packets in: A $a, B $b"
	down_pair
	[ "$a" -ge 2 ] && [ "$b" -ge 2 ]
}
for x in \
	'{ encr_alg = "aes-gcm-8"; encr_keylen = 256; }' \
	'{ encr_alg = "aes-ccm-12"; encr_keylen = 128; }' \
	'{ encr_alg = "chacha20-poly1305"; }' \
	'{ encr_alg = "aes-ctr"; encr_keylen = 128; auth_alg = "sha1"; }' \
	'{ encr_alg = "3des"; auth_alg = "sha384"; }'; do
	check "suite $x" suite "$x"
done

checks_done
