#!/bin/sh
# Build the codec's libFuzzer targets with clang, straight from the sources
# (no configure needed):  build-fuzzers.sh [OUTDIR]   (default ./fuzz-build)
# Produces OUTDIR/fuzz_parse, OUTDIR/fuzz_frag, OUTDIR/fuzz_ctl,
# OUTDIR/fuzz_auth, OUTDIR/make_frag_seed, OUTDIR/fuzz_privsep and
# OUTDIR/make_privsep_seed, OUTDIR/fuzz_keys.
set -e
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-fuzz-build}
mkdir -p "$out"
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "build-fuzzers.sh: $CC not found" >&2; exit 77; }
CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
	-I$top/core/include -I$top/core -I$top/testing/codec"
LIBSRC="$top/core/codec/names.c $top/core/codec/message.c $top/core/codec/parse.c
	$top/core/codec/generate.c $top/core/codec/rules.c $top/core/codec/sk.c
	$top/core/codec/fragment.c $top/core/lib/chunk.c $top/core/lib/secmem.c
	$top/core/lib/bus.c $top/testing/codec/samples.c"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
for t in fuzz_parse fuzz_frag; do
	$CC $CFLAGS $SAN $LIBSRC "$here/$t.c" -o "$out/$t" -lpthread
done
$CC $CFLAGS -fsanitize=address,undefined $LIBSRC "$here/make_frag_seed.c" -o "$out/make_frag_seed" -lpthread
# the control socket's request parser (ctl_proto.c stands alone)
$CC $CFLAGS -I$top/plugins/control $SAN "$top/plugins/control/ctl_proto.c" \
	"$here/fuzz_ctl.c" -o "$out/fuzz_ctl"
# RFC 7427 AUTH data and DER/text DNs (what the core parses of a peer's
# authentication; X.509 itself is GnuTLS's)
$CC $CFLAGS $SAN "$top/core/cred/sig_algid.c" "$top/core/cred/der.c" \
	"$top/core/config/dn.c" "$top/core/lib/chunk.c" "$top/core/lib/secmem.c" \
	"$top/core/lib/bus.c" "$here/fuzz_auth.c" -o "$out/fuzz_auth" -lpthread
# The privsep parent's request parser: the codec, the guard and what they
# use of the kernel registry (names, algorithm table) and the log bus.
PSSRC="$top/core/kernel/privsep_msg.c $top/core/kernel/privsep_guard.c
	$top/core/kernel/kernel_ipsec.c $top/core/lib/bus.c $top/core/lib/chunk.c
	$top/core/lib/secmem.c $here/privsep_stubs.c"
$CC $CFLAGS $SAN $PSSRC "$here/fuzz_privsep.c" -o "$out/fuzz_privsep" -lpthread
$CC $CFLAGS -fsanitize=address,undefined $PSSRC "$here/make_privsep_seed.c" \
	-o "$out/make_privsep_seed" -lpthread
# The keys process's request parser and the checks of what it signs.
$CC $CFLAGS $SAN "$top/core/cred/keys_msg.c" "$top/core/cred/cred_names.c" \
	"$here/fuzz_keys.c" -o "$out/fuzz_keys"
echo "built $out/fuzz_keys $out/fuzz_parse $out/fuzz_frag $out/fuzz_ctl $out/fuzz_auth $out/make_frag_seed $out/fuzz_privsep $out/make_privsep_seed"
