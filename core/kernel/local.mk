# core/kernel: build fragment, included from the top Makefile.am.
# The kernel-ipsec registry (backends register through it).
libikev2d_la_SOURCES += core/kernel/kernel_ipsec.c core/kernel/esp_udp.c
# The configuration check the backend answers (kernel < config in the
# include graph, so this lives here).
libikev2d_la_SOURCES += core/kernel/kernel_check.c core/kernel/kernel_check.h
# Privilege separation: the parent/engine messages and the parent's checks
# of the engine's kernel requests (used by in.ikev2d and kernel-privsep).
libikev2d_la_SOURCES += core/kernel/privsep_msg.c core/kernel/privsep_msg.h \
	core/kernel/privsep_guard.c core/kernel/privsep_guard.h
