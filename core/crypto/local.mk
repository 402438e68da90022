# core/crypto: build fragment, included from the top Makefile.am.
# The crypto registry (which plugin provides what), prf+ and the IKEv2 key
# derivation; no algorithm lives here.
libikev2d_la_SOURCES += \
	core/crypto/crypto_registry.c \
	core/crypto/prf_plus.c \
	core/crypto/keymat.c \
	core/crypto/ke_reuse.c

noinst_HEADERS += \
	core/crypto/keymat.h \
	core/crypto/ke_reuse.h
