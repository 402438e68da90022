#!/bin/bash
# rekey-prf.sh - IKE SA rekeys that change the PRF, against Debian's
# strongSwan charon (issue 14 item 4).  RFC 7296 section 2.18 keys prf+ of the
# new SA with the new PRF; charon (keymat_v2) keeps the old SA's PRF for it.
# ikev2d derives both sets and keeps the one the peer's first message
# verifies under (and sends its own first requests under each in turn).
#
# Our proposals prefer PRF HMAC-SHA2-384, charon's HMAC-SHA2-256, and each
# responder picks its own preference, so every rekey changes the PRF:
#   1. ikev2d initiates: charon picks PRF-256;
#   2. charon rekeys the IKE SA: we pick PRF-384 (256 -> 384), then charon
#      speaks first in the new SA (a CHILD rekey), then we do;
#   3. ikev2d rekeys (60 s lifetime): charon picks PRF-256 (384 -> 256),
#      then we speak first (a CHILD rekey), then charon.
# Each CHILD rekey must succeed with one CHILD SA pair left, and charon
# must report the PRF expected after each IKE rekey.
#
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

need_root
need_charon
require_cap ike rekey-ike rekey-child

mkwork "rekey-prf"
O=$WORK/ours C=$WORK/charon
NO=net-rp-a$$ NC=net-rp-c$$
PSK=interop-secret
ns_add $NO; ns_add $NC
link_ns $NO net-rp-va 10.77.0.1/24 $NC net-rp-vc 10.77.0.2/24
ip -n $NO addr add 10.77.1.1/32 dev lo
ip -n $NC addr add 10.77.2.1/32 dev lo
OURS_IP=10.77.0.1 CHARON_IP=10.77.0.2
A256="AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"
A384="AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_384/ECP_256"

write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
	local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=$PSK \
	local_ts=10.77.1.0/24 remote_ts=10.77.2.0/24 auto_start=true ike_life=60 \
	ike_xform='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; prf_alg = "sha384"; dh_group = 19; },
		{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'
charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
	local_id=charon.test remote_id=ours.test psk=$PSK \
	local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 esp=aes128gcm16 \
	proposals=aes128-sha256-prfsha256-ecp256,aes128-sha256-prfsha384-ecp256 || finish
start_daemon $NO "$O" || finish
check_ike "initial" $A256 && check_child "initial" || finish

# one inbound SA on our side, not SPI $1 (a CHILD rekey is over)
one_new_in() { local s; s=$(sa_spis "$O" in); [ -n "$s" ] && [ "$s" = "${s%%[!0-9a-f]*}" ] && [ "$s" != "$1" ]; }
ike_spis_changed() { local s; s=$(charon_ike_spis "$C"); [ -n "$s" ] && [ "$s" != "$1" ]; }
charon_child_rekey() {   # what
	local old; old=$(sa_spis "$O" in)
	charon_ctl "$C" --rekey --child net > "$WORK/rekey.log" 2>&1 || fail "$1: swanctl --rekey --child failed"
	wait_for 20 one_new_in "$old" || { tail -20 "$O/daemon.log"; fail "$1: charon's CHILD rekey did not replace SPI $old"; }
}
our_child_rekey() {   # what
	local old; old=$(sa_spis "$O" in)
	kernel_ctl "$O" "expire soft $old $OURS_IP"
	wait_for 20 one_new_in "$old" || { tail -20 "$O/daemon.log"; fail "$1: our CHILD rekey did not replace SPI $old"; }
}
children_ok() {   # what
	sleep 1
	check_child "$1"
	[ "$(charon_child_count "$C")" -eq 1 ] || fail "$1: charon has $(charon_child_count "$C") CHILD SAs"
}

log "--- charon rekeys the IKE SA: PRF-256 -> PRF-384"
spis=$(charon_ike_spis "$C")
charon_ctl "$C" --rekey --ike peer > "$WORK/rekey.log" 2>&1 || fail "swanctl --rekey --ike failed"
wait_for 15 ike_spis_changed "$spis" || fail "charon's IKE rekey: SPIs unchanged"
wait_for 5 sh -c "[ \"\$(swanctl --list-sas --uri unix://$C/charon.vici | awk '/^peer: #/ { getline; getline; getline; print \$1; exit }')\" = $A384 ]" ||
	fail "after charon's rekey charon reports $(charon_ike_algs "$C"), expected $A384"
log "charon: $(charon_ike_algs "$C")"
charon_child_rekey "charon speaks first in the PRF-384 SA"
our_child_rekey "then ikev2d"
children_ok "after charon's PRF-changing IKE rekey"

log "--- ikev2d rekeys the IKE SA (lifetime 60 s): PRF-384 -> PRF-256"
spis=$(charon_ike_spis "$C")
wait_for 80 ike_spis_changed "$spis" || fail "ikev2d did not rekey the IKE SA within 80 s"
wait_for 5 sh -c "[ \"\$(swanctl --list-sas --uri unix://$C/charon.vici | awk '/^peer: #/ { getline; getline; getline; print \$1; exit }')\" = $A256 ]" ||
	fail "after our rekey charon reports $(charon_ike_algs "$C"), expected $A256"
log "charon: $(charon_ike_algs "$C")"
our_child_rekey "ikev2d speaks first in the PRF-256 SA"
charon_child_rekey "then charon"
children_ok "after our PRF-changing IKE rekey"
charon_ike_established "$C" || fail "no IKE SA at the end"
n=$(grep -c "derived this rekeyed IKE SA's keys with the old SA's PRF" "$O/daemon.log")
log "ikev2d found charon's old-PRF keys $n times: $(grep -o "derived this rekeyed IKE SA's keys.*" "$O/daemon.log" | sort | uniq -c | tr -s ' ')"
[ "$n" -ge 2 ] || fail "ikev2d logged the old-PRF keys $n times, expected 2 (one per rekey)"
grep -q "integrity check failed\|ICV" "$C/charon.log" && log "note: charon dropped messages it could not verify (our first try under the RFC keys)"
restart_pair
finish
