# kernel-backends/null: build fragment, included from the top Makefile.am.
# The "kernel-null" plugin: records SAs and policies instead of installing.
if ENABLE_KERNEL_NULL
plugin_LTLIBRARIES += kernel-backends/null/kernel-null.la
kernel_backends_null_kernel_null_la_SOURCES = \
	kernel-backends/null/kernel_null.c \
	kernel-backends/null/kernel_null_ctl.c \
	kernel-backends/null/kernel_null_rec.c \
	kernel-backends/null/kernel_null_rec.h \
	kernel-backends/null/kernel_null.h \
	kernel-backends/null/kernel_null_plugin.c
kernel_backends_null_kernel_null_la_LDFLAGS = $(MODULE_FLAGS)
kernel_backends_null_kernel_null_la_LIBADD = libikev2d.la
endif
