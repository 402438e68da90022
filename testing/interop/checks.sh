# checks.sh - assertions shared by the charon interop harnesses (bash,
# sourced after testing/netns/lib.sh and charon.sh).  They use the caller's
# globals: O (ikev2d's directory), C (charon's), NO (ikev2d's namespace),
# CHARON_IP (charon's IKE address).  What check_child expects of the ESP SA
# may be changed per run:
#   ESP_CHARON   charon's algorithm text   (default AES_GCM_16-128)
#   ESP_ENCR     our null backend's encr   (default aes-gcm-16)
#   ESP_KEYLEN   its encr_keylen           (default 128)
#   ESP_MODE     its mode                  (default tunnel)
#   ESP_ESN      its esn                   (default no)

restart_pair() {   # clear both, for the next round
	charon_stop "$C"
	[ -f "$O/daemon.pid" ] && stop_daemon "$O"
	wait_ports_free $NO
	# a sanitizer report of this round must not vanish with its log
	if [ -f "$O/daemon.log" ] &&
	   grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|Segmentation" "$O/daemon.log"; then
		grep -E -A5 "AddressSanitizer|LeakSanitizer|runtime error:" "$O/daemon.log" | head -30
		fail "sanitizer or crash report in ikev2d's log"
	fi
	if [ "$FAILED" != 0 ] || [ "${KEEP:-0}" = 1 ]; then
		# keep the logs of a failed round, or of every round with KEEP=1
		# (cleanup keeps WORK then)
		local keep
		keep=$(mktemp -d "$WORK/round-XXXX")
		mv "$C" "$O" "$keep/" 2>/dev/null
	fi
	rm -rf "$C" "$O"
}

# Both sides agree on one CHILD SA: charon's in = our out and back, and our
# ESP record matches what was negotiated.
check_child() {   # what
	local c_in c_out o_in o_out
	if ! wait_for 15 charon_child_installed "$C"; then
		charon_sas "$C"; show_state "$O" ikev2d
		fail "$1: charon has no INSTALLED CHILD SA"
		return 1
	fi
	if ! wait_for 5 sh -c "[ \$(grep -c '^sa ' '$O/kernel.state') -eq 2 ]"; then
		show_state "$O" ikev2d
		fail "$1: ikev2d did not record one CHILD SA (2 SAs)"
		return 1
	fi
	c_in=$(charon_child_spis "$C" in); c_out=$(charon_child_spis "$C" out)
	o_in=$(sa_spis "$O" in); o_out=$(sa_spis "$O" out)
	[ "$c_in" = "$o_out" ] && [ "$c_out" = "$o_in" ] || {
		charon_sas "$C"; show_state "$O" ikev2d
		fail "$1: SPIs differ: charon in=$c_in out=$c_out, ikev2d in=$o_in out=$o_out"
		return 1
	}
	charon_child_line "$C" | grep -q "ESP:${ESP_CHARON:-AES_GCM_16-128}" ||
		fail "$1: charon's ESP algorithm: $(charon_child_line "$C")"
	[ "$(sa_field "$O" out encr | sort -u)" = "${ESP_ENCR:-aes-gcm-16}" ] &&
	[ "$(sa_field "$O" out encr_keylen | sort -u)" = "${ESP_KEYLEN:-128}" ] ||
		fail "$1: ikev2d's ESP algorithm: $(sa_field "$O" out encr) $(sa_field "$O" out encr_keylen)"
	[ "$(sa_field "$O" out mode | sort -u)" = "${ESP_MODE:-tunnel}" ] &&
	[ "$(sa_field "$O" in mode | sort -u)" = "${ESP_MODE:-tunnel}" ] ||
		fail "$1: ikev2d's SA mode: $(sa_field "$O" out mode) (expected ${ESP_MODE:-tunnel})"
	[ "$(sa_field "$O" out esn | sort -u)" = "${ESP_ESN:-no}" ] &&
	[ "$(sa_field "$O" in esn | sort -u)" = "${ESP_ESN:-no}" ] ||
		fail "$1: ikev2d's SA esn: $(sa_field "$O" out esn) (expected ${ESP_ESN:-no})"
	# libipsec always encapsulates: so must we, on port 4500
	[ "$(sa_field "$O" out encap | sort -u)" = yes ] ||
		fail "$1: ikev2d did not use UDP encapsulation towards libipsec"
	[ "$(sa_field "$O" out dst | sort -u)" = "$CHARON_IP[4500]" ] ||
		fail "$1: outbound SA destination $(sa_field "$O" out dst)"
	log "$1: CHILD SA charon in $c_in / out $c_out = ikev2d out / in"
}

check_ike() {   # what charon-alg-line [ikev2d-alg-name]
	if ! wait_for 15 charon_ike_established "$C"; then
		charon_sas "$C"; tail -30 "$O/daemon.log"
		fail "$1: charon has no ESTABLISHED IKE SA"
		return 1
	fi
	local algs spis line
	algs=$(charon_ike_algs "$C")
	[ "$algs" = "$2" ] || fail "$1: charon reports $algs, expected $2"
	spis=$(charon_ike_spis "$C")
	log "$1: IKE SA $spis $algs"
	# ikev2d's own account: the same SPIs on its "IKE SA established" line,
	# with the algorithms it negotiated
	if wait_for 5 sh -c "grep -i 'IKE SA established' '$O/daemon.log' | grep '${spis% *}' | grep -q '${spis#* }'"; then
		line=$(grep -i 'IKE SA established' "$O/daemon.log" | grep "${spis% *}" | tail -1)
		log "$1: ikev2d: ${line#* op }"
		if [ -n "${3:-}" ]; then
			case $line in *" $3,"*|*" $3 "*) ;; *) fail "$1: ikev2d reports other IKE algorithms than $3" ;; esac
		fi
	else
		fail "$1: ikev2d logged no established IKE SA with charon's SPIs $spis"
	fi
}

both_empty() {
	[ -z "$(charon_ike_state "$C")" ] && [ "$(sa_count "$O")" -eq 0 ]
}

# check_keys_memory DIR KPID: the keys process's private keys' memory is
# locked (HACKING.md, "The keys process"): every resident page of every
# private writable mapping (heap, where GnuTLS, GMP and a PKCS#11 module
# keep keys, anonymous memory, stacks, libraries' data) is locked, within
# this machine's RLIMIT_MEMLOCK (8 MiB here and systemd's default; the unit
# gives 64M), and the process is not dumpable (/proc/PID is root's).
check_keys_memory() {
	local vmlck hrss hlck wrss wlck unl
	if grep -q "built with sanitizers" "$1/daemon.log"; then
		log "keys process memory lock not checked: sanitizer build (its shadow memory exceeds any limit)"
	else
		vmlck=$(sed -n 's/^VmLck:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$2/status)
		read -r hrss hlck wrss wlck unl <<< "$(awk '
			/^[0-9a-f]+-[0-9a-f]+ /{w=($2 ~ /^.w.p/); h=($NF=="[heap]"); name=$1" "$NF}
			/^Rss:/{rss=$2}
			/^Locked:/{ if (h) {hr+=rss; hl+=$2} if (w) {wr+=rss; wl+=$2; if ($2<rss) u=u","name} }
			END{print hr+0, hl+0, wr+0, wl+0, (u==""?"-":u)}' /proc/$2/smaps)"
		if grep -q "keys process: cannot lock" "$1/daemon.log"; then
			fail "the keys process could not lock its memory: $(grep -m1 'keys process: cannot lock' "$1/daemon.log")"
		elif [ "${vmlck:-0}" -eq 0 ] || [ "$hrss" -eq 0 ] || [ "$hlck" -ne "$hrss" ]; then
			fail "the keys process's heap is not locked: VmLck ${vmlck:-?} kB, heap Rss $hrss kB, Locked $hlck kB"
		elif [ "$wlck" -ne "$wrss" ]; then
			fail "the keys process has unlocked writable memory: Rss $wrss kB, Locked $wlck kB (unlocked in $unl)"
		else
			log "keys process memory: every writable page locked (heap $hrss kB, all writable $wrss kB resident; VmLck $vmlck kB; RLIMIT_MEMLOCK $(ulimit -l) KiB)"
		fi
	fi
	[ "$(stat -c %u /proc/$2)" = 0 ] || fail "the keys process is dumpable (/proc/$2 is $(stat -c %U /proc/$2)'s)"
}
