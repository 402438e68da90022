# testing/engine: the protocol engine's unit and in-process tests.
check_PROGRAMS += testing/engine/test_sa_table
TESTS += testing/engine/test_sa_table
testing_engine_test_sa_table_SOURCES = testing/engine/test_sa_table.c
testing_engine_test_sa_table_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_sa_table_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += testing/engine/test_exchange
TESTS += testing/engine/test_exchange
testing_engine_test_exchange_SOURCES = testing/engine/test_exchange.c \
	testing/engine/pair.c testing/engine/pair.h \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c \
	kernel-backends/null/kernel_null_rec.c
testing_engine_test_exchange_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_exchange_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += testing/engine/test_proposal_ts
TESTS += testing/engine/test_proposal_ts
testing_engine_test_proposal_ts_SOURCES = testing/engine/test_proposal_ts.c
testing_engine_test_proposal_ts_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_proposal_ts_LDADD = $(TEST_LIBS)


check_PROGRAMS += testing/engine/test_psk
TESTS += testing/engine/test_psk
testing_engine_test_psk_SOURCES = testing/engine/test_psk.c
testing_engine_test_psk_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_psk_LDADD = $(TEST_LIBS)

check_PROGRAMS += testing/engine/test_id
TESTS += testing/engine/test_id
testing_engine_test_id_SOURCES = testing/engine/test_id.c
testing_engine_test_id_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_id_LDADD = $(TEST_LIBS)

check_PROGRAMS += testing/engine/test_exchange_regress
TESTS += testing/engine/test_exchange_regress
testing_engine_test_exchange_regress_SOURCES = \
	testing/engine/test_exchange_regress.c \
	testing/engine/pair.c testing/engine/pair.h \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c \
	kernel-backends/null/kernel_null_rec.c
testing_engine_test_exchange_regress_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_exchange_regress_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += testing/engine/test_auth_wait
TESTS += testing/engine/test_auth_wait
testing_engine_test_auth_wait_SOURCES = testing/engine/test_auth_wait.c \
	testing/engine/pair.c testing/engine/pair.h \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c \
	kernel-backends/null/kernel_null_rec.c
testing_engine_test_auth_wait_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_auth_wait_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
