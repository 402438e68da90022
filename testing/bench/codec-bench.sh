#!/bin/sh
# Codec benchmark (not a test): messages/s on one core for parse and
# generate of a typical IKE_SA_INIT and IKE_AUTH request.
#   testing/bench/codec-bench.sh [SECONDS_PER_CASE]   (from the build dir)
# Pinned to one CPU with taskset when available.
bin=${top_builddir:-.}/testing/bench/codec_bench
[ -x "$bin" ] || { echo "build first: make testing/bench/codec_bench" >&2; exit 1; }
if command -v taskset >/dev/null 2>&1; then
	exec taskset -c 0 "$bin" "$@"
fi
exec "$bin" "$@"
