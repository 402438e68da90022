# testing/bench/load: the IKE SA load benchmark (issue 5, "Performance"):
# ikev2d-load (initiator and responder on the engine) and run-load.sh,
# which runs it ours-vs-ours and ours-vs-charon in network namespaces.
# Not part of make check (a timed run); testing/suites/bench-smoke.sh is
# the small functional version that is.  Run:
#   testing/bench/run-load.sh [N]
noinst_PROGRAMS += testing/bench/load/ikev2d-load
testing_bench_load_ikev2d_load_SOURCES = testing/bench/load/ikev2d-load.c
testing_bench_load_ikev2d_load_LDADD = libikev2d.la $(PTHREAD_LIBS)
testing_bench_load_ikev2d_load_LDFLAGS = -no-install
dist_noinst_SCRIPTS += testing/bench/run-load.sh testing/suites/bench-smoke.sh \
	testing/bench/cert-bench.sh
EXTRA_DIST += testing/bench/RESULTS.md
