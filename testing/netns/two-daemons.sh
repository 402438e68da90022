#!/bin/bash
# two-daemons.sh SCENARIO - two in.ikev2d in two network namespaces on a
# veth pair, PSK, null kernel backend; asserts on what each daemon recorded
# (kernel-null state files) and logged.
#
#   basic      A initiates, then (restarted) B initiates: IKE SA + CHILD SA,
#              SPIs paired (A's outbound = B's inbound and back), same
#              algorithms on both sides, policies installed
#   rekey      CHILD SA lifetime 60 s / soft 30 s and IKE SA lifetime 60 s:
#              the CHILD SA is replaced by a new pair, the IKE SA rekeyed,
#              one pair left, no reserved SPI leaked
#   collision  both sides get a soft EXPIRE for the CHILD SA at the same
#              instant (kernel-null control FIFO): exactly one new pair
#              survives (RFC 7296 §2.8.1) and both agree on it
#   dpd        B is killed (SIGKILL): A's DPD (5 s) finds it dead and removes
#              the SAs
#   delete     A gets SIGTERM: B sees the Delete and removes its SAs at once
#              (no DPD configured on B)
#   reload     SIGHUP on B with a new key and no rule for A any more: the
#              established SAs stay (same SPIs) and still rekey; a broken
#              file on SIGHUP is refused and the running configuration stays;
#              a new IKE SA from A then meets the new configuration and fails
#
# Exit 0 pass, 77 skip (with the reason), 1 fail.  Run as root.
. "$(dirname "$0")/lib.sh"

scenario=${1:-basic}
need_root
case $scenario in
basic)     require_cap ike ;;
rekey)     require_cap ike rekey-child rekey-ike ;;
collision) require_cap ike rekey-child rekey-collision ;;
dpd)       require_cap ike dpd ;;
delete)    require_cap ike delete ;;
reload)    require_cap ike rekey-child ;;
*) echo "usage: $0 basic|rekey|collision|dpd|delete|reload" >&2; exit 2 ;;
esac

mkwork "2d-$scenario"
A=$WORK/a B=$WORK/b
NA=net-2d-a$$ NB=net-2d-b$$   # per run: several may run at once
ns_add $NA
ns_add $NB
link_ns $NA net-2d-va 10.88.0.1/24 $NB net-2d-vb 10.88.0.2/24

# configure A and B; extra args go to both
configure() {   # initiator(a|b) extra...
	local init=$1; shift
	write_config "$A" label=a_to_b local=10.88.0.1 remote=10.88.0.2 \
		local_id=fqdn:a.test remote_id=fqdn:b.test psk=two-daemon-secret \
		local_ts=10.88.1.0/24 remote_ts=10.88.2.0/24 \
		auto_start=$([ "$init" = a ] && echo true || echo false) "$@"
	write_config "$B" label=b_to_a local=10.88.0.2 remote=10.88.0.1 \
		local_id=fqdn:b.test remote_id=fqdn:a.test psk=two-daemon-secret \
		local_ts=10.88.2.0/24 remote_ts=10.88.1.0/24 \
		auto_start=$([ "$init" = b ] && echo true || echo false) "$@"
}

start_both() {
	start_daemon $NB "$B" && start_daemon $NA "$A"
}

# Wait for one established CHILD SA pair and check it.
check_established() {   # what
	if ! wait_for 20 sas_paired "$A" "$B" 1; then
		show_state "$A" A; show_state "$B" B
		fail "$1: no matching CHILD SA pair within 20 s"
		return 1
	fi
	local ea eb
	ea=$(sa_field "$A" out encr | sort -u); eb=$(sa_field "$B" in encr | sort -u)
	[ "$ea" = "aes-gcm-16" ] && [ "$eb" = "aes-gcm-16" ] ||
		fail "$1: ESP algorithm A=$ea B=$eb, expected aes-gcm-16"
	[ "$(sa_field "$A" out encr_keylen)" = 128 ] || fail "$1: key length"
	[ "$(sa_field "$A" out mode)" = tunnel ] || fail "$1: mode"
	[ "$(policy_count "$A")" -ge 2 ] && [ "$(policy_count "$B")" -ge 2 ] ||
		fail "$1: policies missing (A $(policy_count "$A"), B $(policy_count "$B"))"
	grep -q "^policy dir=out src=10.88.1.0-10.88.1.255\[0/0-65535\] dst=10.88.2.0-10.88.2.255" \
		"$(state_file "$A")" || fail "$1: A's outbound policy selectors"
	log "$1: CHILD SA up, A out $(sa_spis "$A" out) = B in, B out $(sa_spis "$B" out) = A in"
}

case $scenario in
basic)
	configure a
	start_both || finish
	check_established "A initiates"
	stop_daemon "$A"; stop_daemon "$B"
	wait_ports_free $NA; wait_ports_free $NB
	configure b
	rm -f "$A/kernel.state" "$B/kernel.state"
	start_both || finish
	check_established "B initiates"
	;;
rekey)
	configure a child_life=60 child_soft=30 ike_life=60
	start_both || finish
	check_established "initial" || finish
	first_out=$(sa_spis "$A" out)
	# the soft lifetime is 30 s (engines may add jitter): a new pair within 50 s
	if wait_for 50 sh -c "[ \"\$(grep '^sa dir=out ' '$A/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$first_out' ]"; then
		wait_for 10 sas_paired "$A" "$B" 1 || { show_state "$A" A; show_state "$B" B; fail "after CHILD rekey: not exactly one matching pair"; }
		log "CHILD SA rekeyed: A out $first_out -> $(sa_spis "$A" out)"
	else
		show_state "$A" A
		fail "CHILD SA not rekeyed within 50 s of start (soft lifetime 30 s)"
	fi
	# IKE SA rekey: 60 s lifetime -> the daemons say so
	# both daemons say the IKE SA was rekeyed (not just that it tried)
	if ! wait_for 40 grep -qiE "IKE SA.*rekeyed" "$A/daemon.log" ||
	   ! grep -qiE "IKE SA.*rekeyed" "$B/daemon.log"; then
		fail "no completed IKE SA rekey logged by both sides within 80 s (lifetime 60 s)"
	fi
	sas_paired "$A" "$B" 1 || fail "CHILD SAs not paired after the IKE SA rekey"
	[ "$(spi_count "$A")" -eq 0 ] && [ "$(spi_count "$B")" -eq 0 ] || fail "reserved SPIs left over"
	;;
collision)
	configure a child_life=600
	start_both || finish
	check_established "initial" || finish
	a_in=$(sa_spis "$A" in); b_in=$(sa_spis "$B" in)
	# both kernels ask for a rekey at the same moment
	kernel_ctl "$A" "expire soft $a_in 10.88.0.1" & ctl_a=$!
	kernel_ctl "$B" "expire soft $b_in 10.88.0.2" & ctl_b=$!
	wait $ctl_a $ctl_b
	if wait_for 20 sh -c "[ \"\$(grep '^sa dir=in ' '$A/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$a_in' ]"; then
		sleep 3   # let the losing pair be deleted
		if sas_paired "$A" "$B" 1; then
			log "collision resolved: one pair A out $(sa_spis "$A" out), B out $(sa_spis "$B" out)"
		else
			show_state "$A" A; show_state "$B" B
			fail "after the simultaneous rekey: not exactly one matching pair"
		fi
	else
		show_state "$A" A
		fail "no rekey after simultaneous soft EXPIRE events"
	fi
	[ "$(spi_count "$A")" -eq 0 ] && [ "$(spi_count "$B")" -eq 0 ] || fail "reserved SPIs left over"
	;;
dpd)
	configure a dpd=5 'extra_daemon=retry_limit = 3; retry_timer_init_ms = 300;'
	start_both || finish
	check_established "initial" || finish
	stop_daemon "$B" KILL
	log "B killed; waiting for A's DPD"
	if wait_for 40 has_sas "$A" 0; then
		log "A removed the dead peer's SAs"
	else
		show_state "$A" A
		fail "A still has SAs 40 s after the peer died (DPD 5 s)"
	fi
	daemon_alive "$A" || fail "A died"
	;;
delete)
	configure a
	start_both || finish
	check_established "initial" || finish
	t0=$(date +%s)
	stop_daemon "$A" TERM || fail "A did not exit within 10 s of SIGTERM"
	if wait_for 5 has_sas "$B" 0; then
		log "B removed its SAs $(( $(date +%s) - t0 )) s after A's SIGTERM"
	else
		show_state "$B" B
		fail "B still has SAs 5 s after A's SIGTERM: no Delete seen"
	fi
	[ "$(sa_count "$A")" -eq 0 ] || fail "A left SAs installed at exit"
	daemon_alive "$B" || fail "B died"
	;;
reload)
	configure a child_life=600
	start_both || finish
	check_established "initial" || finish
	a_out=$(sa_spis "$A" out); b_out=$(sa_spis "$B" out)
	pid_b=$(daemon_pid "$B")
	# B's new configuration: another key, and its only rule is for some
	# other peer.  SIGHUP must not touch the SAs already up.
	cp "$B/ikev2.config" "$B/ikev2.config.orig"
	write_config "$B" label=b_to_elsewhere local=10.88.0.2 remote=10.88.0.99 \
		local_id=fqdn:b.test remote_id=fqdn:c.test psk=another-secret \
		local_ts=10.88.2.0/24 remote_ts=10.88.3.0/24 child_life=600
	kill -HUP "$pid_b"
	wait_for 10 grep -q "configuration reloaded" "$B/daemon.log" ||
		fail "B did not log the reload"
	sleep 2
	daemon_alive "$B" || { fail "B died on SIGHUP"; finish; }
	[ "$(daemon_pid "$B")" = "$pid_b" ] || fail "B's PID changed across SIGHUP"
	if sas_paired "$A" "$B" 1 && [ "$(sa_spis "$A" out)" = "$a_out" ] &&
	   [ "$(sa_spis "$B" out)" = "$b_out" ]; then
		log "after SIGHUP: the CHILD SA pair is unchanged (A out $a_out, B out $b_out)"
	else
		show_state "$A" A; show_state "$B" B
		fail "SIGHUP changed the established SAs"
	fi
	# the established IKE SA still works under its old rule: a CHILD rekey
	kernel_ctl "$A" "expire soft $(sa_spis "$A" in) 10.88.0.1"
	if wait_for 20 sh -c "[ \"\$(grep '^sa dir=out ' '$A/kernel.state' | sed 's/.* spi=\([0-9a-f]*\) .*/\1/')\" != '$a_out' ]" &&
	   wait_for 10 sas_paired "$A" "$B" 1; then
		log "CHILD SA rekeyed after the reload: A out $a_out -> $(sa_spis "$A" out)"
	else
		show_state "$A" A; show_state "$B" B
		fail "no CHILD SA rekey on the established IKE SA after B's reload"
	fi
	# a broken file on SIGHUP: refused with a log line, nothing changes
	cp "$B/ikev2.config" "$B/ikev2.config.good"
	printf 'daemon = { debug_level = "op"; bogus_keyword = 1; };\nrules = ( { label = ;\n' > "$B/ikev2.config"
	kill -HUP "$pid_b"
	wait_for 10 grep -q "reload of .* failed" "$B/daemon.log" ||
		fail "B did not log that the broken file was refused"
	sleep 1
	daemon_alive "$B" || { fail "B died on a broken file at SIGHUP"; finish; }
	sas_paired "$A" "$B" 1 || fail "the SAs changed after a refused reload"
	# a new IKE SA from A now meets B's new configuration: no rule for A
	stop_daemon "$A" KILL 2>/dev/null
	wait_ports_free $NA
	rm -f "$A/kernel.state"
	start_daemon $NA "$A" || finish
	if wait_for 20 grep -q "IKE SA failed" "$A/daemon.log" &&
	   grep -q "IKE_SA_INIT from 10.88.0.1.*no rule" "$B/daemon.log"; then
		log "a new IKE SA from A is refused under B's new configuration"
	else
		tail -5 "$A/daemon.log" "$B/daemon.log"
		fail "A's new IKE SA was not refused by B's new configuration"
	fi
	[ "$(sa_count "$A")" -eq 0 ] || fail "A installed SAs although B has no rule for it"
	;;
esac

for d in "$A" "$B"; do
	if [ -f "$d/daemon.log" ] && grep -qE "AddressSanitizer|runtime error:|Segmentation" "$d/daemon.log"; then
		fail "$(basename "$d"): sanitizer or crash report in the log"
	fi
done
finish
