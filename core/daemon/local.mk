# core/daemon: in.ikev2d, the daemon (not part of libikev2d).  Built as
# core/daemon/in.ikev2d, installed as $(sbindir)/in.ikev2d.
sbin_PROGRAMS += core/daemon/in.ikev2d
core_daemon_in_ikev2d_SOURCES = \
	core/daemon/main.c \
	core/daemon/daemon_log.c \
	core/daemon/daemon_log.h \
	core/daemon/daemon_proc.c \
	core/daemon/daemon_proc.h \
	core/daemon/daemon_priv.c \
	core/daemon/daemon_priv.h \
	core/daemon/privsep.c \
	core/daemon/privsep.h \
	core/daemon/privsep_keys.c \
	core/daemon/privsep_keys.h
core_daemon_in_ikev2d_CFLAGS = $(AM_CFLAGS) $(PIE_CFLAGS) $(LIBCAP_CFLAGS) $(LIBSECCOMP_CFLAGS) $(LIBSYSTEMD_CFLAGS)
core_daemon_in_ikev2d_LDFLAGS = $(AM_LDFLAGS) $(PIE_LDFLAGS)
core_daemon_in_ikev2d_LDADD = libikev2d.la $(LIBCAP_LIBS) $(LIBSECCOMP_LIBS) $(LIBSYSTEMD_LIBS) $(PTHREAD_LIBS)
