#!/bin/bash
# kernel-events.sh SCENARIO - kernel events injected into in.ikev2d's null
# backend (control FIFO) with Debian's strongSwan charon as the peer, each
# in its own network namespace (kev-io-*, 10.90.x inside them only; charon
# with --kernel libipsec, so its CHILD SAs really install).
#
#   acquire   our rule is on_demand, charon only responds: our trap policy
#             is the only thing installed until "acquire <src> <dst>" for a
#             packet it matches; then charon reports the IKE SA ESTABLISHED
#             and the CHILD SA INSTALLED with the SPIs we recorded; charon
#             deletes the CHILD SA: the trap is back and the next ACQUIRE
#             makes a CHILD SA in the same IKE SA; charon deletes the IKE SA
#             and initiates itself: our responder CHILD SA replaces the trap
#   expire    soft EXPIRE on our side: the CHILD SA is rekeyed with charon
#             (one INSTALLED CHILD SA there, new SPIs on both sides); hard
#             EXPIRE: we delete the CHILD SA with a Delete, charon logs it
#             and lists no CHILD SA while the IKE SA stays ESTABLISHED; our
#             trap is back, and the next ACQUIRE makes a new CHILD SA in
#             the same IKE SA (same IKE SPIs in charon's list)
#
# Asserts both sides: `swanctl --list-sas` and our kernel-null state file.
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"

scenario=${1:-acquire}
need_root
need_charon
case $scenario in
acquire) require_cap ike acquire ;;
expire)  require_cap ike acquire expire rekey-child ;;
*) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

WORK=$(mktemp -d "/tmp/kev-io-$scenario-XXXXXX")
chmod 700 "$WORK"
O=$WORK/ours C=$WORK/charon
NO=kev-io-a$$ NC=kev-io-c$$   # per run: several may run at once
OURS_IP=10.90.0.1 CHARON_IP=10.90.0.2

ns_add $NO; ns_add $NC
link_ns $NO kev-io-va $OURS_IP/24 $NC kev-io-vc $CHARON_IP/24
ip -n $NO addr add 10.90.1.1/32 dev lo
ip -n $NC addr add 10.90.2.1/32 dev lo

write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
	local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=kev-interop \
	local_ts=10.90.1.0/24 remote_ts=10.90.2.0/24 child_life=600 \
	'extra_rule=on_demand = true;'
start_daemon $NO "$O" || finish
charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
	local_id=charon.test remote_id=ours.test psk=kev-interop \
	local_ts=10.90.2.0/24 remote_ts=10.90.1.0/24 esp=aes128gcm16 || finish

trap_only() {
	[ "$(policy_count "$O")" -eq 1 ] && [ "$(sa_count "$O")" -eq 0 ] &&
		grep -q "^policy dir=out src=10.90.1.0-10.90.1.255\[0/0-65535\] dst=10.90.2.0-10.90.2.255\[0/0-65535\] action=protect" "$(state_file "$O")"
}

# One CHILD SA: charon's in = our out and back.
check_child() {   # what
	local c_in c_out o_in o_out
	if ! wait_for 15 charon_child_installed "$C" ||
	   ! wait_for 5 sh -c "[ \$(grep -c '^sa ' '$O/kernel.state') -eq 2 ]"; then
		charon_sas "$C"; show_state "$O" ikev2d; tail -20 "$O/daemon.log"
		fail "$1: no CHILD SA on both sides"
		return 1
	fi
	c_in=$(charon_child_spis "$C" in); c_out=$(charon_child_spis "$C" out)
	o_in=$(sa_spis "$O" in); o_out=$(sa_spis "$O" out)
	if [ "$c_in" != "$o_out" ] || [ "$c_out" != "$o_in" ] || [ "$(charon_child_count "$C")" -ne 1 ]; then
		charon_sas "$C"; show_state "$O" ikev2d
		fail "$1: charon in=$c_in out=$c_out ($(charon_child_count "$C") CHILD SAs), ikev2d in=$o_in out=$o_out"
		return 1
	fi
	charon_ike_established "$C" || { fail "$1: charon's IKE SA is $(charon_ike_state "$C")"; return 1; }
	log "$1: charon ESTABLISHED, CHILD SA charon in $c_in / out $c_out = ikev2d out / in"
}

wait_for 5 trap_only || { show_state "$O" ikev2d; fail "no trap policy alone at start-up"; finish; }
sleep 1
[ -z "$(charon_ike_state "$C")" ] || fail "charon has an IKE SA before any ACQUIRE"
kernel_ctl "$O" "acquire 10.90.1.1 10.90.2.1"
wait_for 5 grep -q "ACQUIRE for 10.90.1.1\[0/0-65535\] === 10.90.2.1\[0/0-65535\] (trap reqid [0-9]*): initiating rule to_charon" "$O/daemon.log" ||
	fail "ikev2d logged no ACQUIRE starting the rule"
check_child "after the ACQUIRE" || finish
ike_spis=$(charon_ike_spis "$C")
[ "$(policy_count "$O")" -eq 3 ] && [ "$(grep -c '^policy dir=out ' "$O/kernel.state")" -eq 1 ] ||
	{ show_state "$O" ikev2d; fail "the trap and the CHILD SA's policies are both installed"; }

if [ "$scenario" = acquire ]; then
	# charon deletes the CHILD SA alone: our trap is back, and the next
	# packet makes a new CHILD SA in the IKE SA that is still up
	charon_ctl "$C" --terminate --child net --timeout 10 > "$WORK/term-child.log" 2>&1 ||
		fail "swanctl --terminate --child failed"
	wait_for 5 trap_only || { show_state "$O" ikev2d; fail "the trap is not back after charon deleted the CHILD SA"; }
	charon_ike_established "$C" || fail "charon's IKE SA went with the CHILD SA"
	sleep 5   # past the ACQUIRE rate limit
	kernel_ctl "$O" "acquire 10.90.1.3 10.90.2.1"
	wait_for 5 grep -q "ACQUIRE for trap reqid [0-9]*: new CHILD SA in this IKE SA" "$O/daemon.log" ||
		fail "ikev2d did not make the new CHILD SA in its IKE SA"
	check_child "after charon's CHILD SA Delete and a new ACQUIRE"
	[ "$(charon_ike_spis "$C")" = "$ike_spis" ] || fail "a new IKE SA was made"
	# charon deletes the IKE SA, then initiates itself: as responder our
	# CHILD SA's policies take the trap's place as well
	charon_ctl "$C" --terminate --ike peer --timeout 10 > "$WORK/term-ike.log" 2>&1 ||
		fail "swanctl --terminate --ike failed"
	wait_for 5 trap_only || { show_state "$O" ikev2d; fail "the trap is not back after charon deleted the IKE SA"; }
	charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate.log" 2>&1 ||
		fail "charon could not initiate to our on_demand rule"
	check_child "charon initiating"
	[ "$(policy_count "$O")" -eq 3 ] && [ "$(grep -c '^policy dir=out ' "$O/kernel.state")" -eq 1 ] ||
		{ show_state "$O" ikev2d; fail "as responder: the trap and the CHILD SA's policies are both installed"; }
	log "as responder: the CHILD SA's outbound policy replaced the trap"
fi

if [ "$scenario" = expire ]; then
	# soft EXPIRE: rekey with charon
	old=$(sa_spis "$O" in)
	kernel_ctl "$O" "expire soft $old $OURS_IP"
	wait_for 10 sh -c "[ \"\$(grep '^sa dir=in ' '$O/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$old' ]" ||
		fail "soft EXPIRE: ikev2d still has inbound SPI $old"
	sleep 2
	check_child "after the soft EXPIRE (rekey)"
	[ "$(charon_child_spis "$C" out)" != "$old" ] || fail "charon still uses the old CHILD SA"
	# hard EXPIRE: Delete to charon
	old=$(sa_spis "$O" in)
	kernel_ctl "$O" "expire hard $old $OURS_IP"
	if wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^  net: #.*INSTALLED'"; then
		log "hard EXPIRE: charon removed the CHILD SA"
	else
		charon_sas "$C"; fail "hard EXPIRE: charon still lists the CHILD SA"
	fi
	wait_for 5 grep -q "received DELETE for ESP CHILD_SA with SPI $old" "$C/charon.log" ||
		fail "charon logged no DELETE for CHILD SA $old"
	charon_ike_established "$C" || fail "the IKE SA went with the CHILD SA"
	[ "$(sa_count "$O")" -eq 0 ] || fail "ikev2d kept SAs after the hard EXPIRE"
	wait_for 5 trap_only || { show_state "$O" ikev2d; fail "the trap is not back after the CHILD SA went"; }
	log "trap policy back; charon: $(charon_sas "$C" | sed -n 's/^peer: #[0-9]*, \([A-Z]*\),.*/IKE SA \1/p'), no CHILD SA"
	# next packet: a new CHILD SA in the same IKE SA
	sleep 5   # past the ACQUIRE rate limit
	kernel_ctl "$O" "acquire 10.90.1.7 10.90.2.1"
	wait_for 5 grep -q "ACQUIRE for trap reqid [0-9]*: new CHILD SA in this IKE SA" "$O/daemon.log" ||
		fail "ikev2d did not make the new CHILD SA in its IKE SA"
	check_child "after the second ACQUIRE"
	[ "$(charon_ike_spis "$C")" = "$ike_spis" ] || fail "a new IKE SA was made ($(charon_ike_spis "$C") vs $ike_spis)"
fi

if grep -qE "AddressSanitizer|runtime error:|Segmentation" "$O/daemon.log"; then
	fail "sanitizer or crash report in ikev2d's log"
fi
daemon_alive "$O" || fail "ikev2d died"
finish
