# testing/bench/codec*: the codec benchmark (built by make, run by hand with
# testing/bench/codec-bench.sh; not a test).
noinst_PROGRAMS += testing/bench/codec_bench
testing_bench_codec_bench_SOURCES = testing/bench/codec_bench.c \
	testing/codec/samples.c testing/codec/samples.h
testing_bench_codec_bench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testing/codec
testing_bench_codec_bench_LDADD = libikev2d.la
EXTRA_DIST += testing/bench/codec-bench.sh
