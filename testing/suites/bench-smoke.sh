#!/bin/sh
# bench-smoke: the IKE SA load benchmark at N=200 (testing/bench/run-load.sh):
# our initiator against our responder and, when strongSwan is installed,
# against charon; passes when every run establishes all 200 IKE SAs and their
# CHILD SAs.  The figures it prints are not judged (a smoke run is too short).
exec "$(dirname "$0")/../bench/run-load.sh" "${BENCH_SMOKE_N:-200}"
