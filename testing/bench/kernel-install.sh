#!/bin/bash
# kernel-install.sh - CHILD SA install rate into a real kernel (issue 9's
# benchmark): in the qemu guest (testing/guest, a Debian kernel with ESP
# and PF_KEY), testing/bench/run-load.sh opens N IKE SAs with one CHILD SA
# each (default 10,000) against
#   ours:      ikev2d-load -r installing every CHILD SA (two SAs, three
#              policies) through kernel-pfkey (KERNEL=pfkey, the default)
#              or kernel-netlink (KERNEL=netlink)
#   charon-nl: Debian's charon with its kernel-netlink plugin, installing
#              its CHILD SAs into the same guest kernel
# one after the other in the same boot, and prints run-load.sh's table
# (rates, CPU per SA on each side, the SAs counted in the responder's
# kernel at the end).  Our initiator stays on the null backend.
#
#   sudo testing/bench/kernel-install.sh [N]
#   sudo KERNEL=netlink testing/bench/kernel-install.sh 10000
#
# Environment: KERNEL (pfkey|netlink), RESPONDERS (default "ours
# charon-nl"), WINDOW, THREADS, GUEST_MEM (default 1536M), OUT=FILE (the
# table appended), and testing/guest/run.sh's.  Needs a configured build
# tree ($top_builddir, else ./build).  Not a test: 0 when every run
# established all N with 2N SAs in the kernel, 1 otherwise, 77 when the
# guest cannot be had.  Under TCG (no KVM) a run of 10,000 takes minutes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)

if [ "$(hostname)" = guest ] && [ -d /run/guest-io ]; then
	# inside: the work of run-load.sh, with the build given from outside
	export BUILD=$top_builddir
	export KERNEL=${GUEST_BENCH_KERNEL:-pfkey}
	export RESPONDERS=${GUEST_BENCH_RESPONDERS:-ours charon-nl}
	[ -n "${GUEST_BENCH_WINDOW:-}" ] && export WINDOW=$GUEST_BENCH_WINDOW
	[ -n "${GUEST_BENCH_THREADS:-}" ] && export THREADS=$GUEST_BENCH_THREADS
	export TIMEOUT=3000
	bash "$here/run-load.sh" "${1:-10000}"
	rc=$?
	# the guest's files go with it: show why a run failed
	for f in /tmp/bench-load-*/*.log /tmp/bench-load-*/*.report; do
		[ "$rc" = 0 ] || { echo "== $f"; tail -n 15 "$f"; }
	done 2> /dev/null
	exit "$rc"
fi

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export top_srcdir=${top_srcdir:-$srcdir}
export top_builddir=${top_builddir:-$srcdir/build}
[ -f "$top_builddir/Makefile" ] || { echo "no build tree in $top_builddir (configure one, or set top_builddir)"; exit 2; }
# built here: the guest's root is read-only
make -C "$top_builddir" -j2 testing/bench/load/ikev2d-load plugins/nettle/nettle.la \
	plugins/psk/psk.la kernel-backends/null/kernel-null.la \
	kernel-backends/pfkey/kernel-pfkey.la kernel-backends/netlink/kernel-netlink.la \
	> /dev/null || { echo "build failed"; exit 1; }
# passed into the guest (run.sh forwards IKEV2D_* and GUEST_*)
export GUEST_BENCH_KERNEL=${KERNEL:-pfkey}
[ -n "${RESPONDERS:-}" ] && export GUEST_BENCH_RESPONDERS=$RESPONDERS
[ -n "${WINDOW:-}" ] && export GUEST_BENCH_WINDOW=$WINDOW
[ -n "${THREADS:-}" ] && export GUEST_BENCH_THREADS=$THREADS
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$srcdir/testing/guest/run.sh" -t "${GUEST_TIMEOUT:-3600}" -m "${GUEST_MEM:-1536M}" \
	"$here/kernel-install.sh" "${1:-10000}" | tee "$out"
rc=${PIPESTATUS[0]}
[ -n "${OUT:-}" ] && sed -n '/^IKE SA load:/,/^initiator CPU/p' "$out" >> "$OUT"
exit "$rc"
