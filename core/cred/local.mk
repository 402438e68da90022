# core/cred: credential registry (which plugin loads keys, certificates,
# CRLs), signature-scheme tables and RFC 7427 AlgorithmIdentifiers.
libikev2d_la_SOURCES += \
	core/cred/cred_auth.c \
	core/cred/cred_names.c \
	core/cred/cred_registry.c \
	core/cred/cred_token.c \
	core/cred/keystore_token.c \
	core/cred/der.c \
	core/cred/keystore.c \
	core/cred/keys_msg.c \
	core/cred/sig_algid.c
noinst_HEADERS += core/cred/der.h core/cred/keys_msg.h
