# SPDX-License-Identifier: GPL-3.0-or-later
# Install-time users and directories (docs/install.md): systemd-sysusers
# creates the user mecdns, systemd-tmpfiles the database directory shared
# with the group knot and the configuration directory. Both files go under
# $(prefix)/lib, like the units (see systemdsystemunitdir in syncd/local.mk),
# so distcheck stays inside its prefix and nothing is chowned at install
# time; override with `make install sysusersdir=DIR tmpfilesdir=DIR`.
# The database directory is /var/lib/mecdns whatever the prefix: the
# daemons' default database and the unit's StateDirectory= are there.
sysusersdir = $(prefix)/lib/sysusers.d
dist_sysusers_DATA = syncd/sysusers.d/mecdns.conf
tmpfilesdir = $(prefix)/lib/tmpfiles.d
tmpfiles_DATA = syncd/tmpfiles.d/mecdns.conf
EXTRA_DIST += syncd/mecdns.tmpfiles.in
CLEANFILES += $(tmpfiles_DATA)

syncd/tmpfiles.d/mecdns.conf: $(srcdir)/syncd/mecdns.tmpfiles.in Makefile
	$(AM_V_GEN)$(MKDIR_P) syncd/tmpfiles.d && \
		sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/syncd/mecdns.tmpfiles.in > $@-t && mv $@-t $@
