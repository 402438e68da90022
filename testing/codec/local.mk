# testing/codec: unit tests of the IKEv2 message codec.
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/codec/test_codec
TESTS += testing/codec/test_codec

testing_codec_test_codec_SOURCES = testing/codec/test_codec.c \
	testing/codec/samples.c testing/codec/samples.h
testing_codec_test_codec_CFLAGS = $(TEST_CFLAGS)
testing_codec_test_codec_LDADD = $(TEST_LIBS)
endif

if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/codec/test_captures
TESTS += testing/codec/test_captures
testing_codec_test_captures_SOURCES = testing/codec/test_captures.c \
	testing/codec/captures.c testing/codec/captures.h
testing_codec_test_captures_CFLAGS = $(TEST_CFLAGS)
testing_codec_test_captures_LDADD = $(TEST_LIBS)
endif

EXTRA_DIST += testing/vectors/pcaps/LICENSE testing/vectors/pcaps/make-expect.py \
	testing/vectors/pcaps/ikev2-decrypt-3des-sha1_160.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes128ccm12-2.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes128ccm12.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes192ctr.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes256cbc.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes256ccm16.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes256gcm16.txt \
	testing/vectors/pcaps/ikev2-decrypt-aes256gcm8.txt

if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/codec/test_captures_sk
TESTS += testing/codec/test_captures_sk
testing_codec_test_captures_sk_SOURCES = testing/codec/test_captures_sk.c \
	testing/codec/captures.c testing/codec/captures.h
testing_codec_test_captures_sk_CFLAGS = $(TEST_CFLAGS)
testing_codec_test_captures_sk_LDADD = $(TEST_LIBS)
endif

# Tools used by the script tests (and for looking at messages by hand).
check_PROGRAMS += testing/codec/ikev2_parse
testing_codec_ikev2_parse_SOURCES = testing/codec/ikev2_parse.c
testing_codec_ikev2_parse_CFLAGS = $(AM_CFLAGS)
testing_codec_ikev2_parse_LDADD = libikev2d.la

# scapy builds messages, our parser reads them.
TESTS += testing/codec/test_scapy.sh
EXTRA_DIST += testing/codec/test_scapy.sh testing/codec/scapy_messages.py

check_PROGRAMS += testing/codec/ikev2_gen
testing_codec_ikev2_gen_SOURCES = testing/codec/ikev2_gen.c testing/codec/samples.c \
	testing/codec/samples.h testing/codec/pcap_out.c testing/codec/pcap_out.h
testing_codec_ikev2_gen_CFLAGS = $(AM_CFLAGS)
testing_codec_ikev2_gen_LDADD = libikev2d.la

# tshark dissects what we generate.
TESTS += testing/codec/test_tshark.sh
EXTRA_DIST += testing/codec/test_tshark.sh

# tshark decrypts and verifies what we protect with real ciphers.
check_PROGRAMS += testing/codec/ikev2_gen_sk
testing_codec_ikev2_gen_sk_SOURCES = testing/codec/ikev2_gen_sk.c testing/codec/samples.c \
	testing/codec/samples.h testing/codec/pcap_out.c testing/codec/pcap_out.h
testing_codec_ikev2_gen_sk_CFLAGS = $(AM_CFLAGS)
testing_codec_ikev2_gen_sk_LDADD = libikev2d.la
TESTS += testing/codec/test_tshark_sk.sh
EXTRA_DIST += testing/codec/test_tshark_sk.sh
