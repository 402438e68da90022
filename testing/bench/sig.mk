# testing/bench/sig: signature benchmark (cred.h + gnutls plugin vs raw
# GnuTLS).  Built by `make`, never run by `make check`; see sig_bench.c.
if ENABLE_GNUTLS
noinst_PROGRAMS += testing/bench/sig_bench
testing_bench_sig_bench_SOURCES = testing/bench/sig_bench.c
testing_bench_sig_bench_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
testing_bench_sig_bench_LDADD = libikev2d.la $(GNUTLS_LIBS)
endif
