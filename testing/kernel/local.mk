# testing/kernel: the kernel-ipsec registry and the null backend (compiled
# into the test, as in-process tests use it).
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/kernel/test_kernel_null
TESTS += testing/kernel/test_kernel_null
testing_kernel_test_kernel_null_SOURCES = testing/kernel/test_kernel_null.c \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c
testing_kernel_test_kernel_null_CFLAGS = $(TEST_CFLAGS)
testing_kernel_test_kernel_null_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
endif
