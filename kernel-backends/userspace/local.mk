# kernel-backends/userspace: build fragment, included from the top Makefile.am.
# The "kernel-userspace" plugin: ESP in user space over a TUN device.
if ENABLE_KERNEL_USERSPACE
plugin_LTLIBRARIES += kernel-backends/userspace/kernel-userspace.la
kernel_backends_userspace_kernel_userspace_la_SOURCES = \
	kernel-backends/userspace/us.h \
	kernel-backends/userspace/us_dp.c \
	kernel-backends/userspace/us_esp.c \
	kernel-backends/userspace/us_esp.h \
	kernel-backends/userspace/us_flow.c \
	kernel-backends/userspace/us_flow.h \
	kernel-backends/userspace/us_plugin.c \
	kernel-backends/userspace/us_replay.c \
	kernel-backends/userspace/us_replay.h \
	kernel-backends/userspace/us_sad.c \
	kernel-backends/userspace/us_sys.c \
	kernel-backends/userspace/us_tunio.c \
	kernel-backends/userspace/us_tunio.h
kernel_backends_userspace_kernel_userspace_la_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS)
kernel_backends_userspace_kernel_userspace_la_LDFLAGS = $(MODULE_FLAGS)
kernel_backends_userspace_kernel_userspace_la_LIBADD = libikev2d.la $(LIBMNL_LIBS) $(PTHREAD_LIBS)
endif
