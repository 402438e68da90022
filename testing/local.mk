# testing/: unit tests (Check), test plugins, broken example files, network
# namespace and interop tests, fuzz harnesses and benchmarks.  Each area has
# its own fragment.

if ENABLE_UNIT_TESTS
include testing/lib/local.mk
endif
include testing/plugins/local.mk
include testing/loader/local.mk
include testing/config/local.mk
if ENABLE_UNIT_TESTS
include testing/engine/local.mk
endif
if ENABLE_UNIT_TESTS
include testing/runtime/local.mk
endif
include testing/example-plugin/local.mk
include testing/kernel/local.mk
include testing/net/local.mk
include testing/codec/local.mk
include testing/crypto/local.mk
include testing/bench/crypto.mk
include testing/bench/load/local.mk
if ENABLE_UNIT_TESTS
include testing/gnutls/local.mk
endif
include testing/daemon/local.mk
include testing/netns/local.mk
include testing/guest/local.mk
include testing/bench/sig.mk
include testing/fuzz/local.mk
include testing/privsep/local.mk
include testing/bench/codec.mk
include testing/tools/local.mk
include testing/control/local.mk
