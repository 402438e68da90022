# core/codec: IKEv2 message parsing and generation (built into libikev2d).
noinst_HEADERS += \
	core/codec/payload.h \
	core/codec/message.h \
	core/codec/fragment.h \
	core/codec/codec_internal.h

libikev2d_la_SOURCES += \
	core/codec/names.c \
	core/codec/message.c \
	core/codec/parse.c \
	core/codec/generate.c \
	core/codec/rules.c \
	core/codec/sk.c \
	core/codec/fragment.c
