# kernel-backends/netlink: build fragment, included from the top Makefile.am.
# The "kernel-netlink" plugin: SAs, policies and routes into the Linux
# kernel's XFRM over netlink (libmnl).
if ENABLE_KERNEL_NETLINK
plugin_LTLIBRARIES += kernel-backends/netlink/kernel-netlink.la
kernel_backends_netlink_kernel_netlink_la_SOURCES = \
	kernel-backends/netlink/knl.h \
	kernel-backends/netlink/knl_nl.c \
	kernel-backends/netlink/knl_sa.c \
	kernel-backends/netlink/knl_policy.c \
	kernel-backends/netlink/knl_events.c \
	kernel-backends/netlink/knl_probe.c \
	kernel-backends/netlink/knl_plugin.c
kernel_backends_netlink_kernel_netlink_la_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS)
kernel_backends_netlink_kernel_netlink_la_LDFLAGS = $(MODULE_FLAGS)
kernel_backends_netlink_kernel_netlink_la_LIBADD = libikev2d.la $(LIBMNL_LIBS)
endif
