# testing/control: the control socket's protocol (unit test, corpus replay
# of the fuzz target) and its suite (testing/interop/ikeadm.sh, run as root
# by testing/run-tests.sh).
if ENABLE_CONTROL
check_PROGRAMS += testing/control/test_ctl_proto testing/fuzz/replay_ctl
TESTS += testing/control/test_ctl_proto testing/fuzz/replay_ctl
testing_control_test_ctl_proto_SOURCES = testing/control/test_ctl_proto.c \
	plugins/control/ctl_proto.c
testing_control_test_ctl_proto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/control
testing_control_test_ctl_proto_CFLAGS = $(TEST_CFLAGS)
testing_control_test_ctl_proto_LDADD = $(CHECK_LIBS)
testing_fuzz_replay_ctl_SOURCES = testing/fuzz/replay.c testing/fuzz/fuzz_ctl.c \
	plugins/control/ctl_proto.c
testing_fuzz_replay_ctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/control \
	-DFUZZ_TARGET=\"ctl\"
endif
EXTRA_DIST += testing/fuzz/corpus/ctl
dist_noinst_SCRIPTS += testing/interop/ikeadm.sh testing/suites/interop-ikeadm.sh
