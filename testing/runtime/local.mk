# testing/runtime: worker pool, scheduler and event loop.
check_PROGRAMS += testing/runtime/test_runtime
TESTS += testing/runtime/test_runtime

testing_runtime_test_runtime_SOURCES = testing/runtime/test_runtime.c
testing_runtime_test_runtime_CFLAGS = $(TEST_CFLAGS)
testing_runtime_test_runtime_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
