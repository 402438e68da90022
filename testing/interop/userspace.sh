#!/bin/bash
# userspace.sh - in.ikev2d with kernel-userspace against Debian's strongSwan
# charon with kernel-libipsec: both do ESP in user space on this host.
# charon always uses UDP encapsulation with libipsec (it fakes NAT
# detection), so this is ESP in UDP on 4500 through our NAT-T socket.
#
# In one run: we initiate; ping and a checksummed TCP transfer both ways;
# then `ping -i 0.05` for ~40 s while charon rekeys the CHILD SA (every
# 12 s) and the IKE SA (every 25 s) and we rekey the CHILD SA on a byte
# lifetime: no reply may be lost.  Before that, ESP forged with charon's
# keys (bad padding, an inner packet outside the selectors) is dropped,
# counted and logged.
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/traffic.sh"
. "$(dirname "$0")/charon.sh"

need_root
need_daemon
need_charon
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -f "$top_builddir/kernel-backends/userspace/.libs/kernel-userspace.so" ] ||
	skip "kernel-userspace not built"

mkwork us-interop
A=$WORK/a C=$WORK/charon
NA=net-usi-a$$ NC=net-usi-c$$
ns_add $NA
ns_add $NC
link_ns $NA net-usi-va 10.90.0.1/24 $NC net-usi-vc 10.90.0.2/24
ip -n $NA addr add 10.90.1.1/32 dev lo
ip -n $NC addr add 10.90.2.1/32 dev lo

write_config "$A" kernel=userspace label=to_charon local=10.90.0.1 remote=10.90.0.2 \
	local_id=fqdn:a.test remote_id=fqdn:c.test psk=us-interop-secret \
	local_ts=10.90.1.0/24 remote_ts=10.90.2.0/24 auto_start=true \
	'extra_child=childsa_softlife_kb = 40; childsa_lifetime_kb = 4000;'
mkdir -p "$C"
charon_start "$C" $NC local=10.90.0.2 remote=10.90.0.1 local_id=c.test \
	remote_id=a.test psk=us-interop-secret local_ts=10.90.2.0/24 \
	remote_ts=10.90.1.0/24 kernel=libipsec child_rekey_time=12s rekey_time=25s \
	log_chd=4 || finish
start_daemon $NA "$A" || finish

if ! wait_for 20 charon_child_installed "$C"; then
	tail -20 "$A/daemon.log"; tail -30 "$C/charon.log"
	fail "no CHILD SA with charon within 20 s"
	finish
fi
log "CHILD SA with charon: $(charon_child_line "$C")"
grep -q "UDP-encapsulated" "$A/daemon.log" || fail "our SAs are not UDP-encapsulated"
charon_child_line "$C" | grep -q "in-UDP" || fail "charon's CHILD SA is not UDP-encapsulated"

ping_ok $NA 10.90.1.1 10.90.2.1 3 "ours -> charon" && log "ping ours -> charon"

# Forged ESP with a valid ICV (charon's CHILD SA keys from its CHD level 4
# log): bad padding, and an inner packet from outside the SA's selectors.
# Each must be counted under its reason and logged.  The second takes a
# sequence number charon has not reached (it sent ~3 so far): charon's own
# packet with that number is then rightly dropped as a replay, once.
stat_a() { sed -n "s/^$1 //p" "$A/esp.stats" 2>/dev/null; }
spi=$(charon_child_spis "$C" out | head -1)
if ip netns exec $NC python3 "$top_srcdir/testing/interop/forge_esp.py" "$C/charon.log" "$spi" \
	10.90.0.1 1000000 40 10.90.1.1 10.90.2.1; then
	sleep 1.2   # the statistics file is rewritten every second
	for c in bad_padding outside_selectors; do
		v=$(stat_a drop_$c)
		[ "${v:-0}" -ge 1 ] && log "forged ESP: counted drop_$c $v" ||
			fail "forged ESP: drop_$c not counted ($v)"
		grep -q "dropped ($c)" "$A/daemon.log" || fail "forged ESP: no log line for $c"
	done
	[ "$(stat_a drop_icv_failed)" = 0 ] || fail "forged ESP: the ICV did not verify (wrong key?)"
else
	fail "forging ESP with charon's keys failed"
fi
forged_pad=$(stat_a drop_bad_padding) forged_sel=$(stat_a drop_outside_selectors)
daemon_alive "$A" || fail "in.ikev2d died after the forged ESP"
ping_ok $NC 10.90.2.1 10.90.1.1 3 "charon -> ours" && log "ping charon -> ours"
tcp_ok $NA 10.90.1.1 $NC 10.90.2.1 "TCP ours -> charon"
tcp_ok $NC 10.90.2.1 $NA 10.90.1.1 "TCP charon -> ours"
# our TCP data left the TUN as TSO packets, cut into segments here, and
# charon's libipsec took every segment (the SHA-256 above)
sleep 1.2
v=$(stat_a tun_tso_reads) w=$(stat_a tun_tso_segments)
[ "${v:-0}" -gt 0 ] && [ "${w:-0}" -gt "${v:-0}" ] &&
	log "TCP ours -> charon: $v TSO packets from the TUN, cut into $w segments" ||
	fail "TCP ours -> charon: no TSO packets read (tun_tso_reads '$v', tun_tso_segments '$w')"
[ "$(stat_a drop_bad_vnet_header)" = 0 ] || fail "refused virtio headers: $(stat_a drop_bad_vnet_header)"

ip netns exec $NA ping -q -i 0.05 -c 800 -W 2 -I 10.90.1.1 10.90.2.1 > "$WORK/ping.out" 2>&1
tail -2 "$WORK/ping.out"
grep -q " 0% packet loss" "$WORK/ping.out" ||
	fail "replies lost across the rekeys: $(grep loss "$WORK/ping.out")"
ours=$(grep -c "CHILD SA rekeyed:" "$A/daemon.log")
peers=$(grep -c "CHILD SA rekeyed by the peer" "$A/daemon.log")
ike=$(grep -ciE "IKE SA.*rekeyed" "$A/daemon.log")
log "during the ping: $ours CHILD rekeys by us, $peers by charon, $ike IKE rekeys"
[ "$ours" -ge 1 ] || fail "we did not rekey the CHILD SA (byte lifetime)"
[ "$peers" -ge 1 ] || fail "charon did not rekey the CHILD SA"
[ "$ike" -ge 1 ] || fail "the IKE SA was not rekeyed"
ping_ok $NC 10.90.2.1 10.90.1.1 3 "charon -> ours after the rekeys" &&
	log "ping charon -> ours after the rekeys"
sleep 1.2
[ "$(stat_a drop_icv_failed)" = 0 ] || fail "our backend counted drop_icv_failed $(stat_a drop_icv_failed)"
[ "$(stat_a drop_replayed)" -le 1 ] || fail "our backend counted drop_replayed $(stat_a drop_replayed)"
[ "$(stat_a drop_bad_padding)" = "$forged_pad" ] && [ "$(stat_a drop_outside_selectors)" = "$forged_sel" ] ||
	fail "drops beyond the forged ones: bad_padding $(stat_a drop_bad_padding), outside_selectors $(stat_a drop_outside_selectors)"
finish
