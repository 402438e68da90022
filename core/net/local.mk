# core/net: build fragment, included from the top Makefile.am.
# UDP sockets (IKE 500, NAT-T 4500), packets, NAT detection.
noinst_HEADERS += core/net/packet.h core/net/net.h core/net/addr.h core/net/nat.h core/net/ctl_socket.h
libikev2d_la_SOURCES += \
	core/net/packet.c \
	core/net/addr.c \
	core/net/socket.c \
	core/net/nat.c \
	core/net/ctl_socket.c
