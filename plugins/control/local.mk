# plugins/control: build fragment, included from the top Makefile.am.
# The "control" plugin: the control socket ikeadm speaks to, and the
# optional metrics endpoint.
if ENABLE_CONTROL
plugin_LTLIBRARIES += plugins/control/control.la
plugins_control_control_la_SOURCES = \
	plugins/control/control_plugin.c \
	plugins/control/ctl_cmds.c \
	plugins/control/ctl_cmds.h \
	plugins/control/ctl_out.c \
	plugins/control/ctl_out.h \
	plugins/control/ctl_proto.c \
	plugins/control/ctl_proto.h \
	plugins/control/ctl_server.c \
	plugins/control/ctl_server.h \
	plugins/control/ctl_stats.c \
	plugins/control/ctl_stats.h
plugins_control_control_la_LDFLAGS = $(MODULE_FLAGS)
plugins_control_control_la_LIBADD = libikev2d.la
endif
dist_doc_DATA = plugins/control/PROTOCOL.md
