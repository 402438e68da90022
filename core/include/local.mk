# Installed plugin API headers ($includedir/ikev2d/).
ikev2dinclude_HEADERS += \
	core/include/ikev2d/auth.h \
	core/include/ikev2d/bus.h \
	core/include/ikev2d/chunk.h \
	core/include/ikev2d/cred.h \
	core/include/ikev2d/crypto.h \
	core/include/ikev2d/esp_udp.h \
	core/include/ikev2d/fetcher.h \
	core/include/ikev2d/ikev2.h \
	core/include/ikev2d/keystore.h \
	core/include/ikev2d/kernel_ipsec.h \
	core/include/ikev2d/plugin.h \
	core/include/ikev2d/runtime.h \
	core/include/ikev2d/settings.h \
	core/include/ikev2d/transform.h
