# kernel-backends/privsep: build fragment, included from the top Makefile.am.
# The "kernel-privsep" plugin: the engine's proxy kernel backend under
# daemon.privsep (the parent runs the real one; HACKING.md).
plugin_LTLIBRARIES += kernel-backends/privsep/kernel-privsep.la
kernel_backends_privsep_kernel_privsep_la_SOURCES = \
	kernel-backends/privsep/privsep_plugin.c
kernel_backends_privsep_kernel_privsep_la_LDFLAGS = $(MODULE_FLAGS)
kernel_backends_privsep_kernel_privsep_la_LIBADD = libikev2d.la $(PTHREAD_LIBS)
