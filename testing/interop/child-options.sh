#!/bin/bash
# child-options.sh SCENARIO - CHILD SA options of in.ikev2d against Debian's
# strongSwan charon (libipsec, in its own namespace; ikev2d with the null
# backend in another), each with ikev2d as initiator and as responder:
#
#   transport        USE_TRANSPORT_MODE with host-to-host selectors.  This
#                    machine's kernel has no ESP and libipsec does tunnel
#                    mode only, so charon cannot install it: asserted are
#                    the negotiation (the notify each way, ikev2d's
#                    transport CHILD SA) and that both sides agree after
#                    charon's failure (see uninstallable below).  Installed
#                    transport SAs: netns/two-daemons-ext.sh child-options
#   pfs              childsa_pfs / charon's esp proposal with a KE group:
#                    the first CHILD SA, then a CHILD SA rekey by each side
#                    carrying a KE payload (CREATE_CHILD_SA with PFS)
#   mode-mismatch    ikev2d asks for transport mode, charon's child is
#                    tunnel: both install tunnel; charon asks for transport
#                    with an empty TSi: TS_UNACCEPTABLE, the IKE SA stays
#   mixed-family     IPv6 selectors in a CHILD SA of an IPv4 IKE SA
#   ts-proto         protocol and port selectors narrowed (tcp/80)
#   ts-multi         two selectors per side, narrowed to a subset
#   pfs-invalid-ke   PFS groups in a different order: charon's rekey KE is
#                    of a group ikev2d does not want, ikev2d answers
#                    INVALID_KE_PAYLOAD and charon retries with modp2048
#   esn              extended sequence numbers (esn = "yes" / charon's
#                    -esn): charon selects EXT_SEQ; libipsec has no ESN, so
#                    like transport only the negotiation and the agreement
#                    after charon's failure are asserted (installed: see
#                    netns/two-daemons-ext.sh child-options); then ESN
#                    optional on one side and not wanted on the other:
#                    installed without ESN on both
#   narrow           traffic selector narrowing: the initiator proposes
#                    wider selectors than the responder's rule allows, the
#                    responder narrows, both install the narrowed pair
#   ts-unacceptable  disjoint selectors: the IKE SA comes up, no CHILD SA,
#                    TS_UNACCEPTABLE sent by the responder, both agree;
#                    then the same for a second CHILD SA in CREATE_CHILD_SA
#                    (the first one stays)
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

scenario=${1:-pfs}
need_root
need_charon
case $scenario in
transport) require_cap ike transport ;;
pfs|pfs-invalid-ke) require_cap ike rekey-child pfs ;;
esn)       require_cap ike esn ;;
narrow|ts-unacceptable|ts-proto|ts-multi|mixed-family) require_cap ike ts-narrow ;;
mode-mismatch) require_cap ike transport ;;
*) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

mkwork "v6-ch-$scenario"
O=$WORK/ours C=$WORK/charon
# per-run names: several people may run the suites at once on one machine
NO=v6-ch-a$$ NC=v6-ch-c$$
PSK=interop-child-secret
OURS_IP=10.75.0.1 CHARON_IP=10.75.0.2
DEFAULT_XFORM='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'
DEFAULT_ALGS="AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256 aes-cbc-128/hmac-sha256-128/prf-hmac-sha256/ecp256"

ns_add $NO; ns_add $NC
link_ns $NO v6-ch-va $OURS_IP/24 $NC v6-ch-vc $CHARON_IP/24
# addresses inside the selectors on lo (libipsec needs a local one)
for a in 10.75.1.1 10.75.3.1; do ip -n $NO addr add $a/32 dev lo; done
for a in 10.75.2.1 10.75.4.1; do ip -n $NC addr add $a/32 dev lo; done

# ours_config ROLE(init|resp) key=value...
ours_config() {
	local role=$1; shift
	write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
		local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=$PSK \
		local_ts=10.75.1.0/24 remote_ts=10.75.2.0/24 \
		"ike_xform=$DEFAULT_XFORM" \
		auto_start=$([ "$role" = init ] && echo true || echo false) "$@"
}

charon_up() {   # key=value...
	charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
		local_id=charon.test remote_id=ours.test psk=$PSK \
		local_ts=10.75.2.0/24 remote_ts=10.75.1.0/24 esp=aes128gcm16 "$@"
}

# charon initiates when ikev2d is the responder
maybe_initiate() {   # role
	[ "$1" = resp ] || return 0
	charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate.log" 2>&1 ||
		log "charon's initiation reported failure: $(tail -1 "$WORK/initiate.log")"
}

# charon's selectors of its installed CHILD SA: "local remote"
charon_ts() {
	charon_sas "$C" | awk '/^  net: #/ { inst = ($0 ~ /INSTALLED/) }
		inst && $1 == "local" { l = $2 } inst && $1 == "remote" { r = $2 }
		END { print l, r }'
}

# The inbound SPI of our one CHILD SA changes (a rekey finished).
new_in_spi() {   # old-spi
	wait_for 15 sh -c "s=\$(grep '^sa dir=in ' '$O/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/'); [ -n \"\$s\" ] && [ \"\$s\" != '$1' ]"
}

# For what libipsec cannot install (transport mode, ESN): charon negotiates
# the CHILD SA, fails to install it and keeps the IKE SA.  As responder it
# answers NO_PROPOSAL_CHOSEN (ikev2d, initiator, installs nothing); as
# initiator it deletes the CHILD SA ikev2d installed.  Either way both end
# with the IKE SA and no CHILD SA; ikev2d's log shows what it negotiated.
uninstallable() {   # role what ours-established-line-regex
	wait_for 10 grep -q "failed to establish CHILD_SA, keeping IKE_SA" "$C/charon.log" ||
		log "$2 ($1): charon installed the CHILD SA after all"
	if [ "$1" = init ]; then
		wait_for 5 grep -q "CHILD SA failed: NO_PROPOSAL_CHOSEN" "$O/daemon.log" ||
			fail "$2 (init): ikev2d did not log charon's NO_PROPOSAL_CHOSEN for the CHILD SA"
	else
		wait_for 5 grep -q "$3" "$O/daemon.log" ||
			fail "$2 (resp): ikev2d logged no CHILD SA matching '$3'"
		wait_for 5 grep -q "CHILD SA .* deleted by the peer" "$O/daemon.log" ||
			fail "$2 (resp): ikev2d did not take charon's Delete of the CHILD SA"
	fi
	if ! wait_for 10 sh -c "[ \$(grep -c '^sa ' '$O/kernel.state') = 0 ] && [ \$(grep -c '^spi ' '$O/kernel.state') = 0 ]"; then
		show_state "$O" ikev2d; charon_sas "$C"
		fail "$2 ($1): ikev2d kept SAs or SPIs charon does not have"
	fi
	[ "$(charon_child_count "$C")" -eq 0 ] || fail "$2 ($1): charon reports an installed CHILD SA"
	charon_ike_established "$C" || fail "$2 ($1): charon's IKE SA went down"
	grep -q "IKE SA deleted\|IKE SA failed" "$O/daemon.log" && fail "$2 ($1): ikev2d dropped the IKE SA"
	daemon_alive "$O" || fail "ikev2d died"
}

case $scenario in
transport)
	for role in init resp; do
		log "--- transport mode, ikev2d $role"
		ours_config $role mode=transport local_ts= remote_ts=
		charon_up mode=transport local_ts=dynamic remote_ts=dynamic || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "transport ($role)" $DEFAULT_ALGS || { restart_pair; continue; }
		if [ $role = init ]; then
			wait_for 5 grep -q "parsed IKE_AUTH request 1 \[.* N(USE_TRANSP)" "$C/charon.log" ||
				fail "transport (init): ikev2d did not ask for USE_TRANSPORT_MODE"
		else
			wait_for 5 grep -q "parsed IKE_AUTH response 1 \[.* N(USE_TRANSP)" "$C/charon.log" ||
				fail "transport (resp): ikev2d did not answer with USE_TRANSPORT_MODE"
		fi
		uninstallable $role "transport" \
			"CHILD SA established: $OURS_IP === $CHARON_IP, transport mode"
		restart_pair
	done
	;;
pfs)
	for role in init resp; do
		log "--- PFS (ecp256) on the CHILD SA, ikev2d $role"
		ours_config $role 'extra_child=childsa_pfs = 19;'
		charon_up esp=aes128gcm16-ecp256 || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		# the first CHILD SA takes its keys from the IKE SA: no group
		check_ike "pfs ($role)" $DEFAULT_ALGS && check_child "pfs ($role)" || { restart_pair; continue; }
		export ESP_CHARON=AES_GCM_16-128/ECP_256
		# charon rekeys the CHILD SA: request and our response carry KE
		old=$(sa_spis "$O" in)
		charon_ctl "$C" --rekey --child net > "$WORK/rekey.log" 2>&1 || fail "swanctl --rekey --child failed"
		new_in_spi "$old" || fail "pfs ($role): charon's CHILD rekey did not replace $old"
		wait_for 5 grep -qE "parsed CREATE_CHILD_SA response [0-9]+ \[[^]]* KE[ \]]" "$C/charon.log" ||
			fail "pfs ($role): ikev2d's CREATE_CHILD_SA response had no KE"
		sleep 2
		[ "$(charon_child_count "$C")" -eq 1 ] || fail "pfs ($role): charon has $(charon_child_count "$C") CHILD SAs after its rekey"
		check_child "pfs ($role), after charon's rekey"
		# and ikev2d rekeys (soft EXPIRE): its request carries KE
		old=$(sa_spis "$O" in)
		kernel_ctl "$O" "expire soft $old $OURS_IP"
		new_in_spi "$old" || fail "pfs ($role): ikev2d's CHILD rekey did not replace $old"
		wait_for 5 grep -qE "parsed CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)[^]]* KE[ \]]" "$C/charon.log" ||
			fail "pfs ($role): ikev2d's CREATE_CHILD_SA request had no KE"
		[ "$(grep -c "selected proposal: ESP:AES_GCM_16_128/ECP_256" "$C/charon.log")" -ge 2 ] ||
			fail "pfs ($role): charon did not select ECP_256 for both rekeys"
		sleep 2
		[ "$(charon_child_count "$C")" -eq 1 ] || fail "pfs ($role): charon has $(charon_child_count "$C") CHILD SAs after our rekey"
		check_child "pfs ($role), after ikev2d's rekey"
		unset ESP_CHARON
		restart_pair
	done
	;;
pfs-invalid-ke)
	# ikev2d's rule has PFS modp2048; charon proposes ecp256 first, then
	# modp2048, and its rekey request carries an ecp256 KE.  ikev2d must
	# answer INVALID_KE_PAYLOAD(modp2048) and take charon's retry; its own
	# rekey offers modp2048, which charon accepts.
	for role in init resp; do
		log "--- PFS group mismatch on the rekey, ikev2d $role"
		ours_config $role 'extra_child=childsa_pfs = 14;'
		charon_up esp=aes128gcm16-ecp256-modp2048 || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "pfs-invalid-ke ($role)" $DEFAULT_ALGS && check_child "pfs-invalid-ke ($role)" || { restart_pair; continue; }
		export ESP_CHARON=AES_GCM_16-128/MODP_2048
		old=$(sa_spis "$O" in)
		charon_ctl "$C" --rekey --child net > "$WORK/rekey.log" 2>&1 || fail "swanctl --rekey --child failed"
		new_in_spi "$old" || fail "pfs-invalid-ke ($role): charon's CHILD rekey did not replace $old"
		wait_for 5 grep -q "parsed CREATE_CHILD_SA response [0-9]* \[ N(INVAL_KE) \]" "$C/charon.log" ||
			fail "pfs-invalid-ke ($role): ikev2d did not answer charon's ecp256 KE with INVALID_KE_PAYLOAD"
		sleep 2
		[ "$(charon_child_count "$C")" -eq 1 ] || fail "pfs-invalid-ke ($role): charon has $(charon_child_count "$C") CHILD SAs after its rekey"
		check_child "pfs-invalid-ke ($role), after charon's rekey"
		old=$(sa_spis "$O" in)
		kernel_ctl "$O" "expire soft $old $OURS_IP"
		new_in_spi "$old" || fail "pfs-invalid-ke ($role): ikev2d's CHILD rekey did not replace $old"
		[ "$(grep -c "selected proposal: ESP:AES_GCM_16_128/MODP_2048" "$C/charon.log")" -ge 2 ] ||
			fail "pfs-invalid-ke ($role): charon did not settle on MODP_2048 for both rekeys"
		sleep 2
		[ "$(charon_child_count "$C")" -eq 1 ] || fail "pfs-invalid-ke ($role): charon has $(charon_child_count "$C") CHILD SAs after our rekey"
		check_child "pfs-invalid-ke ($role), after ikev2d's rekey"
		unset ESP_CHARON
		restart_pair
	done
	;;
mode-mismatch)
	# ikev2d asks for transport mode, charon's child is tunnel: RFC 7296
	# 1.3.1, the responder creates a tunnel mode SA without the notify and
	# ikev2d must install the same tunnel mode SA
	log "--- transport asked, tunnel answered, ikev2d init"
	ours_config init mode=transport
	charon_up || finish
	start_daemon $NO "$O" || finish
	check_ike "mode-mismatch (init)" $DEFAULT_ALGS && check_child "mode-mismatch (init)"
	grep -q "parsed IKE_AUTH request 1 \[.* N(USE_TRANSP)" "$C/charon.log" ||
		fail "mode-mismatch (init): ikev2d did not ask for transport mode"
	grep -q "generating IKE_AUTH response 1 \[.*N(USE_TRANSP)" "$C/charon.log" &&
		fail "mode-mismatch (init): charon answered USE_TRANSPORT_MODE after all"
	restart_pair
	# charon asks for transport mode with subnet selectors: it drops the
	# subnets that do not hold its own address and sends a TSi with no
	# selector.  ikev2d must answer TS_UNACCEPTABLE (not INVALID_SYNTAX,
	# which would kill the IKE SA); both keep the IKE SA, no CHILD SA.
	log "--- charon asks for transport with an empty TSi, ikev2d resp"
	ours_config resp
	charon_up mode=transport || finish
	start_daemon $NO "$O" || finish
	maybe_initiate resp
	check_ike "mode-mismatch (resp)" $DEFAULT_ALGS
	grep -q "generating IKE_AUTH request 1 \[.*N(USE_TRANSP)" "$C/charon.log" ||
		fail "mode-mismatch (resp): charon did not ask for transport mode"
	wait_for 5 grep -q "parsed IKE_AUTH response 1 \[.*N(TS_UNACCEPT)" "$C/charon.log" ||
		fail "mode-mismatch (resp): ikev2d did not answer TS_UNACCEPTABLE"
	sleep 1
	charon_ike_established "$C" || fail "mode-mismatch (resp): charon's IKE SA is gone"
	[ "$(charon_child_count "$C")" -eq 0 ] || fail "mode-mismatch (resp): charon installed a CHILD SA"
	[ "$(sa_count "$O")" -eq 0 ] && [ "$(spi_count "$O")" -eq 0 ] ||
		{ show_state "$O" ikev2d; fail "mode-mismatch (resp): ikev2d installed or reserved SAs"; }
	;;
mixed-family)
	# IKE over IPv4, the CHILD SA carries IPv6 selectors
	ip -n $NO addr add fd00:75:1::1/128 dev lo nodad
	ip -n $NC addr add fd00:75:2::1/128 dev lo nodad
	for role in init resp; do
		log "--- IPv6 selectors over an IPv4 IKE SA, ikev2d $role"
		ours_config $role local_ts=fd00:75:1::/64 remote_ts=fd00:75:2::/64
		charon_up local_ts=fd00:75:2::/64 remote_ts=fd00:75:1::/64 || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "mixed-family ($role)" $DEFAULT_ALGS && check_child "mixed-family ($role)" || { restart_pair; continue; }
		[ "$(charon_ts)" = "fd00:75:2::/64 fd00:75:1::/64" ] ||
			fail "mixed-family ($role): charon installed $(charon_ts)"
		grep -q "^policy dir=out src=fd00:75:1::-fd00:75:1:0:ffff:ffff:ffff:ffff\[0/0-65535\] dst=fd00:75:2::-fd00:75:2:0:ffff:ffff:ffff:ffff\[0/0-65535\] .* tmpl_src=$OURS_IP tmpl_dst=$CHARON_IP" "$O/kernel.state" ||
			{ show_state "$O" ikev2d; fail "mixed-family ($role): ikev2d's outbound policy"; }
		restart_pair
	done
	;;
ts-multi)
	# two selectors per side: ours 10.75.1.0/24 + 10.75.3.0/24 to
	# 10.75.2.0/24 + 10.75.4.0/24; charon has only 10.75.2.0/24 on its
	# side.  The responder narrows the lists; both install 1.0+3.0 <-> 2.0.
	for role in init resp; do
		log "--- lists of selectors, ikev2d $role"
		ours_config $role local_ts= remote_ts= \
			'extra_child=local_ts = [ "10.75.1.0/24", "10.75.3.0/24" ]; remote_ts = [ "10.75.2.0/24", "10.75.4.0/24" ];'
		charon_up local_ts=10.75.2.0/24 remote_ts=10.75.1.0/24,10.75.3.0/24 || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "ts-multi ($role)" $DEFAULT_ALGS && check_child "ts-multi ($role)" || { restart_pair; continue; }
		charon_sas "$C" | grep -q "^    local  10.75.2.0/24$" &&
		charon_sas "$C" | grep -q "^    remote 10.75.1.0/24 10.75.3.0/24$" ||
			{ charon_sas "$C"; fail "ts-multi ($role): charon's selectors are not 10.75.2.0/24 === 10.75.1.0/24 10.75.3.0/24"; }
		[ "$(grep -c '^policy dir=out ' "$O/kernel.state")" -eq 2 ] &&
		grep -q "^policy dir=out src=10.75.1.0-10.75.1.255\[0/0-65535\] dst=10.75.2.0-10.75.2.255\[0/0-65535\]" "$O/kernel.state" &&
		grep -q "^policy dir=out src=10.75.3.0-10.75.3.255\[0/0-65535\] dst=10.75.2.0-10.75.2.255\[0/0-65535\]" "$O/kernel.state" ||
			{ show_state "$O" ikev2d; fail "ts-multi ($role): ikev2d's outbound policies are not 1.0 and 3.0 to 2.0"; }
		restart_pair
	done
	;;
ts-proto)
	# our rule protects only TCP port 80 on charon's side; charon asks
	# for everything between the subnets: narrowed to tcp/80 (and back)
	for role in init resp; do
		log "--- protocol and port narrowing, ikev2d $role"
		if [ $role = resp ]; then
			ours_config resp local_ts= remote_ts= 'extra_child=local_ts = "10.75.1.0/24"; remote_ts = { addr = "10.75.2.0/24"; protocol = "tcp"; port = 80; };'
			charon_up || break
		else
			ours_config init
			charon_up "local_ts=10.75.2.0/24[tcp/80]" "remote_ts=10.75.1.0/24[tcp]" || break
		fi
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "ts-proto ($role)" $DEFAULT_ALGS && check_child "ts-proto ($role)" || { restart_pair; continue; }
		if [ $role = init ]; then
			want_c="10.75.2.0/24[tcp/http] 10.75.1.0/24[tcp]" want_src="6/0-65535"
		else
			want_c="10.75.2.0/24[tcp/http] 10.75.1.0/24" want_src="0/0-65535"
		fi
		[ "$(charon_ts)" = "$want_c" ] ||
			fail "ts-proto ($role): charon installed $(charon_ts), expected $want_c"
		grep -q "^policy dir=out src=10.75.1.0-10.75.1.255\[$want_src\] dst=10.75.2.0-10.75.2.255\[6/80-80\]" "$O/kernel.state" ||
			{ show_state "$O" ikev2d; fail "ts-proto ($role): ikev2d's outbound policy is not narrowed to tcp/80"; }
		grep -q "^policy dir=in src=10.75.2.0-10.75.2.255\[6/80-80\] dst=10.75.1.0-10.75.1.255\[$want_src\]" "$O/kernel.state" ||
			fail "ts-proto ($role): ikev2d's inbound policy is not narrowed to tcp/80"
		restart_pair
	done
	;;
esn)
	for role in init resp; do
		log "--- ESN, ikev2d $role"
		ours_config $role 'esp_xform={ encr_alg = "aes-gcm"; encr_keylen = 128; esn = "yes"; }'
		charon_up esp=aes128gcm16-esn || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "esn ($role)" $DEFAULT_ALGS || { restart_pair; continue; }
		# charon took ESN from our proposal (init) or accepted our choice (resp)
		wait_for 5 grep -q "selected proposal: ESP:AES_GCM_16_128/EXT_SEQ" "$C/charon.log" ||
			fail "esn ($role): charon did not select ESP with EXT_SEQ"
		uninstallable $role "esn" "CHILD SA established: .* aes-gcm-16-128/esn,"
		restart_pair
	done
	# ESN offered as optional on one side: the other's "no ESN" wins, and
	# the CHILD SA installs on both (esn=no in our null backend)
	for role in init resp; do
		log "--- ESN either (ours) / no ESN (charon), ikev2d $role"
		ours_config $role 'esp_xform={ encr_alg = "aes-gcm"; encr_keylen = 128; esn = "either"; }'
		charon_up esp=aes128gcm16-noesn || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "esn either ($role)" $DEFAULT_ALGS && check_child "esn either ($role)"
		restart_pair
		log "--- no ESN (ours) / ESN or not (charon), ikev2d $role"
		ours_config $role
		charon_up esp=aes128gcm16-esn-noesn || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "charon esn-noesn ($role)" $DEFAULT_ALGS && check_child "charon esn-noesn ($role)"
		restart_pair
	done
	;;
narrow)
	# init: we propose our /24s; charon allows only a /26 of each
	# resp: charon proposes its /24s; our rule allows only a /26 of each
	for role in init resp; do
		log "--- narrowing, ikev2d $role"
		if [ $role = init ]; then
			ours_config init
			charon_up local_ts=10.75.2.0/26 remote_ts=10.75.1.0/26 || break
		else
			ours_config resp local_ts=10.75.1.0/26 remote_ts=10.75.2.0/26
			charon_up || break
		fi
		start_daemon $NO "$O" || break
		maybe_initiate $role
		check_ike "narrow ($role)" $DEFAULT_ALGS && check_child "narrow ($role)" || { restart_pair; continue; }
		[ "$(charon_ts)" = "10.75.2.0/26 10.75.1.0/26" ] ||
			fail "narrow ($role): charon installed $(charon_ts), expected 10.75.2.0/26 10.75.1.0/26"
		grep -q "^policy dir=out src=10.75.1.0-10.75.1.63\[0/0-65535\] dst=10.75.2.0-10.75.2.63\[0/0-65535\]" "$O/kernel.state" ||
			{ show_state "$O" ikev2d; fail "narrow ($role): ikev2d's outbound policy is not the narrowed /26 pair"; }
		grep -q "^policy dir=in src=10.75.2.0-10.75.2.63\[0/0-65535\] dst=10.75.1.0-10.75.1.63\[0/0-65535\]" "$O/kernel.state" ||
			fail "narrow ($role): ikev2d's inbound policy is not the narrowed /26 pair"
		restart_pair
	done
	;;
ts-unacceptable)
	for role in init resp; do
		log "--- disjoint selectors, ikev2d $role"
		ours_config $role
		charon_up local_ts=10.75.4.0/24 remote_ts=10.75.3.0/24 || break
		start_daemon $NO "$O" || break
		maybe_initiate $role
		if ! wait_for 15 charon_ike_established "$C"; then
			charon_sas "$C"; fail "ts-unacceptable ($role): no IKE SA"
			restart_pair; continue
		fi
		if [ $role = init ]; then
			wait_for 5 grep -q "generating IKE_AUTH response 1 \[.*N(TS_UNACCEPT)" "$C/charon.log" ||
				fail "ts-unacceptable (init): charon did not answer TS_UNACCEPTABLE"
			wait_for 5 grep -q "TS_UNACCEPTABLE" "$O/daemon.log" ||
				fail "ts-unacceptable (init): ikev2d did not log the TS_UNACCEPTABLE it got"
		else
			wait_for 5 grep -q "parsed IKE_AUTH response 1 \[.*N(TS_UNACCEPT)" "$C/charon.log" ||
				fail "ts-unacceptable (resp): ikev2d did not answer TS_UNACCEPTABLE"
		fi
		sleep 1
		charon_ike_established "$C" || fail "ts-unacceptable ($role): charon's IKE SA is gone"
		grep -q "IKE SA established" "$O/daemon.log" || fail "ts-unacceptable ($role): ikev2d has no IKE SA"
		[ "$(charon_child_count "$C")" -eq 0 ] || fail "ts-unacceptable ($role): charon installed a CHILD SA"
		[ "$(sa_count "$O")" -eq 0 ] && [ "$(spi_count "$O")" -eq 0 ] ||
			{ show_state "$O" ikev2d; fail "ts-unacceptable ($role): ikev2d installed or reserved SAs"; }
		daemon_alive "$O" || fail "ikev2d died"
		restart_pair
	done
	# the same refusal inside an IKE SA: a second CHILD SA whose selectors
	# the rule does not cover, asked for with CREATE_CHILD_SA
	log "--- disjoint selectors in CREATE_CHILD_SA, ikev2d resp"
	ours_config resp
	charon_up || finish
	start_daemon $NO "$O" || finish
	maybe_initiate resp
	check_child "ts-unacceptable (first CHILD SA)" || finish
	sed -i 's|local_ts = 10.75.2.0/24|local_ts = 10.75.4.0/24|; s|remote_ts = 10.75.1.0/24|remote_ts = 10.75.3.0/24|' "$C/swanctl.conf"
	charon_ctl "$C" --load-conns --file "$C/swanctl.conf" > "$WORK/reload.log" 2>&1 || fail "swanctl --load-conns failed"
	charon_ctl "$C" --initiate --child net --timeout 10 > "$WORK/second.log" 2>&1 &&
		fail "ts-unacceptable (CREATE_CHILD_SA): charon got a second CHILD SA"
	wait_for 5 grep -q "parsed CREATE_CHILD_SA response [0-9]* \[ N(TS_UNACCEPT) \]" "$C/charon.log" ||
		fail "ts-unacceptable (CREATE_CHILD_SA): ikev2d did not answer TS_UNACCEPTABLE"
	sleep 1
	[ "$(charon_child_count "$C")" -eq 1 ] || fail "ts-unacceptable (CREATE_CHILD_SA): charon has $(charon_child_count "$C") CHILD SAs, expected the first only"
	check_child "ts-unacceptable (first CHILD SA kept)"
	[ "$(spi_count "$O")" -eq 0 ] || fail "ts-unacceptable (CREATE_CHILD_SA): ikev2d left a reserved SPI"
	;;
esac

# stop the last round's daemon first: LeakSanitizer reports at exit
[ -f "$O/daemon.pid" ] && stop_daemon "$O"
if [ -f "$O/daemon.log" ] && grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|Segmentation" "$O/daemon.log"; then
	fail "sanitizer or crash report in ikev2d's log"
fi
finish
