# testing/example-plugin: a plugin built out of tree against the installed
# headers and ikev2d.pc, then loaded by name (see test-out-of-tree.sh).
EXTRA_DIST += testing/example-plugin/example.c testing/example-plugin/Makefile
dist_noinst_SCRIPTS += testing/example-plugin/test-out-of-tree.sh
TESTS += testing/example-plugin/test-out-of-tree.sh
