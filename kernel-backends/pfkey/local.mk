# kernel-backends/pfkey: build fragment, included from the top Makefile.am.
# The "kernel-pfkey" plugin: PF_KEY v2 (RFC 2367 + Linux SADB_X_*).
if ENABLE_KERNEL_PFKEY
plugin_LTLIBRARIES += kernel-backends/pfkey/kernel-pfkey.la
kernel_backends_pfkey_kernel_pfkey_la_SOURCES = \
	kernel-backends/pfkey/kernel_pfkey.c \
	kernel-backends/pfkey/kernel_pfkey.h \
	kernel-backends/pfkey/kernel_pfkey_priv.h \
	kernel-backends/pfkey/kernel_pfkey_policy.c \
	kernel-backends/pfkey/kernel_pfkey_plugin.c \
	kernel-backends/pfkey/pfkey_msg.c \
	kernel-backends/pfkey/pfkey_msg.h \
	kernel-backends/pfkey/pfkey_route.c \
	kernel-backends/pfkey/pfkey_route.h \
	kernel-backends/pfkey/pfkey_tables.c \
	kernel-backends/pfkey/pfkey_tables.h \
	kernel-backends/pfkey/pfkey_xlate.c \
	kernel-backends/pfkey/pfkey_xlate.h
# messages are built and read through struct views of a uint64_t buffer
kernel_backends_pfkey_kernel_pfkey_la_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS) -fno-strict-aliasing
kernel_backends_pfkey_kernel_pfkey_la_LDFLAGS = $(MODULE_FLAGS)
kernel_backends_pfkey_kernel_pfkey_la_LIBADD = libikev2d.la $(LIBMNL_LIBS) $(PTHREAD_LIBS)
endif
