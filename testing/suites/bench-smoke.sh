#!/bin/sh
# bench-smoke: the IKE SA load benchmark at N=200 (testing/bench/run-load.sh):
# our initiator against our responder and, when strongSwan is installed,
# against charon; passes when every run establishes all 200 IKE SAs and their
# CHILD SAs.  Then once more with daemon.ke_reuse_secs on both of our sides
# (Diffie-Hellman reuse: many IKE SAs from one key per worker, ours and
# charon as the responder).  The figures it prints are not judged (a smoke
# run is too short).
bench="$(dirname "$0")/../bench/run-load.sh"
n=${BENCH_SMOKE_N:-200}
"$bench" "$n" || exit $?
KE_REUSE=30 "$bench" "$n"
