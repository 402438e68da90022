#!/bin/bash
# netlink-charon.sh (guest) - in.ikev2d with kernel-netlink against Debian's
# strongSwan charon with its kernel-netlink plugin, each in its own network
# namespace (so each has its own XFRM SAs and policies): real kernel ESP on
# both sides.  Both roles; ping through in both directions with the inbound
# ESP counters rising on both sides; rekeys by each side while `ping -i
# 0.05` runs, with no reply lost:
#  - we initiate: charon rekeys the CHILD SA (every 10 s) and the IKE SA
#    (every 20 s), we rekey the CHILD SA on its byte lifetime;
#  - charon initiates: we rekey the CHILD SA (bytes) several times,
#    charon rekeys nothing.
# The argument picks our backend: netlink (the default) or pfkey
# (testing/suites/guest-pfkey-charon.sh); with pfkey both sides use
# aes128-sha1 ESP, which PF_KEY can install (charon still uses its
# kernel-netlink).
K=${1:-netlink}
case $K in
netlink) OESP=() CESP=() ;;
pfkey) OESP=('esp_xform={ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha1"; }')
       CESP=(esp=aes128-sha1) ;;
*) echo "usage: $0 [netlink|pfkey]" >&2; exit 2 ;;
esac
gdir=$(cd "$(dirname "$0")/.." && pwd)
. "$gdir/lib.sh"
guest_only
. "$top_srcdir/testing/netns/lib.sh"
. "$gdir/charon.sh"
need_daemon
START_WAIT=120
if ! why=$(guest_charon_ok); then
	echo "SKIP: $why"
	exit 77
fi
mkwork guest-charon
A=net-gca-$$ C=net-gcc-$$
ns_add "$A"; ns_add "$C"
link_ns "$A" va 10.90.0.1/24 "$C" vc 10.90.0.2/24
ip -n "$A" link add lan type dummy; ip -n "$A" addr add 10.90.1.1/24 dev lan; ip -n "$A" link set lan up
ip -n "$C" link add lan type dummy; ip -n "$C" addr add 10.90.2.1/24 dev lan; ip -n "$C" link set lan up
OURS=$WORK/ours CH=$WORK/charon

in_packets() {   # NS DST: packets on the inbound SAs whose destination is DST
	local spi sum=0 n
	for spi in $(ip -n "$1" xfrm state list dst "$2" | sed -n 's/.*proto esp spi \(0x[0-9a-f]*\).*/\1/p'); do
		n=$(xfrm_packets "$1" "$spi"); sum=$((sum + n))
	done
	echo "$sum"
}

pair_down() {
	[ -f "$OURS/daemon.pid" ] && daemon_alive "$OURS" && stop_daemon "$OURS"
	guest_charon_stop "$CH" || true
	wait_ports_free "$A"; wait_ports_free "$C"
}

# pair_up ROLE(ours|charon: who initiates) [charon key=value...] -- [write_config key=value...]
pair_up() {
	local role=$1; shift
	local cargs=() oargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	oargs=("$@")
	pair_down
	rm -rf "$OURS" "$CH"
	write_config "$OURS" kernel="$K" label=to_charon local=10.90.0.1 remote=10.90.0.2 \
		local_id=fqdn:a.test remote_id=fqdn:c.test psk=guest-charon-secret \
		local_ts=10.90.1.0/24 remote_ts=10.90.2.0/24 \
		auto_start=$([ "$role" = ours ] && echo true || echo false) "${OESP[@]}" "${oargs[@]}" || return 1
	guest_charon_start "$CH" "$C" local=10.90.0.2 remote=10.90.0.1 local_id=c.test \
		remote_id=a.test psk=guest-charon-secret local_ts=10.90.2.0/24 \
		remote_ts=10.90.1.0/24 "${CESP[@]}" "${cargs[@]}" || return 1
	start_daemon "$A" "$OURS" || return 1
	[ "$role" = charon ] && guest_charon_initiate "$CH"
	if ! guest_charon_wait_child "$CH" 60 ||
	   ! wait_for 30 grep -q "CHILD SA established" "$OURS/daemon.log"; then
		tail -30 "$OURS/daemon.log"; echo ---; tail -30 "$CH/charon.log"
		return 1
	fi
	echo "charon: $(charon_child_line "$CH")"
}

# Pings both ways, then the packet counters of the inbound SAs: at least
# the 6 pings' worth on each side proves they went through ESP.  Counters
# live on the SAs in place: when charon's 10 s CHILD rekey lands between
# the pings and the count (process starts are slow under TCG), the new SAs
# have not seen them, so a short count is retried (3 tries) before it fails.
both_ways() {
	set -e
	local a c try
	for try in 1 2 3; do
		ip netns exec "$A" ping -c 3 -i 0.2 -W 3 -I 10.90.1.1 10.90.2.1
		ip netns exec "$C" ping -c 3 -i 0.2 -W 3 -I 10.90.2.1 10.90.1.1
		a=$(in_packets "$A" 10.90.0.1); c=$(in_packets "$C" 10.90.0.2)
		echo "ESP packets in: ours $a, charon $c (try $try)"
		[ "$a" -ge 6 ] && [ "$c" -ge 6 ] && break
		[ "$try" = 3 ] && { ip -n "$A" -s xfrm state; ip -n "$A" xfrm policy; ip -n "$C" -s xfrm state; }
	done
	ip -n "$C" xfrm state | grep -q "proto esp"   # charon's SAs are in its kernel
	[ "$a" -ge 6 ] && [ "$c" -ge 6 ]
}

# ping_rekeys COUNT [SIZE]: COUNT pings at 50 ms, none may be lost
ping_rekeys() {
	ip netns exec "$A" ping -D -O -s "${2:-56}" -i 0.05 -c "$1" -W 3 -I 10.90.1.1 10.90.2.1 > "$WORK/ping.log" 2>&1
	tail -n 3 "$WORK/ping.log"
	grep -q " 0% packet loss" "$WORK/ping.log" && return 0
	echo "replies lost across the rekeys:"
	grep "no answer" "$WORK/ping.log" | while read -r ts rest; do
		echo "$(date -d "@${ts//[\[\]]/}" +%T.%N) $rest"
	done
	grep -E "rekey|EXPIRE|installed|deleted" "$OURS/daemon.log" | grep -v debug | tail -n 40
	return 1
}

# rekey counts in our log: ours-CHILD peers-CHILD IKE
rekeys() {
	echo "$(grep -c "CHILD SA rekeyed:" "$OURS/daemon.log") $(grep -c "CHILD SA rekeyed by the peer" "$OURS/daemon.log") $(grep -c "rekeyed into this one" "$OURS/daemon.log")"
}

we_initiate() {
	set -e
	pair_up ours child_rekey_time=10s rekey_time=20s -- \
		'extra_child=childsa_softlife_kb = 40; childsa_lifetime_kb = 100000;'
	both_ways
	# small pings first: charon's timers rekey before our byte limit
	# (~1.7 kB/s: 40 kB take 24 s), then large ones reach it in ~2 s
	ping_rekeys 500 56
	ping_rekeys 200 1000
	set -- $(rekeys)
	echo "during the ping: $1 CHILD rekeys by us, $2 by charon, IKE rekeys $3"
	grep -E "IKE SA #[0-9]* rekeyed into this one" "$OURS/daemon.log" | head -3
	[ "$1" -ge 1 ] && [ "$2" -ge 1 ] && [ "$3" -ge 1 ]
	both_ways   # the SAs in place after the rekeys carry both ways
}
check "kernel-$K, we initiate: ping both ways; charon rekeys CHILD+IKE, we rekey CHILD, ping -i 0.05 loses nothing" we_initiate

charon_initiates() {
	set -e
	pair_up charon -- 'extra_child=childsa_softlife_kb = 100; childsa_lifetime_kb = 100000;'
	charon_sas "$CH" | grep -q "_i\*"   # charon is the initiator
	both_ways
	# 1000-byte pings: ~20 kB/s, a CHILD rekey by us every ~5 s (our IKE
	# SA rekey, 55-60 s at the least lifetime, is checked against
	# ourselves in guest-netlink-events, to keep this suite short)
	ping_rekeys 400 1000
	set -- $(rekeys)
	echo "during the ping: $1 CHILD rekeys by us, $2 by charon, IKE rekeys $3"
	[ "$1" -ge 2 ]
	both_ways
}
check "kernel-$K, charon initiates: ping both ways; we rekey the CHILD SA (as its responder), ping -i 0.05 loses nothing" charon_initiates

stop_clean() {
	set -e
	pair_down
	local s p
	s=$(ip -n "$A" xfrm state | grep -c '^src' || true)
	if [ "$K" = pfkey ]; then   # no band: every policy (the sockets' went with the daemon)
		p=$(ip -n "$A" xfrm policy | grep -c '^src' || true)
	else
		p=$(ip -n "$A" xfrm policy | grep -c 'priority 100[0-9][0-9][0-9][0-9]' || true)
	fi
	echo "ours after SIGTERM: $s SAs, $p policies"
	[ "$s" = 0 ] && [ "$p" = 0 ]
}
check "SIGTERM after the charon runs: nothing of ours left" stop_clean

if [ "$GUEST_FAILED" != 0 ]; then
	echo "== our log"; tail -40 "$OURS/daemon.log"
	echo "== charon log"; tail -40 "$CH/charon.log"
fi
checks_done
