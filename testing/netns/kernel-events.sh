#!/bin/bash
# kernel-events.sh SCENARIO - what the kernel tells in.ikev2d (ACQUIRE,
# soft/hard EXPIRE, NAT mapping changes), injected through the null
# backend's control FIFO into two in.ikev2d in network namespaces kev-*
# (10.89.x inside them only), asserting on both daemons' kernel-null state
# files and logs.
#
#   acquire   A's rule is on_demand: A installs one outbound trap policy
#             and nothing else; bad control lines are refused with a clear
#             error; "acquire <src> <dst>" for a packet the trap matches
#             starts the rule (IKE SA + CHILD SA with B); ACQUIREs right
#             after are rate-limited; the CHILD SA's policies replace the
#             trap (no duplicate); a hard EXPIRE deletes the CHILD SA and
#             the trap comes back; the next ACQUIRE makes a new CHILD SA in
#             the IKE SA still up; SIGHUP without on_demand removes the
#             trap once its CHILD SA goes, SIGHUP with it installs it
#             again; SIGTERM removes it
#   expire    soft EXPIRE on A: the CHILD SA is rekeyed (new pair on both
#             sides, old one gone); hard EXPIRE on B: B deletes the CHILD
#             SA with a Delete and A removes its half; the IKE SA stays;
#             EXPIRE for an unknown SA or a bad line gets an error
#   mapping   A behind a NAT namespace (nftables masquerade): B's CHILD SA
#             is UDP-encapsulated towards the NAT; a mapping event on B
#             (the peer's ESP now from NAT:40000, which the NAT forwards to
#             A) moves B's CHILD SAs (update_sa, recorded by the null
#             backend) and its IKE SA: B's next rekey goes to the new port
#             and succeeds; mapping events for an SA that is not
#             encapsulated, an unknown SA, or bad input are refused
#   rebind    the same NAT really rebinds: its rule changes to map A to
#             port 40000 and its UDP mappings idle out after 3 s; A's next
#             liveness check arrives at B from the new port, and B moves
#             the IKE SA and its CHILD SAs there (RFC 7296 §2.23); B's
#             rekey then goes through the new mapping
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/lib.sh"

scenario=${1:-acquire}
need_root
case $scenario in
acquire) require_cap ike acquire ;;
expire)  require_cap ike rekey-child expire ;;
mapping|rebind) require_cap ike natt mapping ;;
*) echo "usage: $0 acquire|expire|mapping|rebind" >&2; exit 2 ;;
esac

WORK=$(mktemp -d "/tmp/kev-$scenario-XXXXXX")
chmod 700 "$WORK"
A=$WORK/a B=$WORK/b
NA=kev-a$$ NB=kev-b$$ NN=kev-nat$$   # per run: several may run at once

if [ "$scenario" = mapping ] || [ "$scenario" = rebind ]; then
	# A -- kev-nat (masquerade) -- B
	ns_add $NA; ns_add $NN; ns_add $NB
	link_ns $NA kev-va 10.89.10.1/24 $NN kev-na 10.89.10.254/24
	link_ns $NN kev-nb 10.89.20.254/24 $NB kev-vb 10.89.20.2/24
	ip -n $NA route add default via 10.89.10.254
	ip netns exec $NN sysctl -qw net.ipv4.ip_forward=1
fi
if [ "$scenario" = rebind ]; then
	# UDP mappings forgotten after 3 s of silence, so that a rule change
	# rebinds A's next packet
	ip netns exec $NN sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 \
		net.netfilter.nf_conntrack_udp_timeout_stream=3 ||
		skip "cannot shorten the conntrack UDP timeouts in a namespace"
	ip netns exec $NN nft -f - <<'EOF' || { fail "nft masquerade"; finish; }
table ip kev_nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "kev-nb" masquerade
	}
}
EOF
	A_IP=10.89.10.1 B_IP=10.89.20.2 A_SEEN=10.89.20.254
elif [ "$scenario" = mapping ]; then
	ip netns exec $NN nft -f - <<'EOF' || { fail "nft masquerade"; finish; }
table ip kev_nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		# the NAT's "new mapping" for A's ESP-in-UDP and IKE
		iifname "kev-nb" udp dport 40000 dnat to 10.89.10.1:4500
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "kev-nb" masquerade
	}
}
EOF
	A_IP=10.89.10.1 B_IP=10.89.20.2 A_SEEN=10.89.20.254
else
	ns_add $NA; ns_add $NB
	link_ns $NA kev-va 10.89.0.1/24 $NB kev-vb 10.89.0.2/24
	A_IP=10.89.0.1 B_IP=10.89.0.2 A_SEEN=10.89.0.1
fi

configure_a() {   # extra write_config args
	write_config "$A" label=a_to_b local=$A_IP remote=$B_IP \
		local_id=fqdn:a.test remote_id=fqdn:b.test psk=kev-secret \
		local_ts=10.89.1.0/24 remote_ts=10.89.2.0/24 child_life=600 "$@"
}
configure_b() {
	write_config "$B" label=b_to_a local=$B_IP remote=$A_SEEN \
		local_id=fqdn:b.test remote_id=fqdn:a.test psk=kev-secret \
		local_ts=10.89.2.0/24 remote_ts=10.89.1.0/24 child_life=600 "$@"
}

# the daemon logged a line matching ERE (within seconds)
logged() {   # DIR seconds ERE
	wait_for "$2" grep -qE "$3" "$1/daemon.log"
}
count_log() {   # DIR ERE
	grep -cE "$2" "$1/daemon.log"
}
policies_of() {   # DIR dir
	grep "^policy dir=$2 " "$(state_file "$1")" 2>/dev/null
}
field() {   # FIELD (from stdin, one record per line)
	tr ' ' '\n' | sed -n "s/^$1=//p"
}
one_pair() {
	wait_for "${1:-20}" sas_paired "$A" "$B" 1
}
show_both() {
	show_state "$A" A; show_state "$B" B
	echo "--- A log (tail)"; tail -25 "$A/daemon.log"
	echo "--- B log (tail)"; tail -15 "$B/daemon.log"
}
# control line expected to be refused with this message in the log
ctl_refused() {   # DIR "line" ERE
	local before
	before=$(count_log "$1" "$3")
	kernel_ctl "$1" "$2"
	if ! wait_for 5 sh -c "[ \$(grep -cE '$3' '$1/daemon.log') -gt $before ]"; then
		fail "control line '$2' was not refused with /$3/"
		return 1
	fi
	log "refused as expected: '$2'"
}

check_trap_only() {   # what
	local out
	if ! wait_for 5 sh -c "[ \$(grep -c '^policy ' '$A/kernel.state') -eq 1 ]"; then
		show_state "$A" A
		fail "$1: A should have exactly one policy (the trap), has $(policy_count "$A")"
		return 1
	fi
	out=$(policies_of "$A" out)
	case $out in
	*"src=10.89.1.0-10.89.1.255[0/0-65535] dst=10.89.2.0-10.89.2.255[0/0-65535] action=protect"*"tmpl_dst=$B_IP"*) ;;
	*) fail "$1: trap policy is not 10.89.1.0/24 -> 10.89.2.0/24 protect: $out"; return 1 ;;
	esac
	[ "$(sa_count "$A")" -eq 0 ] || { fail "$1: A has SAs next to its trap"; return 1; }
	TRAP_REQID=$(echo "$out" | field reqid)
	log "$1: trap policy in place (reqid $TRAP_REQID), no SA"
}

case $scenario in
acquire)
	configure_a 'extra_rule=on_demand = true;'
	configure_b
	start_daemon $NB "$B" && start_daemon $NA "$A" || finish
	logged "$A" 5 "on-demand: 1 trap policies for 1 rules \(1 installed" ||
		fail "A did not log its trap installation"
	check_trap_only "start-up" || finish
	trap1=$TRAP_REQID
	sleep 1
	[ "$(sa_count "$A")" -eq 0 ] && [ "$(sa_count "$B")" -eq 0 ] ||
		fail "an SA came up before any ACQUIRE"
	# bad control input: clear errors, nothing started
	ctl_refused "$A" "acquire 10.89.9.9 10.89.2.7" "no outbound policy matches the packet"
	ctl_refused "$A" "acquire 10.89.1.5 not-an-address" "bad control command"
	ctl_refused "$A" "acquire 10.89.1.5 10.89.2.7 extra" "bad control command"
	ctl_refused "$A" "acquire -3" "bad control command"
	ctl_refused "$A" "acquire 4294967296" "bad control command"
	ctl_refused "$A" "acquire 999999" "no outbound policy with reqid 999999"
	ctl_refused "$A" "acquire 10.89.1.5 fe80::1" "two addresses of one family"
	[ "$(sa_count "$A")" -eq 0 ] || fail "bad control lines started something"
	# the packet 10.89.1.5 -> 10.89.2.7 hits the trap, and two more right
	# after it (one write: the kernel queues them before any SA is up)
	printf 'acquire 10.89.1.5 10.89.2.7\nacquire 10.89.1.6 10.89.2.8\nacquire %s\n' "$trap1" > "$A/kernel.ctl"
	# (events are handled on worker threads: any of the three may be first)
	logged "$A" 5 "ACQUIRE for [^ ]+ === [^ ]+ \(trap reqid $trap1\): initiating rule a_to_b" ||
		fail "A did not log the ACQUIRE starting the rule"
	[ "$(count_log "$A" "\(trap reqid $trap1\): initiating rule")" -eq 1 ] ||
		fail "more than one of the three ACQUIREs started the rule"
	one_pair || { show_both; fail "no CHILD SA pair after the ACQUIRE"; finish; }
	[ "$(count_log "$A" "reqid $trap1\) [0-9]+ ms after the last: rate-limited")" -eq 2 ] ||
		fail "A did not log the two rate-limited ACQUIREs"
	# a packet now finds the SA: the kernel asks nothing
	kernel_ctl "$A" "acquire 10.89.1.5 10.89.2.7"
	logged "$A" 5 "the packet's policy has an SA: no ACQUIRE" ||
		fail "the null backend raised an ACQUIRE for a policy with an SA"
	sleep 1
	[ "$(count_log "$A" "IKE SA established")" -eq 1 ] ||
		fail "A established $(count_log "$A" "IKE SA established") IKE SAs, expected 1"
	sas_paired "$A" "$B" 1 || fail "not exactly one CHILD SA pair after repeated ACQUIREs"
	# the CHILD SA's policies took the trap's place: one out, one in,
	# one fwd; the outbound one carries the SA's reqid
	sa_reqid=$(grep '^sa dir=out ' "$(state_file "$A")" | field reqid)
	n_out=$(policies_of "$A" out | grep -c .)
	out_reqid=$(policies_of "$A" out | field reqid)
	if [ "$n_out" -ne 1 ] || [ "$(policy_count "$A")" -ne 3 ] || [ "$out_reqid" != "$sa_reqid" ]; then
		show_state "$A" A
		fail "with the SA up A should have 3 policies, one outbound with the SA's reqid $sa_reqid (has $(policy_count "$A"), $n_out out, reqid $out_reqid)"
	else
		log "CHILD SA up; its outbound policy (reqid $sa_reqid) replaced the trap"
	fi
	# the SA goes (hard EXPIRE): the trap comes back
	a_in=$(sa_spis "$A" in)
	kernel_ctl "$A" "expire hard $a_in $A_IP"
	wait_for 10 has_sas "$B" 0 || { show_both; fail "B kept the CHILD SA after A's hard EXPIRE"; }
	check_trap_only "after the CHILD SA went"
	[ "$TRAP_REQID" = "$trap1" ] || fail "the trap came back with reqid $TRAP_REQID, not $trap1"
	# the next packet: a new CHILD SA in the IKE SA that is still up
	sleep 5   # past the rate limit
	kernel_ctl "$A" "acquire 10.89.1.9 10.89.2.9"
	logged "$A" 5 "ACQUIRE for trap reqid $trap1: new CHILD SA in this IKE SA" ||
		fail "A did not reuse its IKE SA for the second ACQUIRE"
	one_pair || { show_both; fail "no CHILD SA pair after the second ACQUIRE"; }
	[ "$(count_log "$A" "IKE SA established")" -eq 1 ] || fail "a second IKE SA was made"
	# SIGHUP without on_demand: the CHILD SA keeps its policies; once it
	# goes, no trap is put back
	reload_a() {   # extra configure_a args
		local n
		n=$(count_log "$A" "new configuration in force")
		configure_a "$@"
		kill -HUP "$(daemon_pid "$A")"
		wait_for 5 sh -c "[ \$(grep -c 'new configuration in force' '$A/daemon.log') -gt $n ]" ||
			fail "A did not reload"
	}
	out_reqid() { policies_of "$A" out | field reqid; }
	reload_a
	[ "$(policy_count "$A")" -eq 3 ] || fail "the reload touched the CHILD SA's policies"
	a_in=$(sa_spis "$A" in)
	kernel_ctl "$A" "expire hard $a_in $A_IP"
	wait_for 10 has_sas "$B" 0 || fail "B kept the CHILD SA after the second hard EXPIRE"
	if wait_for 5 sh -c "[ \$(grep -c '^policy ' '$A/kernel.state') -eq 0 ]"; then
		log "rule no longer on_demand: no trap after its CHILD SA went"
	else
		show_state "$A" A; fail "a trap stayed after its rule stopped being on_demand"
	fi
	# SIGHUP with on_demand again: the trap is installed again; its
	# ACQUIRE finds the IKE SA still up (no hint yet: a table walk)
	reload_a 'extra_rule=on_demand = true;'
	check_trap_only "after reload with on_demand"
	trap2=$TRAP_REQID
	kernel_ctl "$A" "acquire 10.89.1.10 10.89.2.10"
	logged "$A" 5 "ACQUIRE for trap reqid $trap2: new CHILD SA in this IKE SA" ||
		fail "A did not find its IKE SA for the new trap's ACQUIRE"
	one_pair || { show_both; fail "no CHILD SA pair after the new trap's ACQUIRE"; }
	[ "$(count_log "$A" "IKE SA established")" -eq 1 ] || fail "a second IKE SA was made"
	# on_demand off and on again while the CHILD SA is up: the SA keeps
	# its outbound policy, the new trap waits and comes back after it
	sa_reqid=$(out_reqid)
	reload_a
	reload_a 'extra_rule=on_demand = true;'
	[ "$(policy_count "$A")" -eq 3 ] && [ "$(out_reqid)" = "$sa_reqid" ] ||
		{ show_state "$A" A; fail "re-enabling on_demand replaced the CHILD SA's outbound policy"; }
	logged "$A" 5 "waits for the CHILD SA using its selectors" ||
		fail "A did not log the waiting trap"
	kernel_ctl "$A" "expire hard $(sa_spis "$A" in) $A_IP"
	wait_for 10 has_sas "$B" 0 || fail "B kept the CHILD SA after the third hard EXPIRE"
	check_trap_only "after the re-enabled trap's CHILD SA went"
	[ "$TRAP_REQID" != "$trap2" ] && [ "$TRAP_REQID" != "$sa_reqid" ] ||
		fail "the trap came back with reqid $TRAP_REQID (old trap $trap2, SA $sa_reqid)"
	# without on_demand and no SA: removed at once; with it: back
	reload_a
	wait_for 5 sh -c "[ \$(grep -c '^policy ' '$A/kernel.state') -eq 0 ]" ||
		fail "the trap stayed after on_demand was turned off"
	reload_a 'extra_rule=on_demand = true;'
	check_trap_only "after the last reload"
	# SIGTERM: the trap goes with the daemon
	stop_daemon "$A" TERM || fail "A did not exit on SIGTERM"
	[ "$(policy_count "$A")" -eq 0 ] || { show_state "$A" A; fail "A left policies installed at exit"; }
	;;
expire)
	configure_a auto_start=true
	configure_b
	start_daemon $NB "$B" && start_daemon $NA "$A" || finish
	one_pair || { show_both; fail "no CHILD SA pair"; finish; }
	ctl_refused "$A" "expire hard deadbeef $A_IP" "no SA deadbeef to expire"
	ctl_refused "$A" "expire medium $(sa_spis "$A" in) $A_IP" "bad control command"
	ctl_refused "$A" "expire soft $(sa_spis "$A" in)" "bad control command"
	ctl_refused "$A" "expire soft -1 $A_IP" "bad control command"
	# no NAT here: the SA is not UDP-encapsulated, so no mapping can change
	ctl_refused "$A" "mapping $(sa_spis "$A" in) $A_IP $B_IP 4500" "the SA is not UDP-encapsulated"
	sas_paired "$A" "$B" 1 || fail "bad control lines changed the SAs"
	# soft EXPIRE on A: rekey
	a_in=$(sa_spis "$A" in); b_in=$(sa_spis "$B" in)
	kernel_ctl "$A" "expire soft $a_in $A_IP"
	if wait_for 15 sh -c "[ \"\$(grep '^sa dir=in ' '$A/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$a_in' ]"; then
		one_pair 10 || { show_both; fail "after the soft EXPIRE: not one matching pair"; }
		[ "$(sa_spis "$B" in)" != "$b_in" ] || fail "B still has its old inbound SA"
		logged "$A" 3 "CHILD SA rekeyed" || fail "A did not log the rekey"
		log "soft EXPIRE: A in $a_in -> $(sa_spis "$A" in), B in $b_in -> $(sa_spis "$B" in)"
	else
		show_both; fail "no rekey after the soft EXPIRE"
	fi
	# hard EXPIRE on B: Delete to A
	b_in=$(sa_spis "$B" in)
	kernel_ctl "$B" "expire hard $b_in $B_IP"
	logged "$B" 5 "CHILD SA $b_in"_i" reached its hard lifetime: deleting" ||
		fail "B did not log the hard expiry"
	if wait_for 10 sh -c "[ \$(grep -c '^sa ' '$A/kernel.state') -eq 0 ] && [ \$(grep -c '^sa ' '$B/kernel.state') -eq 0 ]"; then
		log "hard EXPIRE on B: both sides removed the CHILD SA"
	else
		show_both; fail "after B's hard EXPIRE the CHILD SA is still installed"
	fi
	logged "$A" 5 "deleted by the peer" || fail "A did not see B's Delete"
	sleep 1
	grep -q "IKE SA deleted" "$A/daemon.log" "$B/daemon.log" && fail "the IKE SA went with the CHILD SA"
	;;
mapping)
	configure_a auto_start=true
	configure_b
	start_daemon $NB "$B" && start_daemon $NA "$A" || finish
	one_pair || { show_both; fail "no CHILD SA pair through the NAT"; finish; }
	b_in=$(sa_spis "$B" in); b_out=$(sa_spis "$B" out)
	[ "$(sa_field "$B" out dst)" = "$A_SEEN[4500]" ] && [ "$(sa_field "$B" out encap)" = yes ] ||
		{ show_state "$B" B; fail "B's CHILD SA is not UDP-encapsulated towards $A_SEEN[4500]"; finish; }
	# bad input
	ctl_refused "$B" "mapping deadbeef $B_IP $A_SEEN 40000" "no NAT mapping change for SA deadbeef: no such SA"
	ctl_refused "$B" "mapping $b_in $B_IP $A_SEEN 0" "bad control command"
	ctl_refused "$B" "mapping $b_in $B_IP $A_SEEN 65536" "bad control command"
	ctl_refused "$B" "mapping $b_in $B_IP not-an-ip 40000" "bad control command"
	ctl_refused "$B" "mapping $b_in $B_IP $A_SEEN" "bad control command"
	ctl_refused "$B" "mapping $b_in $B_IP fe80::1 40000" "the new address is of another family"
	sas_paired "$A" "$B" 1 || fail "bad mapping lines changed the SAs"
	# the NAT rebinds A's flow to port 40000
	kernel_ctl "$B" "mapping $b_in $B_IP $A_SEEN 40000"
	if logged "$B" 5 "NAT mapping changed: peer $A_SEEN\[4500\] is now $A_SEEN\[40000\]; IKE SA and 1 CHILD SA follow"; then
		log "B: $(grep "NAT mapping changed" "$B/daemon.log" | tail -1 | sed 's/.* op //')"
	else
		show_both; fail "B did not log the NAT mapping change"
	fi
	[ "$(sa_field "$B" out dst)" = "$A_SEEN[40000]" ] && [ "$(sa_field "$B" out spi)" = "$b_out" ] ||
		{ show_state "$B" B; fail "B's outbound SA was not moved to $A_SEEN[40000]"; }
	[ "$(sa_field "$B" in src)" = "$A_SEEN[40000]" ] && [ "$(sa_field "$B" in spi)" = "$b_in" ] ||
		{ show_state "$B" B; fail "B's inbound SA does not come from $A_SEEN[40000]"; }
	[ "$(sa_field "$B" in encap)" = yes ] || fail "B's inbound SA lost its encapsulation"
	# B rekeys: the request goes to the new mapping (the NAT forwards
	# 40000 to A), the new pair is set up there
	kernel_ctl "$B" "expire soft $b_in $B_IP"
	if wait_for 15 sh -c "[ \"\$(grep '^sa dir=in ' '$B/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$b_in' ]"; then
		one_pair 10 || { show_both; fail "after the rekey: not one matching pair"; }
		[ "$(sa_field "$B" out dst)" = "$A_SEEN[40000]" ] ||
			fail "B's rekeyed SA goes to $(sa_field "$B" out dst), not the new mapping"
		log "B rekeyed through the new mapping: out SA to $(sa_field "$B" out dst)"
	else
		show_both; fail "B's rekey through the new mapping did not complete"
	fi
	;;
rebind)
	# A checks liveness every 6 s and sends no NAT keepalives, so the
	# NAT's mapping idles out between its messages
	configure_a auto_start=true dpd=6 'extra_daemon=nat_keepalive_secs = 0;'
	configure_b
	start_daemon $NB "$B" && start_daemon $NA "$A" || finish
	one_pair || { show_both; fail "no CHILD SA pair through the NAT"; finish; }
	b_in=$(sa_spis "$B" in); b_out=$(sa_spis "$B" out)
	[ "$(sa_field "$B" out dst)" = "$A_SEEN[4500]" ] && [ "$(sa_field "$B" out encap)" = yes ] ||
		{ show_state "$B" B; fail "B's CHILD SA is not UDP-encapsulated towards $A_SEEN[4500]"; finish; }
	# the NAT now maps new UDP flows to port 40000
	ip netns exec $NN nft flush chain ip kev_nat post
	ip netns exec $NN nft add rule ip kev_nat post oifname kev-nb meta l4proto udp masquerade to :40000
	log "NAT rule changed: A's next message after 3 s of silence comes from $A_SEEN:40000"
	if logged "$B" 20 "peer's NAT mapping changed from $A_SEEN\[4500\] to $A_SEEN\[40000\] \(authenticated IKE message\): 1 CHILD SA follow"; then
		log "B: $(grep "peer's NAT mapping changed" "$B/daemon.log" | tail -1 | sed 's/.* op //')"
	else
		show_both; fail "B did not follow A's NAT rebinding"
	fi
	[ "$(sa_field "$B" out dst)" = "$A_SEEN[40000]" ] && [ "$(sa_field "$B" out spi)" = "$b_out" ] &&
	[ "$(sa_field "$B" in src)" = "$A_SEEN[40000]" ] && [ "$(sa_field "$B" in spi)" = "$b_in" ] ||
		{ show_state "$B" B; fail "B's CHILD SA was not moved to $A_SEEN[40000]"; }
	# B's rekey goes out through the NAT's new mapping and completes
	kernel_ctl "$B" "expire soft $b_in $B_IP"
	if wait_for 15 sh -c "[ \"\$(grep '^sa dir=in ' '$B/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$b_in' ]"; then
		one_pair 10 || { show_both; fail "after the rekey: not one matching pair"; }
		[ "$(sa_field "$B" out dst)" = "$A_SEEN[40000]" ] ||
			fail "B's rekeyed SA goes to $(sa_field "$B" out dst), not the new mapping"
		log "B rekeyed through the rebound NAT: out SA to $(sa_field "$B" out dst)"
	else
		show_both; fail "B's rekey through the rebound NAT did not complete"
	fi
	;;
esac

for d in "$A" "$B"; do
	if [ -f "$d/daemon.log" ] && grep -qE "AddressSanitizer|runtime error:|Segmentation" "$d/daemon.log"; then
		fail "$(basename "$d"): sanitizer or crash report in the log"
	fi
	if [ -f "$d/daemon.pid" ] && ! [ "$d" = "$A" ] || [ "$scenario" != acquire ]; then
		daemon_alive "$d" || fail "$(basename "$d") died"
	fi
done
finish
