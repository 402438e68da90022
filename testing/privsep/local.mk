# testing/privsep: privilege separation - the message codec and the
# parent's checks (Check), and the forged-request tool of
# testing/suites/privsep-forged.sh (built by make check).
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/privsep/test_privsep
TESTS += testing/privsep/test_privsep
testing_privsep_test_privsep_SOURCES = testing/privsep/test_privsep.c
testing_privsep_test_privsep_CFLAGS = $(TEST_CFLAGS)
testing_privsep_test_privsep_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
check_PROGRAMS += testing/privsep/test_keys
TESTS += testing/privsep/test_keys
testing_privsep_test_keys_SOURCES = testing/privsep/test_keys.c
testing_privsep_test_keys_CFLAGS = $(TEST_CFLAGS)
testing_privsep_test_keys_LDADD = $(TEST_LIBS) $(PTHREAD_LIBS)
endif
check_PROGRAMS += testing/privsep/privsep-forge
testing_privsep_privsep_forge_SOURCES = testing/privsep/privsep_forge.c
testing_privsep_privsep_forge_LDADD = libikev2d.la
