# testing/bench/crypto*: the nettle plugin's speed next to raw Nettle/GMP
# (a program and a script; not part of make check).  Run:
#   testing/bench/crypto_bench.sh [seconds-per-round] [rounds] [filter]
if ENABLE_NETTLE
noinst_PROGRAMS += testing/bench/crypto_bench
testing_bench_crypto_bench_SOURCES = testing/bench/crypto_bench.c \
	plugins/nettle/nettle_mac.c plugins/nettle/nettle_modp_params.c
testing_bench_crypto_bench_CFLAGS = $(AM_CFLAGS) $(NETTLE_CFLAGS) $(PIE_CFLAGS)
testing_bench_crypto_bench_LDFLAGS = $(PIE_LDFLAGS)
testing_bench_crypto_bench_LDADD = libikev2d.la $(NETTLE_LIBS) $(GMP_LIBS)
endif
dist_noinst_SCRIPTS += testing/bench/crypto_bench.sh
# ESP in user space (kernel-userspace) against charon's libipsec, with this
# crypto floor in the same run (as root):  testing/bench/userspace-bench.sh
dist_noinst_SCRIPTS += testing/bench/userspace-bench.sh
