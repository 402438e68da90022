# tools: build fragment, included from the top Makefile.am.
if ENABLE_CONTROL
sbin_PROGRAMS += tools/ikeadm/ikeadm
tools_ikeadm_ikeadm_SOURCES = \
	tools/ikeadm/ikeadm.c \
	plugins/control/ctl_proto.c \
	plugins/control/ctl_proto.h
tools_ikeadm_ikeadm_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/control
tools_ikeadm_ikeadm_CFLAGS = $(AM_CFLAGS) $(PIE_CFLAGS) $(LIBEDIT_CFLAGS)
tools_ikeadm_ikeadm_LDFLAGS = $(AM_LDFLAGS) $(PIE_LDFLAGS)
tools_ikeadm_ikeadm_LDADD = $(LIBEDIT_LIBS)
endif
