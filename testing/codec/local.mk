# testing/codec: unit tests of the IKEv2 message codec.
check_PROGRAMS += testing/codec/test_codec
TESTS += testing/codec/test_codec

testing_codec_test_codec_SOURCES = testing/codec/test_codec.c \
	testing/codec/samples.c testing/codec/samples.h
testing_codec_test_codec_CFLAGS = $(TEST_CFLAGS)
testing_codec_test_codec_LDADD = $(TEST_LIBS)
