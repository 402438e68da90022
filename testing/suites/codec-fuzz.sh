#!/bin/sh
# codec-fuzz: the codec's libFuzzer targets (message parsing with SK inner
# chains, fragment reassembly) for a bounded time, seeded with the committed
# corpus and ../shared/vectors/fuzz (see testing/fuzz/run-fuzz.sh).
exec "$(dirname "$0")/../fuzz/run-fuzz.sh" "${CODEC_FUZZ_SECONDS:-120}"
