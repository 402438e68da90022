# testing/fuzz: libFuzzer targets for the codec (built with clang by
# build-fuzzers.sh, run for a bounded time by run-fuzz.sh) and the corpus
# replay that make check runs with the normal compiler.
check_PROGRAMS += testing/fuzz/replay_parse testing/fuzz/replay_frag testing/fuzz/replay_auth
TESTS += testing/fuzz/replay_parse testing/fuzz/replay_frag testing/fuzz/replay_auth

testing_fuzz_replay_parse_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_parse.c \
	testing/codec/samples.c testing/codec/samples.h
testing_fuzz_replay_parse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testing/codec \
	-DFUZZ_TARGET=\"parse\"
testing_fuzz_replay_parse_LDADD = libikev2d.la

testing_fuzz_replay_frag_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_frag.c \
	testing/codec/samples.c testing/codec/samples.h
testing_fuzz_replay_frag_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testing/codec \
	-DFUZZ_TARGET=\"frag\"
testing_fuzz_replay_frag_LDADD = libikev2d.la

testing_fuzz_replay_auth_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_auth.c
testing_fuzz_replay_auth_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET=\"auth\"
testing_fuzz_replay_auth_LDADD = libikev2d.la

EXTRA_DIST += testing/fuzz/corpus/auth

# The privsep parent's request parser (decode + checks), over its corpus.
check_PROGRAMS += testing/fuzz/replay_privsep
TESTS += testing/fuzz/replay_privsep
testing_fuzz_replay_privsep_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_privsep.c
testing_fuzz_replay_privsep_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET=\"privsep\"
testing_fuzz_replay_privsep_LDADD = libikev2d.la

# The keys process's request parser and signing checks, over its corpus.
check_PROGRAMS += testing/fuzz/replay_keys
TESTS += testing/fuzz/replay_keys
testing_fuzz_replay_keys_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_keys.c
testing_fuzz_replay_keys_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_TARGET=\"keys\"
testing_fuzz_replay_keys_LDADD = libikev2d.la
EXTRA_DIST += testing/fuzz/fuzz_keys.c testing/fuzz/corpus/keys

EXTRA_DIST += testing/fuzz/fuzz_privsep.c testing/fuzz/make_privsep_seed.c \
	testing/fuzz/privsep_stubs.c testing/fuzz/corpus/privsep
EXTRA_DIST += testing/fuzz/build-fuzzers.sh testing/fuzz/run-fuzz.sh \
	testing/fuzz/make_frag_seed.c testing/fuzz/corpus/parse testing/fuzz/corpus/frag \
	testing/suites/codec-fuzz.sh

# `make fuzzers` builds the libFuzzer targets into testing/fuzz/bin (clang);
# with --enable-fuzzers make check also fuzzes them briefly.
fuzzers:
	$(top_srcdir)/testing/fuzz/build-fuzzers.sh $(abs_top_builddir)/testing/fuzz/bin
.PHONY: fuzzers
if ENABLE_FUZZERS
TESTS += testing/fuzz/test_fuzz_smoke.sh
endif
EXTRA_DIST += testing/fuzz/test_fuzz_smoke.sh testing/fuzz/corpus/README
