#!/bin/bash
# two-daemons-ext.sh SCENARIO - two in.ikev2d in two network namespaces (null
# kernel backend), for what two-daemons.sh does not cover:
#
#   ipv6       the veth pair carries only IPv6: rules with IPv6 addresses,
#              IPv6 identities and IPv6 traffic selectors.  A initiates,
#              then (restarted) B does: IKE SA + CHILD SA, SPIs paired,
#              IPv6 policies and SA endpoints (plain ESP), no NAT detected
#              (NAT_DETECTION hashes over IPv6 agree), no UDP encapsulation
#   asym-psk   asymmetric pre-shared keys (ikev2.preshared local_key /
#              remote_key): A's local_key is B's remote_key and back.  Up
#              both ways; then B verifies A with the wrong key (A gets
#              AUTHENTICATION_FAILED), then A verifies B with the wrong key
#              (A refuses B's AUTH and tells B, which drops the IKE SA it
#              already considered up).  No SA left after a failure.
#   child-options
#              what charon's libipsec cannot install, between two of
#              ours: transport mode (host-to-host), ESN and a PFS group
#              on one CHILD SA.  Both null backends record transport-mode
#              ESP with esn=yes and host-to-host policies; a CHILD SA
#              rekey started by A (soft EXPIRE) carries KE both ways and
#              the new pair keeps mode and ESN.  Both roles.
#   child-options6  the same over the IPv6-only link
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/lib.sh"

scenario=${1:-ipv6}
need_root
case $scenario in
ipv6)     require_cap ike ipv6 ;;
asym-psk) require_cap ike asym-psk ;;
child-options|child-options6) require_cap ike rekey-child transport esn pfs ;;
*) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

mkwork "v6-2d-$scenario"
A=$WORK/a B=$WORK/b
# per-run names: several people may run the suites at once on one machine
NA=v6-2d-a$$ NB=v6-2d-b$$
ns_add $NA
ns_add $NB
ip link add v6-2d-va netns $NA type veth peer name v6-2d-vb netns $NB ||
	{ fail "veth v6-2d-va/v6-2d-vb"; finish; }
if [ $scenario = ipv6 ] || [ $scenario = child-options6 ]; then
	# IPv6 only (nodad: usable at once); IPv4 is not even configured
	ip -n $NA addr add fd00:88::1/64 dev v6-2d-va nodad
	ip -n $NB addr add fd00:88::2/64 dev v6-2d-vb nodad
	IP_A=fd00:88::1 IP_B=fd00:88::2 TS_A=fd00:88:1::/64 TS_B=fd00:88:2::/64
else
	ip -n $NA addr add 10.89.0.1/24 dev v6-2d-va
	ip -n $NB addr add 10.89.0.2/24 dev v6-2d-vb
	IP_A=10.89.0.1 IP_B=10.89.0.2 TS_A=10.89.1.0/24 TS_B=10.89.2.0/24
fi
ip -n $NA link set v6-2d-va up
ip -n $NB link set v6-2d-vb up

# configure INITIATOR(a|b) [A's id] [B's id] [key=value for both...]
configure() {
	local init=$1 ida=${2:-fqdn:a.v6.test} idb=${3:-fqdn:b.v6.test}
	shift; shift; shift
	write_config "$A" label=a_to_b local=$IP_A remote=$IP_B \
		local_id=$ida remote_id=$idb psk=shared-$ida-$idb \
		local_ts=$TS_A remote_ts=$TS_B \
		auto_start=$([ "$init" = a ] && echo true || echo false) "$@"
	write_config "$B" label=b_to_a local=$IP_B remote=$IP_A \
		local_id=$idb remote_id=$ida psk=shared-$ida-$idb \
		local_ts=$TS_B remote_ts=$TS_A \
		auto_start=$([ "$init" = b ] && echo true || echo false) "$@"
}

# preshared DIR LABEL LOCAL_KEY REMOTE_KEY: asymmetric keys for the rule
preshared() {
	cat > "$1/ikev2.preshared" <<EOF
keys = ( { label = "$2"; local_key = "$3"; remote_key = "$4"; } );
EOF
	chmod 600 "$1/ikev2.preshared"
}

start_both() {
	start_daemon $NB "$B" && start_daemon $NA "$A"
}

stop_both() {
	stop_daemon "$A"; stop_daemon "$B"
	wait_ports_free $NA; wait_ports_free $NB
	local d
	for d in "$A" "$B"; do   # keep every round's log for the end (and a failure)
		cat "$d/daemon.log" >> "$d/all-rounds.log" 2>/dev/null
		# no stale PID file: the number may belong to someone else later
		rm -f "$d/kernel.state" "$d/daemon.log" "$d/daemon.pid"
	done
}

established() {   # what
	if ! wait_for 20 sas_paired "$A" "$B" 1; then
		show_state "$A" A; show_state "$B" B
		tail -15 "$A/daemon.log" "$B/daemon.log"
		fail "$1: no matching CHILD SA pair within 20 s"
		return 1
	fi
	grep -q "IKE SA established" "$A/daemon.log" && grep -q "IKE SA established" "$B/daemon.log" ||
		fail "$1: an IKE SA established line is missing"
	log "$1: CHILD SA up, A out $(sa_spis "$A" out) = B in, B out $(sa_spis "$B" out) = A in"
}

# Neither side keeps anything, and the right side said why.
nothing_left() {   # what
	if ! wait_for 10 sh -c "[ \$(grep -c '^sa ' '$A/kernel.state' 2>/dev/null) = 0 ] && [ \$(grep -c '^sa ' '$B/kernel.state' 2>/dev/null) = 0 ]"; then
		show_state "$A" A; show_state "$B" B
		fail "$1: SAs left installed"
	fi
	[ "$(spi_count "$A")" -eq 0 ] && [ "$(spi_count "$B")" -eq 0 ] ||
		fail "$1: reserved SPIs left over"
	daemon_alive "$A" && daemon_alive "$B" || fail "$1: a daemon died"
}

case $scenario in
ipv6)
	for init in a b; do
		log "--- IPv6, $init initiates"
		configure $init ipv6:$IP_A ipv6:$IP_B
		start_both || finish
		grep -q "net: listening on .*IPv6" "$A/daemon.log" || fail "A does not listen on IPv6"
		established "IPv6, $init initiates" || { stop_both; continue; }
		for d in "$A" "$B"; do
			grep -q "^policy dir=out src=fd00:88:[12]::-fd00:88:[12]:0:ffff:ffff:ffff:ffff\[0/0-65535\] dst=fd00:88:[12]::-fd00:88:[12]:0:ffff:ffff:ffff:ffff" \
				"$(state_file "$d")" || { show_state "$d"; fail "IPv6: $(basename "$d")'s outbound policy is not IPv6"; }
		done
		[ "$(sa_field "$A" out src)" = "fd00:88::1[0]" ] && [ "$(sa_field "$A" out dst)" = "fd00:88::2[0]" ] ||
			fail "IPv6: A's outbound SA endpoints $(sa_field "$A" out src) -> $(sa_field "$A" out dst)"
		[ "$(sa_field "$A" out encap)" = no ] && [ "$(sa_field "$B" out encap)" = no ] ||
			fail "IPv6: UDP encapsulation without a NAT"
		grep -q "NAT detected" "$A/daemon.log" "$B/daemon.log" &&
			fail "IPv6: a daemon detected a NAT where there is none (NAT_DETECTION hashes over IPv6)"
		grep -q "IKE SA established fd00:88::1\[500\]...fd00:88::2\[500\]" "$A/daemon.log" ||
			fail "IPv6: A's IKE SA is not fd00:88::1[500]...fd00:88::2[500]"
		grep -q "peer fd00:88::2 authenticated" "$A/daemon.log" &&
		grep -q "peer fd00:88::1 authenticated" "$B/daemon.log" ||
			fail "IPv6: the IPv6 identities were not authenticated"
		stop_both
	done
	;;
asym-psk)
	KA=key-of-a-0123456789 KB=0x6b65792d6f662d62   # "key-of-b" as hex
	for init in a b; do
		log "--- asymmetric keys, $init initiates"
		configure $init "" ""
		preshared "$A" a_to_b "$KA" "$KB"
		preshared "$B" b_to_a "$KB" "$KA"
		start_both || finish
		established "asymmetric keys, $init initiates"
		stop_both
	done

	log "--- B verifies A with the wrong key"
	configure a "" ""
	preshared "$A" a_to_b "$KA" "$KB"
	preshared "$B" b_to_a "$KB" "not-the-key-of-a"
	start_both || finish
	wait_for 10 grep -q "AUTH of peer .* does not verify" "$B/daemon.log" ||
		fail "wrong remote_key on B: B did not say A's AUTH does not verify"
	wait_for 10 grep -q "AUTHENTICATION_FAILED" "$A/daemon.log" ||
		fail "wrong remote_key on B: A did not get AUTHENTICATION_FAILED"
	nothing_left "wrong remote_key on B"
	grep -q "IKE SA established" "$A/daemon.log" "$B/daemon.log" &&
		fail "wrong remote_key on B: an IKE SA was established"
	stop_both

	log "--- A verifies B with the wrong key"
	configure a "" ""
	preshared "$A" a_to_b "$KA" "not-the-key-of-b"
	preshared "$B" b_to_a "$KB" "$KA"
	start_both || finish
	wait_for 10 grep -q "peer's AUTH does not verify" "$A/daemon.log" ||
		fail "wrong remote_key on A: A did not refuse B's AUTH"
	# B had answered with its AUTH and thought the IKE SA was up: A's
	# AUTHENTICATION_FAILED must take it (and its CHILD SA) down
	wait_for 10 grep -q "peer refused our authentication" "$B/daemon.log" ||
		fail "wrong remote_key on A: B was not told that A refused its AUTH"
	nothing_left "wrong remote_key on A"
	stop_both
	;;
child-options|child-options6)
	for init in a b; do
		log "--- transport mode + ESN + PFS, $init initiates"
		configure $init "" "" local_ts= remote_ts= mode=transport \
			'esp_xform={ encr_alg = "aes-gcm"; encr_keylen = 128; esn = "yes"; }' \
			'extra_child=childsa_pfs = 19;'
		start_both || finish
		established "child options, $init initiates" || { stop_both; continue; }
		for round in first rekeyed; do
			for d in "$A" "$B"; do
				n=$(basename "$d")
				[ "$(sa_field "$d" in mode | sort -u)$(sa_field "$d" out mode | sort -u)" = transporttransport ] ||
					fail "$round: $n's SAs are not in transport mode: $(sa_field "$d" out mode)"
				[ "$(sa_field "$d" in esn | sort -u)$(sa_field "$d" out esn | sort -u)" = yesyes ] ||
					fail "$round: $n's SAs do not use ESN: $(sa_field "$d" out esn)"
			done
			grep -q "^policy dir=out src=$IP_A\[0/0-65535\] dst=$IP_B\[0/0-65535\] .* mode=transport" "$(state_file "$A")" ||
				{ show_state "$A" A; fail "$round: A's outbound policy is not host-to-host transport"; }
			[ $round = rekeyed ] && break
			# A rekeys the CHILD SA; with PFS both messages carry KE
			old=$(sa_spis "$A" in)
			kernel_ctl "$A" "expire soft $old $IP_A"
			if ! wait_for 15 sh -c "s=\$(grep '^sa dir=in ' '$A/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/'); [ -n \"\$s\" ] && [ \"\$s\" != '$old' ]"; then
				show_state "$A" A; fail "A's CHILD SA rekey did not replace $old"; break
			fi
			wait_for 10 sas_paired "$A" "$B" 1 || { show_state "$A" A; show_state "$B" B; fail "not one pair after the rekey"; }
			grep -qE "sending CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)[^]]* KE[ \]]" "$A/daemon.log" ||
				fail "A's CREATE_CHILD_SA request carried no KE"
			grep -qE "sending CREATE_CHILD_SA response [0-9]+ \[[^]]* KE[ \]]" "$B/daemon.log" ||
				fail "B's CREATE_CHILD_SA response carried no KE"
			log "rekeyed with PFS: A out $(sa_spis "$A" out), B out $(sa_spis "$B" out)"
		done
		stop_both
	done
	;;
esac

# stop the last round's daemons first: LeakSanitizer reports at exit
for d in "$A" "$B"; do [ -f "$d/daemon.pid" ] && stop_daemon "$d"; done
for d in "$A" "$B"; do
	if cat "$d/all-rounds.log" "$d/daemon.log" 2>/dev/null | grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|Segmentation"; then
		fail "$(basename "$d"): sanitizer or crash report in the log"
	fi
done
finish
