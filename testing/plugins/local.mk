# testing/plugins: small plugins for the loader tests (libtool modules,
# built for make check only, never installed).
check_LTLIBRARIES += testing/plugins/tp_base.la testing/plugins/tp_dep.la testing/plugins/tp_dup.la testing/plugins/tp_fail.la testing/plugins/tp_cycle.la testing/plugins/tp_badabi.la testing/plugins/tp_nosym.la testing/plugins/tp_null.la testing/plugins/tp_dupfail.la
noinst_HEADERS += testing/plugins/tp_common.h

testing_plugins_tp_base_la_SOURCES = testing/plugins/tp_base.c
testing_plugins_tp_base_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_base_la_LIBADD = libikev2d.la

testing_plugins_tp_dep_la_SOURCES = testing/plugins/tp_dep.c
testing_plugins_tp_dep_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_dep_la_LIBADD = libikev2d.la

testing_plugins_tp_dup_la_SOURCES = testing/plugins/tp_dup.c
testing_plugins_tp_dup_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_dup_la_LIBADD = libikev2d.la

testing_plugins_tp_fail_la_SOURCES = testing/plugins/tp_fail.c
testing_plugins_tp_fail_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_fail_la_LIBADD = libikev2d.la

testing_plugins_tp_cycle_la_SOURCES = testing/plugins/tp_cycle.c
testing_plugins_tp_cycle_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_cycle_la_LIBADD = libikev2d.la

testing_plugins_tp_badabi_la_SOURCES = testing/plugins/tp_badabi.c
testing_plugins_tp_badabi_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_badabi_la_LIBADD = libikev2d.la

testing_plugins_tp_nosym_la_SOURCES = testing/plugins/tp_nosym.c
testing_plugins_tp_nosym_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_nosym_la_LIBADD = libikev2d.la

testing_plugins_tp_null_la_SOURCES = testing/plugins/tp_null.c
testing_plugins_tp_null_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_null_la_LIBADD = libikev2d.la
testing_plugins_tp_dupfail_la_SOURCES = testing/plugins/tp_dupfail.c
testing_plugins_tp_dupfail_la_LDFLAGS = $(MODULE_FLAGS) -rpath /nowhere
testing_plugins_tp_dupfail_la_LIBADD = libikev2d.la
