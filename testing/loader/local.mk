# testing/loader: the plugin loader against the test plugins (testing/plugins).
if ENABLE_UNIT_TESTS
check_PROGRAMS += testing/loader/test_loader
TESTS += testing/loader/test_loader

testing_loader_test_loader_SOURCES = testing/loader/test_loader.c
testing_loader_test_loader_CFLAGS = $(TEST_CFLAGS)
testing_loader_test_loader_LDADD = $(TEST_LIBS)
endif

# plugin_probe: loads plugins by name and prints what loaded (for the
# out-of-tree example plugin test).
check_PROGRAMS += testing/loader/plugin_probe
testing_loader_plugin_probe_SOURCES = testing/loader/plugin_probe.c
testing_loader_plugin_probe_LDADD = libikev2d.la
