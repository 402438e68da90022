#!/bin/sh
# Run the codec fuzzers, the control request parser's, the AUTH verifier's
# and the privsep parent's request parser's for a bounded time (CI):
#   run-fuzz.sh [SECONDS] [--merge]
# SECONDS (default 120) is split between the six targets (parse, frag,
# ctl, auth, privsep, keys).  Seeds: the
# committed corpus (testing/fuzz/corpus/), plus ../shared/vectors/fuzz/seeds
# when present, with its dictionary.  Fails if a target crashes, leaks or
# trips a sanitizer (the reproducer is left in the work directory and
# printed).  With --merge, new inputs that add coverage are merged into the
# committed corpus (minimised by libFuzzer's -merge=1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-120}
merge=${2:-}
shared=${IKEV2D_SHARED:-$top/../shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/codec-fuzz.XXXXXX")
"$here/build-fuzzers.sh" "$work/bin" || exit $?

dict=
[ -f "$shared/vectors/fuzz/ikev2_rfc7296.dict" ] && dict="-dict=$shared/vectors/fuzz/ikev2_rfc7296.dict"

# parse target: committed corpus + shared seeds; the SK plaintext seeds get
# their first payload type (the SK header's next payload of the message
# they came from) prepended, as fuzz_parse expects.
mkdir -p "$work/parse" "$work/frag" "$work/ctl" "$work/auth" "$work/privsep" "$work/keys"
cp "$here/corpus/keys/"* "$work/keys/" 2>/dev/null
cp "$here/corpus/privsep/"* "$work/privsep/" 2>/dev/null
cp "$here/corpus/parse/"* "$work/parse/" 2>/dev/null
cp "$here/corpus/frag/"* "$work/frag/" 2>/dev/null
cp "$here/corpus/ctl/"* "$work/ctl/" 2>/dev/null
cp "$here/corpus/auth/"* "$work/auth/" 2>/dev/null
if [ -d "$shared/vectors/fuzz/seeds" ]; then
	for f in "$shared"/vectors/fuzz/seeds/*/*.bin; do
		case $f in
		*_inner_plaintext.bin)
			outer=${f%_inner_plaintext.bin}.bin
			first=$(od -An -tu1 -j28 -N1 "$outer" | tr -d ' ')
			{ printf "\\$(printf %o "$first")"; cat "$f"; } >"$work/parse/inner-$(basename "$f")";;
		*) cp "$f" "$work/parse/";;
		esac
	done
fi
"$work/bin/make_frag_seed" "$work/frag" || exit 1

status=0
half=$((secs / 6))
for t in parse frag ctl auth privsep keys; do
	mkdir -p "$work/new-$t" "$work/art-$t"
	echo "== fuzz_$t for ${half}s"
	(cd "$work/art-$t" && "$work/bin/fuzz_$t" $dict -max_len=4096 -max_total_time=$half \
		-print_final_stats=1 -artifact_prefix="$work/art-$t/" \
		"$work/new-$t" "$work/$t") >"$work/fuzz_$t.log" 2>&1
	rc=$?
	tail -15 "$work/fuzz_$t.log"
	if [ $rc -ne 0 ]; then
		echo "FAIL: fuzz_$t exited with $rc; reproducers:"; ls -l "$work/art-$t"
		status=1
	elif [ "$merge" = --merge ]; then
		"$work/bin/fuzz_$t" -merge=1 "$here/corpus/$t" "$work/new-$t" "$work/$t" \
			>"$work/merge_$t.log" 2>&1 && tail -1 "$work/merge_$t.log"
	fi
done
if [ $status -eq 0 ]; then
	rm -rf "$work"
else
	echo "work directory kept: $work"
fi
exit $status
