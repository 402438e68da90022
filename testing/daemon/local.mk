# testing/daemon: in.ikev2d itself (-c, foreground, reload, signals, pid file).
dist_noinst_SCRIPTS += \
	testing/daemon/test-check.sh \
	testing/daemon/test-check-certs.sh \
	testing/daemon/test-reload.sh \
	testing/daemon/test-pidfile.sh
dist_noinst_DATA += testing/daemon/common.sh
TESTS += \
	testing/daemon/test-check.sh \
	testing/daemon/test-check-certs.sh \
	testing/daemon/test-reload.sh \
	testing/daemon/test-pidfile.sh

# The README's commands and CI's entry points, shipped in the tarball.
dist_noinst_SCRIPTS += testing/run-tests.sh testing/quickstart.sh
EXTRA_DIST += .ci/run .ci/install-deps testing/plugin-path.sh
