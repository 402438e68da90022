# testing/config: unit tests of the configuration component (Check), and
# the broken example files each of which must fail with its own message.
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/config/test_debug_level
TESTS += testing/config/test_debug_level
testing_config_test_debug_level_SOURCES = testing/config/test_debug_level.c
testing_config_test_debug_level_CFLAGS = $(TEST_CFLAGS)
testing_config_test_debug_level_LDADD = $(TEST_LIBS)
endif
