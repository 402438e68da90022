# testing/loader: the plugin loader against the test plugins (testing/plugins).
check_PROGRAMS += testing/loader/test_loader
TESTS += testing/loader/test_loader

testing_loader_test_loader_SOURCES = testing/loader/test_loader.c
testing_loader_test_loader_CFLAGS = $(TEST_CFLAGS)
testing_loader_test_loader_LDADD = $(TEST_LIBS)
