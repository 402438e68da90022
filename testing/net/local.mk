# testing/net: the socket manager over loopback, address helpers.
check_PROGRAMS += testing/net/test_net
TESTS += testing/net/test_net
testing_net_test_net_SOURCES = testing/net/test_net.c
testing_net_test_net_CFLAGS = $(TEST_CFLAGS)
testing_net_test_net_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
