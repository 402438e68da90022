# testing/runtime: worker pool, scheduler and event loop.
check_PROGRAMS += testing/runtime/test_runtime
TESTS += testing/runtime/test_runtime

testing_runtime_test_runtime_SOURCES = testing/runtime/test_runtime.c
testing_runtime_test_runtime_CFLAGS = $(TEST_CFLAGS)
testing_runtime_test_runtime_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

# The fetcher registry and its bound; the curl plugin when it is built.
check_PROGRAMS += testing/runtime/test_fetch
TESTS += testing/runtime/test_fetch
testing_runtime_test_fetch_SOURCES = testing/runtime/test_fetch.c
testing_runtime_test_fetch_CFLAGS = $(TEST_CFLAGS)
testing_runtime_test_fetch_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
if ENABLE_CURL
testing_runtime_test_fetch_CFLAGS += -DHAVE_CURL_PLUGIN
endif
