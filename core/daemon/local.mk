# core/daemon: in.ikev2d, the daemon (not part of libikev2d).
sbin_PROGRAMS += in.ikev2d
in_ikev2d_SOURCES = \
	core/daemon/main.c \
	core/daemon/daemon_log.c \
	core/daemon/daemon_log.h \
	core/daemon/daemon_proc.c \
	core/daemon/daemon_proc.h
in_ikev2d_CFLAGS = $(AM_CFLAGS) $(PIE_CFLAGS) $(LIBCAP_CFLAGS)
in_ikev2d_LDFLAGS = $(AM_LDFLAGS) $(PIE_LDFLAGS)
in_ikev2d_LDADD = libikev2d.la $(LIBCAP_LIBS) $(PTHREAD_LIBS)
