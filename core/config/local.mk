# core/config: build fragment, included from the top Makefile.am.
noinst_HEADERS += \
	core/config/config.h \
	core/config/config_edits.h \
	core/config/cfg_addr.h \
	core/config/cfg_ctx.h \
	core/config/cfg_ident.h \
	core/config/cfg_rules.h \
	core/config/cfg_validation.h \
	core/config/cfg_xform.h \
	core/config/cfg_xfrm.h \
	core/config/debug_level.h \
	core/config/dn.h \
	core/config/file_perm.h \
	core/config/lc.h \
	core/config/preshared.h \
	core/config/settings_check.h \
	core/config/suggest.h
libikev2d_la_SOURCES += \
	core/config/cfg_addr.c \
	core/config/cfg_ctx.c \
	core/config/cfg_ident.c \
	core/config/cfg_rules.c \
	core/config/cfg_on_demand.c \
	core/config/cfg_validation.c \
	core/config/cfg_xform.c \
	core/config/cfg_xfrm.c \
	core/config/config.c \
	core/config/config_edits.c \
	core/config/debug_level.c \
	core/config/dn.c \
	core/config/file_perm.c \
	core/config/preshared.c \
	core/config/settings.c \
	core/config/suggest.c
EXTRA_DIST += core/config/README.md
