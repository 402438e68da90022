#!/bin/bash
# rekey-storm.sh - in.ikev2d against Debian's strongSwan charon under a rekey
# storm (issue 14 item 1), each in its own network namespace (topology and
# charon's libipsec setup as in interop.sh).  Three phases, ~2.5 minutes:
#
#   A  charon alone rekeys: the IKE SA every ~6-8 s, the CHILD SA every
#      ~2-3 s (what left ikev2d with a second, stale CHILD SA whose
#      outbound SPI charon had deleted)
#   B  the same, and ikev2d rekeys the CHILD SA too (a soft EXPIRE
#      injected into its null backend every 2-4 s), with IKE held in both
#      directions for 1.2 s (nftables) each time so that what charon starts
#      meanwhile crosses it: CHILD rekey collisions (RFC 7296 2.8.1) and
#      CHILD rekeys crossing IKE rekeys (2.25.2)
#   C  fresh pair: ikev2d rekeys the IKE SA (ikesa_lifetime_secs 60, the
#      least a configuration may say) while both sides keep rekeying the
#      CHILD SA
#
# During each phase both sides are sampled about every second (charon,
# ikev2d, charon again: a sample during which charon changed counts for
# nothing).  Neither may last 6 s (wall clock): sides that differ, and
# ikev2d holding more than one CHILD SA or outbound SA - the original
# symptom, 2 CHILD SAs for 61 s.  A replaced SA's inbound half stays in
# ikev2d's kernel for its grace period (2 s), no more than 6 s.
# After each phase, within 20 s: exactly one IKE SA and one CHILD SA on each
# side - charon's `swanctl --list-sas`, ikev2d's `ikeadm dump ikesa` /
# `dump childsa` (control plugin) and its null backend's kernel state - with
# the IKE SPIs equal and the CHILD SPIs paired (charon's in = ikev2d's out
# and back), seen with IKE held for a moment so that the storm stands still
# while both sides are looked at.  Neither side may log a failed rekey or
# Delete; a rekey put off with TEMPORARY_FAILURE (a collision, retried) is
# counted, not failed.  KEEP=1 keeps the work directory (logs of both
# sides) also when it passes; a failure always keeps it.
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"

need_root
need_charon
require_cap ike rekey-child rekey-ike rekey-collision
IKEADM=${IKEADM:-$top_builddir/tools/ikeadm/ikeadm}
[ -x "$IKEADM" ] || skip "ikeadm not built at $IKEADM"
python3 -c 'import json' 2>/dev/null || skip "python3 missing"
command -v nft > /dev/null || skip "nft (nftables) missing"

PHASE_A=${STORM_A_SECS:-30} PHASE_B=${STORM_B_SECS:-40}
mkwork storm
O=$WORK/ours C=$WORK/charon
NO=net-rs-a$$ NC=net-rs-c$$
PSK=storm-secret
SOCK=$WORK/ctl.sock
ns_add $NO; ns_add $NC
link_ns $NO net-rs-va$$ 10.77.0.1/24 $NC net-rs-vc$$ 10.77.0.2/24
ip -n $NO addr add 10.77.1.1/32 dev lo
ip -n $NC addr add 10.77.2.1/32 dev lo
OURS_IP=10.77.0.1 CHARON_IP=10.77.0.2

ours_up() {   # write_config key=value...
	write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
		local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=$PSK \
		local_ts=10.77.1.0/24 remote_ts=10.77.2.0/24 "$@"
	sed -i "s|load = \[ \"nettle\", \"psk\", \"kernel-null\" \];|load = [ \"nettle\", \"psk\", \"kernel-null\", \"control\" ];\n\tcontrol = { socket = \"$SOCK\"; };|" "$O/ikev2.config"
	grep -q '"control"' "$O/ikev2.config" || { fail "could not add the control plugin"; finish; }
	start_daemon $NO "$O" || finish
	wait_for 10 test -S "$SOCK" || { fail "no control socket at $SOCK"; finish; }
}

charon_storm() {   # charon_start key=value... (IKE and CHILD rekey times)
	charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP \
		local_id=charon.test remote_id=ours.test psk=$PSK \
		local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 esp=aes128gcm16 \
		child_rekey_time=5 child_rand_time=1 child_life_time=12 "$@" || finish
	charon_ctl "$C" --initiate --child net --timeout 20 > "$WORK/initiate.log" 2>&1 ||
		{ tail -5 "$WORK/initiate.log"; fail "charon's initiation failed"; finish; }
}

adm_json() {   # ikeadm -j command... -> python expression on it as j
	local expr=$1; shift
	"$IKEADM" -s "$SOCK" -j "$@" 2>/dev/null |
		python3 -c "import json,sys; j=json.load(sys.stdin); print($expr)" 2>/dev/null
}

# ikev2d's view in one line, "IKE-SAs|CHILD-SAs|kernel-in|kernel-out": its
# IKE SAs (state:SPIi:SPIr) and CHILD SAs (state:in:out) as one `ikeadm`
# (interactive: both dumps in one connection) shows them, and the inbound
# and outbound SPIs its null backend holds.  No python: on a loaded
# machine its start-up alone took longer than the time between rekeys.
# The kernel may hold an inbound SA more than the CHILD SAs: a replaced
# SA's, for its grace period (note_extra_in checks that it goes).
ours_view() {
	local adm
	adm=$(printf 'dump ikesa\ndump childsa\n' | "$IKEADM" -s "$SOCK" 2>/dev/null | awk '
		/^IKE SA #/ { st = $6; sub(/,$/, "", st) }
		/^  SPIs [0-9a-f]*_i [0-9a-f]*_r/ { s = $2 ":" $3; gsub(/_i|_r/, "", s); ike = ike (ike ? " " : "") st ":" s }
		/^CHILD SA of IKE SA #/ { s = $7 ":" $9 ":" $10; gsub(/,|_i|_o/, "", s); child = child (child ? " " : "") s }
		END { printf "%s|%s", ike, child }')
	echo "$adm|$(sa_spis "$O" in | tr '\n' ' ' | sed 's/ $//')|$(sa_spis "$O" out | tr '\n' ' ' | sed 's/ $//')"
}

# charon's SAs in one line: IKE SAs, their SPIs, live CHILD SAs and their
# SPIs (libipsec lists DELETED CHILD SAs until their hard lifetime).
charon_view() {
	charon_sas "$C" | awk '
		/^peer: #/ { ike++; if ($3 == "ESTABLISHED,") { s = $5 ":" $6; gsub(/_i|_r|\*/, "", s); spis = spis s } }
		/^  net: #/ { live = ($0 !~ /DELETED/); if (live) child++ }
		live && $1 == "in" { s = $2; sub(/,$/, "", s); cin = cin s }
		live && $1 == "out" { s = $2; sub(/,$/, "", s); cout = cout s }
		END { printf "%d %s %d %s %s\n", ike, spis, child, cin, cout }'
}

# Inbound SAs in ikev2d's kernel that belong to no CHILD SA of its: a
# replaced SA's in its grace period (2 s), which must go.  One seen for
# more than EXTRA_IN_MAX s is a stale SA (a failure at the phase's end).
declare -A EXTRA_IN_SINCE
EXTRA_IN_MAX=6 STALE_IN=
note_extra_in() {   # kernel-in child-list
	local spi now known
	now=$(date +%s)
	for spi in $1; do
		case " $2 " in *":$spi:"*) continue ;; esac
		known=${EXTRA_IN_SINCE[$spi]:-}
		if [ -z "$known" ]; then EXTRA_IN_SINCE[$spi]=$now
		elif [ $(( now - known )) -gt $EXTRA_IN_MAX ]; then
			case " $STALE_IN " in *" $spi "*) ;; *) STALE_IN="$STALE_IN $spi" ;; esac
		fi
	done
}

# One sample of both sides: charon's view, ours, charon's again.  Returns
# 0 when they agree - charon has one live CHILD SA, ikev2d one CHILD SA
# whose SPIs mirror charon's, one outbound SA in its kernel (that one) and
# that inbound SA -, 1 when they differ, 2 when charon changed while we
# looked (a loaded machine takes longer to look than the second or two
# between rekeys: such a sample says nothing).  OURS_CHILDREN and
# OURS_OUT are what ikev2d had in any case; SAMPLE says what was seen.
SAMPLE=
agree() {
	local cv cv2 ov c_ike c_spis c_children c_in c_out o_child k_in k_out
	cv=$(charon_view); ov=$(ours_view); cv2=$(charon_view)
	read -r c_ike c_spis c_children c_in c_out <<< "$cv"
	IFS='|' read -r _ o_child k_in k_out <<< "$ov"
	note_extra_in "$k_in" "$o_child"
	OURS_CHILDREN=$(echo $o_child | wc -w) OURS_OUT=$(echo $k_out | wc -w)
	SAMPLE="charon $c_children CHILD SA(s) in=$c_in out=$c_out; ikev2d CHILD [$o_child] kernel in=$k_in out=$k_out"
	[ "$cv" = "$cv2" ] || return 2
	[ "$c_children" = 1 ] && [ "$o_child" = "INSTALLED:$c_out:$c_in" ] &&
		[ "$k_out" = "$c_in" ] && case " $k_in " in *" $c_out "*) true ;; *) false ;; esac
}

# Exactly one IKE SA and one CHILD SA on each side, paired.  One snapshot,
# taken with IKE held in both directions (nftables; IKE_HOLD_MS, less
# than charon's first retransmission, then at least as long released): on
# a loaded machine looking at both sides takes longer than the second or
# two between rekeys, and a snapshot of a storm in progress never agrees.
# Held, nothing changes but what was already received: after a moment
# for that, charon's list, ours, and charon's again (which must be the
# same).  The kernel's inbound SAs besides the CHILD SA's are replaced
# SAs in their grace period (note_extra_in).
LAST_STATE=
settled() {
	local v1 v2 ov c_ike c_spis c_children c_in c_out o_ike o_child k_in k_out
	hold_ike on
	sleep 0.3
	v1=$(charon_view); ov=$(ours_view); v2=$(charon_view)
	hold_ike off
	read -r c_ike c_spis c_children c_in c_out <<< "$v1"
	IFS='|' read -r o_ike o_child k_in k_out <<< "$ov"
	note_extra_in "$k_in" "$o_child"
	LAST_STATE="charon: $c_ike IKE SA(s) [$c_spis], $c_children CHILD SA(s) in=$c_in out=$c_out; ikev2d: IKE [$o_ike] CHILD [$o_child] kernel in=$k_in out=$k_out"
	if [ "$v1" = "$v2" ] && [ "$c_ike" = 1 ] && [ "$c_children" = 1 ] && [ -n "$c_spis" ] &&
	   [ "$o_ike" = "ESTABLISHED:$c_spis" ] && [ "$o_child" = "INSTALLED:$c_out:$c_in" ] &&
	   [ "$k_out" = "$c_in" ] && case " $k_in " in *" $c_out "*) true ;; *) false ;; esac; then
		return 0
	fi
	[ "$v1" = "$v2" ] || LAST_STATE="$LAST_STATE (charon changed while looking)"
	sleep 1.5   # IKE passes before the next hold
	return 1
}

# run_phase NAME SECONDS [inject]: sample both sides about every second
# (agree); with inject, also rekey our CHILD SA (soft EXPIRE) every 1-3 s.
# Two things may not last 6 s, measured in seconds (a loaded machine
# samples less often than once a second): ikev2d with more than one CHILD
# SA or outbound SA (the stale SA of issue 14 item 1 stayed 61 s), and
# sides that differ (from the first sample that differed to the last,
# a sample taken while charon changed counting for neither).  Stops early
# when STOP_WHEN (a command) succeeds after at least MIN_SECS.
run_phase() {
	local name=$1 secs=$2 inject=${3:-} t0 now rc bad_since= bad=0 maxbad=0
	local multi_since= multi=0 maxmulti=0 samples=0 unclear=0 next_inj
	t0=$(date +%s); next_inj=$(( t0 + 1 + RANDOM % 3 ))
	STALE_IN=
	while now=$(date +%s); [ $(( now - t0 )) -lt "$secs" ]; do
		agree; rc=$?
		now=$(date +%s)
		case $rc in
		0) bad_since= ;;
		1) [ -n "$bad_since" ] || bad_since=$now
		   bad=$(( now - bad_since ))
		   [ $bad -gt $maxbad ] && maxbad=$bad
		   [ $bad -ge 3 ] && log "$name: sides differ ${bad} s: $SAMPLE" ;;
		*) unclear=$(( unclear + 1 )) ;;
		esac
		if [ "$OURS_CHILDREN" -gt 1 ] || [ "$OURS_OUT" -gt 1 ]; then
			[ -n "$multi_since" ] || multi_since=$now
			multi=$(( now - multi_since ))
			[ $multi -gt $maxmulti ] && maxmulti=$multi
			[ $multi -ge 3 ] && log "$name: ikev2d has $OURS_CHILDREN CHILD SAs, $OURS_OUT outbound SAs for $multi s: $SAMPLE"
		else
			multi_since=
		fi
		samples=$(( samples + 1 ))
		if [ -n "$inject" ] && [ "$now" -ge "$next_inj" ]; then
			# the CHILD SA's inbound SA (not a replaced one's in
			# its grace period)
			local spi; spi=$(ours_view | cut -d'|' -f2 | sed -n 's/^INSTALLED:\([0-9a-f]*\):.*/\1/p')
			# cross: hold IKE both ways for 1.2 s (less than either
			# side's first retransmission plus the next) so that
			# what charon starts meanwhile crosses our rekey
			[ "$inject" = cross ] && hold_ike on
			[ -n "$spi" ] && kernel_ctl "$O" "expire soft $spi $OURS_IP" 2>/dev/null
			INJECTED=$(( ${INJECTED:-0} + 1 ))
			[ "$inject" = cross ] && { sleep 1.2; hold_ike off; }
			next_inj=$(( $(date +%s) + 1 + RANDOM % 3 ))
		fi
		if [ -n "${STOP_WHEN:-}" ] && [ $(( now - t0 )) -ge "${MIN_SECS:-0}" ] && eval "$STOP_WHEN"; then
			break
		fi
		sleep 1
	done
	[ $maxbad -lt 6 ] || fail "$name: the sides' CHILD SAs differed for $maxbad s in a row"
	[ $maxmulti -lt 6 ] || fail "$name: ikev2d had more than one CHILD SA or outbound SA for $maxmulti s in a row"
	if wait_for 20 settled; then
		log "$name: settled: $LAST_STATE"
	else
		fail "$name: not one IKE SA and one paired CHILD SA on each side after 20 s: $LAST_STATE"
	fi
	[ -z "$STALE_IN" ] || fail "$name: inbound SA(s)$STALE_IN of no CHILD SA stayed in ikev2d's kernel for more than $EXTRA_IN_MAX s"
	log "$name: $samples samples ($unclear taken while charon changed), longest disagreement $maxbad s, longest with more than one CHILD SA $maxmulti s"
}

# Failed rekeys or Deletes in the logs.  What a collision legitimately
# gives is counted apart (count_stats): a rekey put off with
# TEMPORARY_FAILURE and retried (RFC 7296 2.25.2), the rekey or Delete of a
# CHILD SA that the other side's crossing exchange already replaced
# (CHILD_SA_NOT_FOUND, a Delete of an unknown SPI: 2.25.1); charon says
# "unable to rekey, CHILD_SA not found", "unable to rekey, we are deleting
# the CHILD_SA" (its TEMPORARY_FAILURE to a rekey crossing its Delete) and
# "unable to create CHILD_SA while rekeying IKE_SA" for the same.
check_logs() {   # phase name
	local bad
	bad=$(grep -E "rekey failed|new CHILD SA failed|IKE SA failed|never deleted the old SA|hard lifetime|cannot start|install.* failed|IKE SA deleted: (peer|liveness|half)" "$O/daemon.log" | grep -v "\[plugin\]")
	[ -z "$bad" ] || { echo "$bad" | head -10; fail "$1: ikev2d logged failed rekeys or Deletes ($(echo "$bad" | wc -l))"; }
	bad=$(grep -iE "failed|unable to|expired|INVALID_SYNTAX|NO_PROPOSAL|AUTH_FAILED|retransmit.*giving up|giving up" "$C/charon.log" |
		grep -vE "TEMP_FAIL|TEMPORARY_FAILURE notify|rekeying failed, trying again|unable to rekey, CHILD_SA not found|unable to rekey, we are deleting the CHILD_SA|unable to create CHILD_SA while rekeying IKE_SA|DMN\]|SIGTERM")
	[ -z "$bad" ] || { echo "$bad" | head -10; fail "$1: charon logged failed rekeys or Deletes ($(echo "$bad" | wc -l))"; }
}

# IKE on port 4500 dropped in ikev2d's namespace (on) or passed (off).
hold_ike() {
	if [ "$1" = on ]; then
		ip netns exec $NO nft -f - <<'EOF' || fail "nft: cannot hold IKE"
table inet storm_hold {
	chain in { type filter hook input priority 0; policy accept; udp dport 4500 drop; }
	chain out { type filter hook output priority 0; policy accept; udp dport 4500 drop; }
}
EOF
	else
		ip netns exec $NO nft delete table inet storm_hold 2>/dev/null
	fi
}

# What happened in a phase: the logs from the line marked at its start.
mark_logs() { MARK_O=$(wc -l < "$O/daemon.log"); MARK_C=$(wc -l < "$C/charon.log"); INJECTED=0; }
o_log() { tail -n +$(( MARK_O + 1 )) "$O/daemon.log"; }
c_log() { tail -n +$(( MARK_C + 1 )) "$C/charon.log"; }
count_stats() {   # phase name
	local c_ike c_child o_child o_ike tf_o tf_c col
	c_ike=$(c_log | grep -c "IKE_SA peer\[[0-9]*\] rekeyed")
	c_child=$(c_log | grep -c "establishing CHILD_SA net{[0-9]*} reqid")
	o_child=$(o_log | grep -c "CHILD SA rekeyed:")
	o_ike=$(o_log | grep -c "rekeyed into this one as initiator")
	tf_o=$(o_log | grep -c "put off by the peer\|refused: a CHILD SA exchange of ours\|rekey of an unknown CHILD SA\|Delete for unknown\|crossed the peer's")
	tf_c=$(c_log | grep -c "TEMPORARY_FAILURE notify\|trying again\|CHILD_SA not found\|we are deleting the CHILD_SA\|while rekeying IKE_SA")
	col=$(o_log | grep -c "simultaneous")
	log "$1: IKE SA rekeyed $c_ike times ($o_ike by ikev2d), CHILD SA rekeys started by charon $c_child, completed by ikev2d $o_child (${INJECTED:-0} soft EXPIREs injected); $col collision lines (ikev2d), put-offs and crossed rekeys/Deletes (TEMPORARY_FAILURE, CHILD_SA_NOT_FOUND, unknown SPI): $tf_o in ikev2d's log, $tf_c in charon's"
	STAT_O_IKE=$o_ike STAT_O_CHILD=$o_child STAT_C_IKE=$c_ike STAT_C_CHILD=$c_child
	TOTAL_IKE=$(( ${TOTAL_IKE:-0} + c_ike )) TOTAL_C_CHILD=$(( ${TOTAL_C_CHILD:-0} + c_child ))
	TOTAL_O_CHILD=$(( ${TOTAL_O_CHILD:-0} + o_child )) TOTAL_COL=$(( ${TOTAL_COL:-0} + col + tf_o ))
}

# ---------------------------------------------- A and B: charon's storm
ours_up
charon_storm rekey_time=8 over_time=10 rand_time=2
wait_for 15 settled || { fail "initial: $LAST_STATE"; finish; }
log "initial: $LAST_STATE"
mark_logs
run_phase "A (charon rekeys)" "$PHASE_A"
check_logs "A"
count_stats "A"
[ "$STAT_C_IKE" -ge 3 ] && [ "$STAT_C_CHILD" -ge 6 ] ||
	fail "A: charon rekeyed the IKE SA $STAT_C_IKE times and the CHILD SA $STAT_C_CHILD times, expected a storm"
[ "$STAT_O_CHILD" -eq 0 ] || fail "A: ikev2d rekeyed a CHILD SA itself ($STAT_O_CHILD), phase A is charon's alone"
mark_logs
run_phase "B (both rekey the CHILD SA, crossing)" "$PHASE_B" cross
check_logs "B"
count_stats "B"
[ "$STAT_O_CHILD" -ge 5 ] || fail "B: ikev2d completed only $STAT_O_CHILD CHILD rekeys of its own"
daemon_alive "$O" || fail "ikev2d died"

# ------------------------------------- C: ikev2d rekeys the IKE SA too
charon_stop "$C"
stop_daemon "$O"
wait_ports_free $NO
mv "$O" "$WORK/ours-AB"; mv "$C" "$WORK/charon-AB"
INJECTED=0
ours_up ike_life=60
charon_storm rekey_time=90 rand_time=1
wait_for 15 settled || { fail "C initial: $LAST_STATE"; finish; }
mark_logs
STOP_WHEN='grep -q "rekeyed into this one as initiator" "$O/daemon.log"' MIN_SECS=10 \
	run_phase "C (ikev2d rekeys the IKE SA)" 70 inject
sleep 2
wait_for 20 settled || fail "C: not settled after ikev2d's IKE rekey: $LAST_STATE"
check_logs "C"
count_stats "C"
[ "$STAT_O_IKE" -ge 1 ] || fail "C: ikev2d did not rekey the IKE SA (lifetime 60 s)"
[ "$STAT_O_CHILD" -ge 5 ] || fail "C: ikev2d completed only $STAT_O_CHILD CHILD rekeys of its own"
daemon_alive "$O" || fail "ikev2d died"
log "total: $TOTAL_IKE IKE SA rekeys, $TOTAL_C_CHILD CHILD rekeys by charon, $TOTAL_O_CHILD by ikev2d, $TOTAL_COL collisions seen by ikev2d"
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$O/daemon.log" "$WORK/ours-AB/daemon.log"; then
	fail "sanitizer report in ikev2d's log"
fi
finish
