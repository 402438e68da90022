# testing/net: the socket manager over loopback, address helpers, NAT
# detection (with SHA-1 from the nettle plugin as built).
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/net/test_net
TESTS += testing/net/test_net
testing_net_test_net_SOURCES = testing/net/test_net.c
testing_net_test_net_CFLAGS = $(TEST_CFLAGS)
testing_net_test_net_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

if ENABLE_NETTLE
check_PROGRAMS += testing/net/test_natd
TESTS += testing/net/test_natd
testing_net_test_natd_SOURCES = testing/net/test_natd.c
testing_net_test_natd_CFLAGS = $(TEST_CFLAGS)
testing_net_test_natd_LDADD = $(TEST_LIBS)
endif
endif
