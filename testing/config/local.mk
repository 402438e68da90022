# testing/config: unit tests of the configuration component (Check), and
# the broken example files each of which must fail with its own message.
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/config/test_debug_level testing/config/test_dn
TESTS += testing/config/test_debug_level testing/config/test_dn
testing_config_test_dn_SOURCES = testing/config/test_dn.c
testing_config_test_dn_CFLAGS = $(TEST_CFLAGS)
testing_config_test_dn_LDADD = $(TEST_LIBS)
testing_config_test_debug_level_SOURCES = testing/config/test_debug_level.c
testing_config_test_debug_level_CFLAGS = $(TEST_CFLAGS)
testing_config_test_debug_level_LDADD = $(TEST_LIBS)
endif

if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/config/test_config
TESTS += testing/config/test_config
testing_config_test_config_SOURCES = testing/config/test_config.c
testing_config_test_config_CFLAGS = $(TEST_CFLAGS) $(LIBCONFIG_CFLAGS)
testing_config_test_config_LDADD = $(TEST_LIBS) $(LIBCONFIG_LIBS) $(PTHREAD_LIBS)
endif
EXTRA_DIST += \
	testing/config/valid.config \
	testing/config/valid.preshared \
	testing/config/broken

# in.ikev2d -c on the shipped example and every broken example (skips
# until the daemon is built).
TESTS += testing/config/check-broken.sh
dist_noinst_SCRIPTS += testing/config/check-broken.sh
