# dist: the systemd unit, sysusers.d, tmpfiles.d and logrotate files,
# installed by `make install` (paths filled in from configure).
systemdsystemunit_DATA = dist/ikev2d.service
# sysusers.d and tmpfiles.d both want "ikev2d.conf": installed by hand.
noinst_DATA += dist/ikev2d.conf.sysusers dist/ikev2d.conf.tmpfiles dist/ikev2d.logrotate
install-data-local: install-dist-files
uninstall-local: uninstall-dist-files
install-dist-files:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)' '$(DESTDIR)$(logrotatedir)'
	$(INSTALL_DATA) dist/ikev2d.conf.sysusers '$(DESTDIR)$(sysusersdir)/ikev2d.conf'
	$(INSTALL_DATA) dist/ikev2d.conf.tmpfiles '$(DESTDIR)$(tmpfilesdir)/ikev2d.conf'
	$(INSTALL_DATA) dist/ikev2d.logrotate '$(DESTDIR)$(logrotatedir)/ikev2d'
uninstall-dist-files:
	rm -f '$(DESTDIR)$(sysusersdir)/ikev2d.conf' '$(DESTDIR)$(tmpfilesdir)/ikev2d.conf' \
	      '$(DESTDIR)$(logrotatedir)/ikev2d'
.PHONY: install-dist-files uninstall-dist-files
EXTRA_DIST += dist/ikev2d.service.in dist/ikev2d.sysusers \
	dist/ikev2d.tmpfiles.in dist/ikev2d.logrotate.in
CLEANFILES += dist/ikev2d.service dist/ikev2d.conf.sysusers \
	dist/ikev2d.conf.tmpfiles dist/ikev2d.logrotate

dist_subst = $(SED) -e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@confdir[@]|$(confdir)|g' \
	-e 's|@logdir[@]|$(localstatedir)/log/ikev2|g'

dist/ikev2d.service: $(srcdir)/dist/ikev2d.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && $(dist_subst) $(srcdir)/dist/ikev2d.service.in > $@
dist/ikev2d.conf.sysusers: $(srcdir)/dist/ikev2d.sysusers
	$(AM_V_GEN)$(MKDIR_P) dist && cp $(srcdir)/dist/ikev2d.sysusers $@
dist/ikev2d.conf.tmpfiles: $(srcdir)/dist/ikev2d.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && $(dist_subst) $(srcdir)/dist/ikev2d.tmpfiles.in > $@
dist/ikev2d.logrotate: $(srcdir)/dist/ikev2d.logrotate.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && $(dist_subst) $(srcdir)/dist/ikev2d.logrotate.in > $@
