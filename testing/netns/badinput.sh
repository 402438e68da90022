#!/bin/bash
# badinput.sh SCENARIO - a hostile peer (ikev2_probe.py, Python standard
# library only) against one in.ikev2d responder in another namespace.
#
#   notifies   unacceptable proposal -> NO_PROPOSAL_CHOSEN; wrong KE group ->
#              INVALID_KE_PAYLOAD(group); unknown critical payload ->
#              UNSUPPORTED_CRITICAL_PAYLOAD(type); a retransmitted request ->
#              the identical stored response
#   garbage    random, truncated, lying and oversized datagrams on 500 and
#              4500 -> no answer, clear log lines, still serving afterwards
#   replay     a real initiator (a second in.ikev2d) sets up an IKE SA and a
#              CHILD SA; every IKE datagram it sent is replayed byte for byte
#              (same Ethernet frames), right away and again after a CHILD SA
#              rekey moved the message IDs on -> the responder answers the
#              replayed last request from its stored response, drops the old
#              one, keeps exactly one CHILD SA with the same SPIs, stays up
#   flood      2000 IKE_SA_INIT from 2000 spoofed sources -> COOKIE above the
#              threshold (100), a COOKIE round trip works, a forged one does
#              not; after the half-open timeout (5 s) nothing half-open is
#              left (a fresh request needs no COOKIE)
#
# Every scenario ends by checking the daemon is alive and its log has no
# sanitizer or crash report.  Wrong PSK and proposal mismatch against a real
# peer are in testing/interop/interop.sh (wrong-psk, mismatch).
. "$(dirname "$0")/lib.sh"

scenario=${1:-notifies}
need_root
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3"
case $scenario in
notifies|garbage) require_cap ike ;;
replay) require_cap ike rekey-child ;;
flood) require_cap ike cookie ;;
*) echo "usage: $0 notifies|garbage|replay|flood" >&2; exit 2 ;;
esac

mkwork "bi-$scenario"
D=$WORK/daemon
ND=net-bi-d$$ NP=net-bi-p$$   # per run: several may run at once
ns_add $ND; ns_add $NP
link_ns $ND net-bi-vd 10.89.0.1/24 $NP net-bi-vp 10.89.0.2/24
# the probe may send from any 10.200/16 address, and gets the answers
ip -n $NP route add local 10.200.0.0/16 dev lo
ip -n $ND route add 10.200.0.0/16 via 10.89.0.2

write_config "$D" label=probe_rule local=10.89.0.1 remote=10.0.0.0/8 \
	local_id=fqdn:d.test remote_id=fqdn:probe.test \
	local_ts=10.89.1.0/24 remote_ts=10.89.2.0/24 \
	'ike_xform={ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 31; }' \
	'extra_daemon=cookie_threshold = 100; half_open_timeout_secs = 5; half_open_max_per_peer = 100000;'
start_daemon $ND "$D" || finish

probe() {
	ip netns exec $NP /usr/bin/python3 "$here/ikev2_probe.py" 10.89.0.1 "$@" 2>&1 | tee -a "$WORK/probe.log"
	return "${PIPESTATUS[0]}"
}

expect_log() {   # regex what
	grep -qiE "$1" "$D/daemon.log" || fail "no log line about $2 (/$1/)"
}

case $scenario in
notifies)
	probe valid || fail "valid request"
	probe noproposal || fail "proposal mismatch"
	probe invalid-ke || fail "wrong KE group"
	probe critical || fail "critical payload"
	probe retransmit || fail "retransmission"
	expect_log "NO_PROPOSAL_CHOSEN|no (acceptable|matching) proposal" "the proposal mismatch"
	expect_log "INVALID_KE" "the wrong KE group"
	expect_log "critical" "the unknown critical payload"
	;;
garbage)
	probe garbage || fail "garbage"
	expect_log "shorter than an IKE header" "runt datagrams"
	expect_log "oversized" "oversized datagrams"
	;;
replay)
	I=$WORK/initiator
	write_config "$I" label=replayer local=10.89.0.2 remote=10.89.0.1 \
		local_id=fqdn:probe.test remote_id=fqdn:d.test auto_start=true \
		local_ts=10.89.2.0/24 remote_ts=10.89.1.0/24 \
		'ike_xform={ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 31; }'
	ip netns exec $NP /usr/bin/python3 "$here/ikev2_probe.py" capture net-bi-vp 6 "$WORK/frames" \
		> "$WORK/capture.log" 2>&1 &
	cap=$!
	sleep 0.5
	start_daemon $NP "$I" || finish
	wait_for 10 sas_paired "$I" "$D" 1 || { show_state "$D" responder; fail "no CHILD SA between the two daemons"; finish; }
	wait $cap
	cat "$WORK/capture.log"
	d_in=$(sa_spis "$D" in); d_out=$(sa_spis "$D" out)
	ip netns exec $NP /usr/bin/python3 "$here/ikev2_probe.py" replay net-bi-vp "$WORK/frames" \
		> "$WORK/replay1.log" 2>&1 || fail "replay"
	cat "$WORK/replay1.log"
	# the last request (IKE_AUTH) is answered again from the stored response
	[ "$(sed -n 's/^answers IKE_AUTH //p' "$WORK/replay1.log")" -ge 1 ] ||
		fail "the replayed last request was not answered from the stored response"
	sleep 1
	[ "$(sa_spis "$D" in)" = "$d_in" ] && [ "$(sa_spis "$D" out)" = "$d_out" ] && sas_paired "$I" "$D" 1 ||
		{ show_state "$D" responder; fail "replayed IKE_SA_INIT/IKE_AUTH changed the responder's SAs"; }
	# move the message IDs on (a CHILD SA rekey), then replay the old ones again
	kernel_ctl "$I" "expire soft $(sa_spis "$I" in) 10.89.0.2"
	wait_for 10 sh -c "[ \"\$(grep '^sa dir=in ' '$D/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$d_in' ]" ||
		fail "the CHILD SA was not rekeyed"
	# the old pair gone on both sides (its inbound SAs stay 2 s after
	# the Delete, for ESP still in flight)
	wait_for 10 sas_paired "$I" "$D" 1 || fail "not one pair after the rekey"
	d_in=$(sa_spis "$D" in); d_out=$(sa_spis "$D" out)
	ip netns exec $NP /usr/bin/python3 "$here/ikev2_probe.py" replay net-bi-vp "$WORK/frames" \
		> "$WORK/replay2.log" 2>&1 || fail "second replay"
	cat "$WORK/replay2.log"
	# message ID 1 is now behind the window: dropped, not answered
	[ "$(sed -n 's/^answers IKE_AUTH //p' "$WORK/replay2.log")" -eq 0 ] ||
		fail "an old IKE_AUTH request replayed after a rekey was answered"
	sleep 1
	[ "$(sa_spis "$D" in)" = "$d_in" ] && [ "$(sa_spis "$D" out)" = "$d_out" ] && sas_paired "$I" "$D" 1 ||
		{ show_state "$D" responder; fail "old requests replayed after a rekey changed the responder's SAs"; }
	daemon_alive "$I" || fail "the initiator died"
	# a replayed IKE_SA_INIT may leave a half-open SA: once it timed out
	# (5 s), still exactly the one CHILD SA
	sleep 6
	[ "$(sa_count "$D")" -eq 2 ] || fail "responder has $(sa_count "$D") SAs, expected 2"
	;;
flood)
	probe flood 2000 || fail "flood"
	log "waiting out the half-open timeout (5 s)"
	sleep 8
	probe after-timeout || fail "after the half-open timeout"
	expect_log "cookie" "demanding COOKIEs"
	;;
esac

daemon_alive "$D" || fail "in.ikev2d died"
grep -qE "AddressSanitizer|runtime error:|Segmentation" "$D/daemon.log" && fail "sanitizer or crash report in the log"
if [ "$scenario" != replay ]; then
	[ "$(sa_count "$D")" -eq 0 ] || fail "SAs installed by a hostile peer"
fi
[ "$(spi_count "$D")" -eq 0 ] || fail "SPIs left reserved on the responder"
finish
