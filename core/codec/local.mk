# core/codec: IKEv2 message parsing and generation (built into libikev2d).
noinst_HEADERS += \
	core/codec/payload.h \
	core/codec/message.h \
	core/codec/fragment.h
