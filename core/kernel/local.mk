# core/kernel: build fragment, included from the top Makefile.am.
# The kernel-ipsec registry (backends register through it).
libikev2d_la_SOURCES += core/kernel/kernel_ipsec.c core/kernel/esp_udp.c
# The configuration check the backend answers (kernel < config in the
# include graph, so this lives here).
libikev2d_la_SOURCES += core/kernel/kernel_check.c core/kernel/kernel_check.h
