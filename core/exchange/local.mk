# core/exchange: build fragment, included from the top Makefile.am.
libikev2d_la_SOURCES += \
	core/exchange/auth_registry.c \
	core/exchange/auth_wait.c \
	core/exchange/authn.c \
	core/exchange/child_retire.c \
	core/exchange/child_sa.c \
	core/exchange/create_child_sa.c \
	core/exchange/ike_rekey.c \
	core/exchange/kernel_events.c \
	core/exchange/tasks.c \
	core/exchange/trap.c \
	core/exchange/cookie.c \
	core/exchange/engine.c \
	core/exchange/engine_ctl.c \
	core/exchange/rule_stats.c \
	core/exchange/id.c \
	core/exchange/ike_auth.c \
	core/exchange/ike_sa_init.c \
	core/exchange/informational.c \
	core/exchange/initial_contact.c \
	core/exchange/keys.c \
	core/exchange/proposal.c \
	core/exchange/receive.c \
	core/exchange/send.c \
	core/exchange/start_retry.c \
	core/exchange/ts.c
noinst_HEADERS += \
	core/exchange/auth_wait.h \
	core/exchange/authn.h \
	core/exchange/child_sa.h \
	core/exchange/engine.h \
	core/exchange/engine_ctl.h \
	core/exchange/rule_stats.h \
	core/exchange/engine_priv.h \
	core/exchange/proposal.h \
	core/exchange/tasks.h \
	core/exchange/ts.h
