#!/bin/bash
# cert-bench.sh [N] - issue 10's benchmark: IKE SA handshakes with
# certificates, RSA-2048 and ECDSA P-256 end entities (one ECDSA P-256 CA),
# ours vs charon as responder in the same run (run-load.sh AUTH=rsa|p256,
# N SAs each, default 1000), next to the crypto floor measured in the same
# run: what a responder must compute per SA - one signature with its key,
# one verification of the peer's certificate (the CA's ECDSA P-256
# signature), one of the peer's AUTH with the peer's key, one ECP-256
# Diffie-Hellman (key pair + shared secret) - from testing/bench/sig_bench
# and crypto_bench (thread CPU, best of 3).
#
#   cd build && sudo ../testing/bench/cert-bench.sh [N]
#
# Environment as run-load.sh (WINDOW, THREADS, KEEP); SIG_SECS (default
# 0.2) per sig_bench measurement.  Not a test: exit 0 when every run
# established all N SAs.  Needs root, strongSwan for the charon column.
set -u
N=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
build=${top_builddir:-$(pwd)}
build=$(cd "$build" && pwd)
export top_builddir=$build top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
make -C "$build" -j2 testing/bench/sig_bench testing/bench/crypto_bench > /dev/null 2>&1 ||
	{ echo "cannot build sig_bench/crypto_bench in $build"; exit 1; }
out=$(mktemp -d /tmp/cert-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "== crypto floor (sig_bench ${SIG_SECS:-0.2} s, crypto_bench ke ecp256)"
IKEV2D_PLUGIN_PATH=$build/plugins/nettle/.libs:$build/plugins/gnutls/.libs "$build/testing/bench/sig_bench" "${SIG_SECS:-0.2}" \
	> "$out/sig.txt" 2>&1 || { cat "$out/sig.txt"; exit 1; }
(cd "$build" && sh "$here/crypto_bench.sh" 0.2 3 "ke ecp256") > "$out/ke.txt" 2>&1 ||
	{ cat "$out/ke.txt"; exit 1; }
# sig KEY SCHEME COLUMN(sign|verify): ops/s through our plugin
sig() {
	awk -v k="$1" -v s="$2" -v c="$3" '
		index($0, k) == 1 && $0 ~ (" " s " ") {
			sub("^" k " *", ""); n = split($0, f, " +")
			print (c == "sign") ? f[2] : f[5]; exit }' "$out/sig.txt"
}
ke=$(awk '$1 == "ke" && $2 == "ecp256" { print $3; exit }' "$out/ke.txt")
ca_verify=$(sig "ECDSA P-256" ecdsa-sha256-der verify)
echo "ECDSA P-256 verify/s (the CA's signature): $ca_verify; ECP-256 DH/s: $ke"

status=0
rows=()
for a in rsa p256; do
	case $a in
	rsa) k="RSA-2048" s=rsa-pkcs1-sha256 ;;
	p256) k="ECDSA P-256" s=ecdsa-sha256-der ;;
	esac
	sign=$(sig "$k" $s sign) verify=$(sig "$k" $s verify)
	floor=$(awk -v a="$sign" -v b="$verify" -v c="$ca_verify" -v d="$ke" \
		'BEGIN { if (a > 0 && b > 0 && c > 0 && d > 0) printf "%.0f", 1e6/a + 1e6/b + 1e6/c + 1e6/d; else print "-" }')
	echo "== $a: $k sign/s $sign, verify/s $verify: crypto floor $floor us per responder SA"
	AUTH=$a RESPONDERS="ours charon" bash "$here/run-load.sh" "$N" > "$out/$a.txt" 2>&1 || status=1
	sed -n '/^IKE SA load/,$p' "$out/$a.txt"
	# the table's columns: ours, charon
	row() { awk -v l="$1" 'index($0, l) == 1 { print $(NF-1), $NF; exit }' "$out/$a.txt"; }
	read -r o_rate c_rate <<< "$(row "IKE SAs/s overall")"
	read -r o_cpu c_cpu <<< "$(row "responder CPU us/SA")"
	read -r o_icpu c_icpu <<< "$(row "initiator CPU us/SA")"
	rows+=("$a|$k|${o_rate:--}|${c_rate:--}|${o_cpu:--}|${c_cpu:--}|$floor|${o_icpu:--}|${c_icpu:--}")
done

echo
echo "== certificates: ours vs charon (responder), N=$N, $(date -u '+%F %T UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
# "max ratio": both runs share the 2 cores with the same initiator (ours),
# so when CPU-bound the rate ratio cannot exceed
# (initiator + charon's responder CPU) / (initiator + our responder CPU),
# however cheap our responder gets.
printf '%-14s %10s %10s %8s %12s %12s %12s %10s %10s\n' auth "ours SA/s" "charon" "ratio" "ours us/SA" "charon us/SA" "floor us/SA" "ours/floor" "max ratio"
for r in "${rows[@]}"; do
	IFS='|' read -r a k orate crate ocpu ccpu floor oicpu cicpu <<< "$r"
	awk -v k="$k" -v or="$orate" -v cr="$crate" -v oc="$ocpu" -v cc="$ccpu" -v f="$floor" \
		-v oi="$oicpu" -v ci="$cicpu" 'BEGIN {
		ratio = (cr + 0 > 0) ? sprintf("%.2f", or / cr) : "-"
		of = (f + 0 > 0 && oc + 0 > 0) ? sprintf("%.2f", oc / f) : "-"
		mr = (oi + oc > 0 && ci + cc > 0) ? sprintf("%.2f", (ci + cc) / (oi + oc)) : "-"
		printf "%-14s %10s %10s %8s %12s %12s %12s %10s %10s\n", k, or, cr, ratio, oc, cc, f, of, mr }'
done
exit $status
