# testing/engine: the protocol engine's unit and in-process tests.
check_PROGRAMS += testing/engine/test_sa_table
TESTS += testing/engine/test_sa_table
testing_engine_test_sa_table_SOURCES = testing/engine/test_sa_table.c
testing_engine_test_sa_table_CFLAGS = $(TEST_CFLAGS)
testing_engine_test_sa_table_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
