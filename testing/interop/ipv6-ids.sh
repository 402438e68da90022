#!/bin/bash
# ipv6-ids.sh SCENARIO - in.ikev2d against Debian's strongSwan charon over
# IPv6, and with the identity types interop.sh does not cover (it does IPv4
# addresses and FQDNs).  Same harness as interop.sh: charon with --kernel
# libipsec in its own namespace, ikev2d with the null backend in another.
#
#   ipv6          IKE over IPv6 (UDP 500, then 4500: libipsec fakes a NAT),
#                 rules with IPv6 addresses and IPv6 traffic selectors,
#                 IPv6-address identities; ikev2d as initiator, then as
#                 responder.  charon must not believe ikev2d is behind a NAT
#                 (our NAT_DETECTION hashes over IPv6 are right).
#   ipv6-rekey    over IPv6: CHILD SA rekeyed by charon, then by ikev2d,
#                 IKE SA rekeyed by charon, Delete on ikev2d's SIGTERM
#   ipv6-range    ikev2d answers a rule whose remote_addr and remote_id
#                 are an IPv6 prefix; an address outside it gets nothing
#   ipv6-nat      ikev2d (initiator) behind a router doing IPv6 masquerade
#                 (nftables): NAT detection over IPv6 on both sides, IKE
#                 and ESP move to port 4500
#   id-types      RFC822 address, DN, KEY_ID and IPv6 address identities,
#                 each with ikev2d as initiator and as responder: charon
#                 shows our identity, ikev2d logs charon's
#   initial-contact  charon restarts after SIGKILL and comes back with
#                 INITIAL_CONTACT: ikev2d drops the stale IKE and CHILD SA
#   id-mismatch   charon's identity is not the one our rule expects:
#                 as responder ikev2d answers AUTHENTICATION_FAILED; as
#                 initiator it refuses charon's AUTH and deletes the IKE SA.
#                 Nothing is left on either side.
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

scenario=${1:-ipv6}
need_root
need_charon
case $scenario in
ipv6)     require_cap ike ipv6 ;;
ipv6-nat) require_cap ike ipv6 natt ;;
ipv6-range) require_cap ike ipv6 ;;
ipv6-rekey) require_cap ike ipv6 rekey-child rekey-ike delete ;;
id-types) require_cap ike ipv6 id-types ;;
id-mismatch) require_cap ike id-types ;;
initial-contact) require_cap ike initial-contact ;;
*) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

mkwork "v6-io-$scenario"
O=$WORK/ours C=$WORK/charon
# per-run names: several people may run the suites at once on one machine
NO=v6-io-a$$ NC=v6-io-c$$ NN=v6-io-n$$
PSK=interop-v6-secret
DEFAULT_XFORM='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'
DEFAULT_ALGS="AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256 aes-cbc-128/hmac-sha256-128/prf-hmac-sha256/ecp256"

# Two namespaces on a veth pair, dual stack.  IPv6 without duplicate address
# detection (nodad) so the addresses are usable at once.  Each side has an
# address inside its own traffic selector on lo (libipsec needs one).
topology_direct() {
	ns_add $NO; ns_add $NC
	ip link add v6-io-va netns $NO type veth peer name v6-io-vc netns $NC ||
		{ fail "veth v6-io-va/v6-io-vc"; finish; }
	ip -n $NO addr add 10.76.0.1/24 dev v6-io-va
	ip -n $NC addr add 10.76.0.2/24 dev v6-io-vc
	ip -n $NO addr add fd00:76::1/64 dev v6-io-va nodad
	ip -n $NC addr add fd00:76::2/64 dev v6-io-vc nodad
	ip -n $NO link set v6-io-va up
	ip -n $NC link set v6-io-vc up
	ip -n $NO addr add 10.76.1.1/32 dev lo
	ip -n $NC addr add 10.76.2.1/32 dev lo
	ip -n $NO addr add fd00:76:1::1/128 dev lo nodad
	ip -n $NC addr add fd00:76:2::1/128 dev lo nodad
}

# ikev2d -- NO's router doing IPv6 masquerade (nftables) -- charon
topology_nat6() {
	ns_add $NO; ns_add $NN; ns_add $NC
	ip link add v6-io-va netns $NO type veth peer name v6-io-na netns $NN ||
		{ fail "veth v6-io-va/v6-io-na"; finish; }
	ip link add v6-io-nc netns $NN type veth peer name v6-io-vc netns $NC ||
		{ fail "veth v6-io-nc/v6-io-vc"; finish; }
	ip -n $NO addr add fd00:76:10::1/64 dev v6-io-va nodad
	ip -n $NN addr add fd00:76:10::fe/64 dev v6-io-na nodad
	ip -n $NN addr add fd00:76:20::fe/64 dev v6-io-nc nodad
	ip -n $NC addr add fd00:76:20::2/64 dev v6-io-vc nodad
	for l in "$NO v6-io-va" "$NN v6-io-na" "$NN v6-io-nc" "$NC v6-io-vc"; do
		set -- $l; ip -n $1 link set $2 up
	done
	ip -n $NO -6 route add default via fd00:76:10::fe
	ip -n $NO addr add fd00:76:1::1/128 dev lo nodad
	ip -n $NC addr add fd00:76:2::1/128 dev lo nodad
	ip netns exec $NN sysctl -qw net.ipv6.conf.all.forwarding=1
	ip netns exec $NN nft -f - <<'EOF2' || { fail "nft ip6 masquerade"; finish; }
table ip6 v6_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "v6-io-nc" masquerade
	}
}
EOF2
}

# use_family 4|6: the addresses and selectors of the next round
use_family() {
	if [ "$1" = 6 ]; then
		OURS_IP=fd00:76::1 CHARON_IP=fd00:76::2
		OURS_TS=fd00:76:1::/64 CHARON_TS=fd00:76:2::/64
	else
		OURS_IP=10.76.0.1 CHARON_IP=10.76.0.2
		OURS_TS=10.76.1.0/24 CHARON_TS=10.76.2.0/24
	fi
}

# ours_config ROLE(init|resp) key=value...
ours_config() {
	local role=$1; shift
	write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
		psk=$PSK local_ts=$OURS_TS remote_ts=$CHARON_TS \
		"ike_xform=$DEFAULT_XFORM" \
		auto_start=$([ "$role" = init ] && echo true || echo false) "$@"
}

# charon_up key=value... (charon's local_id/remote_id must be given)
charon_up() {
	charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP psk=$PSK \
		local_ts=$CHARON_TS remote_ts=$OURS_TS esp=aes128gcm16 "$@"
}

# charon initiates when ikev2d is the responder
maybe_initiate() {   # role
	[ "$1" = resp ] || return 0
	charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate.log" 2>&1 ||
		{ tail -5 "$WORK/initiate.log"; log "charon's initiation reported failure"; }
}

# The identity charon shows for its peer ("remote 'x' @ addr[port]").
charon_remote_id() {
	charon_sas "$C" | sed -n "s/^  remote '\(.*\)' @ .*/\1/p" | head -1
}

case $scenario in
ipv6)
	topology_direct
	use_family 6
	for role in init resp; do
		log "--- IPv6, ikev2d $role"
		ours_config $role
		start_daemon $NO "$O" || break
		grep -q "net: listening on .*IPv6" "$O/daemon.log" ||
			fail "ikev2d did not say it listens on IPv6: $(grep 'net: listening' "$O/daemon.log")"
		ip netns exec $NO ss -Hlun6 | grep -q ':500 ' || fail "no IPv6 UDP socket on port 500"
		ip netns exec $NO ss -Hlun6 | grep -q ':4500 ' || fail "no IPv6 UDP socket on port 4500"
		charon_up local_id=$CHARON_IP remote_id=$OURS_IP || break
		maybe_initiate $role
		check_ike "IPv6 ($role)" $DEFAULT_ALGS && check_child "IPv6 ($role)"
		[ "$(charon_remote_id)" = "$OURS_IP" ] ||
			fail "IPv6 ($role): charon sees ikev2d's identity as '$(charon_remote_id)', expected $OURS_IP"
		charon_raw "$C" | grep -q "remote-host=$OURS_IP" ||
			fail "IPv6 ($role): charon's IKE SA is not with $OURS_IP"
		charon_raw "$C" | grep -q "nat-remote=yes" &&
			fail "IPv6 ($role): charon thinks ikev2d is behind a NAT (bad NAT_DETECTION hashes over IPv6?)"
		# the CHILD SA carries IPv6 selectors and IPv6 endpoints
		charon_sas "$C" | grep -q "local  $CHARON_TS" && charon_sas "$C" | grep -q "remote $OURS_TS" ||
			{ charon_sas "$C"; fail "IPv6 ($role): charon's selectors are not $CHARON_TS === $OURS_TS"; }
		grep -q "^policy dir=out src=fd00:76:1::-fd00:76:1:0:ffff:ffff:ffff:ffff\[0/0-65535\] dst=fd00:76:2::-fd00:76:2:0:ffff:ffff:ffff:ffff" \
			"$(state_file "$O")" || { show_state "$O" ikev2d; fail "IPv6 ($role): ikev2d's outbound policy selectors"; }
		[ "$(sa_field "$O" in src | sort -u)" = "$CHARON_IP[4500]" ] ||
			fail "IPv6 ($role): inbound SA source $(sa_field "$O" in src)"
		restart_pair
	done
	;;
id-types)
	topology_direct
	# kind | family | ikev2d local_id | ikev2d remote_id | charon's id |
	# charon's peer id | how charon shows ours | how ikev2d logs charon's
	IDS=(
	"rfc822|4|email:ours@v6.test|email:charon@v6.test|charon@v6.test|ours@v6.test|ours@v6.test|charon@v6.test"
	"dn|4|dn:C=CH, O=ikev2d, CN=ours|dn:C=CH, O=strongSwan, CN=charon|\"C=CH, O=strongSwan, CN=charon\"|\"C=CH, O=ikev2d, CN=ours\"|C=CH, O=ikev2d, CN=ours|C=CH, O=strongSwan, CN=charon"
	"key_id|4|key_id:0x0a0b0c0d0e0f|key_id:0xc0ffee01|\"@#c0ffee01\"|\"@#0a0b0c0d0e0f\"|0a:0b:0c:0d:0e:0f|@#c0ffee01"
	"ipv6|6|ipv6:fd00:76::1|ipv6:fd00:76::2|fd00:76::2|fd00:76::1|fd00:76::1|fd00:76::2"
	)
	for entry in "${IDS[@]}"; do
		IFS='|' read -r kind fam lid rid cid cpeer cshow oshow <<< "$entry"
		use_family $fam
		for role in init resp; do
			log "--- $kind identities, ikev2d $role"
			ours_config $role "local_id=$lid" "remote_id=$rid"
			start_daemon $NO "$O" || break 2
			charon_up "local_id=$cid" "remote_id=$cpeer" || break 2
			maybe_initiate $role
			check_ike "$kind ($role)" $DEFAULT_ALGS && check_child "$kind ($role)"
			[ "$(charon_remote_id)" = "$cshow" ] ||
				fail "$kind ($role): charon sees ikev2d as '$(charon_remote_id)', expected '$cshow'"
			# ikev2d names the peer's identity when it authenticates it
			grep -qF "peer $oshow authenticated" "$O/daemon.log" ||
				fail "$kind ($role): ikev2d did not log 'peer $oshow authenticated'"
			restart_pair
		done
	done
	;;
id-mismatch)
	topology_direct
	use_family 4
	for role in resp init; do
		if [ $role = resp ]; then
			# same type, other value: no rule matches charon's IDi
			log "--- charon's IDi is not the one expected, ikev2d responder"
			ours_config resp local_id=email:ours@v6.test remote_id=email:someone-else@v6.test
		else
			# a pattern charon's IDr does not match (a pattern is not
			# sent as our IDr, so charon answers with its own)
			log "--- charon's IDr is not the one expected, ikev2d initiator"
			ours_config init local_id=email:ours@v6.test 'remote_id=email:*@other.test'
		fi
		start_daemon $NO "$O" || break
		charon_up local_id=charon@v6.test remote_id=ours@v6.test || break
		if [ $role = resp ]; then
			charon_ctl "$C" --initiate --child net --timeout 15 > "$WORK/initiate.log" 2>&1 &&
				fail "charon's initiation succeeded with an identity ikev2d must refuse"
			wait_for 10 grep -q "received AUTHENTICATION_FAILED notify error" "$C/charon.log" ||
				fail "id-mismatch (resp): charon did not get AUTHENTICATION_FAILED from ikev2d"
		else
			# charon accepts us and thinks the IKE SA is up; we refuse it
			# and must tell charon, which then drops it
			wait_for 10 grep -q "identity charon@v6.test does not match" "$O/daemon.log" ||
				fail "id-mismatch (init): ikev2d logged nothing about charon's identity"
			wait_for 10 grep -q "parsed INFORMATIONAL request [0-9]* \[ N(AUTH_FAILED) \]" "$C/charon.log" ||
				fail "id-mismatch (init): charon got no INFORMATIONAL with AUTHENTICATION_FAILED from ikev2d"
			wait_for 10 grep -q "IKE_SA deleted" "$C/charon.log" ||
				fail "id-mismatch (init): charon did not delete its IKE SA"
		fi
		sleep 1
		if ! wait_for 10 both_empty; then
			charon_sas "$C"; show_state "$O" ikev2d
			fail "id-mismatch ($role): SAs left behind"
		fi
		grep -q "IKE SA established" "$O/daemon.log" &&
			fail "id-mismatch ($role): ikev2d logged an established IKE SA"
		daemon_alive "$O" || fail "ikev2d died"
		restart_pair
	done
	;;
ipv6-rekey)
	topology_direct
	use_family 6
	log "--- IPv6: rekeys and Delete, ikev2d init"
	ours_config init
	charon_up local_id=$CHARON_IP remote_id=$OURS_IP || finish
	start_daemon $NO "$O" || finish
	check_ike "IPv6" $DEFAULT_ALGS && check_child "IPv6" || finish
	# charon rekeys the CHILD SA, then ikev2d does (soft EXPIRE)
	old=$(sa_spis "$O" in)
	charon_ctl "$C" --rekey --child net > "$WORK/rekey.log" 2>&1 || fail "swanctl --rekey --child failed"
	wait_for 10 sh -c "[ \"\$(grep '^sa dir=in ' '$O/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$old' ]" ||
		fail "IPv6: charon's CHILD rekey did not replace $old"
	sleep 2
	check_child "IPv6, after charon's CHILD rekey"
	old=$(sa_spis "$O" in)
	kernel_ctl "$O" "expire soft $old $OURS_IP"
	wait_for 10 sh -c "[ \"\$(grep '^sa dir=in ' '$O/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$old' ]" ||
		fail "IPv6: ikev2d's CHILD rekey did not replace $old"
	sleep 2
	[ "$(charon_child_count "$C")" -eq 1 ] || fail "IPv6: charon has $(charon_child_count "$C") CHILD SAs after our rekey"
	check_child "IPv6, after ikev2d's CHILD rekey"
	# charon rekeys the IKE SA
	spis=$(charon_ike_spis "$C")
	charon_ctl "$C" --rekey --ike peer > "$WORK/rekey-ike.log" 2>&1 || fail "swanctl --rekey --ike failed"
	wait_for 10 sh -c "s=\$(swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | sed -n 's/^peer: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\** \([0-9a-f]*\)_r.*/\1 \2/p' | head -1); [ -n \"\$s\" ] && [ \"\$s\" != '$spis' ]" ||
		fail "IPv6: charon's IKE rekey did not change the SPIs ($spis)"
	wait_for 5 grep -qiE "IKE SA.*rekeyed" "$O/daemon.log" || fail "IPv6: ikev2d logged no IKE SA rekey"
	check_child "IPv6, after charon's IKE rekey"
	# SIGTERM: charon sees the Delete over IPv6
	stop_daemon "$O" TERM || fail "IPv6: ikev2d did not exit on SIGTERM"
	wait_for 5 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #'" ||
		{ charon_sas "$C"; fail "IPv6: charon kept the IKE SA after ikev2d's Delete"; }
	;;
ipv6-range)
	# ikev2d answers any peer of an IPv6 prefix: the rule's remote_addr is
	# fd00:76::/64 and, by default, so is its remote_id (an IPv6 range
	# identity).  charon initiates from fd00:76::2 with its address as ID.
	topology_direct
	use_family 6
	log "--- IPv6 prefix rule and identity, ikev2d resp"
	ours_config resp remote=fd00:76::/64
	start_daemon $NO "$O" || finish
	charon_up local_id=$CHARON_IP remote_id=$OURS_IP || finish
	maybe_initiate resp
	check_ike "IPv6 prefix" $DEFAULT_ALGS && check_child "IPv6 prefix"
	grep -q "peer $CHARON_IP authenticated" "$O/daemon.log" ||
		fail "IPv6 prefix: ikev2d did not authenticate charon's IPv6 identity against fd00:76::/64"
	restart_pair
	# a prefix charon is not in: no rule for it, nothing established
	log "--- IPv6 prefix rule charon is not in, ikev2d resp"
	ours_config resp remote=fd00:99::/64
	start_daemon $NO "$O" || finish
	charon_up local_id=$CHARON_IP remote_id=$OURS_IP || finish
	charon_ctl "$C" --initiate --child net --timeout 10 > "$WORK/initiate.log" 2>&1 &&
		fail "IPv6 prefix: charon established with ikev2d although no rule covers it"
	grep -q "received NO_PROPOSAL_CHOSEN notify error" "$C/charon.log" ||
		fail "IPv6 prefix: charon did not get NO_PROPOSAL_CHOSEN"
	grep -q "IKE_SA_INIT from \[\?fd00:76::2.*no rule for this peer" "$O/daemon.log" ||
		fail "IPv6 prefix: ikev2d did not log that no rule covers fd00:76::2"
	grep -q "IKE SA established" "$O/daemon.log" && fail "IPv6 prefix: ikev2d established an IKE SA with an address outside the rule"
	[ "$(sa_count "$O")" -eq 0 ] || fail "IPv6 prefix: SAs installed for an address outside the rule"
	daemon_alive "$O" || fail "ikev2d died"
	;;
initial-contact)
	# charon dies without a word (SIGKILL) and comes back: its new IKE_AUTH
	# carries INITIAL_CONTACT, and ikev2d drops the stale IKE SA and CHILD
	# SA it still held for the same identity, without a Delete
	topology_direct
	use_family 4
	log "--- INITIAL_CONTACT after charon restarts, ikev2d resp"
	ours_config resp local_id=email:ours@v6.test remote_id=email:charon@v6.test
	start_daemon $NO "$O" || finish
	charon_up local_id=charon@v6.test remote_id=ours@v6.test || finish
	maybe_initiate resp
	check_ike "before the restart" $DEFAULT_ALGS && check_child "before the restart" || finish
	old_in=$(sa_spis "$O" in)
	charon_pid=$(cat "$C/charon.pid")
	kill -KILL "$charon_pid"
	wait_for 5 sh -c "! kill -0 $charon_pid 2>/dev/null"
	forget_pid "$charon_pid"
	rm -f "$C/charon.pid" "$C/charon.vici"
	mv "$C/charon.log" "$C/charon-before.log"
	charon_up local_id=charon@v6.test remote_id=ours@v6.test || finish
	maybe_initiate resp
	grep -q "generating IKE_AUTH request 1 \[ IDi N(INIT_CONTACT)" "$C/charon.log" ||
		fail "initial-contact: charon did not send INITIAL_CONTACT"
	check_ike "after the restart" $DEFAULT_ALGS
	wait_for 5 grep -q "INITIAL_CONTACT: 1 stale IKE SA of the peer removed" "$O/daemon.log" ||
		fail "initial-contact: ikev2d did not remove the stale IKE SA"
	check_child "after the restart"
	sa_spis "$O" in | grep -qx "$old_in" && fail "initial-contact: ikev2d kept the stale CHILD SA $old_in"
	[ "$(grep -c "IKE SA established" "$O/daemon.log")" -eq 2 ] || fail "initial-contact: expected two IKE SAs established in all"
	daemon_alive "$O" || fail "ikev2d died"
	;;
ipv6-nat)
	topology_nat6
	OURS_IP=fd00:76:10::1 CHARON_IP=fd00:76:20::2
	OURS_TS=fd00:76:1::/64 CHARON_TS=fd00:76:2::/64
	log "--- IPv6 through a masquerading router, ikev2d init"
	ours_config init local_id=fqdn:ours.test remote_id=fqdn:charon.test
	charon_start "$C" $NC local=$CHARON_IP remote=fd00:76:20::fe psk=$PSK \
		local_id=charon.test remote_id=ours.test \
		local_ts=$CHARON_TS remote_ts=$OURS_TS esp=aes128gcm16 || finish
	start_daemon $NO "$O" || finish
	check_ike "IPv6 NAT" $DEFAULT_ALGS && check_child "IPv6 NAT"
	charon_raw "$C" | grep -q "nat-remote=yes" ||
		fail "IPv6 NAT: charon did not detect ikev2d behind the NAT (NAT_DETECTION hashes over IPv6)"
	charon_raw "$C" | grep -q "remote-host=fd00:76:20::fe" ||
		fail "IPv6 NAT: charon does not see the router's address"
	charon_raw "$C" | grep -q "remote-port=500 " && fail "IPv6 NAT: IKE did not move to port 4500"
	grep -q "NAT detected: in front of us" "$O/daemon.log" ||
		fail "IPv6 NAT: ikev2d did not detect that it is behind a NAT: $(grep 'NAT detected' "$O/daemon.log")"
	;;
esac

# stop the last round's daemon first: LeakSanitizer reports at exit
[ -f "$O/daemon.pid" ] && stop_daemon "$O"
if [ -f "$O/daemon.log" ] && grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|Segmentation" "$O/daemon.log"; then
	fail "sanitizer or crash report in ikev2d's log"
fi
finish
