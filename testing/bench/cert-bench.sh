#!/bin/bash
# cert-bench.sh [N] - issue 10's benchmark: IKE SA handshakes with
# certificates, RSA-2048 and ECDSA P-256 end entities (one ECDSA P-256 CA),
# ours vs charon as responder, interleaved in the same run, next to the
# crypto floor measured in that run on the responder's core.
#
#   cd build && sudo ../testing/bench/cert-bench.sh [N]
#
# What is measured is the responder: our load generator (run-load.sh's
# ikev2d-load) runs on its own core (INIT_CPU, default 0), the responder
# (ours or charon, every thread) on another (RESP_CPU, default 1), and the
# initiator is made much cheaper per SA than either responder:
#   mixed  (default)  mixed authentication (RFC 7296 §2.15): the initiator
#          authenticates with the pre-shared key and only verifies the
#          responder's certificate and AUTH; the responder signs once and
#          verifies nothing.  Crypto floor per responder SA: one sign with
#          its key, one ECP-256 Diffie-Hellman (key pair + shared secret).
#   full   signatures both ways, as the issue's figures describe: the
#          responder also verifies the initiator's AUTH (the peer's key) and
#          its certificate (the CA's P-256 signature), so the floor adds two
#          verifications.  Our initiator then signs too, so the rate is
#          bounded by it: read the CPU columns.
# In both, our initiator reuses its Diffie-Hellman value (INIT_KE_REUSE=60,
# RFC 7296 §2.12); the responders make a fresh one for every SA.
#
# Each ROUND (default 2) runs, per mode and key type, ours then charon, the
# next round charon then ours, so the machine's load falls on both alike.
# The floor comes from sig_bench (our plugins, thread CPU time) and
# crypto_bench (ke ecp256), pinned to RESP_CPU, at the start and again at
# the end (the table uses the mean); `openssl speed` (OpenSSL, what charon
# signs with, user CPU time) beside it.  Columns:
#   SA/s        handshakes per second (noisy on a shared machine)
#   us/SA       the responder's CPU time per SA (/proc/PID/stat)
#   cap ratio   charon's us/SA / ours: how many times more SAs per CPU-second
#               our responder completes - the rate ratio when the responders
#               are CPU-bound on equal cores
#   /floor      our us/SA over the floor
#   init us/SA  our initiator's CPU per SA in that run (it bounds the rate
#               when it is not far below the responder's)
#
# Environment: MODES (default "mixed full"), ROUNDS (2), WINDOW (100),
# INIT_CPU (0), RESP_CPU (1), SIG_SECS (0.2 s per sig_bench measurement),
# OUT=FILE (append the tables), and run-load.sh's (THREADS, KEEP, PROFILE).
# Not a test: exit 0 when every run established all N SAs.  Needs root,
# strongSwan for the charon column.
set -u
N=${1:-3000}
MODES=${MODES:-mixed full}
ROUNDS=${ROUNDS:-2}
export WINDOW=${WINDOW:-100}
export INIT_CPU=${INIT_CPU:-0} RESP_CPU=${RESP_CPU:-1} INIT_KE_REUSE=${INIT_KE_REUSE:-60}
case $N$ROUNDS in *[!0-9]*) echo "usage: [ROUNDS=R] $0 [N]" >&2; exit 2 ;; esac
for m in $MODES; do
	case $m in mixed|full) ;; *) echo "MODES: mixed and/or full" >&2; exit 2 ;; esac
done
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(pwd)}
build=$(cd "$build" && pwd)
export top_builddir=$build top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ "$(nproc)" -ge 2 ] || { echo "SKIP: needs two cores (initiator and responder pinned apart)"; exit 77; }
make -C "$build" -j2 testing/bench/sig_bench testing/bench/crypto_bench > /dev/null 2>&1 ||
	{ echo "cannot build sig_bench/crypto_bench in $build"; exit 1; }
out=$(mktemp -d /tmp/cert-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
pin=(taskset -c "$RESP_CPU")

# floor TAG: sig_bench, crypto_bench and openssl speed into $out/TAG.*
floor() {
	IKEV2D_PLUGIN_PATH=$build/plugins/nettle/.libs:$build/plugins/gnutls/.libs \
		"${pin[@]}" "$build/testing/bench/sig_bench" "${SIG_SECS:-0.2}" \
		> "$out/$1.sig" 2>&1 || { cat "$out/$1.sig"; exit 1; }
	(cd "$build" && "${pin[@]}" sh "$here/crypto_bench.sh" 0.2 3 "ke ecp256") \
		> "$out/$1.ke" 2>&1 || { cat "$out/$1.ke"; exit 1; }
	"${pin[@]}" openssl speed -seconds 1 rsa2048 ecdsap256 ecdhp256 \
		> "$out/$1.ossl" 2> /dev/null || : > "$out/$1.ossl"
}
# sig TAG KEY SCHEME COLUMN(sign|verify): ops/s through our plugin
sig() {
	awk -v k="$2" -v s="$3" -v c="$4" '
		index($0, k) == 1 && $0 ~ (" " s " ") {
			sub("^" k " *", ""); n = split($0, f, " +")
			print (c == "sign") ? f[2] : f[5]; exit }' "$out/$1.sig"
}
ke() { awk '$1 == "ke" && $2 == "ecp256" { print $3; exit }' "$out/$1.ke"; }
# ossl TAG WHAT(rsa|ecdsa|ecdh) COLUMN(1|2): OpenSSL's ops/s (sign, verify; ecdh: op/s)
ossl() {
	awk -v w="$2" -v c="$3" '
		w == "rsa" && $1 == "rsa" && $2 == "2048" { print (c == 1) ? $(NF-1) : $NF; exit }
		w == "ecdsa" && /ecdsa \(nistp256\)/ { print (c == 1) ? $(NF-1) : $NF; exit }
		w == "ecdh" && /ecdh \(nistp256\)/ { print $NF; exit }' "$out/$1.ossl"
}
# mean A B: of two rates
mean() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.0f", (a + b) / 2; else if (a > 0) print a; else print b }'; }
# us RATE...: the sum of 1e6/RATE in µs
us() { awk 'BEGIN { s = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] + 0 <= 0) { print "-"; exit } s += 1e6 / ARGV[i] } printf "%.0f", s }' "$@"; }

echo "== crypto floor before the runs (CPU $RESP_CPU)"
floor pre
load_pre=$(cut -d' ' -f1-3 /proc/loadavg)

status=0
rows=()
for round in $(seq 1 "$ROUNDS"); do
	order="ours charon"
	[ $((round % 2)) = 0 ] && order="charon ours"
	for mode in $MODES; do
		init_auth=
		[ "$mode" = mixed ] && init_auth=psk
		for a in rsa p256; do
			f=$out/$mode-$a-$round.txt
			echo "== round $round, $mode, $a: $order"
			AUTH=$a INIT_AUTH=$init_auth RESPONDERS=$order bash "$here/run-load.sh" "$N" > "$f" 2>&1 || status=1
			sed -n '/^IKE SA load/,/^IKE SAs\/s overall/p' "$f"
			# the table's columns follow $order
			col() {
				awk -v l="$1" -v o="$order" -v r="$2" 'index($0, l) == 1 {
					split(o, n, " "); c = (n[1] == r) ? NF - 1 : NF; print $c; exit }' "$f"
			}
			rows+=("$mode|$a|$round|$(col "IKE SAs/s overall" ours)|$(col "IKE SAs/s overall" charon)|$(col "responder CPU us/SA" ours)|$(col "responder CPU us/SA" charon)|$(col "initiator CPU us/SA" ours)|$(col "initiator CPU us/SA" charon)|$(sed -n 's/^machine: .*load average \([0-9.]*\).*/\1/p' "$f")")
		done
	done
done

echo "== crypto floor after the runs (CPU $RESP_CPU)"
floor post

# The floor per mode and key type, from the mean of both measurements.
declare -A FL OFL
ca_v=$(mean "$(sig pre "ECDSA P-256" ecdsa-sha256-der verify)" "$(sig post "ECDSA P-256" ecdsa-sha256-der verify)")
dh=$(mean "$(ke pre)" "$(ke post)")
o_dh=$(mean "$(ossl pre ecdh 1)" "$(ossl post ecdh 1)")
for a in rsa p256; do
	case $a in
	rsa) k="RSA-2048" s=rsa-pkcs1-sha256 ow=rsa ;;
	p256) k="ECDSA P-256" s=ecdsa-sha256-der ow=ecdsa ;;
	esac
	sg=$(mean "$(sig pre "$k" $s sign)" "$(sig post "$k" $s sign)")
	vf=$(mean "$(sig pre "$k" $s verify)" "$(sig post "$k" $s verify)")
	osg=$(mean "$(ossl pre $ow 1)" "$(ossl post $ow 1)")
	ovf=$(mean "$(ossl pre $ow 2)" "$(ossl post $ow 2)")
	FL[mixed-$a]=$(us "$sg" "$dh") FL[full-$a]=$(us "$sg" "$vf" "$ca_v" "$dh")
	OFL[mixed-$a]=$(us "$osg" "$o_dh") OFL[full-$a]=$(us "$osg" "$ovf" "$(mean "$(ossl pre ecdsa 2)" "$(ossl post ecdsa 2)")" "$o_dh")
	printf '%-12s ours (Nettle via GnuTLS/our plugins): sign/s %s verify/s %s | OpenSSL: sign/s %s verify/s %s\n' \
		"$k" "$sg" "$vf" "${osg:--}" "${ovf:--}"
done
printf '%-12s ours: verify/s %s (the CA) | ECP-256 DH ours %s/s, OpenSSL ECDH %s/s\n' "P-256 CA" "$ca_v" "$dh" "${o_dh:--}"

table() {
	echo
	echo "== certificates, responder on CPU $RESP_CPU, initiator on CPU $INIT_CPU, N=$N, window $WINDOW, rounds $ROUNDS, $(date -u '+%F %T UTC'), commit $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "load average at start $load_pre, at end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "floor us/SA (ours = Nettle, what our responder must compute; OpenSSL = the same operations with charon's library):"
	for m in $MODES; do
		for a in rsa p256; do
			printf '  %-6s %-5s ours %6s   OpenSSL %6s\n' "$m" "$a" "${FL[$m-$a]}" "${OFL[$m-$a]:--}"
		done
	done
	printf '%-6s %-5s %2s %5s %9s %9s %6s %9s %9s %6s %7s %7s %7s %7s\n' mode auth r load \
		"ours SA/s" "charon" ratio "ours us" "charon us" "cap" floor "/floor" "init-o" "init-c"
	for r in "${rows[@]}"; do
		IFS='|' read -r m a rd orate crate ocpu ccpu oi ci ld <<< "$r"
		awk -v m="$m" -v a="$a" -v rd="$rd" -v or="$orate" -v cr="$crate" -v oc="$ocpu" \
			-v cc="$ccpu" -v f="${FL[$m-$a]}" -v oi="$oi" -v ci="$ci" -v ld="$ld" 'BEGIN {
			ratio = (cr + 0 > 0) ? sprintf("%.2f", or / cr) : "-"
			cap = (oc + 0 > 0 && cc + 0 > 0) ? sprintf("%.2f", cc / oc) : "-"
			of = (f + 0 > 0 && oc + 0 > 0) ? sprintf("%.2f", oc / f) : "-"
			printf "%-6s %-5s %2s %5s %9s %9s %6s %9s %9s %6s %7s %7s %7s %7s\n",
				m, a, rd, ld, or, cr, ratio, oc, cc, cap, f, of, oi, ci }'
	done
}
table | tee ${OUT:+-a "$OUT"}
exit $status
