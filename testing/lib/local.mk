# testing/lib: unit tests of core/lib (bus, transform names, secure memory).
check_PROGRAMS += testing/lib/test_bus testing/lib/test_transform testing/lib/test_secmem
TESTS += testing/lib/test_bus testing/lib/test_transform testing/lib/test_secmem
noinst_HEADERS += testing/lib/locked_mem.h

testing_lib_test_bus_SOURCES = testing/lib/test_bus.c
testing_lib_test_bus_CFLAGS = $(TEST_CFLAGS)
testing_lib_test_bus_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

testing_lib_test_transform_SOURCES = testing/lib/test_transform.c
testing_lib_test_transform_CFLAGS = $(TEST_CFLAGS)
testing_lib_test_transform_LDADD = $(TEST_LIBS)

testing_lib_test_secmem_SOURCES = testing/lib/test_secmem.c
testing_lib_test_secmem_CFLAGS = $(TEST_CFLAGS)
testing_lib_test_secmem_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
