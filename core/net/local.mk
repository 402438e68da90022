# core/net: build fragment, included from the top Makefile.am.
# UDP sockets (IKE 500, NAT-T 4500), packets, NAT detection.
noinst_HEADERS += core/net/packet.h core/net/net.h core/net/addr.h core/net/nat.h
libikev2d_la_SOURCES += \
	core/net/packet.c \
	core/net/addr.c
# socket.c needs the runtime (loop_watch_fd, job_queue) and nat.c the crypto
# registry (crypto_create_hasher); they join the library when those land.
EXTRA_DIST += core/net/socket.c core/net/nat.c
