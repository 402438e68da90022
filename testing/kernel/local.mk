# testing/kernel: the kernel-ipsec registry and the null backend (compiled
# into the test, as in-process tests use it).
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/kernel/test_kernel_null
TESTS += testing/kernel/test_kernel_null
testing_kernel_test_kernel_null_SOURCES = testing/kernel/test_kernel_null.c \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c \
	kernel-backends/null/kernel_null_rec.c
testing_kernel_test_kernel_null_CFLAGS = $(TEST_CFLAGS)
testing_kernel_test_kernel_null_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
endif

# testing/kernel: the kernel-pfkey codec and translation (no socket: runs
# where the kernel has no AF_KEY).
if ENABLE_UNIT_TESTS
if ENABLE_KERNEL_PFKEY
check_PROGRAMS += testing/kernel/test_pfkey
TESTS += testing/kernel/test_pfkey
testing_kernel_test_pfkey_SOURCES = testing/kernel/test_pfkey.c \
	kernel-backends/pfkey/pfkey_msg.c \
	kernel-backends/pfkey/pfkey_xlate.c
testing_kernel_test_pfkey_CFLAGS = $(TEST_CFLAGS) -fno-strict-aliasing
testing_kernel_test_pfkey_LDADD = $(TEST_LIBS)
# the backend's SA, policy and reqid tables
check_PROGRAMS += testing/kernel/test_pfkey_tables
TESTS += testing/kernel/test_pfkey_tables
testing_kernel_test_pfkey_tables_SOURCES = testing/kernel/test_pfkey_tables.c \
	kernel-backends/pfkey/pfkey_tables.c
testing_kernel_test_pfkey_tables_CFLAGS = $(TEST_CFLAGS)
testing_kernel_test_pfkey_tables_LDADD = $(TEST_LIBS)
endif
endif
if ENABLE_KERNEL_PFKEY
TESTS += testing/kernel/pfkey-no-afkey.sh
endif
dist_noinst_SCRIPTS += testing/kernel/pfkey-no-afkey.sh

# testing/kernel: the userspace ESP backend's replay window and ESP packet
# code, with the nettle plugin for the crypto (known answers).
if ENABLE_UNIT_TESTS
if ENABLE_KERNEL_USERSPACE
if ENABLE_NETTLE
check_PROGRAMS += testing/kernel/test_userspace_esp
TESTS += testing/kernel/test_userspace_esp
testing_kernel_test_userspace_esp_SOURCES = testing/kernel/test_userspace_esp.c \
	kernel-backends/userspace/us_esp.c \
	kernel-backends/userspace/us_replay.c \
	kernel-backends/userspace/us_flow.c \
	kernel-backends/userspace/us_tunio.c \
	testing/crypto/nettle_load.h
testing_kernel_test_userspace_esp_CFLAGS = $(TEST_CFLAGS)
testing_kernel_test_userspace_esp_LDADD = $(TEST_LIBS)
check_PROGRAMS += testing/kernel/test_userspace_tso
TESTS += testing/kernel/test_userspace_tso
testing_kernel_test_userspace_tso_SOURCES = testing/kernel/test_userspace_tso.c \
	kernel-backends/userspace/us_flow.c \
	kernel-backends/userspace/us_tunio.c
testing_kernel_test_userspace_tso_CFLAGS = $(TEST_CFLAGS)
testing_kernel_test_userspace_tso_LDADD = $(TEST_LIBS)
endif
endif
endif
