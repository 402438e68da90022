#!/bin/sh
# With configure --enable-fuzzers, make check builds the libFuzzer targets
# with clang and fuzzes each for a few seconds (CI runs run-fuzz.sh longer).
command -v clang >/dev/null 2>&1 || { echo "SKIP: clang not found"; exit 77; }
exec "$top_srcdir/testing/fuzz/run-fuzz.sh" "${CODEC_FUZZ_SECONDS:-20}"
