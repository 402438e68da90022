#!/bin/sh
# Codec benchmark (not a test): parse and generate of a typical IKE_SA_INIT
# and IKE_AUTH request, on one core.  Run from the build directory:
#   testing/bench/codec-bench.sh [SECONDS_PER_CASE]
#       messages per second of CPU time (pinned to CPU 0 with taskset)
#   testing/bench/codec-bench.sh --instructions [N]
#       instructions per message counted by valgrind's callgrind over N
#       runs of each case (default 20000): repeatable on a busy machine
top_builddir=${top_builddir:-.}
bin=$top_builddir/testing/bench/codec_bench
[ -x "$bin" ] || { echo "build first: make testing/bench/codec_bench" >&2; exit 1; }
if [ "${1:-}" = --instructions ]; then
	n=${2:-20000}
	out=$(mktemp "${TMPDIR:-/tmp}/codec-callgrind.XXXXXX")
	"$top_builddir/libtool" --mode=execute valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$bin" -n "$n" >/dev/null 2>&1 ||
		{ echo "valgrind failed" >&2; rm -f "$out"; exit 1; }
	callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
	awk -v n="$n" '
		/codec_bench.c:(parse_init|generate_init|parse_auth|generate_auth) / {
			gsub(",", "", $1); f = $3; sub(/.*:/, "", f)
			if ($3 !~ /codec_bench\.c:/) next
			if (!(f in seen)) { seen[f] = 1; printf "%-16s %8.0f instructions/msg\n", f, $1 / n }
		}'
	rm -f "$out"
	exit 0
fi
if command -v taskset >/dev/null 2>&1; then
	exec taskset -c 0 "$bin" "$@"
fi
exec "$bin" "$@"
